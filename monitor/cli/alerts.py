"""The outbox commands: ``alerts list``, ``alerts flush`` and ``alerts preview``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from monitor.cli.common import (
    PlainTable,
    alerts_app,
    config_without_secrets,
    engine_for,
    err,
    full_config,
    out,
    utcnow,
)

# --- alerts ---------------------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list() -> None:
    """The outbox: pending, sent and failed alerts."""
    from sqlmodel import Session

    from monitor.mailer import list_outbox

    config = config_without_secrets()
    engine = engine_for(config)
    with Session(engine) as session:
        rows = list_outbox(session)
    table = PlainTable()
    for column in ("id", "created", "status", "attempts", "subject", "last error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.created_at.strftime("%Y-%m-%d %H:%M"),
            row.status,
            str(row.attempts),
            row.subject,
            row.last_error,
        )
    out.print(table if rows else "the outbox is empty")


@alerts_app.command("flush")
def alerts_flush() -> None:
    """Deliver the pending alerts now."""
    from monitor.mailer import flush_configured

    config = full_config()
    engine = engine_for(config)
    result = flush_configured(engine, config, os.environ, utcnow())
    out.print(f"{result.sent} sent, {result.pending} pending, {result.failed} failed")
    for line in result.errors:
        err.print(Text(f"  {line}", style="red"))
    if result.pending or result.failed:
        raise typer.Exit(1)


@alerts_app.command("preview")
def alerts_preview(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="HTML file [default: DATA_DIR/alert-preview.html]")
    ] = None,
) -> None:
    """Write the rendered email of the latest events to an HTML file to open in a browser."""
    from monitor.files import BlobStore
    from monitor.mailer import preview_latest

    config = config_without_secrets()
    engine = engine_for(config)
    target = out_file or config.data_dir / "alert-preview.html"
    path = preview_latest(engine, config, BlobStore(config.data_dir), target, utcnow())
    out.print(Text(f"preview written: {path}"))
