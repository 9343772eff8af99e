"""The report's reads of the history: products and keywords, per-day counts, latest shots, events.

Where it sits: inside the last step of the data flow (history -> HTML site), between the database the
sweeps filled (``monitor.store.models``) and ``monitor.report.site``, which renders what these return.
It scales with SQL, not Python: per-day shares are a ``GROUP BY`` in the database, the latest sighting
per unit is a grouped ``max(seen_at)`` joined back through ``ix_sighting_asin_keyword_seen``, blocked
visits are two passes over ``page_visit`` for all products at once. No query loads all sightings as
objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.config import Product as ProductConfig
from monitor.report.charts import variant_colour
from monitor.report.views import ProductView
from monitor.store.history import NORMAL_STATUSES, visit_status
from monitor.store.models import Event, GalleryImage, Keyword, Marketplace, PageVisit, Product, Sighting

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


def load_products(
    conn: Connection, configured: Sequence[ProductConfig]
) -> dict[tuple[str, str], ProductView]:
    """Every product row with its keywords, and the configured products not synced yet."""
    rows = conn.execute(
        sa.select(_P.c.id, _M.c.key, _P.c.asin, _P.c.name, _P.c.active).join(
            _M, _M.c.id == _P.c.marketplace_id
        )
    ).all()
    names = {(p.marketplace, p.asin): p.name for p in configured}
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
    for p in configured:  # configured but never synced yet: still worth a row
        view = products.setdefault(
            (p.marketplace, p.asin), ProductView(None, p.marketplace, p.asin, p.name, True)
        )
        for text in p.keywords:
            view.keyword(text)
    return products


def aggregate(
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


def latest_per_unit(conn: Connection) -> list[Any]:
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


def load_events(conn: Connection, product: ProductView) -> None:
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


def load_blocked(conn: Connection, products: Iterable[ProductView], recent_since: datetime) -> None:
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
class GalleryRow:
    variant: str
    slot: int
    sha256: str | None
    fetched_at: datetime
    retired_at: datetime | None


def load_galleries(conn: Connection) -> dict[int, list[GalleryRow]]:
    out: dict[int, list[GalleryRow]] = defaultdict(list)
    stmt = sa.select(
        _G.c.product_id, _G.c.variant, _G.c.slot, _G.c.sha256, _G.c.fetched_at, _G.c.retired_at
    ).order_by(_G.c.product_id, _G.c.fetched_at, _G.c.slot)
    for r in conn.execute(stmt):
        out[r.product_id].append(GalleryRow(r.variant, r.slot, r.sha256, r.fetched_at, r.retired_at))
    return out


def gallery_image_at(gallery: Sequence[GalleryRow], variant: str, at: datetime) -> GalleryRow | None:
    """The gallery slot ``variant`` as it was at ``at`` (else the latest known one)."""
    valid = [
        g
        for g in gallery
        if g.variant == variant and g.fetched_at <= at and (g.retired_at is None or g.retired_at > at)
    ]
    candidates = valid or [g for g in gallery if g.variant == variant]
    return max(candidates, key=lambda g: g.fetched_at) if candidates else None
