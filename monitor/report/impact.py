"""The report's impact parts: per keyword a daily CTR chart over the shown variants and the tracking table.

Where it sits: inside the last step of the data flow, called by ``monitor/report/site.py``. It reads the
joined days through ``monitor/store/impact.py``, draws the pure ``monitor.impact.chart`` geometry as
inline SVG (no script, no network: it works from ``file://``), formats the ``KeywordImpact`` values for
the tracking table and the overview's "CTR vs MAIN" column, lists the opt-out requests for the
timeline, and writes ``ads_days.csv`` (the columns of ``ismon ads show --json``). Every text is escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.engine import Connection
from sqlmodel import Session

from monitor.ads.keywords import normalise_keyword
from monitor.alerts.optouts import OptOutStatus, optout_states
from monitor.impact.chart import CtrChart, ctr_chart
from monitor.impact.estimate import KeywordImpact
from monitor.impact.join import DayRow
from monitor.impact.table import weekly_sentence
from monitor.impact.text import change, colour_key, interval, label, tick, variant_row
from monitor.store.models import AdsDay

Colour = Callable[[str], str]

ADS_COLUMNS = (
    "date",
    "marketplace",
    "keyword",
    "asin",
    "campaign",
    "ad_group",
    "match_type",
    "impressions",
    "clicks",
    "cost",
    "orders",
    "sales",
    "currency",
    "source",
)


@dataclass(slots=True)
class KeywordImpactView:
    """What the product page and the overview show about one keyword's impact."""

    days: list[DayRow]
    impact: KeywordImpact | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    headline: str = ""  # the overview's "CTR vs MAIN" cell
    verdict: str = "not_enough_data"
    weekly: str = ""  # in plain words, what the shown mix cost or gained a week

    @property
    def has_ads(self) -> bool:
        return any(d.has_ads for d in self.days)


def headline(impact: KeywordImpact | None) -> tuple[str, str]:
    """The overview cell: the decisive variant's change and the keyword's verdict."""
    if impact is None:
        return "no ads data", "not_enough_data"
    others = [v for v in impact.variants if v.variant != "MAIN" and v.ctr_change is not None]
    decided = [v for v in others if v.verdict == impact.verdict] or others
    if not decided:
        return "", impact.verdict  # the verdict alone says it
    v = min(decided, key=lambda x: x.ctr_change if x.ctr_change is not None else 0.0)
    if impact.verdict == "better":
        v = max(decided, key=lambda x: x.ctr_change if x.ctr_change is not None else 0.0)
    text = (
        f"{label(v.variant)} {change(v.ctr_change)} {interval(v.ctr_change_low, v.ctr_change_high, change)}"
    )
    return text.strip(), impact.verdict


def keyword_view(days: list[DayRow], impact: KeywordImpact | None) -> KeywordImpactView:
    view = KeywordImpactView(days=days, impact=impact)
    if impact is not None:
        view.rows = [variant_row(v) for v in impact.variants]
        view.weekly = weekly_sentence(impact)
    view.headline, view.verdict = headline(impact)
    return view


