"""The static history report: the last step of the data flow (history -> HTML site and CSV).

``build_report`` reads the database the sweeps filled and writes a site that works from ``file://``
with no server, no CDN and no JavaScript:

* ``index.html``: every product and keyword with the variant its ads show now (latest sighting per
  unit, with a thumbnail), the share of MAIN over ``alerts.recent_days`` and blocked visits;
* ``product-<marketplace>-<asin>.html``: per keyword an inline SVG chart of the share of each variant
  per day, the timeline of changes, the latest ad screenshots next to the gallery image they matched,
  every event and the blocked or failed visits;
* ``sightings.csv``: the whole history (the columns of `ismon history --json`), oldest first;
* ``img/``: only the image files the pages reference, named by their sha256.

It scales with SQL, not Python: per-day shares are a ``GROUP BY`` in the database, the latest sighting
per unit is a grouped ``max(seen_at)`` joined back through ``ix_sighting_asin_keyword_seen``, and the
CSV streams through a server-side cursor. No query loads all sightings as objects.
Every text that came from a page or a config (names, keywords, placements, errors) is escaped by
Jinja2's autoescape.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.engine import Connection, Engine

from monitor.alerts.colours import variant_colour
from monitor.config import Config
from monitor.errors import UsageError
from monitor.paths import TEMPLATES
from monitor.report.impact import (
    KeywordImpactView,
    chart_markup,
    optout_marks,
    timeline_items,
    views_for,
    write_ads_csv,
)
from monitor.store.files import BlobStore, Kind
from monitor.store.history import (
    HISTORY_COLUMNS,
    NORMAL_STATUSES,
    format_time,
    iter_history_records,
    visit_status,
)
from monitor.store.models import Event, GalleryImage, Keyword, Marketplace, PageVisit, Product, Sighting

log = logging.getLogger(__name__)


# Stacking order of the chart (MAIN at the bottom) and one colour per variant on every page.
VARIANT_ORDER: tuple[str, ...] = (
    "MAIN",
    *(f"PT{i:02d}" for i in range(1, 9)),
    "FRNT",
    "LEFT",
    "SIDE",
    "BACK",
    "ambiguous",
    "unknown",
)
CHANGE_KINDS = ("main_replaced", "main_restored", "unknown_image", "listing_main_changed")
EVENTS_PER_PAGE = 300
CHANGES_PER_KEYWORD = 20  # the latest; the events table has more
BLOCKED_PER_PAGE = 200

_S = Sighting.__table__  # type: ignore[attr-defined]
_V = PageVisit.__table__  # type: ignore[attr-defined]
_E = Event.__table__  # type: ignore[attr-defined]
_G = GalleryImage.__table__  # type: ignore[attr-defined]
_K = Keyword.__table__  # type: ignore[attr-defined]
_P = Product.__table__  # type: ignore[attr-defined]
_M = Marketplace.__table__  # type: ignore[attr-defined]


def _variant_rank(label: str) -> tuple[float, str]:
    try:
        return (VARIANT_ORDER.index(label), label)
    except ValueError:  # a slot name ismon does not know: after the known ones, before ambiguous
        return (VARIANT_ORDER.index("ambiguous") - 0.5, label)


def category(verdict: str | None, variant: str | None) -> str:
    """What a sighting counts as in the charts: its variant when matched, else its verdict."""
    if verdict == "match" and variant:
        return variant
    return verdict if verdict in ("ambiguous", "unknown") else "unknown"


# ------------------------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What ``build_report`` wrote."""

    out_dir: Path
    index: Path
    csv: Path
    product_pages: tuple[Path, ...]
    products: int
    sightings: int  # sightings in the database (and in the CSV)
    csv_rows: int  # sightings plus blocked/failed visits
    images: int  # files in img/ the pages reference
    missing_images: int  # referenced blobs no longer in data_dir


@dataclass(slots=True)
class Segment:
    label: str
    count: int
    colour: str
    x: float
    y: float
    width: float
    height: float


@dataclass(slots=True)
class Bar:
    day: date
    total: int
    segments: list[Segment]


