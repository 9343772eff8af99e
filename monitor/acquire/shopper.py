"""The browser edge: find Chromium, launch it through Playwright, load pages like a shopper.

Sits between the sweep (which decides what to load and what to do with it) and Amazon (or the simulated
storefront). A ``Shopper`` is one browser context: a normal desktop user agent, the marketplace's
language, a stored delivery location, resources the agent does not need blocked, and a ``Visit`` per
page that hands back the HTML, the ad images the browser received and element screenshots.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import logging
import re
import time
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, Response
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from monitor.acquire.launch import VIEWPORT, desktop_user_agent, first_line, proxy_settings
from monitor.acquire.stored_state import state_without_session
from monitor.errors import BrowserError, PageLoadTimeoutError
from monitor.imaging.ids import image_id_forms, image_id_from_url, shows_image
from monitor.pages.search import is_continue_wall

log = logging.getLogger(__name__)

# --- loading pages like a shopper -------------------------------------------------------------------

# Product pictures live under /images/I/; everything else that is heavy and not needed goes. Blocking
# is done by URL pattern inside Chromium (Network.setBlockedURLs): intercepting every request in
# Python (page.route) costs a round trip per request and made pages slower, not faster.
PRODUCT_IMAGE_RE = re.compile(r"/images/I/")
BLOCKED_URL_PATTERNS = (
    # fonts and media
    "*.woff2*", "*.woff?*", "*.woff", "*.ttf*", "*.otf*", "*.eot*",
    "*.mp4*", "*.webm*", "*.m3u8*", "*.m4s*", "*.mp3*", "*/media/*",
    # non-product pictures: sprites, logos, brand creatives, icons
    "*/images/G/*", "*/images/S/*.jpg*", "*/images/S/*.png*", "*/images/S/*.gif*", "*/images/S/*.svg*",
    "*.ico*",
    # trackers and beacons
    "*/tracker/*", "*/pixel*", "*/beacon*", "*fls-*.amazon.*", "*unagi*.amazon.*", "*/uedata*",
    "*/1/events/*", "*/batch/1/OE/*", "*/csm/*", "*doubleclick.net*", "*google-analytics.com*",
    "*googletagmanager.com*", "*amazon-adsystem.com*",
)  # fmt: skip
# DevTools keeps a copy of every response body for ``Network.getResponseBody``, by default up to
# 100 MB per tab. Only the ad images are read back (tens of KB each; the largest Amazon rendition is
# under 1 MB), so a small buffer does; it keeps a long-lived tab small and copies less.
NETWORK_BUFFERS = {"maxResourceBufferSize": 2_000_000, "maxTotalBufferSize": 8_000_000}
# Product pictures (/images/I/) are many on a search page and only the seller's own ads are needed:
# with blocking on, the pictures of the seller's galleries are let through by URL pattern and the rest
# is not loaded. An own ad showing a picture outside the known galleries (a new upload: what an
# unknown_image alert is about) is loaded once the page's HTML names it (``Visit.load_images``).
ANY_PRODUCT_IMAGE = {"urlPattern": "*://*:*/images/I/*", "block": True}
_URLPATTERN_SPECIAL = re.compile(r"[\\:*?+(){}]")
CAPTCHA_URL_RE = re.compile(r"/errors/validateCaptcha")
IMAGE_WAIT_MS = 5_000

# One round trip for the tile of every ad to capture, given as [asin, forms of its image id]. The tile
# is the holder of the ASIN that contains the picture; else, where the unit names its products only in
# links (Sponsored Brands footers, video), the smallest box around the picture that names this ASIN
# and no other product holder (never a neighbour's tile); else the picture's own box. With its box on
# the page and what decides its pixels (size, pictures as loaded, text).
_TILES_JS = """
(wanted) => wanted.map(([asin, forms]) => {
  const shows = (img) => forms.some((f) => ['src', 'srcset', 'data-src'].some(
    (a) => (img.getAttribute(a) || '').includes(f)) || (img.currentSrc || '').includes(f));
  const imgs = forms.length ? Array.from(document.images).filter(shows) : [];
  const dp = /(?:\\/|%2F)dp(?:\\/|%2F)([A-Z0-9]{10})/i;
  const named = (el) => {
    const holders = new Set(), linked = new Set();
    for (const n of [el, ...el.querySelectorAll('[data-asin], [data-csa-c-asin], a[href]')]) {
      const h = n.getAttribute('data-asin') || n.getAttribute('data-csa-c-asin');
      if (h) holders.add(h);
      const m = (n.getAttribute('href') || '').match(dp);
      if (m) linked.add(m[1].toUpperCase());
    }
    return {holders, linked};
  };
  const ownTile = (img) => {
    for (let el = img.parentElement; el && el !== document.body; el = el.parentElement) {
      const {holders, linked} = named(el);
      if ([...holders].some((h) => h !== asin)) return null;
      if (holders.has(asin) || linked.has(asin)) return el;
    }
    return null;
  };
  let el = null;
  for (const img of imgs) {
    el = img.closest(`[data-asin="${asin}"]`);
    if (el) break;
  }
  if (!el) for (const img of imgs) { el = ownTile(img); if (el) break; }
  if (!el && !forms.length) el = document.querySelector(`[data-asin="${asin}"]`);
  // last resort: the picture's own box, but never one inside another product's holder
  const loose = imgs.find((img) => {
    const holder = img.closest('[data-asin]:not([data-asin=""])');
    return !holder || holder.getAttribute('data-asin') === asin;
  });
  if (!el && loose) el = loose.closest('[data-csa-c-asin], [data-component-type], li, div') || loose;
  if (!el) return null;
  const r = el.getBoundingClientRect();
  if (r.width < 2 || r.height < 2) return null;
  const pictures = Array.from(el.querySelectorAll('img'), (i) => `${i.currentSrc}:${i.naturalWidth}`);
  return {
    box: {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height},
    look: `${Math.round(r.width)}x${Math.round(r.height)}|${pictures.join(' ')}|${el.textContent}`,
  };
})
"""
_SCROLL_JS = "y => window.scrollTo(0, Math.max(0, y - 40))"  # a band starting at y comes into view
# Setting src (and srcset) again makes the browser fetch a picture whose first load was blocked.
_RELOAD_IMAGES_JS = """
(ids) => {
  let count = 0;
  for (const img of Array.from(document.images)) {
    const src = img.getAttribute('src') || '', srcset = img.getAttribute('srcset') || '';
    if (!ids.some((id) => src.includes(id) || srcset.includes(id))) continue;
    if (srcset) img.setAttribute('srcset', srcset);
    img.setAttribute('src', src);
    count += 1;
  }
  return count;
}
"""
_IMAGES_DONE_JS = """
(forms) => new Promise((resolve) => {
  const pending = () => Array.from(document.images).filter(
    (img) => forms.some((f) => (img.currentSrc || img.src).includes(f)) && !img.complete);
  const check = () => { if (!pending().length) resolve(true); else setTimeout(check, 25); };
  check();
})
"""


def allow_patterns(image_ids: Iterable[str]) -> list[dict[str, Any]]:
    """CDP ``urlPatterns`` (URLPattern syntax) that let the pictures with these ids through."""
    escaped = (
        _URLPATTERN_SPECIAL.sub(r"\\\g<0>", form)
        for image_id in sorted(set(image_ids))
        for form in image_id_forms(image_id)
    )
    return [{"urlPattern": f"*://*:*/images/I/*{e}*", "block": False} for e in escaped]


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


Box = dict[str, float]


@dataclass(frozen=True, slots=True)
class Tile:
    """An ad's tile on the page: its box, and a digest of what decides its pixels (its size, its
    pictures as loaded, its text). Two tiles with the same look photograph alike."""

    box: Box
    look: str


@dataclass(slots=True)
class Visit:
    """One page load: the HTML as served, and access to what the browser received while it is open."""

    url: str
    page: Page
    cdp: CDPSession
    shopper: Shopper
    on_demand: bool = False  # the tab draws a frame only when asked (``draw_frame``)
    status: int | None = None
    html: str = ""
    final_url: str = ""
    duration_ms: int = 0
    received_bytes: int = 0
    images: dict[str, str] = field(default_factory=dict)  # product image URL -> CDP request id
    finished: set[str] = field(default_factory=set)  # CDP request ids whose body has arrived
    own_pictures: set[str] = field(default_factory=set)  # CDP request ids of gallery pictures
    bodies: dict[str, asyncio.Future[bytes | None]] = field(default_factory=dict)  # read back early
    document: str = ""  # CDP request id of the page's HTML
    document_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    parsed: asyncio.Future[Any] | None = None  # the DOM is built (DOMContentLoaded)

    async def evaluate(self, function: str, arg: Any) -> Any:
        """``function(arg)`` in the page, its result by value; over the tab's CDP session, which costs
        ~2 ms where Playwright's ``page.evaluate`` costs ~5 ms on a new document (measured)."""
        result = await self.cdp.send(
            "Runtime.evaluate",
            {"expression": f"({function})({json.dumps(arg)})", "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = str(details.get("exception", {}).get("description") or details.get("text") or "")
            first = text.strip().splitlines()[0] if text.strip() else "error"
            raise BrowserError(f"{self.url}: page script failed: {first}")
        return result.get("result", {}).get("value")

    async def dom_ready(self) -> None:
        """Wait until the page's DOM is built: the HTML is read before, while the browser parses it."""
        if self.parsed is None:
            return
        try:
            await self.parsed
        except PlaywrightTimeout:
            raise PageLoadTimeoutError(f"{self.url}: not parsed in time") from None

    async def served_html(self, response: Response | None) -> str:
        """The HTML as served, as soon as it has arrived; from Playwright once parsed if CDP lacks it."""
        if self.document:
            try:
                await asyncio.wait_for(self.document_arrived.wait(), IMAGE_WAIT_MS / 1000)
                html = await self._response_body(self.document)
                return html.decode("utf-8", "replace") if isinstance(html, bytes) else html
            except (PlaywrightError, TimeoutError) as exc:
                log.debug("%s: HTML from CDP unavailable: %s", self.url, first_line(exc))
        await self.dom_ready()
        return await _page_html(self.page, response)

    async def load_images(self, image_ids: Iterable[str]) -> None:
        """Load the ad pictures with these ids if blocking kept them out (ids outside the galleries)."""
        wanted = await self.shopper.allow_images(image_ids)
        if not wanted:
            return
        await self.dom_ready()
        forms = [form for image_id in wanted for form in image_id_forms(image_id)]
        try:
            count = await self.evaluate(_RELOAD_IMAGES_JS, forms)
        except (PlaywrightError, BrowserError) as exc:
            log.debug("%s: could not load %s: %s", self.url, ", ".join(wanted), exc)
            return
        log.debug("%s: loading %d picture(s) outside the galleries: %s", self.url, count, ", ".join(wanted))

    async def wait_for_images(self, image_ids: list[str]) -> None:
        """Wait (briefly) until the ad images with these ids have arrived."""
        arrived = {u for u, r in self.images.items() if r in self.finished}
        image_ids = [i for i in image_ids if not any(shows_image(u, i) for u in arrived)]
        if not image_ids:  # the usual case: no need to ask the page
            return
        await self.dom_ready()
        forms = [form for image_id in image_ids for form in image_id_forms(image_id)]
        try:
            await asyncio.wait_for(self.evaluate(_IMAGES_DONE_JS, forms), IMAGE_WAIT_MS / 1000)
        except (PlaywrightError, BrowserError, TimeoutError):
            log.debug("%s: ad images still loading after %d ms", self.url, IMAGE_WAIT_MS)

    async def image_bytes(self, image_url: str | None, image_id: str | None) -> bytes | None:
        """The bytes of an ad image as the browser received them (no second request).

        Matched by image id: at other pixel densities the browser picks a ``srcset`` rendition.
        """
        candidates: list[str] = []
        if image_url and image_url in self.images:
            candidates.append(self.images[image_url])
        if image_id:
            candidates.extend(
                r for u, r in self.images.items() if shows_image(u, image_id) and r not in candidates
            )
        for request_id in candidates:
            data = await (self.bodies.get(request_id) or self._body(request_id))
            if data is not None:
                return data
        return None

    async def _response_body(self, request_id: str) -> bytes | str:
        """A response body as DevTools keeps it: bytes if it came base64-encoded, else text."""
        body = await self.cdp.send("Network.getResponseBody", {"requestId": request_id})
        data: str = body.get("body", "")
        return base64.b64decode(data) if body.get("base64Encoded") else data

    async def _body(self, request_id: str) -> bytes | None:
        try:
            data = await self._response_body(request_id)
        except PlaywrightError as exc:
            log.debug("image body %s unavailable: %s", request_id, exc)
            return None
        return data if isinstance(data, bytes) else data.encode("latin-1")

    def arrived(self, request_id: str) -> None:
        """A response has arrived: a picture of the seller's galleries is read back at once, while
        the page is still being built, as an own ad will want it."""
        self.finished.add(request_id)
        if request_id == self.document:
            self.document_arrived.set()
        elif request_id in self.own_pictures and request_id not in self.bodies:
            self.bodies[request_id] = asyncio.ensure_future(self._body(request_id))

    async def find_tiles(self, ads: list[tuple[str, str | None]]) -> list[Tile | None]:
        """The tiles of the ads given as ``(asin, image_id)`` pairs; None for one not on the page."""
        if not ads:
            return []
        await self.dom_ready()
        try:
            wanted = [[asin, image_id_forms(image_id) if image_id else []] for asin, image_id in ads]
            found: list[dict[str, Any] | None] = await self.evaluate(_TILES_JS, wanted)
        except (PlaywrightError, BrowserError) as exc:
            log.debug("ad tiles of %s unavailable: %s", self.url, exc)
            return [None] * len(ads)
        return [Tile(f["box"], hashlib.sha256(f["look"].encode()).hexdigest()) if f else None for f in found]

    async def screenshot_tiles(self, tiles: list[Tile | None]) -> list[bytes | None]:
        """PNG screenshots of these tiles: the evidence, one per tile (None where it failed).

        Tiles close to each other are captured in one shot and cut apart: a capture costs ~40 ms
        whatever its size, and most own ads sit in a few bands of the page.
        """
        boxes = [tile.box if tile else None for tile in tiles]
        shots: list[bytes | None] = [None] * len(tiles)
        cuts: list[asyncio.Future[list[tuple[int, bytes]]]] = []
        for band in _bands([(i, b) for i, b in enumerate(boxes) if b is not None]):
            left = min(b["x"] for _, b in band)
            top = min(b["y"] for _, b in band)
            right = max(b["x"] + b["width"] for _, b in band)
            bottom = max(b["y"] + b["height"] for _, b in band)
            try:
                # Scrolling the band into view is cheaper than captureBeyondViewport, which resizes
                # the viewport (two relayouts) for every capture; and it is what a shopper does.
                await self.evaluate(_SCROLL_JS, top)
                clip = {"x": left, "y": top, "width": right - left, "height": bottom - top, "scale": 1}
                params = {"format": "png", "optimizeForSpeed": True, "clip": clip}
                if self.on_demand:  # the frame is drawn now, for this screenshot
                    data = await draw_frame(self.cdp, self.shopper.frame_lock, params)
                else:
                    # only a single tile taller than the window needs the expensive way
                    params["captureBeyondViewport"] = bottom - top > VIEWPORT["height"] - 40
                    shot = await self.cdp.send("Page.captureScreenshot", params)
                    data = base64.b64decode(shot["data"])
            except (PlaywrightError, BrowserError) as exc:
                log.debug("screenshot on %s failed: %s", self.url, exc)
                continue
            if len(band) == 1:  # the capture is the tile: no need to decode and encode it again
                shots[band[0][0]] = data
                continue
            # cut apart in a thread (Pillow lets go of the GIL) while the next band is captured
            cuts.append(asyncio.ensure_future(asyncio.to_thread(_cut_tiles, data, (left, top), band)))
        for cut in await asyncio.gather(*cuts):
            for index, picture in cut:
                shots[index] = picture
        return shots


async def draw_frame(cdp: CDPSession, lock: asyncio.Lock, screenshot: dict[str, Any] | None = None) -> bytes:
    """Have a tab that renders on demand draw one frame; with ``screenshot`` (the parameters of
    ``Page.captureScreenshot``), the PNG it asks for.

    Without ``screenshot`` the frame only runs the page's rendering steps (animation frame callbacks,
    intersection observers, layout) and is not drawn. With it, a screenshot is asked for and then
    frames are drawn until it arrives: Chromium takes it of the second frame (measured: always, on an
    idle page; more are drawn should it need them). ``lock`` is the browser's: Chromium's GPU process
    dies of two frames asked for at once, even in different tabs ("overlapping IssueExternalBeginFrame").
    """
    try:
        return await asyncio.wait_for(_draw_frame(cdp, lock, screenshot), FRAME_TIMEOUT_S)
    except TimeoutError:
        raise BrowserError(f"Chromium drew no frame in {FRAME_TIMEOUT_S:.0f} s") from None


async def _draw_frame(cdp: CDPSession, lock: asyncio.Lock, screenshot: dict[str, Any] | None) -> bytes:
    async with lock:
        if screenshot is None:
            await cdp.send("HeadlessExperimental.beginFrame", {"noDisplayUpdates": True})
            return b""
        shot = asyncio.ensure_future(cdp.send("Page.captureScreenshot", screenshot))
        try:
            await cdp.send("HeadlessExperimental.beginFrame", {})  # the screenshot is of the next one
            for _ in range(FRAMES_PER_SCREENSHOT):
                await cdp.send("HeadlessExperimental.beginFrame", {})
                done, _ = await asyncio.wait([shot], timeout=0.05)
                if done:
                    return base64.b64decode(shot.result()["data"])
        finally:
            shot.cancel()  # no-op once it has arrived
    raise BrowserError("Chromium drew no frame to photograph")


FRAMES_PER_SCREENSHOT = 5
FRAME_TIMEOUT_S = 10.0  # a tab that draws no frame in this time is given up on for this screenshot
_FRAME_LOCKS: weakref.WeakKeyDictionary[Browser, asyncio.Lock] = weakref.WeakKeyDictionary()
_DRAWS_EVERY_FRAME: weakref.WeakSet[Browser] = weakref.WeakSet()  # found unable to render on demand


def frame_lock(browser: Browser | None) -> asyncio.Lock:
    """The one lock of a browser under which its tabs draw their frames."""
    if browser is None:
        return asyncio.Lock()
    lock = _FRAME_LOCKS.get(browser)
    if lock is None:
        lock = _FRAME_LOCKS[browser] = asyncio.Lock()
    return lock


@asynccontextmanager
async def _frames_running(cdp: CDPSession, lock: asyncio.Lock) -> AsyncIterator[None]:
    """Draw frames at about 60 per second while a Playwright action (a click) waits for them."""
    done = asyncio.Event()

    async def pump() -> None:
        while not done.is_set():
            with suppress(PlaywrightError):
                await draw_frame(cdp, lock)
            await asyncio.sleep(1 / 60)

    task = asyncio.create_task(pump())
    try:
        yield
    finally:
        done.set()
        await task


def _cut_tiles(
    data: bytes, origin: tuple[float, float], band: list[tuple[int, Box]]
) -> list[tuple[int, bytes]]:
    """The PNG of each box of ``band`` cut from a capture whose top left is ``origin`` on the page."""
    picture = Image.open(io.BytesIO(data))
    picture.load()
    tiles = []
    for index, box in band:
        x, y = round(box["x"] - origin[0]), round(box["y"] - origin[1])
        tile = picture.crop((x, y, x + round(box["width"]), y + round(box["height"])))
        out = io.BytesIO()
        tile.save(out, "PNG", compress_level=1)  # fast; the tiles are small either way
        tiles.append((index, out.getvalue()))
    return tiles


BAND_MAX_HEIGHT = VIEWPORT["height"] - 60  # px: a band fits the window, so no resizing to capture it


def _bands(boxes: list[tuple[int, Box]]) -> list[list[tuple[int, Box]]]:
    """Group ad boxes, top to bottom, into bands no taller than ``BAND_MAX_HEIGHT``."""
    bands: list[list[tuple[int, Box]]] = []
    for item in sorted(boxes, key=lambda ib: ib[1]["y"]):
        box = item[1]
        if bands:
            top = min(b["y"] for _, b in bands[-1])
            if box["y"] + box["height"] - top <= BAND_MAX_HEIGHT:
                bands[-1].append(item)
                continue
        bands.append([item])
    return bands


TAB_PAGES = 50  # a tab serves this many visits, then a fresh one takes over (bounds any growth)
# A page left behind stays in memory (~10 MB here) until Chromium's next garbage collection, which in a
# tab kept for many pages comes late. A full collection costs the renderer ~20-30 ms and the next page
# waits for it. Measured at concurrency 2 over 500 pages (bench/sweep.py), peak of the whole tree:
# never 785 MB; every 8th visit 640 MB; every 4th 588 MB; every 2nd 575 MB, 5 % slower than every 4th.
GC_EVERY = 4


@dataclass(slots=True)
class _Tab:
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
        self._tab: _Tab | None = None
        self._allowed: set[str] = set(settings.image_ids)
        self._patterns = True  # False once this Chromium refused URL patterns
        self._on_demand = settings.render_on_demand and context.browser not in _DRAWS_EVERY_FRAME
        self.frame_lock = frame_lock(context.browser)

    async def allow_images(self, image_ids: Iterable[str]) -> list[str]:
        """Let pictures with these ids through from now on; returns those that were blocked until now."""
        if not self.settings.block_resources or not self._patterns:
            return []
        new = sorted({i for i in image_ids if i and i not in self._allowed})
        if new:
            self._allowed.update(new)
            if self._tab is not None:
                await self._block(self._tab.cdp)
        return new

    async def _block(self, cdp: CDPSession) -> None:
        if not self.settings.block_resources:
            return
        urls = list(BLOCKED_URL_PATTERNS)
        if self._patterns:
            patterns = [*allow_patterns(self._allowed), ANY_PRODUCT_IMAGE]
            try:
                await cdp.send("Network.setBlockedURLs", {"urls": urls, "urlPatterns": patterns})
                return
            except PlaywrightError as exc:
                if "closed" in str(exc):
                    raise
                log.info("this Chromium cannot block by URL pattern; loading every product picture (%s)",
                         first_line(exc))  # fmt: skip
                self._patterns = False
        await cdp.send("Network.setBlockedURLs", {"urls": urls})

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
        await self._close_tab()
        with suppress(PlaywrightError):
            await self.context.close()

    async def _close_tab(self) -> None:
        tab, self._tab = self._tab, None
        if tab is not None:
            await tab.settle()
            with suppress(PlaywrightError):
                await tab.page.close()

    async def _tab_rendering_on_demand(self) -> Page:
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

    async def _open_tab(self) -> _Tab:
        """A new tab whose CDP session counts bytes, notes ad images and blocks URLs.

        Everything is read from this one CDP session; Playwright's own request/response events are
        not subscribed to, which saves a Python object per request.
        """
        on_demand = self._on_demand
        page: Page | None = None
        try:
            page = await (self._tab_rendering_on_demand() if on_demand else self.context.new_page())
            cdp = await self.context.new_cdp_session(page)
            if on_demand:  # a Chromium without BeginFrame control says so here, or never answers
                await draw_frame(cdp, self.frame_lock)
        except (PlaywrightError, TimeoutError, BrowserError) as exc:
            if page is not None:
                with suppress(PlaywrightError):
                    await page.close()
            if not on_demand or "closed" in str(exc):
                raise
            self._on_demand = False
            if self.context.browser is not None:  # the other shoppers of this browser need not try
                _DRAWS_EVERY_FRAME.add(self.context.browser)
            log.info("this Chromium cannot render on demand; it draws every frame (%s)", first_line(exc))
            return await self._open_tab()
        tab = _Tab(page, cdp, on_demand)

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
                if image_id_from_url(url) in self._allowed:
                    tab.current.own_pictures.add(event["requestId"])

        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.responseReceived", received)
        try:
            await cdp.send("Network.enable", NETWORK_BUFFERS)
            await self._block(cdp)
        except PlaywrightError:
            await page.close()
            raise
        return tab

    @asynccontextmanager
    async def visit(self, url: str) -> AsyncIterator[Visit]:
        """Load ``url`` in the shopper's tab; inside the ``with`` its images and screenshots are at hand."""
        started = time.perf_counter()
        if self._tab is None or self._tab.visits >= TAB_PAGES:
            await self._close_tab()
            self._tab = await self._open_tab()
        tab = self._tab
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
                await self._continue_shopping(visit, tab)
            if COOKIE_BANNER_MARK in visit.html:
                await visit.dom_ready()
                async with _frames_running(tab.cdp, self.frame_lock) if tab.on_demand else nullcontext():
                    await _accept_cookie_banner(visit.page)
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
                await self._close_tab()

    async def _continue_shopping(self, visit: Visit, tab: _Tab) -> None:
        """Pass Amazon's button-only wall as a shopper does: one click on "Continue shopping", then the
        page it leads to is the visit's. Clicked once: a wall that comes back stays a captcha."""
        await visit.dom_ready()
        button = visit.page.locator(CONTINUE_BUTTON).first
        visit.document, visit.document_arrived = "", asyncio.Event()  # the next page's HTML
        try:
            async with _frames_running(tab.cdp, self.frame_lock) if tab.on_demand else nullcontext():
                async with visit.page.expect_navigation(wait_until="commit") as navigation:
                    await button.click(timeout=5_000)
                response = await navigation.value
        except PlaywrightTimeout:
            raise PageLoadTimeoutError(f"{visit.url}: no answer after continue shopping") from None
        except PlaywrightError as exc:
            if "closed" in str(exc):
                raise
            log.info("%s: the continue-shopping button did not lead on: %s", visit.url, first_line(exc))
            return
        log.info("%s: passed the continue-shopping page with one click", visit.url)
        visit.parsed = asyncio.ensure_future(visit.page.wait_for_load_state("domcontentloaded"))
        visit.status = response.status if response else None
        visit.final_url = visit.page.url
        visit.html = await visit.served_html(response)

    async def set_delivery_location(self, base_url: str, postal_code: str, state_file: Path) -> bool:
        """Set the delivery postal code through Amazon's location popover and keep the browser state.

        Returns True when the page confirmed the new location.
        """
        page = await self.context.new_page()
        try:
            response = await page.goto(base_url + "/", wait_until="domcontentloaded")
            if COOKIE_BANNER_MARK in await _page_html(page, response):
                await _accept_cookie_banner(page)
            link = page.locator("#nav-global-location-popover-link, #glow-ingress-block").first
            await link.click(timeout=10_000)
            field_ = page.locator("#GLUXZipUpdateInput")
            await field_.wait_for(state="visible", timeout=10_000)
            await field_.fill(postal_code)
            await page.locator(
                "#GLUXZipUpdate input, #GLUXZipUpdate, [aria-labelledby=GLUXZipUpdate-announce]"
            ).first.click()
            try:
                await page.wait_for_function(
                    "zip => (document.querySelector('#glow-ingress-line2, #nav-global-location-slot')"
                    " || document.body).innerText.includes(zip)",
                    arg=postal_code,
                    timeout=10_000,
                )
                confirmed = True
            except PlaywrightTimeout:
                await page.reload(wait_until="domcontentloaded")
                confirmed = postal_code in (
                    await page.locator("#nav-global-location-popover-link").inner_text()
                )
            state_file.parent.mkdir(parents=True, exist_ok=True)
            await self.context.storage_state(path=str(state_file))
            return confirmed
        except PlaywrightError as exc:
            log.warning("could not set the delivery location at %s: %s", base_url, first_line(exc))
            return False
        finally:
            await page.close()


# The served HTML tells whether a page has the EU cookie banner: asking the page instead (a locator)
# makes Playwright inject its selector engine into every fresh tab, ~100 ms of a ~300 ms visit.
COOKIE_BANNER_MARK = "sp-cc-accept"  # the accept button, in the served HTML of the saved UK page too
# The one button of Amazon's button-only robot check ("Click the button below to continue shopping").
CONTINUE_BUTTON = (
    'form[action*="validateCaptcha"] button[type=submit], form[action*="validateCaptcha"] input[type=submit]'
)


async def _accept_cookie_banner(page: Page) -> None:
    """Accept the EU cookie banner if one is shown (as a shopper would)."""
    button = page.locator("#sp-cc-accept, input[name=accept][data-cel-widget=sp-cc-accept]")
    try:
        if await button.count():
            await button.first.click(timeout=3_000)
    except PlaywrightError:
        log.debug("cookie banner could not be accepted")


async def _page_html(page: Page, response: Response | None) -> str:
    """The HTML as served (what the fixtures are); the live DOM when the body is unavailable."""
    if response is not None:
        try:
            return await response.text()
        except PlaywrightError:
            pass
    return await page.content()
