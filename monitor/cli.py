"""The ``ismon`` command: thin commands that build objects from the config and pass them down.

The outermost edge of the data flow. Everything that prints lives here; every ``MonitorError`` becomes
one message on stderr and its exit code (1: the job failed, 2: bad usage or bad config).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from monitor.config import Config, load_config
from monitor.errors import MonitorError, UsageError

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
err = Console(stderr=True, highlight=False)


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


def _config() -> Config:
    return load_config(STATE.config_path, os.environ)


def _config_without_secrets() -> Config:
    """For commands that never send mail: a missing SMTP password is not their business."""
    return load_config(STATE.config_path, {})


def _engine(config: Config) -> Any:
    from monitor.db import open_database

    return open_database(config.database_url)


@contextmanager
def _progress(total: int | None, label: str) -> Iterator[Callable[[str], None]]:
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


# --- setup ----------------------------------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write ismon.toml")] = Path(),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example config."""
    from monitor.paths import TEMPLATES

    target = directory / "ismon.toml"
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to overwrite it")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text((TEMPLATES / "ismon.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    out.print(
        f"wrote {escape(str(target))}: edit the marketplaces, products and email, then run `ismon check`"
    )


@app.command()
def check() -> None:
    """Validate the config, open the database, start the browser, reach SMTP; say what is wrong."""
    from monitor.checks import run_checks

    config = _config()
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
    from monitor.db import current_revision

    config = _config_without_secrets()
    engine = _engine(config)
    out.print(f"database at revision {current_revision(engine)}")


# --- galleries -----------------------------------------------------------------------------------


@gallery_app.command("refresh")
def gallery_refresh(
    asins: Annotated[
        list[str] | None, typer.Argument(help="ASINs (default: every configured product)")
    ] = None,
) -> None:
    """Import the listing galleries from the product pages."""
    from monitor.sweep import refresh_galleries

    config = _config()
    engine = _engine(config)
    count = len(asins) if asins else len(config.products)
    with _progress(count, "galleries") as advance:
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

    config = _config_without_secrets()
    engine = _engine(config)
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

    config = _config()
    engine = _engine(config)
    options = SweepOptions(
        keywords=frozenset(keyword or ()),
        asins=frozenset(a.upper() for a in asin or ()),
        trigger=trigger,
        politeness=not no_delay,
    )
    with sweep_lock(config.data_dir):
        total = len(plan(config, config.products, options))
        with _progress(total, "sweep") as advance:
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

    config = _config()
    engine = _engine(config)
    if not err.is_terminal:
        logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    raise typer.Exit(run_daemon(config, engine, STATE.config_path, clock=utcnow, run_now=now))


# --- reading the history --------------------------------------------------------------------------


@app.command()
def history(
    asin: Annotated[str | None, typer.Option("--asin", "-a")] = None,
    keyword: Annotated[str | None, typer.Option("--keyword", "-k")] = None,
    since: Annotated[str | None, typer.Option(help="2026-11-01, 7d, 12h or an ISO time")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (0: all)")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array (all matching rows)")] = False,
) -> None:
    """Sightings (and blocked or failed visits), newest first."""
    from sqlmodel import Session

    from monitor.history import history_json, parse_since, query_history

    config = _config_without_secrets()
    engine = _engine(config)
    since_at = parse_since(since, utcnow()) if since else None
    with Session(engine) as session:
        rows = query_history(
            session,
            asin=asin.upper() if asin else None,
            keyword=keyword,
            since=since_at,
            limit=None if as_json or limit <= 0 else limit,
        )
    data = history_json(rows)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    table = PlainTable()
    for column in ("seen", "mkt", "keyword", "asin", "unit", "pos", "verdict", "variant", "dist", "status"):
        table.add_column(column, overflow="fold")
    for row in data:
        distance = row["distance"]
        table.add_row(
            str(row["seen_at"])[:16].replace("T", " "),
            str(row["marketplace"]),
            str(row["keyword"]),
            str(row["asin"] or "-"),
            str(row["unit"] or "-"),
            str(row["position"] if row["position"] is not None else "-"),
            str(row["verdict"] or "-"),
            str(row["variant"] or "-"),
            f"{distance:.2f}" if isinstance(distance, float) else "-",
            str(row["status"]),
        )
    out.print(table if data else "no sightings match")


