"""The ``ismon`` command: thin commands that build objects from the config and pass them down.

The outermost edge of the data flow. Everything that prints lives here; every ``MonitorError`` becomes
one message on stderr and its exit code (1: the job failed, 2: bad usage or bad config).

``common`` holds the Typer apps and what commands share; each other module registers the commands of
one stage on import: ``setup`` (init, check, db, demo), ``sweeps`` (gallery, sweep, daemon),
``reading`` (history, report), ``ads`` (import, pull, show), ``impact`` (what each image costs),
``alerts`` (the outbox), ``optout`` (opt-out requests) and ``offline`` (inspect, identify).
"""

from __future__ import annotations

import sys
from importlib import import_module

from rich.markup import escape

from monitor.cli.common import app, err
from monitor.errors import MonitorError

__all__ = ["app", "main"]

# Registration order is the order of `ismon --help`: setting up, looking, reading, alerting, tools.
COMMAND_MODULES = ("setup", "sweeps", "reading", "ads", "impact", "alerts", "optout", "offline")
for _name in COMMAND_MODULES:
    import_module(f"monitor.cli.{_name}")


def main() -> None:
    try:
        app()
    except MonitorError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
