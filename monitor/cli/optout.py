"""``ismon optout``: record that the seller asked Seller Support for an opt-out, and list the requests.

Part of the outermost edge of the data flow; ``monitor/alerts/optouts.py`` stores the requests and verifies
them against the sightings of later sweeps.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from monitor.cli.common import PlainTable, app, config_without_secrets, engine_for, out, parse_since, utcnow
from monitor.errors import UsageError

if TYPE_CHECKING:
    from monitor.alerts.optouts import OptOutStatus

LIST = "list"


@app.command(no_args_is_help=True)
def optout(
    asins: Annotated[
        list[str], typer.Argument(help="ASINs the request names, or `list`", show_default=False)
    ],
    keyword: Annotated[
        list[str] | None, typer.Option("--keyword", "-k", help="Only these keywords (repeat); default: all")
    ] = None,
    case: Annotated[str, typer.Option("--case", help="The Seller Support case id")] = "",
    at: Annotated[
        str | None, typer.Option("--at", help="When you asked: ISO time, 2026-12-01, or an age (6h, 2d)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="`optout list` as a JSON array")] = False,
) -> None:
    """Record an opt-out request, or list the requests and their state (`ismon optout list`).

    Example: ismon optout B0CXXXXXXX --keyword "camping chair" --case 1234567890 --at 2026-12-01T09:00Z

    ismon then checks later sweeps: the request is `effective` once the ads of those ASINs (those
    keywords, or all) show MAIN again, `overdue` when they still show other images optout_grace_hours
    (alerts section) after the request (an `optout_overdue` alert is sent once), else `pending`.
    """
    from sqlmodel import Session

    from monitor.alerts.optouts import optout_states, record_optouts

    config = config_without_secrets()
    engine = engine_for(config)
    now = utcnow()
    grace = timedelta(hours=config.alerts.optout_grace_hours)
    if asins == [LIST]:
        if keyword or case or at:
            raise UsageError("`ismon optout list` takes no --keyword, --case or --at")
        with Session(engine) as session:
            states = optout_states(session, now, grace)
        _print_states(states, as_json)
        return
    try:
        requested_at = parse_since(at, now) if at else now
    except UsageError as exc:
        raise UsageError(str(exc).replace("--since", "--at", 1)) from None
    with Session(engine) as session:
        rows = record_optouts(session, config.products, asins, keyword or [], case, requested_at, now)
        session.commit()
        for row in rows:
            scope = ", ".join(json.loads(row.keywords)) if row.keywords else "every keyword"
            out.print(
                Text(
                    f"opt-out {row.id} recorded: {row.asin} ({row.marketplace}), {scope}, requested "
                    f"{row.requested_at:%Y-%m-%d %H:%M UTC}{f', case {row.case_id}' if row.case_id else ''}"
                )
            )
    out.print(
        Text(
            f"ismon checks it on every sweep; overdue after {config.alerts.optout_grace_hours:g} hours. "
            "See `ismon optout list`."
        )
    )


def _print_states(states: Sequence[OptOutStatus], as_json: bool) -> None:
    if as_json:
        data = [
            {
                "id": s.id,
                "marketplace": s.marketplace,
                "asin": s.asin,
                "keywords": list(s.keywords),
                "case": s.case_id,
                "requested_at": s.requested_at.isoformat(),
                "state": s.state,
                "effective_at": s.effective_at.isoformat() if s.effective_at else None,
                "hours": round(s.hours, 1) if s.hours is not None else None,
            }
            for s in states
        ]
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    if not states:
        out.print("no opt-out requests recorded (record one with `ismon optout ASIN`)")
        return
    table = PlainTable()
    for column in ("id", "asin", "mkt", "keywords", "case", "requested", "state", "took", "evidence"):
        table.add_column(column, overflow="fold")
    for s in states:
        evidence = "; ".join(
            f"{o.keyword} ({o.unit}): {o.state} at {o.seen_at:%m-%d %H:%M}" for o in s.verdict.still_other
        )
        if not evidence and s.state != "effective":
            evidence = "no sightings since the request yet" if not s.verdict.observed else ""
        table.add_row(
            str(s.id),
            s.asin,
            s.marketplace,
            ", ".join(s.keywords) or "all",
            s.case_id or "-",
            s.requested_at.strftime("%Y-%m-%d %H:%M"),
            s.state,
            f"{s.hours:.1f} h" if s.hours is not None else "-",
            evidence or "-",
        )
    out.print(table)
