"""Queries and writes shared by the sweep, the gallery refresh and the CLI.

Sits just above ``models``: callers hand in an open ``Session`` and commit it themselves, so that a page
visit, its sightings and the events they cause land in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from monitor.config import Marketplace as ConfiguredMarketplace
from monitor.config import Product as ConfiguredProduct
from monitor.store import models


@dataclass(frozen=True, slots=True)
class ProductRef:
    """A configured product as the sweep needs it."""

    id: int
    marketplace: str
    asin: str
    name: str
    keywords: tuple[str, ...]


def sync_products(
    session: Session,
    marketplaces: Mapping[str, ConfiguredMarketplace],
    products: Sequence[ConfiguredProduct],
) -> list[ProductRef]:
    """Make the marketplace, product and keyword tables say what the config says.

    Products and keywords that left the config are marked inactive, never deleted: their history stays.
    """
    markets: dict[str, models.Marketplace] = {
        m.key: m for m in session.exec(select(models.Marketplace)).all()
    }
    for key, market in marketplaces.items():
        market_row = markets.get(key) or models.Marketplace(key=key, base_url=market.base_url)
        market_row.base_url = market.base_url
        market_row.postal_code = market.postal_code
        markets[key] = market_row
        session.add(market_row)
    session.flush()

    existing = {(p.marketplace_id, p.asin): p for p in session.exec(select(models.Product)).all()}
    wanted: set[int] = set()
    refs: list[ProductRef] = []
    for product in products:
        market_id = markets[product.marketplace].id
        assert market_id is not None
        row = existing.get((market_id, product.asin))
        if row is None:
            row = models.Product(marketplace_id=market_id, asin=product.asin, name=product.name)
        row.name = product.name
        row.active = True
        session.add(row)
        session.flush()
        assert row.id is not None
        wanted.add(row.id)
        _sync_keywords(session, row.id, product.keywords)
        refs.append(
            ProductRef(row.id, product.marketplace, product.asin, product.name, tuple(product.keywords))
        )
    for old in existing.values():
        if old.id not in wanted and old.active:
            old.active = False
            session.add(old)
    session.flush()
    return refs


def _sync_keywords(session: Session, product_id: int, keywords: Sequence[str]) -> None:
    rows = {
        k.text: k for k in session.exec(select(models.Keyword).where(models.Keyword.product_id == product_id))
    }
    for text in keywords:
        row = rows.get(text) or models.Keyword(product_id=product_id, text=text)
        row.active = True
        session.add(row)
    for text, row in rows.items():
        if text not in keywords and row.active:
            row.active = False
            session.add(row)


def current_gallery(session: Session, product_id: int) -> list[models.GalleryImage]:
    """The gallery slots in force for a product, in gallery order."""
    stmt = (
        select(models.GalleryImage)
        .where(models.GalleryImage.product_id == product_id)
        .where(col(models.GalleryImage.retired_at).is_(None))
        .order_by(col(models.GalleryImage.slot))
    )
    return list(session.exec(stmt).all())


def retire_gallery(session: Session, product_id: int, now: datetime) -> None:
    for row in current_gallery(session, product_id):
        row.retired_at = now
        session.add(row)


def last_sweep(session: Session) -> models.SweepRun | None:
    stmt = select(models.SweepRun).order_by(col(models.SweepRun.started_at).desc()).limit(1)
    return session.exec(stmt).first()


def recent_screenshots(
    session: Session, marketplace: str, since: datetime
) -> dict[str, dict[tuple[str, str, str | None], str]]:
    """Per keyword, the newest evidence screenshot since ``since`` per (asin, unit, image id)."""
    stmt = (
        select(models.Sighting)
        .where(models.Sighting.marketplace == marketplace)
        .where(col(models.Sighting.seen_at) >= since)
        .where(col(models.Sighting.screenshot_sha256).is_not(None))
        .order_by(col(models.Sighting.seen_at))
    )
    found: dict[str, dict[tuple[str, str, str | None], str]] = {}
    for row in session.exec(stmt):
        assert row.screenshot_sha256 is not None
        found.setdefault(row.keyword, {})[(row.asin, row.unit, row.image_id)] = row.screenshot_sha256
    return found
