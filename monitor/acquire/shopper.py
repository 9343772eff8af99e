"""The Shopper: one browser context that loads pages like a person would, one search after another.

Where it sits: between the sweep (which decides what to load and what to do with it) and Amazon (or
the simulated storefront). The sweep launches Chromium (``monitor.acquire.launch``), opens a
``Shopper`` per session with its ``ShopperSettings`` (built from the config: the narrow door; this
stage never sees ``Config``) and loads each page with ``Shopper.visit``, which hands back a ``Visit``
(``monitor.acquire.visit``). A Shopper has a normal desktop user agent, the marketplace's language, a
stored delivery location (``monitor.acquire.stored_state``, ``monitor.acquire.location``), resources
the agent does not need blocked (``monitor.acquire.blocking``), one tab at a time
(``monitor.acquire.tabs``), and gets past the cookie banner and the continue-shopping wall
(``monitor.acquire.walls``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from monitor.acquire.blocking import Blocking
from monitor.acquire.capture import frame_lock, frames_running
from monitor.acquire.launch import VIEWPORT, desktop_user_agent, first_line, proxy_settings
from monitor.acquire.location import set_delivery_location
from monitor.acquire.stored_state import state_without_session
from monitor.acquire.tabs import GC_EVERY, Tabs
from monitor.acquire.visit import Visit
from monitor.acquire.walls import COOKIE_BANNER_MARK, accept_cookie_banner, continue_shopping
from monitor.errors import BrowserError, PageLoadTimeoutError
from monitor.pages import is_continue_wall


@dataclass(frozen=True, slots=True)
class ShopperSettings:
    """How one browser context behaves; built by the sweep from the config."""

    locale: str = "en-US"
    user_agent: str = ""
    proxy: str = ""
    block_resources: bool = True
    timeout_s: float = 30.0
    storage_state: Path | None = None
    image_ids: frozenset[str] = frozenset()  # the seller's gallery pictures: loaded despite blocking
    render_on_demand: bool = True  # draw frames only to photograph ads, where this Chromium can
    # A fresh shopper identity: the stored state without the cookies that name its Amazon session
    # (after a challenge, those cookies are what Amazon flagged); location, consent and language stay.
    fresh_identity: bool = False


class Shopper:
    """One browser context that loads pages like a person would: one tab, one search after another.

    The tab is kept from visit to visit, as a shopper keeps searching in the same window: a fresh
    tab per page cost ~40 ms of setup and roughly halved the pages per second (bench/sweep.py). It is
    replaced after ``TAB_PAGES`` visits and after any failure, so that nothing a page left behind can
    pile up (bench/sweep.py runs 500 pages to show memory stays flat).
    """

    def __init__(self, context: BrowserContext, settings: ShopperSettings) -> None:
        self.context = context
        self.settings = settings
        self.blocking = Blocking(settings.block_resources, set(settings.image_ids))
        self.frame_lock = frame_lock(context.browser)
        self._tabs = Tabs(context, self.blocking, self.frame_lock, on_demand=settings.render_on_demand)

    async def allow_images(self, image_ids: Iterable[str]) -> list[str]:
        """Let pictures with these ids through from now on; returns those that were blocked until now."""
        new = self.blocking.allow(image_ids)
        if new and self._tabs.tab is not None:
            await self.blocking.apply(self._tabs.tab.cdp)
        return new

    @classmethod
    async def open(cls, browser: Browser, settings: ShopperSettings) -> Shopper:
        language = settings.locale
        accept = f"{language},{language.split('-')[0]};q=0.9,en;q=0.8"
        kwargs: dict[str, Any] = {
            "user_agent": settings.user_agent or desktop_user_agent(browser.version),
            "locale": language,
            "viewport": VIEWPORT,
            "device_scale_factor": 1,
            "extra_http_headers": {"Accept-Language": accept},
            "service_workers": "block",
        }
        if settings.proxy:
            kwargs["proxy"] = proxy_settings(settings.proxy)
        if settings.storage_state and settings.storage_state.is_file():
            kwargs["storage_state"] = (
                state_without_session(settings.storage_state)
                if settings.fresh_identity
                else str(settings.storage_state)
            )
        try:
            context = await browser.new_context(**kwargs)
        except PlaywrightError as exc:
            raise BrowserError(f"cannot open a browser context: {exc}") from None
        context.set_default_timeout(settings.timeout_s * 1000)
        return cls(context, settings)

    async def close(self) -> None:
        await self._tabs.close()
        with suppress(PlaywrightError):
            await self.context.close()

    @asynccontextmanager
    async def visit(self, url: str) -> AsyncIterator[Visit]:
        """Load ``url`` in the shopper's tab; inside the ``with`` its images and screenshots are at hand."""
        started = time.perf_counter()
        tab = await self._tabs.for_visit()
        await tab.settle()
        tab.visits += 1
        visit = Visit(url=url, page=tab.page, cdp=tab.cdp, shopper=self, on_demand=tab.on_demand)
        tab.current = visit
        ok = False
        try:
            try:
                response = await visit.page.goto(url, wait_until="commit")
            except PlaywrightTimeout:
                raise PageLoadTimeoutError(f"{url}: no answer in {self.settings.timeout_s:.0f} s") from None
            except PlaywrightError as exc:
                if "closed" in str(exc):
                    raise
                raise BrowserError(f"{url}: {first_line(exc)}") from None
            # the HTML is read and parsed by the caller while the browser builds the DOM
            visit.parsed = asyncio.ensure_future(visit.page.wait_for_load_state("domcontentloaded"))
            visit.status = response.status if response else None
            visit.final_url = visit.page.url
            visit.html = await visit.served_html(response)
            if is_continue_wall(visit.html):
                await continue_shopping(visit)
            if COOKIE_BANNER_MARK in visit.html:
                await visit.dom_ready()
                async with frames_running(tab.cdp, self.frame_lock) if tab.on_demand else nullcontext():
                    await accept_cookie_banner(visit.page)
            visit.duration_ms = int((time.perf_counter() - started) * 1000)
            yield visit
            await visit.dom_ready()  # a shopper's page is left once it stands
            browser = self.context.browser
            if visit.page.is_closed() or (browser is not None and not browser.is_connected()):
                # what the visit did without the browser (screenshots) failed quietly: do it again
                raise PlaywrightError(f"{url}: the browser went away during the visit")
            ok = True
            if tab.visits % GC_EVERY == 0:  # not awaited here: the next visit waits for it (settle)
                tab.collecting = asyncio.ensure_future(tab.cdp.send("HeapProfiler.collectGarbage"))
        finally:
            tab.current = None
            for body in visit.bodies.values():  # read back early, not asked for
                body.cancel()
            if visit.parsed is not None:  # not left running, nor failing unseen
                visit.parsed.cancel()
                if not visit.parsed.cancelled():
                    visit.parsed.exception()
            if not ok:  # whatever went wrong, the next visit starts in a clean tab
                await self._tabs.close()

    async def set_delivery_location(self, base_url: str, postal_code: str, state_file: Path) -> bool:
        """Set the delivery postal code through Amazon's location popover and keep the browser state
        (``monitor.acquire.location``). Returns True when the page confirmed the new location."""
        return await set_delivery_location(self.context, base_url, postal_code, state_file)
