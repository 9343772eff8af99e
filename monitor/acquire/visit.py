"""One page load in a shopper's tab: the HTML as served, the ad images the browser received, the ad tiles.

Where it sits: between the ``Shopper`` (``monitor.acquire.shopper``), whose ``visit`` opens one, and the
sweep, which reads ``Visit.html`` with the pages stage and then asks the visit, while it is open, for
what the pages stage named: the seller's ad pictures (``load_images``, ``wait_for_images``,
``image_bytes``, read back from DevTools, no second request) and their tiles (``find_tiles``,
``screenshot_tiles``: the screenshots are ``monitor.acquire.capture``'s).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from playwright.async_api import CDPSession, Page, Response
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from monitor.acquire.capture import Box, screenshot_boxes
from monitor.acquire.launch import first_line
from monitor.errors import BrowserError, PageLoadTimeoutError
from monitor.imaging.ids import image_id_forms, shows_image

log = logging.getLogger(__name__)


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


class VisitHost(Protocol):
    """What a visit asks of the shopper whose tab it is in (a ``Shopper``)."""

    frame_lock: asyncio.Lock

    async def allow_images(self, image_ids: Iterable[str]) -> list[str]: ...


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
    shopper: VisitHost
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
        return await page_html(self.page, response)

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

        Tiles close to each other are captured in one shot and cut apart (``screenshot_boxes``).
        """
        boxes = [tile.box if tile else None for tile in tiles]
        return await screenshot_boxes(
            boxes, self.cdp, self.shopper.frame_lock, self.evaluate, on_demand=self.on_demand, url=self.url
        )


async def page_html(page: Page, response: Response | None) -> str:
    """The HTML as served (what the fixtures are); the live DOM when the body is unavailable."""
    if response is not None:
        try:
            return await response.text()
        except PlaywrightError:
            pass
    return await page.content()