@dataclass(slots=True)
class Chart:
    """A 100 % stacked bar per day; geometry in SVG user units, computed here, drawn by the template."""

    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_width: int
    plot_height: int
    bars: list[Bar]
    legend: list[tuple[str, str, int]]  # label, colour, sightings
    ticks: list[tuple[float, str]]  # x, date label
    first: date | None
    last: date | None

    @property
    def segment_count(self) -> int:
        return sum(len(bar.segments) for bar in self.bars)


@dataclass(slots=True)
class Shot:
    """The latest sighting of one (keyword, unit), with what it matched."""

    marketplace: str
    asin: str
    keyword: str
    unit: str
    placement: str | None
    position: int | None
    seen_at: datetime
    verdict: str
    variant: str | None
    method: str
    distance: float | None
    label: str
    colour: str
    ad_image: str | None = None  # relative paths inside out_dir
    screenshot: str | None = None
    gallery_image: str | None = None


@dataclass(slots=True)
class KeywordView:
    text: str
    total: int = 0
    shots: list[Shot] = field(default_factory=list)
    recent_total: int = 0
    recent_main: int = 0
    blocked_recent: int = 0
    chart: Chart | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    impact: KeywordImpactView | None = None  # the CTR chart and tracking table (monitor/report_impact.py)

    @property
    def main_share(self) -> float | None:
        return self.recent_main / self.recent_total if self.recent_total else None


@dataclass(slots=True)
class ProductView:
    id: int | None
    marketplace: str
    asin: str
    name: str
    active: bool
    keywords: dict[str, KeywordView] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    events_total: int = 0
    blocked: list[dict[str, Any]] = field(default_factory=list)
    blocked_total: int = 0
    gallery: list[dict[str, Any]] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"product-{_slug(self.marketplace)}-{_slug(self.asin)}.html"

    @property
    def total(self) -> int:
        return sum(k.total for k in self.keywords.values())

    def keyword(self, text: str) -> KeywordView:
        view = self.keywords.get(text)
        if view is None:
            view = self.keywords[text] = KeywordView(text)
        return view


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"


# ------------------------------------------------------------------------------------------- charts


