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

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy.engine import Connection, Engine

from monitor.config import Config
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
        products = load_products(conn, config.products)
        series, total = aggregate(conn, products, recent_since.date())
        lap(f"per-day counts ({total} sightings, {len(series)} series)")
        latest = latest_per_unit(conn)
        lap("latest sighting per unit")
        galleries = load_galleries(conn)
        for product in products.values():
            load_events(conn, product)
        load_blocked(conn, products.values(), recent_since)
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
        write_atomic(index, [env.get_template("index.html").render(products=ordered, **common)])
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
