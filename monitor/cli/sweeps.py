"""Commands that look at Amazon: ``gallery refresh|show``, ``sweep`` and ``daemon``."""

from __future__ import annotations

import logging
import os
from typing import Annotated, Any

import typer
from rich.text import Text

from monitor.cli.common import (
    STATE,
    PlainTable,
    app,
    config_without_secrets,
    engine_for,
    err,
    full_config,
    gallery_app,
    out,
    progress,
    utcnow,
)
from monitor.config import Config
from monitor.errors import MonitorError, UsageError

# --- galleries -----------------------------------------------------------------------------------


@gallery_app.command("refresh")
def gallery_refresh(
    asins: Annotated[
        list[str] | None, typer.Argument(help="ASINs (default: every configured product)")
    ] = None,
) -> None:
    """Import the listing galleries from the product pages."""
    from monitor.sweep import refresh_galleries

    config = full_config()
    engine = engine_for(config)
    count = len(asins) if asins else len(config.products)
    with progress(count, "galleries") as advance:
        results = refresh_galleries(config, engine, clock=utcnow, asins=asins or (), progress=advance)
    failed = 0
    for result in results:
        if result.ok:
            note = " (MAIN changed)" if result.main_changed else (" (updated)" if result.changed else "")
            out.print(Text(f"{result.marketplace} {result.asin}: {' '.join(result.variants)}{note}"))
        else:
            failed += 1
            err.print(Text(f"{result.marketplace} {result.asin}: {result.error}", style="red"))
    if failed:
        raise typer.Exit(1)


@gallery_app.command("show")
def gallery_show(asin: str) -> None:
    """Show the stored gallery of an ASIN."""
    from sqlmodel import Session, select

    from monitor import models, store

    config = config_without_secrets()
    engine = engine_for(config)
    with Session(engine) as session:
        products = session.exec(select(models.Product).where(models.Product.asin == asin.upper())).all()
        if not products:
            raise UsageError(f"{asin}: no such product in the database (run `ismon gallery refresh`)")
        for product in products:
            assert product.id is not None
            rows = store.current_gallery(session, product.id)
            table = PlainTable(title=f"{product.asin} {product.name}")
            for column in ("slot", "variant", "image ids", "fetched", "file"):
                table.add_column(column)
            for row in rows:
                table.add_row(
                    str(row.slot),
                    row.variant,
                    row.image_ids,
                    row.fetched_at.strftime("%Y-%m-%d %H:%M"),
                    "yes" if row.sha256 else "-",
                )
            out.print(table if rows else f"{product.asin}: no gallery yet (run `ismon gallery refresh`)")


# --- sweeps ---------------------------------------------------------------------------------------


@app.command()
def sweep(
    keyword: Annotated[list[str] | None, typer.Option("--keyword", "-k", help="Only this keyword")] = None,
    asin: Annotated[list[str] | None, typer.Option("--asin", "-a", help="Only this ASIN")] = None,
    no_delay: Annotated[bool, typer.Option("--no-delay", help="Skip politeness pauses")] = False,
    trigger: Annotated[str, typer.Option(hidden=True)] = "manual",
) -> None:
    """Run one sweep now (cron-safe: a lock stops overlapping runs)."""
    from monitor.lock import sweep_lock
    from monitor.sweep import SweepOptions, plan, run_sweep

    config = full_config()
    engine = engine_for(config)
    options = SweepOptions(
        keywords=frozenset(keyword or ()),
        asins=frozenset(a.upper() for a in asin or ()),
        trigger=trigger,
        politeness=not no_delay,
    )
    with sweep_lock(config.data_dir):
        total = len(plan(config, config.products, options))
        with progress(total, "sweep") as advance:
            summary = run_sweep(config, engine, clock=utcnow, options=options, progress=advance)
        _flush_after(config, engine)
    _print_summary(summary)
    raise typer.Exit(summary.exit_code)


def _flush_after(config: Config, engine: Any) -> None:
    """Sweeps flush the outbox when they end; a mail problem is reported, never fatal."""
    if config.email is None:
        return
    from monitor.mailer import flush_configured

    try:
        result = flush_configured(engine, config, os.environ, utcnow())
    except MonitorError as exc:
        err.print(Text(f"alerts kept in the outbox: {exc}", style="yellow"))
        return
    if result.sent or result.pending:
        err.print(f"alerts: {result.sent} sent, {result.pending} pending")


def _print_summary(summary: Any) -> None:
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.kinds.items()))
    verdicts = ", ".join(f"{k} {v}" for k, v in sorted(summary.verdicts.items())) or "none"
    status_colour = {"ok": "green", "interrupted": "yellow"}.get(summary.status, "red")
    out.print(
        f"sweep {summary.sweep_id} [{status_colour}]{summary.status}[/]: {summary.pages} pages ({kinds}), "
        f"{summary.sightings} own ads seen ({verdicts}; {summary.screenshots} new screenshots), "
        f"{summary.events} events, "
        f"{summary.failures} failures, {summary.skipped} skipped, {summary.seconds:.1f} s"
    )
    for line in summary.errors[:10]:
        err.print(Text(f"  {line}", style="red"))
    if len(summary.errors) > 10:
        err.print(f"  ... and {len(summary.errors) - 10} more")


@app.command()
def daemon(
    now: Annotated[bool, typer.Option("--now", help="Also sweep once right after starting.")] = False,
) -> None:
    """Run the schedule until SIGTERM or Ctrl-C."""
    from monitor.scheduler import run_daemon

    config = full_config()
    engine = engine_for(config)
    if not err.is_terminal:
        logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    raise typer.Exit(run_daemon(config, engine, STATE.config_path, clock=utcnow, run_now=now))