def render_ctr_chart(chart: CtrChart, keyword: str, colour: Colour) -> Markup:
    """The chart as inline SVG: variant bands behind, the daily CTR line in front; every text escaped."""
    if chart.empty:
        return Markup('<p class="muted">No days with sightings or ads data yet.</p>')
    c = chart
    out = ['<div class="legend">']
    for variant in c.variants:
        out.append(
            f'<span><span class="sw" style="background: {escape(colour(colour_key(variant)))}; opacity: .45">'
            f"</span>{escape(label(variant))} shown</span>"
        )
    out.append(
        '<span><span class="sw" style="background: #1d1d1f; height: 3px"></span>daily CTR</span></div>'
    )
    points = c.points
    out.append(
        f'<svg class="chart ctr-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {c.width} {c.height}" '
        f'role="img" aria-label="Daily click-through rate and the image shown for {escape(keyword)}" '
        f'data-bands="{len(c.bands)}" data-points="{len(points)}"><g class="bands">'
    )
    for b in c.bands:
        out.append(
            f'<rect class="band" data-variant="{escape(b.variant)}" data-day="{b.day.isoformat()}" '
            f'x="{b.x:.2f}" y="{b.y:.2f}" width="{b.width:.2f}" height="{b.height:.2f}" '
            f'fill="{escape(colour(colour_key(b.variant)))}" fill-opacity="0.38">'
            f"<title>{b.day.isoformat()}: {escape(label(b.variant))} {100 * b.share:.0f} % of sightings"
            "</title></rect>"
        )
    out.append('</g><g class="axis">')
    right = c.left + c.plot_width
    for y, value in c.y_ticks:
        out.append(
            f'<line x1="{c.left}" x2="{right}" y1="{y:.2f}" y2="{y:.2f}" stroke="#c8c8cc" '
            'stroke-width="0.6"/>'
            f'<text x="{c.left - 6}" y="{y + 3:.2f}" text-anchor="end">{tick(value)}</text>'
        )
    label_y = c.top + c.plot_height + 16
    for x, day in c.x_ticks:
        out.append(f'<text x="{x:.2f}" y="{label_y}" text-anchor="middle">{day:%b %d}</text>')
    out.append("</g>")
    for line in c.lines:
        coords = " ".join(f"{p.x:.2f},{p.y:.2f}" for p in line)
        out.append(
            f'<polyline class="ctr-line" points="{coords}" fill="none" stroke="#1d1d1f" stroke-width="1.6"/>'
        )
    for p in points:
        out.append(
            f'<circle class="ctr-point" data-day="{p.day.isoformat()}" data-ctr="{p.ctr:.6f}" '
            f'cx="{p.x:.2f}" cy="{p.y:.2f}" r="2.6" fill="#1d1d1f"><title>{p.day.isoformat()}: CTR '
            f"{100 * p.ctr:.2f} % ({p.clicks:,} clicks of {p.impressions:,} impressions)</title></circle>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def chart_markup(view: KeywordImpactView, keyword: str, colour: Colour) -> Markup:
    return render_ctr_chart(ctr_chart(view.days), keyword, colour)


def optout_marks(engine: Any, now: datetime, grace_hours: float) -> dict[tuple[str, str], list[OptOutStatus]]:
    """Opt-out requests per (marketplace, ASIN), newest first, with their state at ``now``."""
    marks: dict[tuple[str, str], list[OptOutStatus]] = {}
    with Session(engine) as session:
        for status in optout_states(session, now, timedelta(hours=grace_hours)):
            marks.setdefault((status.marketplace, status.asin), []).append(status)
    return marks


def timeline_items(statuses: list[OptOutStatus], keyword: str) -> list[dict[str, Any]]:
    """Timeline entries for the opt-out requests that cover ``keyword``: asked, and when it took effect."""
    items: list[dict[str, Any]] = []
    for s in statuses:
        if s.keywords and normalise_keyword(keyword) not in {normalise_keyword(k) for k in s.keywords}:
            continue
        case = f" (case {s.case_id})" if s.case_id else ""
        items.append(
            {"kind": "optout_requested", "at": s.requested_at, "text": f"opt-out requested{case}: {s.state}"}
        )
        if s.effective_at is not None:
            items.append(
                {
                    "kind": "optout_effective",
                    "at": s.effective_at,
                    "text": f"opt-out took effect ({s.hours:.0f} hours after the request)",
                }
            )
    return items


def write_ads_csv(conn: Connection, target: Path, mode: int) -> int:
    """Every stored ads day, oldest first, in the columns of ``ismon ads show --json``."""
    table = AdsDay.__table__  # type: ignore[attr-defined]
    stmt = sa.select(table).order_by(table.c.day, table.c.marketplace, table.c.keyword, table.c.id)
    count = 0
    tmp = target.with_name(f".tmp-{target.name}")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ADS_COLUMNS)
        for r in conn.execute(stmt):
            writer.writerow(
                (
                    r.day.isoformat(),
                    r.marketplace,
                    r.keyword,
                    r.asin or "",
                    r.campaign,
                    r.ad_group,
                    r.match_type,
                    r.impressions,
                    r.clicks,
                    r.cost,
                    r.orders,
                    r.sales,
                    r.currency,
                    r.source,
                )
            )
            count += 1
    tmp.chmod(mode)
    tmp.replace(target)
    return count


def views_for(
    rows_by_key: Mapping[tuple[str, str, str], list[DayRow]],
    impacts: Mapping[tuple[str, str, str], KeywordImpact],
) -> dict[tuple[str, str, str], KeywordImpactView]:
    return {key: keyword_view(days, impacts.get(key)) for key, days in rows_by_key.items()}
