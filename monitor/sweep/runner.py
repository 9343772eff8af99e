"""The sweep: the one place that wires browser, pages, imaging, store and alerts together.

``run_sweep`` plans (marketplace, keyword, page) tasks for the configured products, runs them with
``concurrency`` browser contexts, and for every own ASIN in any ad unit stores a sighting with the
identified gallery variant. Each page visit, its sightings and the events they cause are one
transaction, written in the sweep's store thread while the browser loads the next page. Faults stay
local: a timeout is retried with backoff, a crashed browser is relaunched (a page it was on is loaded
again), a captcha retires its session and the page is loaded again later in a fresh one, and one bad
page never ends the sweep. A marketplace is backed off for the rest of the sweep only when
``monitor.acquire.sessions`` says it is unusable (fresh sessions challenged in a row, or no answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import quote_plus

import httpx
from playwright.async_api import Browser, async_playwright
from playwright.async_api import Error as PlaywrightError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.acquire.browser import (
    CAPTCHA_URL_RE,
    Shopper,
    ShopperSettings,
    Tile,
    Visit,
    desktop_user_agent,
    launch,
    remember_postal_code,
    storage_state_path,
    stored_postal_code,
)
from monitor.acquire.sessions import Health, HealthLimits, Lane, no_answer
from monitor.alerts import outbox, pending
from monitor.config import Config
from monitor.config import Product as ConfiguredProduct
from monitor.errors import BrowserError, ImageError, MonitorError, PageLoadTimeoutError
from monitor.imaging import GalleryIndex, Identification, fingerprint_ad_image, identify, load_image
from monitor.pages.search import AdUnit, SearchPage, parse_search
from monitor.run.settings import alert_settings  # the sweep's own settings will carry these
from monitor.store import models, queries
from monitor.store.files import BlobStore, content_id
from monitor.sweep import gallery

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[str], None]

# An ad tile photographed this sweep: (marketplace, asin, unit, placement, image id, Tile.look).
Look = tuple[str, str, str, str | None, str | None, str]


def _evidence_key(ad: AdUnit) -> tuple[str, str, str | None]:
    """An ad's evidence stands for a later sighting of the same product, unit and image."""
    return (ad.asin, ad.unit, ad.image_id)


FAILED_KINDS = frozenset({"captcha", "unknown", "error"})
ABANDON_AFTER_S = 6.0  # a stopping sweep waits this long for the pages in hand


@dataclass(frozen=True, slots=True)
class Task:
    marketplace: str
    keyword: str
    page: int
    challenges: int = 0  # times this page was challenged (captcha) in this sweep so far
    not_before: float = 0.0  # time.monotonic() before which it is not loaded again (after a challenge)


@dataclass(slots=True)
class Capture:
    """An own ad as the browser saw it, before identification."""

    ad: AdUnit
    image: bytes | None
    screenshot: bytes | None
    screenshot_sha: str | None = None  # an earlier screenshot of the same image in the same unit


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


