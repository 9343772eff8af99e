"""Commands that look at Amazon: ``gallery refresh|show``, ``sweep`` and ``daemon``."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer
from rich.text import Text

from monitor.cli.common import (
    STATE,
    PlainTable,
    app,
    engine_for,
    err,
    full_config,
    gallery_app,
    out,
    progress,
    secrets,
    utcnow,
)
from monitor.config import Config
from monitor.errors import MonitorError, UsageError
from monitor.run.signals import GracefulStop

FLUSH_AT_LEAST_S = 1.0  # a stopping sweep does not start an SMTP conversation shorter than this
STOP_MARGIN_S = 2.0  # kept for closing the database and leaving

# --- galleries -----------------------------------------------------------------------------------


@gallery_app.command("refresh")
def gallery_refresh(
    asins: Annotated[
        list[str] | None, typer.Argument(help="ASINs (default: every configured product)")
    ] = None,
) -> None:
    """Import the listing galleries from the product pages (SIGTERM or Ctrl-C: stop after the one in hand)."""
    from monitor.run.settings import sweep_settings
    from monitor.store.folders import ensure_folder
    from monitor.sweep.gallery import refresh_galleries

    config = full_config()
    ensure_folder(config.data_dir, "data_dir")
    engine = engine_for(config)
    count = len(asins) if asins else len(config.products)
    stopping = GracefulStop(what="finishing the gallery in hand")
    with stopping, progress(count, "galleries") as advance:
        results = refresh_galleries(
            sweep_settings(config),
            engine,
            clock=utcnow,
            asins=asins or (),
            progress=advance,
            stop=stopping.stop,
        )
    if stopping.received:
        err.print(f"{stopping.received}: stopped after {len(results)} of {count} galleries")
    failed = 0
    for result in results:
        if result.ok:
            note = " (MAIN changed)" if result.main_changed else (" (updated)" if result.changed else "")
            out.print(Text(f"{result.marketplace} {result.asin}: {' '.join(result.variants)}{note}"))
        else:
            failed += 1
            err.print(Text(f"{result.marketplace} {result.asin}: {result.error}", style="red"))
    if failed or stopping.received:
        raise typer.Exit(1)


@gallery_app.command("show")
def gallery_show(asin: str) -> None:
    """Show the stored gallery of an ASIN."""
    from sqlmodel import Session, select

    from monitor.store import models, queries

    config = full_config()
    engine = engine_for(config)
    with Session(engine) as session:
        products = session.exec(select(models.Product).where(models.Product.asin == asin.upper())).all()
        if not products:
            raise UsageError(f"{asin}: no such product in the database (run `ismon gallery refresh`)")
        for product in products:
            assert product.id is not None
            rows = queries.current_gallery(session, product.id)
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
    """Run one sweep now (cron-safe: a lock stops overlapping runs).

    SIGTERM or Ctrl-C: the page in hand is finished (or abandoned after a few seconds), the sweep is
    recorded as interrupted, its alerts are sent if that can be done in time, and ismon exits within
    15 s (exit code 1). A second Ctrl-C leaves at once.
    """
    from monitor.alerts.pending import interrupt_running_sweeps
    from monitor.store.lock import sweep_lock

    config = full_config()
    with sweep_lock(config.data_dir):  # first: a second sweep from cron leaves at once, cheaply
        from monitor.run.settings import sweep_settings
        from monitor.sweep.planning import SweepOptions, plan
        from monitor.sweep.runner import run_sweep

        engine = engine_for(config)
        options = SweepOptions(
            keywords=frozenset(keyword or ()),
            asins=frozenset(a.upper() for a in asin or ()),
            trigger=trigger,
            politeness=not no_delay,
        )
        stopping = GracefulStop(on_overdue=lambda: interrupt_running_sweeps(engine, utcnow()))
        with stopping:
            total = len(plan(sweep_settings(config), config.products, options))
            with progress(total, "sweep") as advance:
                summary = run_sweep(
                    sweep_settings(config),
                    engine,
                    clock=utcnow,
                    options=options,
                    progress=advance,
                    stop=stopping.stop,
                )
            flushed = _flush_after(config, engine, stopping)
    if stopping.received:
        err.print(f"{stopping.received}: sweep {summary.sweep_id} recorded as interrupted")
    _print_summary(summary)
    raise typer.Exit(max(summary.exit_code, flushed))


def _flush_after(config: Config, engine: Any, stopping: GracefulStop) -> int:
    """Sweeps flush the outbox when they end (a stopping one only in the time it has left).

    A mail problem is reported, never fatal; a missing password variable makes the exit code 2.
    """
    if config.email is None:
        return 0
    from monitor.alerts.mailer import flush_configured
    from monitor.run.settings import alert_settings
    from monitor.secrets import MissingSecretError

    left = stopping.left()
    if left is not None and left < FLUSH_AT_LEAST_S + STOP_MARGIN_S:
        err.print("alerts kept in the outbox: no time left to send them before stopping")
        return 0
    try:
        result = flush_configured(
            engine,
            alert_settings(config),
            secrets(config).smtp_password(config.email),
            utcnow(),
            time_limit=None if left is None else left - STOP_MARGIN_S,
        )
    except MissingSecretError as exc:
        err.print(Text(f"alerts kept in the outbox: {exc}", style="red"))
        return 2
    except MonitorError as exc:
        err.print(Text(f"alerts kept in the outbox: {exc}", style="yellow"))
        return 0
    if result.sent or result.pending:
        err.print(f"alerts: {result.sent} sent, {result.pending} pending")
    for line in result.errors[:3]:
        err.print(Text(f"  {line}", style="yellow"))
    return 0


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
    from monitor.run.daemon import run_daemon
    from monitor.store.folders import ensure_folder

    config = full_config()
    ensure_folder(config.data_dir, "data_dir")
    engine = engine_for(config)
    if not err.is_terminal:
        logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    raise typer.Exit(
        run_daemon(config, engine, STATE.config_path, clock=utcnow, secrets=secrets(config), run_now=now)
    )
