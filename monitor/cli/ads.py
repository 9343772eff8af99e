"""The ``ismon ads`` commands: load console report files, pull from the Ads API, show the stored days.

Part of the outermost edge (``monitor.cli``): each command parses its options, reads files or builds
the API client, hands the rows to ``monitor.ads`` and prints what happened.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from monitor.cli.common import (
    PlainTable,
    app,
    config_without_secrets,
    engine_for,
    err,
    out,
    parse_since,
    progress,
    secrets,
    utcnow,
)
from monitor.errors import MonitorError, ReportFileError, UsageError

ads_app = typer.Typer(
    help="Amazon Ads data: report files, the Ads API, the stored ads days.", no_args_is_help=True
)
app.add_typer(ads_app, name="ads")

_KINDS = {"search_term": "Search term", "targeting": "Targeting", "advertised_product": "Advertised product"}


@ads_app.command("import")
def import_files(
    files: Annotated[
        list[Path], typer.Argument(help="Report files (CSV or XLSX) from the advertising console")
    ],
    marketplace: Annotated[
        str | None, typer.Option("--marketplace", "-m", help="When the file names no country or currency")
    ] = None,
) -> None:
    """Load Sponsored Products Search term, Targeting and Advertised product reports (daily).

    Example: ismon ads import Sponsored_Products_Search_term_report.xlsx --marketplace de

    Days already stored for the campaigns in a file are replaced, never counted twice. A file that cannot
    be read is named with the reason, nothing of it is stored, and the exit code is 2.
    """
    from sqlmodel import Session

    from monitor.ads.files import read_report_file
    from monitor.ads.store import own_asins_by_marketplace, store_report

    config = config_without_secrets()
    if marketplace is not None and marketplace not in config.marketplaces:
        raise UsageError(f"--marketplace {marketplace}: not in the config ({', '.join(config.marketplaces)})")
    own = own_asins_by_marketplace((p.marketplace, p.asin) for p in config.products)
    engine = engine_for(config)
    failed: list[MonitorError] = []
    with progress(len(files), "importing") as advance:
        for path in files:
            try:
                report = read_report_file(path, marketplace)
                if report.marketplace not in config.marketplaces:
                    raise ReportFileError(
                        f"{path}: the file is for marketplace {report.marketplace!r}, which is not in the "
                        f"config ({', '.join(config.marketplaces)}): give --marketplace"
                    )
                with Session(engine) as session:
                    loaded = store_report(session, report, own, utcnow())
                    session.commit()
            except MonitorError as exc:
                err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
                failed.append(exc)
                advance(path.name)
                continue
            span = loaded.days
            days = f"{span.first}..{span.last} ({span.count} days)" if span.count else "no days"
            out.print(
                f"{path}: {_KINDS[loaded.kind]} report, {loaded.marketplace}, {days}, {loaded.rows} rows: "
                f"{loaded.new} new, {loaded.replaced} replaced"
                + (f", {loaded.removed} removed" if loaded.removed else ""),
                markup=False,
            )
            advance(path.name)
    if failed:
        raise typer.Exit(max(exc.exit_code for exc in failed))


@ads_app.command()
def pull(
    since: Annotated[
        str | None,
        typer.Option(help="First day, 2026-11-01 or an age (30d); default: after the last pull"),
    ] = None,
    until: Annotated[str | None, typer.Option(help="Last day; default: yesterday")] = None,
) -> None:
    """Fetch the Sponsored Products reports through the Amazon Ads API (Reporting v3) and store them.

    Example: ismon ads pull --since 2026-11-01

    For every marketplace with an ads_profile_id. Without --since: from the day after the last pull, and
    at least the last ads.lookback_days (Amazon restates them). The client secret and refresh token are
    read from the environment variables that ads.client_secret_env and ads.refresh_token_env name.
    Amazon takes minutes to hours to prepare a report; reports not ready within four hours stay pending
    and the next pull collects them.
    """

    from rich.text import Text

    from monitor.ads.pull import PullOptions, pull_configured
    from monitor.run.settings import ads_pull_settings

    config = config_without_secrets()  # the ads secrets are read by the pull itself, when it starts
    now = utcnow()
    options = PullOptions(
        since=parse_since(since, now).date() if since else None,
        until=parse_since(until, now).date() if until else None,
        lookback_days=config.ads.lookback_days if config.ads else PullOptions.lookback_days,
    )
    engine = engine_for(config)
    say = (lambda line: err.print(Text(line))) if err.is_terminal else (lambda _line: None)
    result = pull_configured(
        ads_pull_settings(config), engine, secrets(config), clock=utcnow, options=options, say=say
    )
    for line in result.stored:
        out.print(Text(f"stored {line}"))
    for line in result.failed:
        err.print(Text(f"failed {line}", style="red"))
    if result.pending:
        err.print(
            f"{result.pending} reports are still being prepared by Amazon; the next `ismon ads pull` (or the "
            "daemon) collects them",
            markup=False,
        )
    if not result.stored and not result.failed and not result.pending:
        out.print("nothing to pull")
    if not result.ok:
        raise typer.Exit(1)


@ads_app.command()
def show(
    asin: Annotated[str | None, typer.Option("--asin", "-a")] = None,
    keyword: Annotated[str | None, typer.Option("--keyword", "-k", help="Compared after normalising")] = None,
    since: Annotated[str | None, typer.Option(help="2026-11-01 or an age (30d, 2w)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of ads days")] = False,
) -> None:
    """The stored ads days, newest first (Search term rows, and exact-match Targeting rows).

    Example: ismon ads show --asin B0CXXXXXXX --since 30d
    """
    from sqlmodel import Session

    from monitor.ads.store import query_ads_days

    config = config_without_secrets()
    since_day = parse_since(since, utcnow()).date() if since else None
    with Session(engine_for(config)) as session:
        days = query_ads_days(session, asin=asin.upper() if asin else None, keyword=keyword, since=since_day)
    if as_json:
        sys.stdout.write(json.dumps([d.to_json() for d in days], ensure_ascii=False) + "\n")
        return
    if not days:
        out.print("no ads days match")
        return
    table = PlainTable()
    for column in ("date", "mkt", "keyword", "asin", "campaign", "ad group", "match", "impr", "clicks", "ctr",
                   "cost", "orders", "sales", "from"):  # fmt: skip
        table.add_column(column, overflow="fold", justify="right" if column in _NUMERIC else "left")
    notes: dict[str, str] = {}
    for day in days:
        if day.asin is None:
            notes.setdefault(f"{day.campaign} / {day.ad_group}", day.asin_note)
        ctr = f"{day.clicks / day.impressions:.2%}" if day.impressions else "-"
        table.add_row(
            day.date.isoformat(), day.marketplace, day.keyword, day.asin or "-", day.campaign, day.ad_group,
            day.match_type or "-", str(day.impressions), str(day.clicks), ctr, f"{day.cost:.2f}",
            str(day.orders), f"{day.sales:.2f} {day.currency}".strip(), f"{day.source} {_KINDS[day.report]}",
        )  # fmt: skip
    out.print(table)
    for group, note in sorted(notes.items()):
        out.print(f"no ASIN for {group}: {note}", markup=False)


_NUMERIC = {"impr", "clicks", "ctr", "cost", "orders", "sales"}
