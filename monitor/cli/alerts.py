"""The outbox commands: ``alerts list``, ``alerts flush`` and ``alerts preview``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from monitor.cli.common import (
    PlainTable,
    alerts_app,
    engine_for,
    err,
    full_config,
    out,
    secrets,
    utcnow,
)

# --- alerts ---------------------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list() -> None:
    """The outbox, newest first: each alert's state, its next try and its last error.

    `collecting` is a digest its sweep is still filling (sent when the sweep ends, or by the next sweep
    if that one was killed); `pending` waits for the next flush (`next try` says when: after a failure
    the scheduled flushes wait 1, 2, 4 ... minutes, `ismon alerts flush` does not); `failed` gave up.
    """
    from sqlmodel import Session

    from monitor.alerts.pending import describe_counts, list_outbox, next_try, outbox_counts

    config = full_config()
    engine = engine_for(config)
    now = utcnow()
    with Session(engine) as session:
        rows = list_outbox(session)
        counts = outbox_counts(session)
    table = PlainTable()
    for column in ("id", "created", "status", "attempts", "next try", "subject", "last error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.created_at.strftime("%Y-%m-%d %H:%M"),
            row.status,
            str(row.attempts),
            next_try(row, now),
            row.subject,
            row.last_error or "-",
        )
    out.print(table if rows else "the outbox is empty")
    if rows:
        out.print(Text(describe_counts(counts)))


@alerts_app.command("flush")
def alerts_flush(
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also try again the alerts ismon gave up on.")
    ] = False,
) -> None:
    """Deliver every pending alert now, even those waiting for a retry (a person asked).

    The daemon and sweeps retry on a backoff (1, 2, 4 ... minutes, at most 6 hours); this command does
    not wait for it. Exit code 1 when some alerts could not be delivered (`ismon alerts list` shows why).
    """
    from sqlmodel import Session

    from monitor.alerts.mailer import flush_configured
    from monitor.alerts.pending import retry_failed as give_another_round
    from monitor.run.settings import alert_settings

    config = full_config()
    engine = engine_for(config)
    now = utcnow()
    if retry_failed:
        with Session(engine) as session:
            again = give_another_round(session, now)
            session.commit()
        out.print(f"{again} failed alerts get another round")
    result = flush_configured(
        engine, alert_settings(config), secrets(config).smtp_password(config.email), now, ignore_backoff=True
    )
    collecting = f", {result.collecting} collecting (sent when their sweep ends)" if result.collecting else ""
    out.print(f"{result.sent} sent, {result.pending} pending, {result.failed} failed{collecting}")
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
    from monitor.alerts.mailer import preview_latest
    from monitor.errors import UsageError
    from monitor.run.settings import alert_settings
    from monitor.store.files import BlobStore
    from monitor.store.folders import ensure_folder

    config = full_config()
    if out_file is None:
        target = ensure_folder(config.data_dir, "data_dir") / "alert-preview.html"
    else:
        target = out_file
        ensure_folder(out_file if out_file.is_dir() else out_file.parent, "--out", UsageError)
    engine = engine_for(config)
    path = preview_latest(engine, alert_settings(config), BlobStore(config.data_dir), target, utcnow())
    out.print(Text(f"preview written: {path}"))
