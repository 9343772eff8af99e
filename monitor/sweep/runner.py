"""The sweep: the one place that wires browser, pages, imaging, store and alerts together.

Where it sits: below the entry points (``ismon sweep``, the daemon's sweep job, ``ismon demo``), above
every stage. ``run_sweep`` plans (marketplace, keyword, page) tasks for the configured products
(``monitor.sweep.planning``), runs them with ``concurrency`` browser contexts (``SweepRunner``), and for
every own ASIN in any ad unit stores a sighting with the identified gallery variant
(``monitor.sweep.pipeline``). Each page visit, its sightings and the events they cause are one
transaction, written in the sweep's store thread while the browser loads the next page
(``monitor.sweep.recording``). Faults stay local: a timeout is retried with backoff, a crashed browser
is relaunched (a page it was on is loaded again), a captcha retires its session and the page is loaded
again later in a fresh one, and one bad page never ends the sweep. A marketplace is backed off for the
rest of the sweep only when ``monitor.acquire.sessions`` says it is unusable (fresh sessions challenged
in a row, or no answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

import httpx
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.acquire.sessions import Lane, no_answer
from monitor.acquire.shopper import Shopper
from monitor.errors import BrowserError, MonitorError, PageLoadTimeoutError
from monitor.store import queries
from monitor.store.files import BlobStore
from monitor.sweep import gallery
from monitor.sweep.evidence import Evidence
from monitor.sweep.pipeline import PagePipeline
from monitor.sweep.planning import SweepOptions, Task, plan
from monitor.sweep.recording import PageWrites, SweepRecords, SweepSummary, finish_sweep, start_sweep
from monitor.sweep.settings import Clock, Progress, SweepSettings
from monitor.sweep.shoppers import Shoppers

log = logging.getLogger(__name__)

ABANDON_AFTER_S = 6.0  # a stopping sweep waits this long for the pages in hand
EVERY_PAGE = SweepOptions()  # the default: every configured keyword and ASIN


class SweepRunner:
    """One sweep's shared state: its shoppers, evidence, page pipeline, records and back-offs."""

    def __init__(
        self,
        settings: SweepSettings,
        engine: Engine,
        *,
        clock: Clock,
        options: SweepOptions = EVERY_PAGE,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.options = options
        self.progress = progress or (lambda _msg: None)
        self.stop = stop or threading.Event()
        self.rng = rng or random.Random()
        self.blobs = BlobStore(settings.data_dir)
        self.own: dict[str, dict[str, queries.ProductRef]] = {}
        self.evidence = Evidence(engine, clock, settings.sweep.screenshot_every_hours)
        self.shoppers = Shoppers(settings, self._image_ids)
        self.health = self.shoppers.health
        self.pages = PagePipeline(settings, engine, clock, self.blobs, self.evidence, self.own)
        self.records = SweepRecords(settings, engine, clock)

    def _image_ids(self, marketplace: str) -> frozenset[str]:
        return self.evidence.image_ids(self.own.get(marketplace, {}).values())

    # --- the sweep ----------------------------------------------------------------------------

    async def run(self, summary: SweepSummary, tasks: Sequence[Task]) -> None:
        started = time.perf_counter()
        queue: asyncio.Queue[Task] = asyncio.Queue()
        for task in tasks:
            queue.put_nowait(task)
        async with async_playwright() as playwright:
            try:
                products = self._products()
                never = [p for p in products if self.evidence.index(p.id) is None]
                if never:
                    results = await self._galleries().refresh(playwright, never)
                    summary.galleries_refreshed = sum(r.ok for r in results)
                    summary.errors.extend(r.error for r in results if not r.ok and r.error)
                await self.shoppers.set_locations(playwright, {t.marketplace for t in tasks})
                with ThreadPoolExecutor(1, thread_name_prefix="ismon-store") as pool:
                    async with self.shoppers.http() as http:
                        workers = [
                            asyncio.create_task(
                                self._worker(playwright, http, queue, summary, PageWrites(pool))
                            )
                            for _ in range(min(self.settings.sweep.concurrency, max(len(tasks), 1)))
                        ]
                        await self._until_done_or_abandoned(workers)
                # the summary (and the sweep row's note) says first which marketplaces were given up
                summary.given_up = self.health.given_up()
                summary.errors[:0] = [f"{market}: {why}" for market, why in summary.given_up.items()]
            finally:
                if self.shoppers.browser is not None:
                    with contextlib.suppress(PlaywrightError):
                        await self.shoppers.browser.close()
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

    def _galleries(self) -> gallery.GalleryRefresh:
        """Galleries never imported are imported in the sweep's browser before its pages."""
        return gallery.GalleryRefresh(
            self.settings,
            self.engine,
            self.blobs,
            self.shoppers,
            clock=self.clock,
            progress=self.progress,
            stop=self.stop,
            refreshed=self.evidence.forget_index,
        )

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
                    await writes.add(partial(self.records.skip, task, summary, reason))
                    continue
                if self.stop.is_set():
                    return
                if lane.marketplace != task.marketplace:
                    await lane.close()
                if await self._load(playwright, http, lane, task, summary, writes, queue):
                    self.progress(f"{task.marketplace} {task.keyword!r} p{task.page}")
                if self.options.politeness and not queue.empty():
                    low, high = self.settings.sweep.delay_seconds
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
        for attempt in range(self.settings.sweep.retries + 1):
            try:
                shopper = lane.context
                if shopper is None:
                    shopper = await self.shoppers.open(playwright, task.marketplace)
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
            if attempt < self.settings.sweep.retries:
                await self._pause(min(2**attempt * 0.5, 8) + self.rng.random() * 0.5)
        assert last is not None
        await writes.add(partial(self.records.error, task, summary, gallery.describe_failure(last)))
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
        pause = self.settings.sweep.challenge_pause_seconds
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
        loaded = await self.pages.visit(lane.context, http, task, attempt)
        kind = loaded.kind
        retried = kind == "captcha" and self._challenged(lane, task, queue)
        if kind == "captcha":
            await lane.close()  # retired: its cookies, context and proxy turn are not used again
        elif kind != "error":
            self.health.loaded(lane.session)
        loaded = replace(loaded, retried=retried)
        await writes.add(partial(self.pages.store, task, loaded, summary))
        return not retried


def run_sweep(
    settings: SweepSettings,
    engine: Engine,
    *,
    clock: Clock,
    options: SweepOptions = EVERY_PAGE,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
) -> SweepSummary:
    """One sweep now; returns what it did. Failures of single pages are in the summary, not raised."""
    with Session(engine) as session:
        products = queries.sync_products(session, settings.marketplaces, settings.products)
        session.commit()
    selected = [p for p in products if not options.asins or p.asin in options.asins]
    if options.asins and not selected:
        raise MonitorError(f"none of {', '.join(sorted(options.asins))} is a configured product")
    runner = SweepRunner(
        settings, engine, clock=clock, options=options, progress=progress, stop=stop, rng=rng
    )
    for product in products:
        runner.own.setdefault(product.marketplace, {})[product.asin] = product
    tasks = plan(settings, selected, options)
    if options.keywords and not tasks:
        raise MonitorError(f"no configured product has the keyword(s) {', '.join(sorted(options.keywords))}")
    summary = SweepSummary(sweep_id=start_sweep(engine, options.trigger, clock()))
    try:
        asyncio.run(runner.run(summary, tasks))
    except BrowserError as exc:
        # No browser at all (not found, cannot start): the sweep as a whole failed.
        summary.failures += 1
        summary.errors.append(str(exc))
        finish_sweep(engine, settings, summary, clock(), interrupted=False)
        raise
    finish_sweep(engine, settings, summary, clock(), interrupted=runner.stop.is_set())
    return summary