def build_chart(days: dict[date, dict[str, int]], *, width: int = 900, height: int = 220) -> Chart:
    """The stacked share chart of one keyword from ``{day: {label: count}}`` (days without data: gaps)."""
    left, top, right, bottom = 44, 10, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    totals: dict[str, int] = defaultdict(int)
    for counts in days.values():
        for label, count in counts.items():
            totals[label] += count
    order = sorted(totals, key=_variant_rank)
    rank = {label: i for i, label in enumerate(order)}
    colours = {label: variant_colour(label) for label in order}
    legend = [(label, colours[label], totals[label]) for label in order]
    if not days:
        return Chart(width, height, left, top, plot_w, plot_h, [], legend, [], None, None)
    first, last = min(days), max(days)
    span = (last - first).days + 1
    slot = plot_w / span
    bar_w = max(slot * 0.85, 0.5) if span > 1 else min(plot_w, 60.0)
    bars: list[Bar] = []
    for day in sorted(days):
        counts = days[day]
        total = sum(counts.values())
        if total <= 0:
            continue
        x = left + (day - first).days * slot + (slot - bar_w) / 2
        y_bottom = float(top + plot_h)
        segments = []
        for label in sorted(counts, key=rank.__getitem__):
            count = counts[label]
            if count <= 0:
                continue
            h = plot_h * count / total
            y_bottom -= h
            segments.append(Segment(label, count, colours[label], x, y_bottom, bar_w, h))
        bars.append(Bar(day=day, total=total, segments=segments))
    ticks: list[tuple[float, str]] = []
    step = max(1, span // 6)
    for i in range(0, span, step):
        ticks.append((round(left + i * slot + slot / 2, 2), (first + timedelta(days=i)).strftime("%b %d")))
    return Chart(width, height, left, top, plot_w, plot_h, bars, legend, ticks, first, last)


def render_chart(chart: Chart, keyword: str) -> Markup:
    """The chart as inline SVG markup. Built here rather than in Jinja: a product page can hold
    thousands of segments, and this is the hot loop of the report. Every text is escaped."""
    if not chart.bars:
        return Markup('<p class="muted">No sightings yet.</p>')
    esc: dict[str, str] = {}

    def e(text: str) -> str:
        found = esc.get(text)
        if found is None:
            found = esc[text] = str(escape(text))
        return found

    c = chart
    out = ['<div class="legend">']
    for label, col, n in c.legend:
        out.append(
            f'<span><span class="sw" style="background: {e(col)}"></span>{e(label)} '
            f'<span class="muted">({n})</span></span>'
        )
    out.append("</div>")
    out.append(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {c.width} {c.height}" '
        f'role="img" aria-label="Share of sightings per variant per day for {e(keyword)}" '
        f'data-bars="{len(c.bars)}" data-segments="{c.segment_count}"><g class="axis">'
    )
    right = c.plot_left + c.plot_width
    for pct in (0, 50, 100):
        y = c.plot_top + c.plot_height * (100 - pct) / 100
        out.append(
            f'<line x1="{c.plot_left}" x2="{right}" y1="{y:g}" y2="{y:g}" stroke="#e2e2e6"/>'
            f'<text x="{c.plot_left - 6}" y="{y + 3:g}" text-anchor="end">{pct}%</text>'
        )
    label_y = c.plot_top + c.plot_height + 16
    for x, label in c.ticks:
        out.append(f'<text x="{x:g}" y="{label_y}" text-anchor="middle">{e(label)}</text>')
    out.append("</g>")
    for bar in c.bars:
        day, total = bar.day.isoformat(), bar.total
        out.append(f'<g class="bar" data-day="{day}" data-total="{total}">')
        for seg in bar.segments:
            label = e(seg.label)
            out.append(
                f'<rect class="seg" data-variant="{label}" x="{seg.x:.2f}" y="{seg.y:.2f}" '
                f'width="{seg.width:.2f}" height="{seg.height:.2f}" fill="{e(seg.colour)}">'
                f"<title>{day} {label}: {seg.count} of {total} ({100 * seg.count / total:.0f} %)</title>"
                "</rect>"
            )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


# ------------------------------------------------------------------------------------------ queries


def _day(conn: Connection, column: Any) -> Any:
    """The UTC calendar day of a timestamp column as 'YYYY-MM-DD' text, computed by the database."""
    if conn.dialect.name == "sqlite":
        return sa.func.substr(column, 1, 10)  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.date(column)


def _category_expr() -> Any:
    return sa.case(
        (sa.and_(_S.c.verdict == "match", _S.c.variant.is_not(None)), _S.c.variant),
        (_S.c.verdict == "ambiguous", sa.literal("ambiguous")),
        else_=sa.literal("unknown"),
    )


def _load_products(conn: Connection, config: Config) -> dict[tuple[str, str], ProductView]:
    rows = conn.execute(
        sa.select(_P.c.id, _M.c.key, _P.c.asin, _P.c.name, _P.c.active).join(
            _M, _M.c.id == _P.c.marketplace_id
        )
    ).all()
    names = {(p.marketplace, p.asin): p.name for p in config.products}
    products: dict[tuple[str, str], ProductView] = {}
    for r in rows:
        key = (r.key, r.asin)
        products[key] = ProductView(r.id, r.key, r.asin, r.name or names.get(key, ""), bool(r.active))
    keywords = conn.execute(
        sa.select(_K.c.product_id, _K.c.text, _K.c.active).order_by(_K.c.product_id, _K.c.id)
    ).all()
    by_id = {p.id: p for p in products.values()}
    for k in keywords:
        product = by_id.get(k.product_id)
        if product is not None and (k.active or not product.active):
            product.keyword(k.text)
    for p in config.products:  # configured but never synced yet: still worth a row
        view = products.setdefault(
            (p.marketplace, p.asin), ProductView(None, p.marketplace, p.asin, p.name, True)
        )
        for text in p.keywords:
            view.keyword(text)
    return products


def _aggregate(
    conn: Connection, products: dict[tuple[str, str], ProductView], recent_since: date
) -> tuple[dict[tuple[str, str, str], dict[date, dict[str, int]]], int]:
    """Sightings per (marketplace, asin, keyword) per day per variant, counted by the database."""
    day = _day(conn, _S.c.seen_at).label("day")
    cat = _category_expr().label("cat")
    stmt = (
        sa.select(_S.c.marketplace, _S.c.asin, _S.c.keyword, day, cat, sa.func.count().label("n"))
        .group_by(_S.c.marketplace, _S.c.asin, _S.c.keyword, day, cat)
        .order_by(_S.c.marketplace, _S.c.asin, _S.c.keyword, day)
    )
    series: dict[tuple[str, str, str], dict[date, dict[str, int]]] = {}
    total = 0
    days: dict[str, date] = {}
    for market, asin, keyword, day_text, label, n in conn.execute(stmt):
        the_day = days.get(day_text)
        if the_day is None:
            the_day = days[day_text] = date.fromisoformat(day_text)
        series.setdefault((market, asin, keyword), {}).setdefault(the_day, {})[label] = n
        total += n
        view = products.get((market, asin))
        if view is None:  # sightings of an ASIN that is not (or no longer) a product row
            view = products[(market, asin)] = ProductView(None, market, asin, "", False)
        kw = view.keyword(keyword)
        kw.total += n
        if the_day >= recent_since:
            kw.recent_total += n
            if label == "MAIN":
                kw.recent_main += n
    return series, total


def _latest_per_unit(conn: Connection) -> list[Any]:
    last = (
        sa.select(
            _S.c.marketplace,
            _S.c.asin,
            _S.c.keyword,
            _S.c.unit,
            sa.func.max(_S.c.seen_at).label("seen_at"),
        )
        .group_by(_S.c.marketplace, _S.c.asin, _S.c.keyword, _S.c.unit)
        .subquery()
    )
    stmt = (
        sa.select(_S)
        .join(
            last,
            sa.and_(
                _S.c.asin == last.c.asin,
                _S.c.keyword == last.c.keyword,
                _S.c.seen_at == last.c.seen_at,
                _S.c.unit == last.c.unit,
                _S.c.marketplace == last.c.marketplace,
            ),
        )
        .order_by(_S.c.id)
    )
    latest: dict[tuple[str, str, str, str], Any] = {}
    for r in conn.execute(stmt):
        latest[(r.marketplace, r.asin, r.keyword, r.unit)] = r  # the highest id wins a tie
    return list(latest.values())


def _events(conn: Connection, product: ProductView) -> None:
    keywords = list(product.keywords)
    condition = sa.and_(
        _E.c.marketplace == product.marketplace,
        sa.or_(
            _E.c.asin == product.asin,
            sa.and_(_E.c.asin.is_(None), _E.c.keyword.in_(keywords)),
        ),
    )
    product.events_total = int(conn.execute(sa.select(sa.func.count()).where(condition)).scalar_one())
    rows = conn.execute(
        sa.select(_E).where(condition).order_by(_E.c.created_at.desc(), _E.c.id.desc()).limit(EVENTS_PER_PAGE)
    )
    for r in rows:
        item = {
            "kind": r.kind,
            "at": r.created_at,
            "keyword": r.keyword,
            "unit": r.unit,
            "variant": r.variant,
            "previous": r.previous_variant,
            "detail": r.detail,
            "colour": variant_colour(r.variant) if r.variant else None,
            "previous_colour": variant_colour(r.previous_variant) if r.previous_variant else None,
        }
        product.events.append(item)
        if r.kind in CHANGE_KINDS and r.keyword in product.keywords:
            changes = product.keywords[r.keyword].changes
            if len(changes) < CHANGES_PER_KEYWORD:
                changes.append(item)


def _blocked(conn: Connection, products: Iterable[ProductView], recent_since: datetime) -> None:
    """Blocked or failed visits per product (via its keywords): counts, and the latest of them.

    Two passes over ``page_visit`` for all products at once; per-product queries would look up every
    visit of every keyword to read its status.
    """
    by_pair: dict[tuple[str, str], list[ProductView]] = defaultdict(list)
    for product in products:
        product.blocked_total = 0
        product.blocked = []
        for text in product.keywords:
            by_pair[(product.marketplace, text)].append(product)
    blocked = sa.and_(
        _V.c.status.not_in(NORMAL_STATUSES),
        ~sa.exists().where(_S.c.visit_id == _V.c.id),
    )
    counts = conn.execute(
        sa.select(
            _V.c.marketplace,
            _V.c.keyword,
            sa.func.count(),
            sa.func.sum(sa.case((_V.c.seen_at >= recent_since, 1), else_=0)),
        )
        .where(blocked)
        .group_by(_V.c.marketplace, _V.c.keyword)
    )
    for market, keyword, n, recent in counts:
        for product in by_pair.get((market, keyword), ()):
            product.blocked_total += int(n)
            product.keywords[keyword].blocked_recent = int(recent or 0)
    rank = (
        sa.func.row_number()
        .over(partition_by=(_V.c.marketplace, _V.c.keyword), order_by=(_V.c.seen_at.desc(), _V.c.id.desc()))
        .label("rank")
    )
    ranked = (
        sa.select(
            _V.c.id,
            _V.c.marketplace,
            _V.c.seen_at,
            _V.c.keyword,
            _V.c.page,
            _V.c.status,
            _V.c.error,
            _V.c.attempts,
            rank,
        )
        .where(blocked)
        .subquery()
    )
    for r in conn.execute(sa.select(ranked).where(ranked.c.rank <= BLOCKED_PER_PAGE)):
        for product in by_pair.get((r.marketplace, r.keyword), ()):
            product.blocked.append(
                {
                    "id": r.id,
                    "at": r.seen_at,
                    "keyword": r.keyword,
                    "page": r.page,
                    "status": visit_status(r.status, r.error),
                    "kind": r.status,
                    "attempts": r.attempts,
                }
            )
    for product in products:
        product.blocked.sort(key=lambda v: (v["at"], v["id"]), reverse=True)
        del product.blocked[BLOCKED_PER_PAGE:]


@dataclass(frozen=True, slots=True)
class _GalleryRow:
    variant: str
    slot: int
    sha256: str | None
    fetched_at: datetime
    retired_at: datetime | None


def _galleries(conn: Connection) -> dict[int, list[_GalleryRow]]:
    out: dict[int, list[_GalleryRow]] = defaultdict(list)
    stmt = sa.select(
        _G.c.product_id, _G.c.variant, _G.c.slot, _G.c.sha256, _G.c.fetched_at, _G.c.retired_at
    ).order_by(_G.c.product_id, _G.c.fetched_at, _G.c.slot)
    for r in conn.execute(stmt):
        out[r.product_id].append(_GalleryRow(r.variant, r.slot, r.sha256, r.fetched_at, r.retired_at))
    return out


def _gallery_image_at(gallery: Sequence[_GalleryRow], variant: str, at: datetime) -> _GalleryRow | None:
    """The gallery slot ``variant`` as it was at ``at`` (else the latest known one)."""
    valid = [
        g
        for g in gallery
        if g.variant == variant and g.fetched_at <= at and (g.retired_at is None or g.retired_at > at)
    ]
    candidates = valid or [g for g in gallery if g.variant == variant]
    return max(candidates, key=lambda g: g.fetched_at) if candidates else None


# -------------------------------------------------------------------------------------------- files


class _Images:
    """Copies the referenced blobs into ``out_dir/img`` once each, under their content-addressed name."""

    def __init__(self, blobs: BlobStore, out_dir: Path) -> None:
        self.blobs = blobs
        self.folder = out_dir / "img"
        self.done: dict[str, str | None] = {}
        self.missing = 0

    def use(self, kind: Kind, sha: str | None) -> str | None:
        if not sha:
            return None
        key = f"{kind}/{sha}"
        if key in self.done:
            return self.done[key]
        source = self.blobs.path(kind, sha)
        if source is None:
            log.warning("report: %s %s is referenced but missing from %s", kind, sha, self.blobs.root)
            self.missing += 1
            self.done[key] = None
            return None
        name = f"{sha}{source.suffix}"
        target = self.folder / name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            self.folder.mkdir(parents=True, exist_ok=True)
            _copy_atomic(source, target)
        self.done[key] = f"img/{name}"
        return self.done[key]

    @property
    def count(self) -> int:
        return sum(1 for v in self.done.values() if v is not None)


# mkstemp makes 0600 files; a report is for reading, maybe by a web server's user.
FILE_MODE = 0o644


def _copy_atomic(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        Path(tmp).chmod(FILE_MODE)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_atomic(target: Path, chunks: Iterable[str]) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
        Path(tmp).chmod(FILE_MODE)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(conn: Connection, target: Path) -> int:
    """Stream the whole history into ``target`` (columns of `ismon history --json`); rows written."""
    count = 0
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HISTORY_COLUMNS)
            for rows in iter_history_records(conn):
                writer.writerows(rows)
                count += len(rows)
        Path(tmp).chmod(FILE_MODE)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


# ----------------------------------------------------------------------------------------- building


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES / "report")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else ""
    env.filters["iso"] = lambda value: format_time(value) if value else ""
    env.filters["pct"] = lambda value: "–" if value is None else f"{100 * value:.0f} %"
    env.globals["colour"] = variant_colour
    env.globals["chart"] = render_chart
    env.globals["ctr_chart"] = lambda view, keyword: chart_markup(view, keyword, variant_colour)
    env.globals["badge"] = _badge_maker()
    return env