@app.command()
def report(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder [default: DATA_DIR/report]")] = None,
) -> None:
    """Write the static history site (open index.html in a browser)."""
    from monitor.files import BlobStore
    from monitor.report import build_report

    config = _config_without_secrets()
    engine = _engine(config)
    target = out_dir or config.data_dir / "report"
    summary = build_report(engine, config, BlobStore(config.data_dir), target, utcnow())
    out.print(Text(f"report written: {summary.index}"))


# --- alerts ---------------------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list() -> None:
    """The outbox: pending, sent and failed alerts."""
    from sqlmodel import Session

    from monitor.mailer import list_outbox

    config = _config_without_secrets()
    engine = _engine(config)
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

    config = _config()
    engine = _engine(config)
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

    config = _config_without_secrets()
    engine = _engine(config)
    target = out_file or config.data_dir / "alert-preview.html"
    path = preview_latest(engine, config, BlobStore(config.data_dir), target, utcnow())
    out.print(Text(f"preview written: {path}"))


# --- offline tools --------------------------------------------------------------------------------


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="A saved search or product page (.html)")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """Parse a saved page and show what ismon sees."""
    from monitor.pages import page_to_json, parse_page

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: {exc.strerror or exc}") from None
    page = parse_page(data)
    result = page_to_json(page)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    out.print(Text(f"{file}: {result['kind']} page", style="bold"))
    if result.get("asin"):
        out.print(f"ASIN {result['asin']}")
    ads: list[dict[str, Any]] = result.get("ads", [])  # type: ignore[assignment]
    if ads:
        table = PlainTable(title=f"{len(ads)} ads")
        for column in ("asin", "unit", "placement", "position", "image id"):
            table.add_column(column)
        for ad in ads:
            table.add_row(
                ad["asin"],
                ad["unit"],
                ad["placement"] or "-",
                str(ad["position"] or "-"),
                ad["image_id"] or "-",
            )
        out.print(table)
    organic: list[dict[str, Any]] = result.get("organic", [])  # type: ignore[assignment]
    if organic:
        table = PlainTable(title=f"{len(organic)} organic results")
        for column in ("asin", "position", "image id"):
            table.add_column(column)
        for item in organic:
            table.add_row(item["asin"], str(item["position"] or "-"), item["image_id"] or "-")
        out.print(table)
    slots: list[dict[str, Any]] = result.get("gallery", [])  # type: ignore[assignment]
    if slots:
        table = PlainTable(title=f"gallery: {len(slots)} images")
        for column in ("variant", "image ids", "url"):
            table.add_column(column, overflow="fold")
        for slot in slots:
            table.add_row(slot["variant"], " ".join(slot["image_ids"]), slot["url"] or "-")
        out.print(table)
    if not (ads or organic or slots):
        out.print("nothing recognisable on this page" if result["kind"] != "search" else "no results")


@app.command()
def identify(
    images: Annotated[list[Path], typer.Argument(help="Ad images to identify")],
    gallery: Annotated[Path, typer.Option("--gallery", help="Folder of MAIN.jpg, PT01.png, ...")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Which gallery image (of DIR) each IMAGE is."""
    from monitor.identify_files import identify_files, load_gallery_dir

    index = load_gallery_dir(gallery)
    failed = False
    for line in identify_files(index, images):
        if as_json:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            continue
        if "error" in line:
            failed = True
            err.print(Text(f"{line['image']}: {line['error']}", style="red"))
            continue
        extra = (
            f" (runner-up {line['runner_up']} at {line['runner_up_distance']:.3f})"
            if line["runner_up"]
            else ""
        )
        variant = line["variant"] or "-"
        distance = line["distance"]
        shown = f"{distance:.3f}" if isinstance(distance, float) else "-"
        out.print(Text(f"{line['image']}: {line['verdict']} {variant} distance {shown}{extra}"))
    if failed:
        raise typer.Exit(1)


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo writes everything")] = Path(
        "ismon-demo"
    ),
) -> None:
    """The whole pipeline against the built-in simulated storefront, on this machine."""
    from monitor.demo import run_demo

    result = run_demo(directory.resolve(), clock=utcnow, say=lambda line: out.print(Text(line)))
    raise typer.Exit(0 if result else 1)


def main() -> None:
    try:
        app()
    except MonitorError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
