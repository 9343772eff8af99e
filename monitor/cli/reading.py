"""Commands that read what ismon stored: ``history`` and ``report``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from monitor.cli.common import (
    PlainTable,
    app,
    engine_for,
    full_config,
    out,
    parse_since,
    utcnow,
)

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

    from monitor.store.history import history_json, query_history

    config = full_config()
    engine = engine_for(config)
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
    from monitor.errors import UsageError
    from monitor.report.site import build_report
    from monitor.run.settings import report_settings
    from monitor.store.files import BlobStore
    from monitor.store.folders import ensure_folder

    config = full_config()
    if out_dir is not None:
        target = ensure_folder(out_dir, "--out", UsageError)
    else:
        target = ensure_folder(config.data_dir / "report", "data_dir")
    engine = engine_for(config)
    summary = build_report(engine, report_settings(config), BlobStore(config.data_dir), target, utcnow())
    out.print(Text(f"report written: {summary.index}"))
