"""``ismon impact``: what each shown image did to CTR and CVR, from the database or from files.

Part of the outermost edge of the data flow (``monitor.cli``): it reads the sightings and ads days (the
store, or ``--history FILE --ads FILE...`` without config or database), hands them to
``monitor.impact`` and prints the image tracking table or the JSON of DESIGN.md.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from monitor.cli.common import (
    PlainTable,
    app,
    config_without_secrets,
    engine_for,
    err,
    out,
    parse_since,
    progress,
    utcnow,
)
from monitor.errors import UsageError

if TYPE_CHECKING:  # numpy and statsmodels load only when the command runs, not for every `ismon`
    from monitor.impact.estimate import KeywordImpact, VariantImpact
    from monitor.impact.join import AdsFact, DayRow, SightingFact
    from monitor.impact.table import AsinImpact

_ADS_HELP = "Files mode: report files as for `ads import` (--ads A.csv B.xlsx)"
_FILES_HELP = "Files mode: the JSON of `ismon history --json` (needs --ads; no config or database)"


@app.command(context_settings={"allow_extra_args": True})
def impact(
    ctx: typer.Context,
    asin: Annotated[str | None, typer.Option("--asin", "-a")] = None,
    keyword: Annotated[str | None, typer.Option("--keyword", "-k")] = None,
    since: Annotated[str | None, typer.Option(help="2026-11-01, 90d, 12w or an ISO time")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array, one object per keyword")] = False,
    history_file: Annotated[Path | None, typer.Option("--history", help=_FILES_HELP)] = None,
    ads_files: Annotated[list[Path] | None, typer.Option("--ads", help=_ADS_HELP)] = None,
    marketplace: Annotated[
        str | None,
        typer.Option(help="Files mode: the --ads files' marketplace (default: the history's)"),
    ] = None,
) -> None:
    """What each image did to click-through and conversion, per ASIN and keyword, with 95% intervals.

    Example: ismon impact --asin B0CXXXXXXX --since 90d
    Files:   ismon impact --history history.json --ads search-terms.csv advertised.xlsx
    """
    from monitor.impact.join import join_days
    from monitor.impact.table import impact_table, table_size

    extra = [Path(arg) for arg in ctx.args]
    if extra and not ads_files:
        raise UsageError(f"unexpected arguments: {' '.join(ctx.args)}")
    files = [*(ads_files or []), *extra]
    since_day = _since(since)
    if history_file is not None or files:
        if history_file is None or not files:
            raise UsageError("files mode needs both --history FILE and --ads FILE...")
        sightings, ads, zones = _from_files(history_file, files, marketplace)
        sightings, ads = _filtered(sightings, ads, asin, keyword)
        days = join_days(sightings, ads, zones)
        if since_day is not None:
            days = [d for d in days if d.day >= since_day]
    else:
        days = _from_database(asin, keyword, since_day)
    with progress(table_size(days) if not as_json else 0, "impact") as advance:
        table = impact_table(days, advance=advance)
    if as_json:
        data = [k.as_json() for a in table for k in a.keywords]
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    if not table:
        out.print("no sightings match")
        return
    for entry in table:
        _print_asin(entry)


def _since(text: str | None) -> date | None:
    """The first day: the date of ``--since`` (days are marketplace-local, the date is taken as is)."""

    return parse_since(text, utcnow()).date() if text else None


def _from_database(asin: str | None, keyword: str | None, since: date | None) -> list[DayRow]:
    from monitor.ads.impact_rows import Scope, Zones, load_day_rows

    config = config_without_secrets()
    engine = engine_for(config)
    scope = Scope(asin=asin.strip().upper() if asin else None, keyword=keyword, since=since)
    with engine.connect() as conn:
        return load_day_rows(conn, Zones(config.timezone), scope)


def _from_files(
    history_file: Path, files: list[Path], marketplace: str | None
) -> tuple[list[SightingFact], list[AdsFact], dict[str, tzinfo]]:
    from monitor.ads.files import read_report_file
    from monitor.impact.facts import ads_from_reports, sightings_from_history_json
    from monitor.marketplaces import reporting_zone

    try:
        data = json.loads(history_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{history_file}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{history_file}: not JSON ({exc})") from None
    sightings = sightings_from_history_json(data, str(history_file))
    markets = sorted({s.marketplace for s in sightings})
    if marketplace is None and len(markets) == 1:
        marketplace = markets[0]
    # Without one (a history of several marketplaces), each file must say its own (Country, Currency).
    market = marketplace.strip().lower() if marketplace else None
    reports = [read_report_file(path, market) for path in files]
    own: dict[str, set[str]] = defaultdict(set)
    for s in sightings:
        if s.asin:
            own[s.marketplace].add(s.asin)
    result = ads_from_reports(reports, own)
    if result.uncredited_rows:
        err.print(
            f"{result.uncredited_rows} search term rows left out: their ad group does not advertise "
            "exactly one ASIN of the history (add the Advertised product report to --ads)"
        )
    if result.credited_to_only_asin:
        err.print(
            f"no Advertised product report given: every search term row is credited to "
            f"{result.credited_to_only_asin}, the only ASIN in the history"
        )
    zones: dict[str, tzinfo] = {m: reporting_zone(m) for m in {*markets, *(r.marketplace for r in reports)}}
    return sightings, result.facts, zones


def _filtered(
    sightings: list[SightingFact], ads: list[AdsFact], asin: str | None, keyword: str | None
) -> tuple[list[SightingFact], list[AdsFact]]:
    from monitor.ads.keywords import normalise_keyword

    wanted_asin = asin.strip().upper() if asin else None
    wanted_keyword = normalise_keyword(keyword) if keyword else None
    sightings = [
        s
        for s in sightings
        if (wanted_asin is None or s.asin == wanted_asin)
        and (wanted_keyword is None or normalise_keyword(s.keyword) == wanted_keyword)
    ]
    return sightings, [a for a in ads if wanted_asin is None or a.asin == wanted_asin]


# --- the table ------------------------------------------------------------------------------------


def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    if value > 9.99:  # an interval that wide only says "not enough data"
        return ">+999%" if signed else ">999%"
    return f"{value:+.0%}" if signed else f"{value:.2%}"


def _interval(value: float | None, low: float | None, high: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    if low is None or high is None:
        return _pct(value, signed)
    return f"{_pct(value, signed)} [{_pct(low, signed)}, {_pct(high, signed)}]"


def _variant_row(v: VariantImpact) -> list[Any]:
    return [
        v.variant,
        f"{v.share:.0%}",
        f"{v.days:.1f}",
        f"{v.impressions:,}",
        f"{v.clicks:,}",
        _interval(v.ctr, v.ctr_low, v.ctr_high),
        f"{v.orders:,}",
        _interval(v.cvr, v.cvr_low, v.cvr_high),
        _interval(v.ctr_change, v.ctr_change_low, v.ctr_change_high, signed=True),
        v.verdict.replace("_", " "),
    ]


def _print_keyword(title: str, impact: KeywordImpact) -> None:
    from monitor.impact.table import weekly_sentence

    span = f"{impact.first_day} to {impact.last_day}, " if impact.first_day else ""
    gaps = f"; {impact.days_without_ads} days without ads data" if impact.days_without_ads else ""
    gaps += f", {impact.days_without_sightings} without sightings" if impact.days_without_sightings else ""
    table = PlainTable(title=f"{title} ({span}{impact.days} days with both{gaps})", title_justify="left")
    for column in ("variant", "shown", "days", "impressions", "clicks", "CTR [95%]", "orders", "CVR [95%]"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    table.add_column("CTR vs MAIN [95%]", justify="right")
    table.add_column("verdict")
    for v in impact.variants:
        table.add_row(*_variant_row(v))
    out.print(table)
    out.print(Text(weekly_sentence(impact)))
    out.print()


def _print_asin(entry: AsinImpact) -> None:
    out.print(Text(f"{entry.asin} ({entry.marketplace})", style="bold"))
    for impact in entry.keywords:
        _print_keyword(f"keyword {impact.keyword!r}", impact)
    if entry.pooled is not None:
        _print_keyword(f"all {entry.pooled.keywords} keywords pooled", entry.pooled)
