"""The alerts side of impact: ``ctr_drop`` events from the store, and what an email shows about CTR.

Where it sits: beside the outbox. At the end of a sweep ``monitor/alerts/outbox.py`` asks
``ctr_drop_candidates`` which variants' CTR dropped (estimated from the store through
``monitor/ads/impact_rows.py``, decided by the pure ``monitor.alerts.ctr_drop_rule``) and stores them
with the sweep's other events. When an email is rendered, ``impact_facts`` gives a ``ctr_drop``,
``main_replaced`` or ``optout_overdue`` item its numbers: the keyword's tracking table, the CTR before
and since the change, and the daily CTR chart as a PNG (mail clients do not show inline SVG).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from PIL import Image, ImageColor, ImageDraw, ImageFont
from sqlmodel import Session, col, select

from monitor.ads.impact_rows import Scope, by_key, load_day_rows
from monitor.alerts.colours import variant_colour
from monitor.alerts.ctr_drop_rule import Told, detect_ctr_drops, told_key
from monitor.alerts.items import ImpactFacts, Picture
from monitor.alerts.kinds import CTR_DROP, MAIN_REPLACED, OPTOUT_OVERDUE, Detected
from monitor.errors import UsageError
from monitor.impact.chart import CtrChart, ctr_chart
from monitor.impact.estimate import estimate
from monitor.impact.join import DayRow
from monitor.impact.text import ctr_change_sentence, label, tick, variant_row
from monitor.impact.zones import Zones
from monitor.marketplaces import reporting_zone
from monitor.store.models import AdsDay, Event, PageVisit, Sighting

log = logging.getLogger(__name__)

IMPACT_KINDS = frozenset({CTR_DROP, MAIN_REPLACED, OPTOUT_OVERDUE})
BEFORE_DAYS = 28  # days of ads data before a MAIN replacement that "before" sums
# A ctr_drop is about what the ads do lately; the window also bounds the work at the end of a sweep.
WINDOW = timedelta(days=90)


def default_zones() -> Zones:
    """The marketplaces' usual reporting zones, where no config is at hand."""
    return Zones(reporting_zone)


def _has_ads(session: Session) -> bool:
    return session.exec(select(AdsDay.id).limit(1)).first() is not None


def _told(session: Session) -> set[Told]:
    rows = session.exec(select(Event).where(Event.kind == CTR_DROP)).all()
    return {told_key(e.marketplace, e.asin or "", e.keyword or "", e.variant or "UNKNOWN") for e in rows}


def _newest_sightings(session: Session, marketplace: str, asin: str, keyword: str) -> dict[str, int | None]:
    """The newest SP sighting id per variant for one keyword: the evidence of a ctr_drop."""
    rows = session.exec(
        select(Sighting)
        .join(PageVisit, col(Sighting.visit_id) == col(PageVisit.id))
        .where(
            Sighting.marketplace == marketplace,
            Sighting.asin == asin,
            Sighting.keyword == keyword,
            PageVisit.status == "search",
            col(Sighting.unit).in_(("grid", "carousel")),
        )
        .order_by(col(Sighting.seen_at).desc())
        .limit(500)
    ).all()
    newest: dict[str, int | None] = {}
    for s in rows:
        variant = "UNKNOWN" if s.verdict != "match" or not s.variant else s.variant
        newest.setdefault(variant, s.id)
    return newest


def ctr_drop_candidates(session: Session, zones: Mapping[str, tzinfo], now: datetime) -> list[Detected]:
    """Every ``ctr_drop`` the last ``WINDOW_DAYS`` of sightings and ads days justify, not told yet."""
    if not _has_ads(session):
        return []
    try:
        rows = load_day_rows(session.connection(), zones, Scope(since=(now - WINDOW).date()))
    except UsageError as exc:  # a stored ads day no report can hold: never the end of a sweep
        log.warning("no ctr_drop checks: %s", exc)
        return []
    told = _told(session)
    found: list[Detected] = []
    for key, days in by_key(rows).items():
        if not any(d.has_ads for d in days):
            continue
        try:
            impact = estimate(days)
        except Exception:  # one keyword's estimate must not cost the sweep its other events
            log.exception("ctr_drop check of %s failed", key)
            continue
        if impact.keyword is None or not any(v.verdict == "worse" for v in impact.variants):
            continue
        evidence = _newest_sightings(session, impact.marketplace, impact.asin, impact.keyword)
        found += detect_ctr_drops(impact, told, evidence)
    for d in found:
        log.info("ctr_drop: %s", d.detail)
    return found


def _ratio(days: list[DayRow]) -> tuple[float, int, int] | None:
    imps = sum(d.impressions or 0 for d in days if d.has_ads)
    clicks = sum(d.clicks or 0 for d in days if d.has_ads)
    return (clicks / imps, clicks, imps) if imps else None


