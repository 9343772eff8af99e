"""Gallery refresh: product page -> ordered gallery -> images -> fingerprints -> ``gallery_image`` rows.

Where it sits: beside the sweep, on the same stages. Runs daily (daemon) and on demand (``ismon gallery
refresh``: ``refresh_galleries``), and before a sweep for products whose gallery was never imported
(``GalleryRefresh``, in the sweep's browser). The product page is loaded in the browser like a shopper;
the gallery images themselves are fetched with httpx. A changed MAIN of the listing itself becomes a
``listing_main_changed`` event. ``load_index`` reads a product's gallery back for identification.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.acquire.shopper import Shopper
from monitor.alerts import outbox
from monitor.errors import BrowserError, ImageError, MonitorError
from monitor.imaging import (
    Fingerprint,
    GalleryEntry,
    GalleryIndex,
    fingerprint_gallery_image,
    fingerprint_is_current,
    load_image,
)
from monitor.pages import GalleryImage as ParsedSlot
from monitor.pages import parse_product
from monitor.store import models, queries
from monitor.store.files import BlobStore
from monitor.sweep.settings import Clock, Progress, SweepSettings
from monitor.sweep.shoppers import Shoppers

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 20 * 1024 * 1024


@dataclass(slots=True)
class GalleryResult:
    asin: str
    marketplace: str
    ok: bool
    variants: list[str] = field(default_factory=list)
    changed: bool = False
    main_changed: bool = False
    error: str = ""


def product_url(base_url: str, asin: str) -> str:
    return f"{base_url}/dp/{asin}"


async def fetch_image(http: httpx.AsyncClient, url: str) -> bytes:
    """The bytes at ``url`` (a gallery image, or an ad image the browser did not keep)."""
    try:
        response = await http.get(url)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ImageError(f"{url}: {exc}") from None
    if len(response.content) > MAX_IMAGE_BYTES:
        raise ImageError(f"{url}: {len(response.content)} bytes is too large for an image")
    return response.content


async def refresh_product(
    shopper: Shopper,
    http: httpx.AsyncClient,
    engine: Engine,
    blobs: BlobStore,
    product: queries.ProductRef,
    base_url: str,
    now: Callable[[], datetime],
) -> GalleryResult:
    """Import the current gallery of one product; one transaction."""
    result = GalleryResult(asin=product.asin, marketplace=product.marketplace, ok=False)
    url = product_url(base_url, product.asin)
    async with shopper.visit(url) as visit:
        html = visit.html
    page = parse_product(html, url)
    if page.kind != "product" or not page.gallery:
        result.error = f"{url}: page kind {page.kind!r}, {len(page.gallery)} gallery images"
        return result
    slots: list[tuple[int, ParsedSlot, str | None, bytes | None]] = []
    for slot_no, slot in enumerate(page.gallery):
        sha: str | None = None
        fingerprint: bytes | None = None
        if slot.url:
            try:
                data = await fetch_image(http, slot.url)
                sha = blobs.put("images", data)
                fingerprint = fingerprint_gallery_image(load_image(data)).to_bytes()
            except ImageError as exc:
                log.warning("%s %s: %s", product.asin, slot.variant, exc)
        slots.append((slot_no, slot, sha, fingerprint))
    with Session(engine) as session:
        old = queries.current_gallery(session, product.id)
        old_key = [(g.variant, g.image_ids) for g in old]
        new_key = [(s.variant, " ".join(s.image_ids)) for _, s, _, _ in slots]
        result.variants = [s.variant for _, s, _, _ in slots]
        result.ok = True
        # Unchanged, unless a fingerprint is of an older format (e.g. from before colour counted).
        if old_key == new_key and all(g.fingerprint and fingerprint_is_current(g.fingerprint) for g in old):
            return result
        stamp = now()
        old_main = next((g.image_ids.split() for g in old if g.variant == "MAIN"), None)
        new_main = next((list(s.image_ids) for _, s, _, _ in slots if s.variant == "MAIN"), None)
        queries.retire_gallery(session, product.id, stamp)
        for slot_no, slot, sha, fingerprint in slots:
            session.add(
                models.GalleryImage(
                    product_id=product.id,
                    variant=slot.variant,
                    slot=slot_no,
                    image_ids=" ".join(slot.image_ids),
                    url=slot.url,
                    sha256=sha,
                    fingerprint=fingerprint,
                    fetched_at=stamp,
                )
            )
        result.changed = True
        if old_main and new_main and not set(old_main) & set(new_main):
            result.main_changed = True
            outbox.record_gallery_change(session, product.id, old_main, new_main, stamp)
        session.commit()
    return result


def load_index(session: Session, product_id: int) -> GalleryIndex | None:
    """The matching index of a product's current gallery, or None if it was never imported."""
    rows = queries.current_gallery(session, product_id)
    entries = [
        GalleryEntry(
            variant=row.variant,
            image_ids=tuple(row.image_ids.split()),
            fingerprint=Fingerprint.from_bytes(row.fingerprint),
        )
        for row in rows
        if row.fingerprint
    ]
    return GalleryIndex(entries) if entries else None


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, MonitorError):
        return str(exc)
    return f"{exc.__class__.__name__}: {exc}"


