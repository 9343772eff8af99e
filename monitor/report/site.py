"""The static report: the last step of the data flow (history -> HTML site and CSV).

``build_report`` reads the database the sweeps filled and writes a site that works from ``file://``
with no server, no CDN and no JavaScript:

* ``index.html``: every product and keyword with the variant its ads show now (latest sighting per
  unit, with a thumbnail), the share of MAIN over ``alerts.recent_days`` and blocked visits;
* ``product-<marketplace>-<asin>.html``: per keyword an inline SVG chart of the share of each variant
  per day, the timeline of changes, the latest ad screenshots next to the gallery image they matched,
  every event and the blocked or failed visits;
* ``sightings.csv``: the whole history (the columns of `ismon history --json`), oldest first;
* ``img/``: only the image files the pages reference, named by their sha256.

Where it sits: at the end of the flow, called by ``ismon report`` and ``ismon demo`` with the
``ReportSettings`` that ``monitor.run.settings.report_settings`` builds from the Config. It loads
through ``monitor.report.load`` (SQL does the counting), draws with ``monitor.report.charts`` and
``monitor.report.impact``, and writes through ``monitor.report.files``; this module holds the Jinja2
environment and the order of the steps. Every text that came from a page or a config (names,
keywords, placements, errors) is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy.engine import Connection, Engine

from monitor.config import Product as ProductConfig
from monitor.errors import UsageError
from monitor.paths import TEMPLATES
from monitor.report.charts import build_chart, category, render_chart
from monitor.report.charts import variant_colour as variant_colour  # monitor.alerts.ctr_drop imports it here
from monitor.report.files import FILE_MODE, SiteImages, write_atomic, write_csv
from monitor.report.impact import chart_markup, optout_marks, timeline_items, views_for, write_ads_csv
from monitor.report.load import (
    GalleryRow,
    aggregate,
    gallery_image_at,
    latest_per_unit,
    load_blocked,
    load_events,
    load_galleries,
    load_products,
)
from monitor.report.views import ProductView, ReportSummary, Shot
from monitor.store.files import BlobStore
from monitor.store.history import format_time

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """What the report reads from the config (``monitor.run.settings.report_settings`` builds it)."""

    products: tuple[ProductConfig, ...]  # the configured products, in the config's order
    recent_days: int  # alerts.recent_days: the window of "how often each variant was shown"
    optout_grace_hours: float  # alerts.optout_grace_hours: an opt-out not in effect after this is overdue
    timezone: Callable[[str], tzinfo]  # marketplace -> the zone of its ads reporting day


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


def _ordered(
    products: dict[tuple[str, str], ProductView], configured: tuple[ProductConfig, ...]
) -> list[ProductView]:
    order = {(p.marketplace, p.asin): i for i, p in enumerate(configured)}
    return sorted(
        products.values(),
        key=lambda p: (order.get((p.marketplace, p.asin), len(order)), p.marketplace, p.asin),
    )


def build_report(
    engine: Engine, settings: ReportSettings, blobs: BlobStore, out_dir: Path, now: datetime
) -> ReportSummary:
    """Write the static site into ``out_dir`` (created; files there are overwritten in place)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    recent_days = settings.recent_days
    recent_since = now - timedelta(days=recent_days)
    images = SiteImages(blobs, out_dir)
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
        products = load_products(conn, settings.products)
        series, total = aggregate(conn, products, recent_since.date())
        lap(f"per-day counts ({total} sightings, {len(series)} series)")
        latest = latest_per_unit(conn)
        lap("latest sighting per unit")
        galleries = load_galleries(conn)
        for product in products.values():
            load_events(conn, product)
        load_blocked(conn, products.values(), recent_since)
        lap("events and blocked visits")
        _add_shots(products, galleries, images, latest)
        lap(f"{images.count} images copied")
        impact_problem = _add_impact(conn, engine, settings, products, now)
        lap("impact")

        ordered = _ordered(products, settings.products)
        common = {
            "generated_at": now,
            "recent_days": recent_days,
            "total": total,
            "impact_problem": impact_problem,
        }
        index = out_dir / "index.html"
        write_atomic(index, [env.get_template("index.html").render(products=ordered, **common)])
        pages = _write_product_pages(env, out_dir, ordered, series, common)
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


def _write_product_pages(
    env: Any,
    out_dir: Path,
    ordered: list[ProductView],
    series: dict[tuple[str, str, str], dict[date, dict[str, int]]],
    common: dict[str, Any],
) -> list[Path]:
    """One page per product, its keywords' charts built just before and dropped just after."""
    pages = []
    product_template = env.get_template("product.html")
    for product in ordered:
        for kw in product.keywords.values():
            kw.chart = build_chart(series.pop((product.marketplace, product.asin, kw.text), {}))
        page = out_dir / product.filename
        write_atomic(page, [product_template.render(product=product, **common)])
        pages.append(page)
        for kw in product.keywords.values():
            kw.chart = None  # a page's charts are the bulk of its memory
    return pages


def _add_shots(
    products: dict[tuple[str, str], ProductView],
    galleries: dict[int, list[GalleryRow]],
    images: SiteImages,
    latest: list[Any],
) -> None:
    """The latest shot per (keyword, unit) and each product's current gallery, their images copied."""
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


def _add_shot(
    products: dict[tuple[str, str], ProductView],
    galleries: dict[int, list[GalleryRow]],
    images: SiteImages,
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
        matched = gallery_image_at(gallery, r.variant, r.seen_at)
        if matched is not None:
            shot.gallery_image = images.use("images", matched.sha256)
    product.keyword(r.keyword).shots.append(shot)


def _add_impact(
    conn: Connection,
    engine: Engine,
    settings: ReportSettings,
    products: dict[tuple[str, str], ProductView],
    now: datetime,
) -> str:
    """Each keyword's impact view (CTR chart, tracking table) and the opt-out marks of its timeline;
    returns a problem to show, or ""."""
    from monitor.ads.impact_rows import by_key, impacts, key_of, load_day_rows
    from monitor.impact.zones import Zones

    problem = ""
    try:
        grouped = by_key(load_day_rows(conn, Zones(settings.timezone)))
    except UsageError as exc:  # a stored ads day no report can hold: say so, show the rest
        log.error("report: no impact sections: %s", exc)
        grouped = {}
        problem = f"The impact sections are left out: {exc}"
    views = views_for(grouped, impacts(grouped))
    marks = optout_marks(engine, now, settings.optout_grace_hours)
    for product in products.values():
        statuses = marks.get((product.marketplace, product.asin), [])
        for kw in product.keywords.values():
            kw.impact = views.get(key_of(product.marketplace, product.asin, kw.text))
            added = timeline_items(statuses, kw.text)
            if added:
                kw.changes = sorted([*kw.changes, *added], key=lambda e: e["at"], reverse=True)
    return problem