def impact_facts(
    session: Session,
    event: Event,
    zones: Mapping[str, tzinfo],
    first_seen_at: datetime | None,
) -> tuple[ImpactFacts | None, Picture | None]:
    """The CTR numbers and the chart an email shows about ``event`` (None, None without ads data)."""
    if event.kind not in IMPACT_KINDS or not event.asin or not event.keyword or not _has_ads(session):
        return None, None
    scope = Scope(marketplace=event.marketplace, asin=event.asin, keyword=event.keyword)
    try:
        days = load_day_rows(session.connection(), zones, scope)
    except UsageError as exc:
        log.warning("no CTR numbers in the email: %s", exc)
        return None, None
    if not any(d.has_ads for d in days):
        return None, None
    try:
        impact = estimate(days)
    except Exception:  # the email goes out without its CTR part rather than not at all
        log.exception("no CTR numbers in the email of event %s", event.id)
        return None, None
    focus = event.variant or ("UNKNOWN" if event.kind == CTR_DROP else None)
    focused = impact.variant(focus) if focus else None
    before = since = None
    before_period = since_period = ""
    if event.kind == MAIN_REPLACED and first_seen_at is not None:
        start = first_seen_at.astimezone(zones[event.marketplace]).date()
        earlier = [d for d in days if start - timedelta(days=BEFORE_DAYS) <= d.day < start]
        later = [d for d in days if d.day >= start]
        before, since = _ratio(earlier), _ratio(later)
        before_period = f"{start - timedelta(days=BEFORE_DAYS)} to {start - timedelta(days=1)}"
        since_period = f"since {start}"
    facts = ImpactFacts(
        keyword=event.keyword,
        first_day=str(impact.first_day or ""),
        last_day=str(impact.last_day or ""),
        days=impact.days,
        verdict=impact.verdict,
        rows=tuple(variant_row(v) for v in impact.variants),
        focus=label(focus) if focus else None,
        # The request and the follow-up quote the numbers that make the case, never a better CTR.
        sentence=ctr_change_sentence(impact, focused)
        if focused and focused.ctr_change is not None and focused.verdict != "better"
        else "",
        before=before,
        since=since,
        before_period=before_period,
        since_period=since_period,
    )
    png = chart_png(ctr_chart(days, width=600, height=220, left=56))
    return facts, Picture(label=f"{event.asin}-ctr-chart", data=png)


def _colour(variant: str) -> tuple[int, int, int]:
    rgb = ImageColor.getrgb(variant_colour("unknown" if variant == "UNKNOWN" else variant))
    return rgb[0], rgb[1], rgb[2]


def _mix(rgb: tuple[int, int, int], alpha: float) -> tuple[int, int, int]:
    r, g, b = (round(255 + (c - 255) * alpha) for c in rgb)
    return r, g, b


def chart_png(chart: CtrChart, scale: int = 2) -> bytes:
    """The chart drawn with Pillow: the same geometry as the report's SVG, for email clients."""
    c = chart
    image = Image.new("RGB", (c.width * scale, (c.height + 22) * scale), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=10 * scale)

    def s(v: float) -> float:
        return v * scale

    for b in c.bands:
        draw.rectangle(
            (s(b.x), s(b.y), s(b.x + b.width) - 1, s(b.y + b.height) - 1), fill=_mix(_colour(b.variant), 0.38)
        )
    right = c.left + c.plot_width
    for y, value in c.y_ticks:
        draw.line((s(c.left), s(y), s(right), s(y)), fill=(200, 200, 204), width=1)
        draw.text((s(c.left - 6), s(y)), tick(value), fill=(107, 107, 112), font=font, anchor="rm")
    for x, day in c.x_ticks:
        draw.text(
            (s(x), s(c.top + c.plot_height + 10)),
            f"{day:%b %d}",
            fill=(107, 107, 112),
            font=font,
            anchor="mm",
        )
    for line in c.lines:
        if len(line) > 1:
            draw.line([(s(p.x), s(p.y)) for p in line], fill=(29, 29, 31), width=2 * scale // 2 + 1)
        for p in line:
            r = 2.4 * scale
            draw.ellipse((s(p.x) - r, s(p.y) - r, s(p.x) + r, s(p.y) + r), fill=(29, 29, 31))
    x = float(c.left)
    legend_y = c.height + 8
    for variant in c.variants:
        draw.rectangle((s(x), s(legend_y - 5), s(x + 10), s(legend_y + 5)), fill=_mix(_colour(variant), 0.45))
        text = f"{label(variant)} shown"
        draw.text((s(x + 14), s(legend_y)), text, fill=(29, 29, 31), font=font, anchor="lm")
        x += 22 + draw.textlength(text, font=font) / scale
    draw.line((s(x), s(legend_y), s(x + 14), s(legend_y)), fill=(29, 29, 31), width=2 * scale)
    draw.text((s(x + 18), s(legend_y)), "daily CTR", fill=(29, 29, 31), font=font, anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