class GalleryRefresh:
    """Refreshes products' galleries one after the other in the sweep's browser, one shopper per
    marketplace; ``refreshed(product_id)`` is told of each product done (its index is read again)."""

    def __init__(
        self,
        settings: SweepSettings,
        engine: Engine,
        blobs: BlobStore,
        shoppers: Shoppers,
        *,
        clock: Clock,
        progress: Progress,
        stop: threading.Event,
        refreshed: Callable[[int], None] = lambda _product_id: None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.blobs = blobs
        self.shoppers = shoppers
        self.clock = clock
        self.progress = progress
        self.stop = stop
        self.refreshed = refreshed

    async def refresh(
        self, playwright: object, products: Sequence[queries.ProductRef]
    ) -> list[GalleryResult]:
        results: list[GalleryResult] = []
        if not products:
            return results
        await self.shoppers.ensure_browser(playwright)
        async with self.shoppers.http() as http:
            shoppers: dict[str, Shopper] = {}
            try:
                for product in products:
                    if self.stop.is_set():
                        break
                    self.progress(f"gallery {product.asin}")
                    market = self.settings.marketplaces[product.marketplace]
                    result = await self._refresh_one(playwright, shoppers, http, product, market.base_url)
                    results.append(result)
                    self.refreshed(product.id)
            finally:
                for shopper in shoppers.values():
                    await shopper.close()
        return results

    async def _refresh_one(
        self,
        playwright: object,
        shoppers: dict[str, Shopper],
        http: httpx.AsyncClient,
        product: queries.ProductRef,
        base_url: str,
    ) -> GalleryResult:
        for attempt in range(self.settings.sweep.retries + 1):
            try:
                if product.marketplace not in shoppers:
                    shoppers[product.marketplace] = await self.shoppers.open(playwright, product.marketplace)
                return await refresh_product(
                    shoppers[product.marketplace],
                    http,
                    self.engine,
                    self.blobs,
                    product,
                    base_url,
                    self.clock,
                )
            except (PlaywrightError, BrowserError) as exc:
                shoppers.pop(product.marketplace, None)
                log.warning("gallery %s attempt %d: %s", product.asin, attempt + 1, exc)
                await asyncio.sleep(min(2**attempt, 10))
                error = describe_failure(exc)
        return GalleryResult(product.asin, product.marketplace, ok=False, error=error)


def refresh_galleries(
    settings: SweepSettings,
    engine: Engine,
    *,
    clock: Clock,
    asins: Sequence[str] = (),
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> list[GalleryResult]:
    """Import the galleries of the configured products (all, or those in ``asins``)."""
    with Session(engine) as session:
        products = queries.sync_products(session, settings.marketplaces, settings.products)
        session.commit()
    wanted = {a.upper() for a in asins}
    unknown = wanted - {p.asin for p in products}
    if unknown:
        raise MonitorError(f"not configured: {', '.join(sorted(unknown))} (add them to [[products]])")
    selected = [p for p in products if not wanted or p.asin in wanted]
    shoppers = Shoppers(settings)
    refresh = GalleryRefresh(
        settings,
        engine,
        BlobStore(settings.data_dir),
        shoppers,
        clock=clock,
        progress=progress or (lambda _msg: None),
        stop=stop or threading.Event(),
    )

    async def go() -> list[GalleryResult]:
        async with async_playwright() as playwright:
            try:
                return await refresh.refresh(playwright, selected)
            finally:
                if shoppers.browser is not None:
                    await shoppers.browser.close()

    return asyncio.run(go())
