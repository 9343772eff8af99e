"""``python -m monitor``: the same as the ``ismon`` command."""

from monitor.cli import main

main()
