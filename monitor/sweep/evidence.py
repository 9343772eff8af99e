"""The evidence cache of a sweep: what one ad's capture or identification stands for in later ones.

Where it sits: between the page pipeline (``monitor.sweep.pipeline``) and the store. The same ad picture
comes back on keyword after keyword, and so do the tiles; a sweep identifies each distinct picture once,
photographs each distinct tile once, and lets a screenshot of an earlier sweep stand for an unchanged ad
while it is recent (``[sweep] screenshot_every_hours``). It also keeps each product's gallery index, read
once from the store (and read again after a gallery refresh).

- ``Capture``: an own ad as the browser saw it, before identification.
- ``Look``, ``evidence_key``: what a photographed tile and an ad's evidence are known by.
- ``Evidence``: the caches, with ``index``, ``image_ids``, ``looks``, ``earlier_screenshots`` and
  ``identify``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.acquire.visit import Tile
from monitor.errors import ImageError
from monitor.imaging import GalleryIndex, Identification, fingerprint_ad_image, identify, load_image
from monitor.pages import AdUnit
from monitor.store import queries
from monitor.sweep import gallery
from monitor.sweep.planning import Task
from monitor.sweep.settings import Clock

log = logging.getLogger(__name__)

# An ad tile photographed this sweep: (marketplace, asin, unit, placement, image id, Tile.look).
Look = tuple[str, str, str, str | None, str | None, str]


def evidence_key(ad: AdUnit) -> tuple[str, str, str | None]:
    """An ad's evidence stands for a later sighting of the same product, unit and image."""
    return (ad.asin, ad.unit, ad.image_id)


@dataclass(slots=True)
class Capture:
    """An own ad as the browser saw it, before identification."""

    ad: AdUnit
    image: bytes | None
    screenshot: bytes | None
    screenshot_sha: str | None = None  # an earlier screenshot of the same image in the same unit


class Evidence:
    """One sweep's gallery indexes, identifications, photographed tiles and recent screenshots."""

    def __init__(self, engine: Engine, clock: Clock, screenshot_every_hours: float) -> None:
        self.engine = engine
        self.clock = clock
        self.screenshot_every_hours = screenshot_every_hours
        self.indexes: dict[int, GalleryIndex | None] = {}
        # The same ad picture comes back on keyword after keyword: identify each distinct one once.
        self.identified: dict[tuple[int, str | None, str], Identification] = {}
        # So do the tiles: one that looks like a tile photographed on an earlier page of this sweep
        # (same product, unit, picture, size and text) shares that photograph.
        self.photographed: dict[Look, str] = {}
        # marketplace -> keyword -> the evidence of earlier sweeps that still stands for it
        self.recent: dict[str, dict[str, dict[tuple[str, str, str | None], str]]] = {}

    # --- galleries ----------------------------------------------------------------------------

    def index(self, product_id: int) -> GalleryIndex | None:
        if product_id not in self.indexes:
            with Session(self.engine) as session:
                self.indexes[product_id] = gallery.load_index(session, product_id)
        return self.indexes[product_id]

    def forget_index(self, product_id: int) -> None:
        """The product's gallery was refreshed: its index is read again when next needed."""
        self.indexes.pop(product_id, None)

    def image_ids(self, products: Iterable[queries.ProductRef]) -> frozenset[str]:
        """The image ids of these products' galleries (a shopper loads them despite blocking)."""
        return frozenset(
            image_id
            for product in products
            if (index := self.index(product.id)) is not None
            for entry in index.entries
            for image_id in entry.image_ids
        )

    # --- screenshots --------------------------------------------------------------------------

    def looks(self, task: Task, ads: list[AdUnit], tiles: list[Tile | None]) -> dict[AdUnit, Look]:
        """What the tiles found are known by for the rest of the sweep (none: photograph every ad)."""
        if self.screenshot_every_hours <= 0:
            return {}
        return {
            ad: (task.marketplace, ad.asin, ad.unit, ad.placement, ad.image_id, tile.look)
            for ad, tile in zip(ads, tiles, strict=True)
            if tile is not None
        }

    def earlier_screenshots(self, task: Task) -> dict[tuple[str, str, str | None], str]:
        """Screenshots recent enough to stand for this visit's unchanged ads (repeats cost nothing);
        read once a sweep per marketplace."""
        hours = self.screenshot_every_hours
        if hours <= 0:
            return {}
        if task.marketplace not in self.recent:
            with Session(self.engine) as session:
                self.recent[task.marketplace] = queries.recent_screenshots(
                    session, task.marketplace, self.clock() - timedelta(hours=hours)
                )
        return dict(self.recent[task.marketplace].get(task.keyword, {}))

    # --- identification -----------------------------------------------------------------------

    def identify(
        self, product: queries.ProductRef, capture: Capture, image_sha: str | None
    ) -> Identification:
        if image_sha is None:
            return self._identify_uncached(product, capture)
        key = (product.id, capture.ad.image_id, image_sha)
        found = self.identified.get(key)
        if found is None:
            found = self.identified[key] = self._identify_uncached(product, capture)
        return found

    def _identify_uncached(self, product: queries.ProductRef, capture: Capture) -> Identification:
        index = self.index(product.id)
        ad_fingerprint = None
        if capture.image is not None:
            try:
                ad_fingerprint = fingerprint_ad_image(load_image(capture.image))
            except ImageError as exc:
                log.info("ad image of %s not decodable: %s", product.asin, exc)
        if index is None:
            return Identification("unknown", None, None, None, None, "hash", False)
        return identify(index, ad_fingerprint, capture.ad.image_id)
