"""The ``ismon`` command: thin commands that build objects from the config and pass them down.

Where it sits: the outermost edge of the data flow. Everything that prints lives here; every
``MonitorError`` becomes one message on stderr and its exit code (1: the job failed, 2: bad usage or
bad config).

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
    except Exception as exc:
        message = _environmental(exc)
        if message is None:
            raise  # a bug: the traceback is what a bug report needs
        err.print(f"[red]error:[/] {escape(message)}", highlight=False)
        sys.exit(1)


def _environmental(exc: Exception) -> str | None:
    """One line for a failure of the machine rather than of ismon (a disk, a file, the database server).

    The commands check the paths they know first (``monitor/store/folders.py``); this is the last net.
    """
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc} (check that the path exists and ismon may write there)"
    database_errors = sys.modules.get("sqlalchemy.exc")
    if database_errors is not None and isinstance(exc, database_errors.OperationalError):
        orig = getattr(exc, "orig", None)
        first = (str(orig if orig is not None else exc).splitlines() or ["?"])[0]
        return f"database: {first}"
    return None
