"""A shopper's tab: opened over CDP, wired to the visit in hand, kept for many visits, then replaced.

Where it sits: under the ``Shopper`` (``monitor.acquire.shopper``), which asks ``Tabs.for_visit`` for
the tab of each page load. Each tab has one CDP session: its network events (bytes received, the
page's HTML, product pictures) go to the ``Visit`` in hand (``monitor.acquire.visit``), and its URL
blocking is ``monitor.acquire.blocking``'s. Where Chromium allows it, a tab renders on demand: it draws
a frame only when ``monitor.acquire.capture.draw_frame`` asks, to photograph an ad; a Chromium that
cannot is remembered (``DRAWS_EVERY_FRAME``) and its tabs draw every frame.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Browser, BrowserContext, CDPSession, Page
from playwright.async_api import Error as PlaywrightError

from monitor.acquire.blocking import PRODUCT_IMAGE_RE, Blocking
from monitor.acquire.capture import draw_frame
from monitor.acquire.launch import first_line
from monitor.acquire.visit import Visit
from monitor.errors import BrowserError
from monitor.imaging.ids import image_id_from_url

log = logging.getLogger(__name__)

# DevTools keeps a copy of every response body for ``Network.getResponseBody``, by default up to
# 100 MB per tab. Only the ad images are read back (tens of KB each; the largest Amazon rendition is
# under 1 MB), so a small buffer does; it keeps a long-lived tab small and copies less.
NETWORK_BUFFERS = {"maxResourceBufferSize": 2_000_000, "maxTotalBufferSize": 8_000_000}

TAB_PAGES = 50  # a tab serves this many visits, then a fresh one takes over (bounds any growth)
# A page left behind stays in memory (~10 MB here) until Chromium's next garbage collection, which in a
# tab kept for many pages comes late. A full collection costs the renderer ~20-30 ms and the next page
# waits for it. Measured at concurrency 2 over 500 pages (bench/sweep.py), peak of the whole tree:
# never 785 MB; every 8th visit 640 MB; every 4th 588 MB; every 2nd 575 MB, 5 % slower than every 4th.
GC_EVERY = 4


@dataclass(slots=True)
class Tab:
    """The tab a shopper searches in, with its one CDP session; events go to the visit in hand."""

    page: Page
    cdp: CDPSession
    on_demand: bool = False  # draws a frame only when asked (``draw_frame``)
    visits: int = 0
    current: Visit | None = None
    collecting: asyncio.Future[Any] | None = None  # the garbage collection sent after the last visit

    async def settle(self) -> None:
        """Wait for the garbage collection of the last visit, if one is under way."""
        collecting, self.collecting = self.collecting, None
        if collecting is not None:
            with suppress(PlaywrightError):
                await collecting


DRAWS_EVERY_FRAME: weakref.WeakSet[Browser] = weakref.WeakSet()  # found unable to render on demand


class Tabs:
    """The tab a shopper searches in, one at a time: opened when a visit needs it, replaced after
    ``TAB_PAGES`` visits (and, by the shopper, after any failure)."""

    def __init__(
        self, context: BrowserContext, blocking: Blocking, lock: asyncio.Lock, *, on_demand: bool
    ) -> None:
        self.context = context
        self.blocking = blocking
        self.frame_lock = lock
        self.on_demand = on_demand and context.browser not in DRAWS_EVERY_FRAME
        self.tab: Tab | None = None

    async def for_visit(self) -> Tab:
        """The tab for the next visit: the one in hand, or a fresh one once it served ``TAB_PAGES``."""
        if self.tab is None or self.tab.visits >= TAB_PAGES:
            await self.close()
            self.tab = await self._open()
        return self.tab

    async def close(self) -> None:
        """Close the tab in hand, if any (the next visit opens a fresh one)."""
        tab, self.tab = self.tab, None
        if tab is not None:
            await tab.settle()
            with suppress(PlaywrightError):
                await tab.page.close()

    async def _rendering_on_demand(self) -> Page:
        """A tab that draws a frame only when ``draw_frame`` asks (Chromium's BeginFrame control).

        Playwright opens tabs without that option, so this one is opened over CDP in the context of a
        first tab, and Playwright picks it up as a page of the context.
        """
        browser = self.context.browser
        if browser is None:
            raise BrowserError("the context has no browser")
        first = await self.context.new_page()
        try:
            cdp = await self.context.new_cdp_session(first)
            info = await cdp.send("Target.getTargetInfo")
            root = await browser.new_browser_cdp_session()
            try:
                async with self.context.expect_page() as opened:
                    await root.send(
                        "Target.createTarget",
                        {
                            "url": "about:blank",
                            "browserContextId": info["targetInfo"]["browserContextId"],
                            "enableBeginFrameControl": True,
                        },
                    )
                return await opened.value
            finally:
                await root.detach()
        finally:
            await first.close()

    async def _open(self) -> Tab:
        """A new tab whose CDP session counts bytes, notes ad images and blocks URLs.

        Everything is read from this one CDP session; Playwright's own request/response events are
        not subscribed to, which saves a Python object per request.
        """
        on_demand = self.on_demand
        page: Page | None = None
        try:
            page = await (self._rendering_on_demand() if on_demand else self.context.new_page())
            cdp = await self.context.new_cdp_session(page)
            if on_demand:  # a Chromium without BeginFrame control says so here, or never answers
                await draw_frame(cdp, self.frame_lock)
        except (PlaywrightError, TimeoutError, BrowserError) as exc:
            if page is not None:
                with suppress(PlaywrightError):
                    await page.close()
            if not on_demand or "closed" in str(exc):
                raise
            self.on_demand = False
            if self.context.browser is not None:  # the other shoppers of this browser need not try
                DRAWS_EVERY_FRAME.add(self.context.browser)
            log.info("this Chromium cannot render on demand; it draws every frame (%s)", first_line(exc))
            return await self._open()
        tab = Tab(page, cdp, on_demand)

        def finished(event: dict[str, Any]) -> None:
            if tab.current is not None:
                tab.current.received_bytes += int(event.get("encodedDataLength", 0))
                tab.current.arrived(event.get("requestId", ""))

        def received(event: dict[str, Any]) -> None:
            response = event.get("response", {})
            url = response.get("url", "")
            if tab.current is not None and event.get("type") == "Document" and not tab.current.document:
                tab.current.document = event["requestId"]  # the page's, which comes before any frame's
            if (
                tab.current is not None
                and event.get("type") == "Image"
                and 200 <= int(response.get("status", 0)) < 300
                and PRODUCT_IMAGE_RE.search(url)
            ):
                tab.current.images[url] = event["requestId"]
                if image_id_from_url(url) in self.blocking.allowed:
                    tab.current.own_pictures.add(event["requestId"])

        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.responseReceived", received)
        try:
            await cdp.send("Network.enable", NETWORK_BUFFERS)
            await self.blocking.apply(cdp)
        except PlaywrightError:
            await page.close()
            raise
        return tab