def _badge_maker() -> Any:
    """``badge(label, alert=False)``: a coloured variant label. A Python function, not a Jinja macro:
    pages carry tens of thousands of them."""
    made: dict[tuple[str, bool], Markup] = {}

    def badge(label: str, alert: bool = False) -> Markup:
        found = made.get((label, alert))
        if found is None:
            found = made[(label, alert)] = Markup(
                '<span class="badge{}" style="background: {}" data-variant="{}">{}</span>'
            ).format(" alert" if alert else "", variant_colour(label), label, label)
        return found

    return badge


def _ordered(products: dict[tuple[str, str], ProductView], config: Config) -> list[ProductView]:
    order = {(p.marketplace, p.asin): i for i, p in enumerate(config.products)}
    return sorted(
        products.values(),
        key=lambda p: (order.get((p.marketplace, p.asin), len(order)), p.marketplace, p.asin),
    )


def build_report(
    engine: Engine, config: Config, blobs: BlobStore, out_dir: Path, now: datetime
) -> ReportSummary:
    """Write the static site into ``out_dir`` (created; files there are overwritten in place)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    recent_days = config.alerts.recent_days
    recent_since = now - timedelta(days=recent_days)
    images = _Images(blobs, out_dir)
    env = _environment()
    csv_path = out_dir / "sightings.csv"

    cpu_started = time.process_time()

    def lap(what: str) -> None:
        log.debug(
            "report: %s done at %.2f s (%.2f s CPU)",
            what,
            time.perf_counter() - started,
            time.process_time() - cpu_started,
        )

    with engine.connect() as conn:
        products = _load_products(conn, config)
        series, total = _aggregate(conn, products, recent_since.date())
        lap(f"per-day counts ({total} sightings, {len(series)} series)")
        latest = _latest_per_unit(conn)
        lap("latest sighting per unit")
        galleries = _galleries(conn)
        for product in products.values():
            _events(conn, product)
        _blocked(conn, products.values(), recent_since)
        lap("events and blocked visits")
        for r in latest:
            _add_shot(products, galleries, images, r)
        for product in products.values():
            for kw in product.keywords.values():
                kw.shots.sort(key=lambda s: (s.unit != "grid", s.unit, s.seen_at))
            if product.id is not None:
                current = [g for g in galleries.get(product.id, []) if g.retired_at is None]
                product.gallery = [
                    {
                        "variant": g.variant,
                        "colour": variant_colour(g.variant),
                        "src": images.use("images", g.sha256),
                    }
                    for g in sorted(current, key=lambda g: g.slot)
                ]
        lap(f"{images.count} images copied")
        impact_problem = _add_impact(conn, engine, config, products, now)
        lap("impact")

        ordered = _ordered(products, config)
        common = {
            "generated_at": now,
            "recent_days": recent_days,
            "total": total,
            "impact_problem": impact_problem,
        }
        index = out_dir / "index.html"
        _write_atomic(index, [env.get_template("index.html").render(products=ordered, **common)])
        pages = []
        product_template = env.get_template("product.html")
        for product in ordered:
            for kw in product.keywords.values():
                kw.chart = build_chart(series.pop((product.marketplace, product.asin, kw.text), {}))
            page = out_dir / product.filename
            _write_atomic(page, [product_template.render(product=product, **common)])
            pages.append(page)
            for kw in product.keywords.values():
                kw.chart = None  # a page's charts are the bulk of its memory
        lap(f"{len(pages) + 1} pages")
        rows = write_csv(conn, csv_path)
        ads_rows = write_ads_csv(conn, out_dir / "ads_days.csv", FILE_MODE)
        lap(f"CSV ({rows} rows, {ads_rows} ads days)")

    log.info(
        "report: %d pages, %d images, %d CSV rows in %s (%.1f s)",
        len(pages) + 1,
        images.count,
        rows,
        out_dir,
        time.perf_counter() - started,
    )
    return ReportSummary(
        out_dir=out_dir,
        index=index,
        csv=csv_path,
        product_pages=tuple(pages),
        products=len(ordered),
        sightings=total,
        csv_rows=rows,
        images=images.count,
        missing_images=images.missing,
    )


def _add_shot(
    products: dict[tuple[str, str], ProductView],
    galleries: dict[int, list[_GalleryRow]],
    images: _Images,
    r: Any,
) -> None:
    product = products[(r.marketplace, r.asin)]
    label = category(r.verdict, r.variant)
    shot = Shot(
        marketplace=r.marketplace,
        asin=r.asin,
        keyword=r.keyword,
        unit=r.unit,
        placement=r.placement,
        position=r.position,
        seen_at=r.seen_at,
        verdict=r.verdict,
        variant=r.variant,
        method=r.method,
        distance=r.distance,
        label=label,
        colour=variant_colour(label),
        ad_image=images.use("images", r.image_sha256),
        screenshot=images.use("screenshots", r.screenshot_sha256),
    )
    if r.variant:
        gallery = galleries.get(r.product_id or product.id or -1, [])
        matched = _gallery_image_at(gallery, r.variant, r.seen_at)
        if matched is not None:
            shot.gallery_image = images.use("images", matched.sha256)
    product.keyword(r.keyword).shots.append(shot)


def _add_impact(
    conn: Connection,
    engine: Engine,
    config: Config,
    products: dict[tuple[str, str], ProductView],
    now: datetime,
) -> str:
    """Each keyword's impact view (CTR chart, tracking table) and the opt-out marks of its timeline;
    returns a problem to show, or ""."""
    from monitor.impact.zones import Zones
    from monitor.store.impact import by_key, impacts, key_of, load_day_rows

    problem = ""
    try:
        grouped = by_key(load_day_rows(conn, Zones(config.timezone)))
    except UsageError as exc:  # a stored ads day no report can hold: say so, show the rest
        log.error("report: no impact sections: %s", exc)
        grouped = {}
        problem = f"The impact sections are left out: {exc}"
    views = views_for(grouped, impacts(grouped))
    marks = optout_marks(engine, now, config.alerts.optout_grace_hours)
    for product in products.values():
        statuses = marks.get((product.marketplace, product.asin), [])
        for kw in product.keywords.values():
            kw.impact = views.get(key_of(product.marketplace, product.asin, kw.text))
            added = timeline_items(statuses, kw.text)
            if added:
                kw.changes = sorted([*kw.changes, *added], key=lambda e: e["at"], reverse=True)
    return problem
