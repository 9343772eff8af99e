"""One search page, start to end: visit -> parse -> find own ads -> capture -> identify -> sightings.

Where it sits: the middle of a sweep. The runner (``monitor.sweep.runner``) hands a worker's shopper and
a ``Task`` to ``PagePipeline.visit``, which loads the page (``monitor.acquire``), parses it
(``monitor.pages``), keeps the seller's own ads and captures each one's picture and, unless earlier
evidence stands for it (``monitor.sweep.evidence``), a screenshot of its tile. The runner decides what a
challenge means for the session, then queues ``PagePipeline.store`` for the store thread: the page
visit, a sighting per own ad with its identified variant (``monitor.imaging``) and the page's events
(``monitor.alerts.outbox``), in one transaction, and the page's counts in the sweep's summary.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.acquire.shopper import Shopper
from monitor.acquire.visit import CAPTCHA_URL_RE, Visit
from monitor.alerts import outbox
from monitor.errors import ImageError
from monitor.pages import SearchPage, parse_search
from monitor.store import models, queries
from monitor.store.files import BlobStore, content_id
from monitor.sweep import gallery
from monitor.sweep.evidence import Capture, Evidence, evidence_key
from monitor.sweep.planning import Task, search_url
from monitor.sweep.recording import SweepSummary
from monitor.sweep.settings import Clock, SweepSettings

log = logging.getLogger(__name__)

FAILED_KINDS = frozenset({"captcha", "unknown", "error"})


@dataclass(frozen=True, slots=True)
class Loaded:
    """A page as loaded, ready to be stored: what it was, the own ads captured, how the load went."""

    url: str
    page: SearchPage
    kind: str
    captures: list[Capture]
    received: int
    duration_ms: int
    attempts: int
    error: str
    retried: bool  # a challenge: the page is tried again later in a fresh session


class PagePipeline:
    """Loads, captures and stores the pages of one sweep; ``own`` is marketplace -> ASIN -> product."""

    def __init__(
        self,
        settings: SweepSettings,
        engine: Engine,
        clock: Clock,
        blobs: BlobStore,
        evidence: Evidence,
        own: dict[str, dict[str, queries.ProductRef]],
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.blobs = blobs
        self.evidence = evidence
        self.own = own

    async def visit(self, shopper: Shopper, http: httpx.AsyncClient, task: Task, attempt: int) -> Loaded:
        """Load the page and capture its own ads (not yet retried: the runner says so after a challenge)."""
        market = self.settings.marketplaces[task.marketplace]
        url = search_url(market.base_url, task.keyword, task.page)
        async with shopper.visit(url) as visit:
            page = parse_search(visit.html, visit.final_url or url)
            kind = _kind(page, visit)
            captures = await self._capture(visit, task, page) if kind == "search" else []
            received, duration, status_code = visit.received_bytes, visit.duration_ms, visit.status
        for capture in captures:
            if capture.image is None and capture.ad.image_url:
                try:
                    capture.image = await gallery.fetch_image(http, capture.ad.image_url)
                except ImageError as exc:
                    log.info("ad image of %s unavailable: %s", capture.ad.asin, exc)
        error = f"HTTP {status_code}" if status_code and status_code >= 400 else ""
        return Loaded(url, page, kind, captures, received, duration, attempt, error, False)

    async def _capture(self, visit: Visit, task: Task, page: SearchPage) -> list[Capture]:
        """The own ads of a search page: each ad's picture as received, and a screenshot of its tile
        unless one taken earlier stands for it."""
        own = self.own.get(task.marketplace, {})
        mine = [ad for ad in page.ads if ad.asin in own]
        if not mine:
            return []
        image_ids = [ad.image_id for ad in mine if ad.image_id]
        await visit.load_images(image_ids)
        await visit.wait_for_images(image_ids)
        earlier = self.evidence.earlier_screenshots(task)
        fresh = [ad for ad in mine if evidence_key(ad) not in earlier]
        found = await visit.find_tiles([(ad.asin, ad.image_id) for ad in fresh])
        looks = self.evidence.looks(task, fresh, found)
        photographed = self.evidence.photographed
        for ad, look in looks.items():  # a tile that looks like one photographed this sweep
            if look in photographed:
                earlier[evidence_key(ad)] = photographed[look]
        tiles = {ad: t for ad, t in zip(fresh, found, strict=True) if evidence_key(ad) not in earlier}
        # the pictures are read back while the screenshots are taken
        pictures, images = await asyncio.gather(
            visit.screenshot_tiles(list(tiles.values())),
            asyncio.gather(*(visit.image_bytes(ad.image_url, ad.image_id) for ad in mine)),
        )
        shots = dict(zip(tiles, pictures, strict=True))
        for ad, shot in shots.items():
            if shot and ad in looks:
                photographed[looks[ad]] = content_id(shot)
        return [
            Capture(ad, image, shots.get(ad), earlier.get(evidence_key(ad)))
            for ad, image in zip(mine, images, strict=True)
        ]

    def store(self, task: Task, loaded: Loaded, summary: SweepSummary) -> None:
        """The page visit, its sightings and its events in one transaction (in the store thread)."""
        now = self.clock()
        own = self.own.get(task.marketplace, {})
        with Session(self.engine) as session:
            visit = _visit_row(summary.sweep_id, task, loaded, now)
            session.add(visit)
            session.flush()
            assert visit.id is not None
            sightings: list[models.Sighting] = []
            for capture in loaded.captures:
                sighting = self._sighting(visit.id, own[capture.ad.asin], task, capture, now)
                session.add(sighting)
                sightings.append(sighting)
                summary.verdicts[
                    sighting.variant if sighting.verdict == "match" and sighting.variant else sighting.verdict
                ] += 1
            session.flush()
            events = outbox.record_page_events(session, visit, sightings, self.settings.events, now)
            session.commit()
        _count(summary, task, loaded, len(sightings), len(events))

    def _sighting(
        self, visit_id: int, product: queries.ProductRef, task: Task, capture: Capture, now: datetime
    ) -> models.Sighting:
        """One own ad of the page with its identified variant; its picture and screenshot are stored."""
        image_sha = self.blobs.put("images", capture.image) if capture.image else None
        found = self.evidence.identify(product, capture, image_sha)
        return models.Sighting(
            visit_id=visit_id,
            product_id=product.id,
            seen_at=now,
            marketplace=task.marketplace,
            keyword=task.keyword,
            asin=capture.ad.asin,
            unit=capture.ad.unit,
            placement=capture.ad.placement,
            position=capture.ad.position,
            page=task.page,
            image_url=capture.ad.image_url,
            image_id=capture.ad.image_id,
            image_sha256=image_sha,
            screenshot_sha256=(
                self.blobs.put("screenshots", capture.screenshot)
                if capture.screenshot
                else capture.screenshot_sha
            ),
            verdict=found.verdict,
            variant=found.variant,
            method=found.method,
            distance=found.distance,
            runner_up=found.runner_up,
            runner_up_distance=found.runner_up_distance,
            id_mismatch=found.id_mismatch,
        )


def _visit_row(sweep_id: int, task: Task, loaded: Loaded, now: datetime) -> models.PageVisit:
    return models.PageVisit(
        sweep_id=sweep_id,
        marketplace=task.marketplace,
        keyword=task.keyword,
        page=task.page,
        url=loaded.url,
        seen_at=now,
        status=loaded.kind,
        error=loaded.error or "; ".join(loaded.page.notes)[:500],
        duration_ms=loaded.duration_ms,
        bytes=loaded.received,
        ads=len(loaded.page.ads),
        own_ads=len(loaded.captures),
        organic=len(loaded.page.organic),
        attempts=loaded.attempts,
    )


def _count(summary: SweepSummary, task: Task, loaded: Loaded, sightings: int, events: int) -> None:
    """A stored page in the sweep's summary."""
    kind = loaded.kind
    summary.pages += 1
    summary.bytes += loaded.received
    summary.kinds[kind] += 1
    summary.sightings += sightings
    summary.screenshots += sum(1 for capture in loaded.captures if capture.screenshot)
    summary.events += events
    if kind == "captcha":
        summary.challenges += 1
    if kind in FAILED_KINDS and not loaded.retried:  # a challenged page tried again is not lost yet
        summary.failures += 1
        summary.errors.append(f"{task.marketplace} {task.keyword!r} page {task.page}: {kind}")


def _kind(page: SearchPage, visit: Visit) -> str:
    if page.kind == "captcha" or CAPTCHA_URL_RE.search(visit.final_url or ""):
        return "captcha"
    if visit.status is not None and visit.status >= 500:
        return "error"
    return page.kind
