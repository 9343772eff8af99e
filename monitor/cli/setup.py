"""Commands that set ismon up: ``init``, ``check``, ``db upgrade`` and ``demo``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from monitor.cli.common import (
    app,
    db_app,
    engine_for,
    full_config,
    out,
    utcnow,
)
from monitor.errors import UsageError

# --- setup ----------------------------------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write ismon.toml")] = Path(),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example config."""
    from monitor.paths import TEMPLATES
    from monitor.store.folders import ensure_folder

    target = directory / "ismon.toml"
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to overwrite it")
    ensure_folder(directory, "DIR", UsageError)
    target.write_text((TEMPLATES / "ismon.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    out.print(
        f"wrote {escape(str(target))}: edit the marketplaces, products and email, then run `ismon check`"
    )


@app.command()
def check() -> None:
    """Validate the config, open the database, start the browser, reach SMTP; say what is wrong."""
    from monitor.run.checks import run_checks

    config = full_config()
    results = run_checks(config, os.environ, utcnow())
    failed = False
    for name, ok, detail in results:
        mark = ("  ok  ", "green") if ok else ("FAIL  ", "bold red")
        out.print(Text.assemble(mark, f"{name}: {detail}"))
        failed |= not ok
    if failed:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    from monitor.store.db import current_revision

    config = full_config()
    engine = engine_for(config)
    out.print(f"database at revision {current_revision(engine)}")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo writes everything")] = Path(
        "ismon-demo"
    ),
) -> None:
    """The whole pipeline against the built-in simulated storefront, on this machine."""
    from monitor.demo import run_demo
    from monitor.store.folders import ensure_folder

    ensure_folder(directory, "--dir", UsageError)
    result = run_demo(directory.resolve(), clock=utcnow, say=lambda line: out.print(Text(line)))
    raise typer.Exit(0 if result else 1)
