"""What every command shares: the Typer apps, the consoles, the config and database openers.

Part of the outermost edge of the data flow (``monitor.cli``). Commands live in the modules beside this
one, grouped by the stage they drive; each parses its options, builds objects and prints.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from monitor.config import Config, load_config
from monitor.errors import UsageError
from monitor.secrets import Secrets

log = logging.getLogger(__name__)

app = typer.Typer(
    help="ismon: see which gallery image Amazon's Sponsored Products ads show, and get told when the "
    "MAIN image was replaced.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
gallery_app = typer.Typer(help="Import or show listing galleries.", no_args_is_help=True)
alerts_app = typer.Typer(help="The alert outbox.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(gallery_app, name="gallery")
app.add_typer(alerts_app, name="alerts")
app.add_typer(db_app, name="db")

# Piped or under cron, rich would assume 80 columns and fold every table row; use a wide line instead.
out = Console(highlight=False, width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
# Messages are not folded at 80 columns: an error under cron stays one line that names its path.
err = Console(stderr=True, highlight=False, soft_wrap=True)


class PlainTable(Table):
    """A rich Table whose cells are plain text: scraped text is never read as markup."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*(Text(str(r)) if isinstance(r, str) else r for r in renderables), **kwargs)


class State:
    config_path: Path = Path("ismon.toml")
    verbose: int = 0


STATE = State()


def utcnow() -> datetime:
    return datetime.now(UTC)


def full_config() -> Config:
    """The validated config file; it never needs a secret (``secrets()`` reads them when needed)."""
    return load_config(STATE.config_path)


def config_without_secrets() -> Config:
    """The same as ``full_config()``: no config needs its secrets to load (kept for its callers)."""
    return full_config()


def secrets(config: Config) -> Secrets:
    """The environment as the source of the secrets ``config`` names, read when a command needs one."""
    return Secrets(os.environ, config.path)


def engine_for(config: Config) -> Any:
    from monitor.store.db import open_database

    return open_database(config.database_url)


@contextmanager
def progress(total: int | None, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal; nothing under cron (stderr is not a TTY)."""
    if not err.is_terminal or total == 0:
        yield lambda _msg: None
        return
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[item]}"),
    ]
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(label, total=total, item="")

        def advance(message: str) -> None:
            progress.update(task, advance=1, item=message)

        yield advance


@app.callback()
def _main(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file [default: ./ismon.toml or $ISMON_CONFIG]"),
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")] = 0,
) -> None:
    STATE.config_path = config or Path(os.environ.get("ISMON_CONFIG", "ismon.toml"))
    STATE.verbose = verbose
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


# ------------------------------------------------------------------------------------------ --since

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: ``2026-11-01`` (midnight UTC), ``7d`` / ``12h`` / ``30m`` / ``2w`` before ``now``,
    or an ISO 8601 datetime (without a timezone it is taken as UTC). Returns an aware UTC datetime."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    value = text.strip()
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now.astimezone(UTC) - timedelta(**{_UNITS[unit]: amount})
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"--since {text!r}: {value} is not a valid date") from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--since {text!r} is not understood: use a date (2026-11-01), an ISO datetime "
            "(2026-11-01T08:00:00Z) or an age (30m, 12h, 7d, 2w)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