class PageWrites:
    """A worker's page stores, each run in the sweep's one store thread while its browser context
    loads the next page. One is pending at a time: the next waits for it, and its error surfaces there.
    The thread is the only writer of the sweep's pages and of its summary."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._pending: asyncio.Future[None] | None = None

    async def add(self, store_page: Callable[[], None]) -> None:
        await self.drain()
        self._pending = asyncio.get_running_loop().run_in_executor(self._pool, store_page)

    async def drain(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending


@dataclass(slots=True)
class SweepSummary:
    sweep_id: int
    status: str = "running"  # ok | failed | interrupted
    pages: int = 0
    failures: int = 0
    skipped: int = 0
    sightings: int = 0
    screenshots: int = 0  # taken by this sweep; the other sightings share an earlier one
    events: int = 0
    bytes: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    challenges: int = 0  # captcha pages met, including those a fresh session then loaded
    given_up: dict[str, str] = field(default_factory=dict)  # marketplace -> why its pages were skipped
    galleries_refreshed: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1


@dataclass(frozen=True, slots=True)
class SweepOptions:
    keywords: frozenset[str] = frozenset()
    asins: frozenset[str] = frozenset()
    trigger: str = "manual"
    politeness: bool = True


def plan(
    config: Config, products: Sequence[queries.ProductRef | ConfiguredProduct], options: SweepOptions
) -> list[Task]:
    """The (marketplace, keyword, page) tasks of a sweep, grouped by marketplace."""
    pairs: dict[tuple[str, str], None] = {}
    for product in products:
        if options.asins and product.asin not in options.asins:
            continue
        for keyword in product.keywords:
            if options.keywords and keyword not in options.keywords:
                continue
            pairs[(product.marketplace, keyword)] = None
    tasks = [
        Task(market, keyword, page) for market, keyword in pairs for page in range(1, config.sweep.pages + 1)
    ]
    tasks.sort(key=lambda t: (t.marketplace, t.page))
    return tasks


def search_url(base_url: str, keyword: str, page: int) -> str:
    url = f"{base_url}/s?k={quote_plus(keyword)}"
    return url if page == 1 else f"{url}&page={page}"


class SweepRunner:
    """One sweep's shared state: the browser, galleries, back-offs and counters."""

    def __init__(
        self,
        config: Config,
        engine: Engine,
        *,
        clock: Clock,
        options: SweepOptions = SweepOptions(),
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.clock = clock
        self.options = options
        self.progress = progress or (lambda _msg: None)
        self.stop = stop or threading.Event()
        self.rng = rng or random.Random()
        self.blobs = BlobStore(config.data_dir)
        self.browser: Browser | None = None
        self.indexes: dict[int, GalleryIndex | None] = {}
        # The same ad picture comes back on keyword after keyword: identify each distinct one once.
        self.identified: dict[tuple[int, str | None, str], Identification] = {}
        # So do the tiles: one that looks like a tile photographed on an earlier page of this sweep
        # (same product, unit, picture, size and text) shares that photograph.
        self.photographed: dict[Look, str] = {}
        # marketplace -> keyword -> the evidence of earlier sweeps that still stands for it
        self.recent: dict[str, dict[str, dict[tuple[str, str, str | None], str]]] = {}
        self.own: dict[str, dict[str, queries.ProductRef]] = {}
        self.health = Health(
            HealthLimits(
                blocked_after=config.alerts.blocked_after,
                give_up_after_timeouts=config.sweep.give_up_after_timeouts,
                challenge_retries=config.sweep.retries,
            )
        )
        self._launch_lock = asyncio.Lock()
        self._launches = 0
        self._proxy_turn = 0

    # --- browser ------------------------------------------------------------------------------

    async def _ensure_browser(self, playwright: object) -> Browser:
        async with self._launch_lock:
            if self.browser is None or not self.browser.is_connected():
                if self.browser is not None:
                    log.warning("the browser went away; starting a new one")
                self.browser = await launch(
                    playwright,  # type: ignore[arg-type]
                    self.config.browser.executable,
                    headless=self.config.browser.headless,
                )
                self._launches += 1
            return self.browser

    def _settings(self, marketplace: str) -> ShopperSettings:
        proxies = self.config.browser.proxies
        proxy = ""
        if proxies:
            proxy = proxies[self._proxy_turn % len(proxies)]
            self._proxy_turn += 1
        return ShopperSettings(
            locale=self.config.locale(marketplace),
            user_agent=self.config.browser.user_agent,
            proxy=proxy,
            block_resources=self.config.browser.block_resources,
            render_on_demand=self.config.browser.render_on_demand,
            timeout_s=self.config.sweep.timeout_seconds,
            storage_state=storage_state_path(self.config.data_dir, marketplace),
            # once the marketplace challenged a session, new ones do not inherit its identity cookies
            fresh_identity=self.health.market(marketplace).challenges > 0,
            image_ids=frozenset(
                image_id
                for product in self.own.get(marketplace, {}).values()
                if (index := self._index(product.id)) is not None
                for entry in index.entries
                for image_id in entry.image_ids
            ),
        )

    async def _shopper(self, playwright: object, marketplace: str) -> Shopper:
        browser = await self._ensure_browser(playwright)
        return await Shopper.open(browser, self._settings(marketplace))

    async def _set_locations(self, playwright: object, markets: Iterable[str]) -> None:
        for key in markets:
            market = self.config.marketplaces[key]
            if not market.postal_code:
                continue
            state = storage_state_path(self.config.data_dir, key)
            if state.is_file() and stored_postal_code(state) == market.postal_code:
                continue
            shopper = await self._shopper(playwright, key)
            try:
                if await shopper.set_delivery_location(market.base_url, market.postal_code, state):
                    remember_postal_code(state, market.postal_code)
                    log.info("%s: delivery location set to %s", key, market.postal_code)
            finally:
                await shopper.close()

    def _http(self) -> httpx.AsyncClient:
        ua = self.config.browser.user_agent or desktop_user_agent(
            self.browser.version if self.browser else "130"
        )
        return httpx.AsyncClient(
            headers={"User-Agent": ua}, timeout=self.config.sweep.timeout_seconds, follow_redirects=True
        )

    # --- galleries ----------------------------------------------------------------------------

    def _index(self, product_id: int) -> GalleryIndex | None:
        if product_id not in self.indexes:
            with Session(self.engine) as session:
                self.indexes[product_id] = gallery.load_index(session, product_id)
        return self.indexes[product_id]

    async def refresh_galleries(
        self, playwright: object, products: Sequence[queries.ProductRef]
    ) -> list[gallery.GalleryResult]:
        results: list[gallery.GalleryResult] = []
        if not products:
            return results
        await self._ensure_browser(playwright)
        async with self._http() as http:
            shoppers: dict[str, Shopper] = {}
            try:
                for product in products:
                    if self.stop.is_set():
                        break
                    self.progress(f"gallery {product.asin}")
                    market = self.config.marketplaces[product.marketplace]
                    result = await self._refresh_one(playwright, shoppers, http, product, market.base_url)
                    results.append(result)
                    self.indexes.pop(product.id, None)
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
    ) -> gallery.GalleryResult:
        for attempt in range(self.config.sweep.retries + 1):
            try:
                if product.marketplace not in shoppers:
                    shoppers[product.marketplace] = await self._shopper(playwright, product.marketplace)
                return await gallery.refresh_product(
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
                error = gallery.describe_failure(exc)
        return gallery.GalleryResult(product.asin, product.marketplace, ok=False, error=error)

    # --- the sweep ----------------------------------------------------------------------------

    async def run(self, summary: SweepSummary, tasks: Sequence[Task]) -> None:
        started = time.perf_counter()
        queue: asyncio.Queue[Task] = asyncio.Queue()
        for task in tasks:
            queue.put_nowait(task)
        async with async_playwright() as playwright:
            try:
                products = self._products()
                never = [p for p in products if self._index(p.id) is None]
                if never:
                    results = await self.refresh_galleries(playwright, never)
                    summary.galleries_refreshed = sum(r.ok for r in results)
                    summary.errors.extend(r.error for r in results if not r.ok and r.error)
                await self._set_locations(playwright, {t.marketplace for t in tasks})
                with ThreadPoolExecutor(1, thread_name_prefix="ismon-store") as pool:
                    async with self._http() as http:
                        workers = [
                            asyncio.create_task(
                                self._worker(playwright, http, queue, summary, PageWrites(pool))
                            )
                            for _ in range(min(self.config.sweep.concurrency, max(len(tasks), 1)))
                        ]
                        await self._until_done_or_abandoned(workers)
                # the summary (and the sweep row's note) says first which marketplaces were given up
                summary.given_up = self.health.given_up()
                summary.errors[:0] = [f"{market}: {why}" for market, why in summary.given_up.items()]
            finally:
                if self.browser is not None:
                    with contextlib.suppress(PlaywrightError):
                        await self.browser.close()
        summary.seconds = time.perf_counter() - started

    async def _until_done_or_abandoned(self, workers: list[asyncio.Task[None]]) -> None:
        """Wait for the workers; once the sweep is asked to stop, give the pages in hand
        ``ABANDON_AFTER_S`` to finish, then abandon them (nothing is stored for an abandoned page)."""
        done: set[asyncio.Task[None]] = set()
        running: set[asyncio.Task[None]] = set(workers)
        while running and not self.stop.is_set():
            finished, running = await asyncio.wait(running, timeout=0.2)
            done |= finished
        if running:
            finished, running = await asyncio.wait(running, timeout=ABANDON_AFTER_S)
            done |= finished
            for task in running:
                task.cancel()
            if running:
                log.warning("stopping: %d page(s) in hand abandoned", len(running))
                await asyncio.wait(running)
        for task in done:  # a worker's own failure (a bug) surfaces here, once every worker has ended
            failure = None if task.cancelled() else task.exception()
            if failure is not None:
                raise failure

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the sweep is asked to stop."""
        end = time.monotonic() + seconds
        while not self.stop.is_set() and (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.2))

    def _products(self) -> list[queries.ProductRef]:
        return [p for market in self.own.values() for p in market.values()]

    async def _worker(
        self,
        playwright: object,
        http: httpx.AsyncClient,
        queue: asyncio.Queue[Task],
        summary: SweepSummary,
        writes: PageWrites,
    ) -> None:
        lane: Lane[Shopper] = Lane()
        try:
            while not queue.empty():
                if self.stop.is_set():
                    return
                task = queue.get_nowait()
                if not self.health.skip_reason(task.marketplace):
                    await self._pause(task.not_before - time.monotonic())  # a challenged page's pause
                reason = self.health.skip_reason(task.marketplace)
                if reason:
                    await writes.add(partial(self._record_skip, task, summary, reason))
                    continue
                if self.stop.is_set():
                    return
                if lane.marketplace != task.marketplace:
                    await lane.close()
                if await self._load(playwright, http, lane, task, summary, writes, queue):
                    self.progress(f"{task.marketplace} {task.keyword!r} p{task.page}")
                if self.options.politeness and not queue.empty():
                    low, high = self.config.sweep.delay_seconds
                    await self._pause(self.rng.uniform(low, high))
        finally:
            try:
                await writes.drain()
            finally:
                await lane.close()

    async def _load(
        self,
        playwright: object,
        http: httpx.AsyncClient,
        lane: Lane[Shopper],
        task: Task,
        summary: SweepSummary,
        writes: PageWrites,
        queue: asyncio.Queue[Task],
    ) -> bool:
        """Load one page, retrying what went wrong; False when it was put back in the queue to be
        tried later in a fresh session (it was challenged)."""
        last: BaseException | None = None
        for attempt in range(self.config.sweep.retries + 1):
            try:
                shopper = lane.context
                if shopper is None:
                    shopper = await self._shopper(playwright, task.marketplace)
                    lane.open(shopper, self.health.new_session(task.marketplace))
                return await self._visit(lane, http, task, summary, attempt + 1, writes, queue)
            except PageLoadTimeoutError as exc:
                last = exc
                log.info("%s: timeout (attempt %d)", task.keyword, attempt + 1)
                if self.health.unanswered(task.marketplace):
                    break
            except BrowserError as exc:  # the page failed (refused, reset, DNS): the browser is fine
                last = exc
                log.info("%s: load failed (attempt %d): %s", task.keyword, attempt + 1, exc)
                if no_answer(str(exc)) and self.health.unanswered(task.marketplace):
                    break
            except PlaywrightError as exc:  # the browser or its tab went away: start afresh
                last = exc
                log.warning("%s: browser failure (attempt %d): %s", task.keyword, attempt + 1, exc)
                await lane.close()
            if self.stop.is_set():  # stopping: the page is abandoned, not failed for its keyword
                return True
            if attempt < self.config.sweep.retries:
                await self._pause(min(2**attempt * 0.5, 8) + self.rng.random() * 0.5)
        assert last is not None
        await writes.add(partial(self._record_error, task, summary, gallery.describe_failure(last)))
        return True

    def _challenged(self, lane: Lane[Shopper], task: Task, queue: asyncio.Queue[Task]) -> bool:
        """A captcha: its session is retired; True when the page goes back in the queue, to be loaded
        after a pause in a fresh session while the other keywords go on."""
        assert lane.session is not None
        blocked = self.health.challenged(lane.session)
        if blocked:
            log.warning("%s: %s", task.marketplace, self.health.skip_reason(task.marketplace))
            return False
        if not self.health.retry_challenged(task.challenges):
            n = task.challenges + 1
            log.warning(
                "%s %r: challenged %d times; recorded as a captcha", task.marketplace, task.keyword, n
            )
            return False
        pause = self.config.sweep.challenge_pause_seconds
        why = "captcha; its session is retired, the page is tried again in a fresh one in %.0f s"
        log.info("%s %r: " + why, task.marketplace, task.keyword, pause)
        queue.put_nowait(replace(task, challenges=task.challenges + 1, not_before=time.monotonic() + pause))
        return True

    async def _visit(
        self,
        lane: Lane[Shopper],
        http: httpx.AsyncClient,
        task: Task,
        summary: SweepSummary,
        attempt: int,
        writes: PageWrites,
        queue: asyncio.Queue[Task],
    ) -> bool:
        """Load the page, capture the own ads and queue its store; False when it was challenged and
        put back in the queue."""
        assert lane.context is not None and lane.session is not None
        market = self.config.marketplaces[task.marketplace]
        url = search_url(market.base_url, task.keyword, task.page)
        async with lane.context.visit(url) as visit:
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
        retried = kind == "captcha" and self._challenged(lane, task, queue)
        if kind == "captcha":
            await lane.close()  # retired: its cookies, context and proxy turn are not used again
        elif kind != "error":
            self.health.loaded(lane.session)
        error = f"HTTP {status_code}" if status_code and status_code >= 400 else ""
        loaded = Loaded(url, page, kind, captures, received, duration, attempt, error, retried)
        await writes.add(partial(self._store, task, loaded, summary))
        return not retried

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
        earlier = self._earlier_screenshots(task)
        fresh = [ad for ad in mine if _evidence_key(ad) not in earlier]
        found = await visit.find_tiles([(ad.asin, ad.image_id) for ad in fresh])
        looks = self._looks(task, fresh, found)
        for ad, look in looks.items():  # a tile that looks like one photographed this sweep
            if look in self.photographed:
                earlier[_evidence_key(ad)] = self.photographed[look]
        tiles = {ad: t for ad, t in zip(fresh, found, strict=True) if _evidence_key(ad) not in earlier}
        # the pictures are read back while the screenshots are taken
        pictures, images = await asyncio.gather(
            visit.screenshot_tiles(list(tiles.values())),
            asyncio.gather(*(visit.image_bytes(ad.image_url, ad.image_id) for ad in mine)),
        )
        shots = dict(zip(tiles, pictures, strict=True))
        for ad, shot in shots.items():
            if shot and ad in looks:
                self.photographed[looks[ad]] = content_id(shot)
        return [
            Capture(ad, image, shots.get(ad), earlier.get(_evidence_key(ad)))
            for ad, image in zip(mine, images, strict=True)
        ]

    def _looks(self, task: Task, ads: list[AdUnit], tiles: list[Tile | None]) -> dict[AdUnit, Look]:
        """What the tiles found are known by for the rest of the sweep (none: photograph every ad)."""
        if self.config.sweep.screenshot_every_hours <= 0:
            return {}
        return {
            ad: (task.marketplace, ad.asin, ad.unit, ad.placement, ad.image_id, tile.look)
            for ad, tile in zip(ads, tiles, strict=True)
            if tile is not None
        }

    def _earlier_screenshots(self, task: Task) -> dict[tuple[str, str, str | None], str]:
        """Screenshots recent enough to stand for this visit's unchanged ads (repeats cost nothing);
        read once a sweep per marketplace."""
        hours = self.config.sweep.screenshot_every_hours
        if hours <= 0:
            return {}
        if task.marketplace not in self.recent:
            with Session(self.engine) as session:
                self.recent[task.marketplace] = queries.recent_screenshots(
                    session, task.marketplace, self.clock() - timedelta(hours=hours)
                )
        return dict(self.recent[task.marketplace].get(task.keyword, {}))

    def _identify(
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
        index = self._index(product.id)
        ad_fingerprint = None
        if capture.image is not None:
            try:
                ad_fingerprint = fingerprint_ad_image(load_image(capture.image))
            except ImageError as exc:
                log.info("ad image of %s not decodable: %s", product.asin, exc)
        if index is None:
            return Identification("unknown", None, None, None, None, "hash", False)
        return identify(index, ad_fingerprint, capture.ad.image_id)

    def _store(self, task: Task, loaded: Loaded, summary: SweepSummary) -> None:
        url, page, kind, captures = loaded.url, loaded.page, loaded.kind, loaded.captures
        received, duration_ms, attempts, error = (
            loaded.received,
            loaded.duration_ms,
            loaded.attempts,
            loaded.error,
        )
        now = self.clock()
        own = self.own.get(task.marketplace, {})
        with Session(self.engine) as session:
            visit = models.PageVisit(
                sweep_id=summary.sweep_id,
                marketplace=task.marketplace,
                keyword=task.keyword,
                page=task.page,
                url=url,
                seen_at=now,
                status=kind,
                error=error or "; ".join(page.notes)[:500],
                duration_ms=duration_ms,
                bytes=received,
                ads=len(page.ads),
                own_ads=len(captures),
                organic=len(page.organic),
                attempts=attempts,
            )
            session.add(visit)
            session.flush()
            assert visit.id is not None
            sightings: list[models.Sighting] = []
            for capture in captures:
                product = own[capture.ad.asin]
                image_sha = self.blobs.put("images", capture.image) if capture.image else None
                found = self._identify(product, capture, image_sha)
                sighting = models.Sighting(
                    visit_id=visit.id,
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
                session.add(sighting)
                sightings.append(sighting)
                summary.verdicts[
                    found.variant if found.verdict == "match" and found.variant else found.verdict
                ] += 1
            session.flush()
            events = outbox.record_page_events(session, visit, sightings, alert_settings(self.config), now)
            session.commit()
        summary.pages += 1
        summary.bytes += received
        summary.kinds[kind] += 1
        summary.sightings += len(sightings)
        summary.screenshots += sum(1 for capture in captures if capture.screenshot)
        summary.events += len(events)
        if kind == "captcha":
            summary.challenges += 1
        if kind in FAILED_KINDS and not loaded.retried:  # a challenged page tried again is not lost yet
            summary.failures += 1
            summary.errors.append(f"{task.marketplace} {task.keyword!r} page {task.page}: {kind}")

    def _record_error(self, task: Task, summary: SweepSummary, message: str) -> None:
        self._plain_visit(task, "error", message, summary)
        summary.pages += 1
        summary.failures += 1
        summary.errors.append(f"{task.marketplace} {task.keyword!r} page {task.page}: {message}")

    def _record_skip(self, task: Task, summary: SweepSummary, reason: str) -> None:
        self._plain_visit(task, "skipped", reason, summary)
        summary.skipped += 1

    def _plain_visit(self, task: Task, status: str, error: str, summary: SweepSummary) -> None:
        """A visit that yielded no page: an error after every retry, or a skip."""
        market = self.config.marketplaces[task.marketplace]
        with Session(self.engine) as session:
            session.add(
                models.PageVisit(
                    sweep_id=summary.sweep_id,
                    marketplace=task.marketplace,
                    keyword=task.keyword,
                    page=task.page,
                    url=search_url(market.base_url, task.keyword, task.page),
                    seen_at=self.clock(),
                    status=status,
                    error=error[:500],
                )
            )
            session.commit()
        summary.kinds[status] += 1


def _kind(page: SearchPage, visit: Visit) -> str:
    if page.kind == "captcha" or CAPTCHA_URL_RE.search(visit.final_url or ""):
        return "captcha"
    if visit.status is not None and visit.status >= 500:
        return "error"
    return page.kind


def start_sweep(engine: Engine, trigger: str, now: datetime) -> int:
    """The new sweep's row; sweeps left ``running`` by a killed process are closed in the same commit.

    Callers hold the sweep lock (``monitor/lock.py``), so no other sweep of this data_dir is alive.
    """
    with Session(engine) as session:
        run = models.SweepRun(started_at=now, trigger=trigger)
        session.add(run)
        session.flush()
        assert run.id is not None
        pending.close_dead_sweeps(session, now, by=run.id)
        session.commit()
        return run.id


def finish_sweep(
    engine: Engine, config: Config, summary: SweepSummary, now: datetime, interrupted: bool
) -> None:
    """Close the sweep row and make the sweep-level events (blocked, not_seen, digest) in one transaction."""
    with Session(engine) as session:
        run = session.get(models.SweepRun, summary.sweep_id)
        assert run is not None
        if interrupted:
            summary.status = "interrupted"
        else:
            summary.status = "failed" if summary.failures else "ok"
        run.finished_at = now
        run.status = summary.status
        run.pages = summary.pages
        run.failures = summary.failures
        run.sightings = summary.sightings
        events = outbox.close_sweep_events(session, run, alert_settings(config), now)
        summary.events += len(events)
        run.events = summary.events
        run.note = "; ".join(summary.errors[:5])[:1000]
        session.add(run)
        session.commit()


def run_sweep(
    config: Config,
    engine: Engine,
    *,
    clock: Clock,
    options: SweepOptions = SweepOptions(),
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
) -> SweepSummary:
    """One sweep now; returns what it did. Failures of single pages are in the summary, not raised."""
    with Session(engine) as session:
        products = queries.sync_config(session, config)
        session.commit()
    selected = [p for p in products if not options.asins or p.asin in options.asins]
    if options.asins and not selected:
        raise MonitorError(f"none of {', '.join(sorted(options.asins))} is a configured product")
    runner = SweepRunner(config, engine, clock=clock, options=options, progress=progress, stop=stop, rng=rng)
    for product in products:
        runner.own.setdefault(product.marketplace, {})[product.asin] = product
    tasks = plan(config, selected, options)
    if options.keywords and not tasks:
        raise MonitorError(f"no configured product has the keyword(s) {', '.join(sorted(options.keywords))}")
    summary = SweepSummary(sweep_id=start_sweep(engine, options.trigger, clock()))
    try:
        asyncio.run(runner.run(summary, tasks))
    except BrowserError as exc:
        # No browser at all (not found, cannot start): the sweep as a whole failed.
        summary.failures += 1
        summary.errors.append(str(exc))
        finish_sweep(engine, config, summary, clock(), interrupted=False)
        raise
    finish_sweep(engine, config, summary, clock(), interrupted=runner.stop.is_set())
    return summary


def refresh_galleries(
    config: Config,
    engine: Engine,
    *,
    clock: Clock,
    asins: Sequence[str] = (),
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> list[gallery.GalleryResult]:
    """Import the galleries of the configured products (all, or those in ``asins``)."""
    with Session(engine) as session:
        products = queries.sync_config(session, config)
        session.commit()
    wanted = {a.upper() for a in asins}
    unknown = wanted - {p.asin for p in products}
    if unknown:
        raise MonitorError(f"not configured: {', '.join(sorted(unknown))} (add them to [[products]])")
    selected = [p for p in products if not wanted or p.asin in wanted]
    runner = SweepRunner(config, engine, clock=clock, progress=progress, stop=stop)

    async def go() -> list[gallery.GalleryResult]:
        async with async_playwright() as playwright:
            try:
                return await runner.refresh_galleries(playwright, selected)
            finally:
                if runner.browser is not None:
                    await runner.browser.close()

    return asyncio.run(go())
