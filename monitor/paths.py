"""Where ismon's own files are: the Jinja2 templates and the Alembic migrations.

In a checkout (or an editable install) they are ``templates/`` and ``migrations/`` next to the package;
a wheel carries them as ``monitor._templates`` and ``monitor._migrations``.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _locate(folder: str, package: str) -> Path:
    beside = ROOT / folder
    if beside.is_dir():
        return beside
    spec = find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return beside


TEMPLATES = _locate("templates", "monitor._templates")
MIGRATIONS = _locate("migrations", "monitor._migrations")
