"""Screenshots of ad tiles: drawing frames on demand, capturing bands of the page, cutting tiles apart.

Where it sits: under a ``Visit`` (``monitor.acquire.visit``), whose ``screenshot_tiles`` hands the boxes
of the ads to photograph to ``screenshot_boxes``; the PNGs go back to the sweep as evidence. Tabs that
render on demand (``monitor.acquire.tabs``) draw a frame only when ``draw_frame`` asks, under the one
``frame_lock`` of their browser; ``frames_running`` keeps frames coming while a click waits for them.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from PIL import Image
from playwright.async_api import Browser, CDPSession
from playwright.async_api import Error as PlaywrightError

from monitor.acquire.launch import VIEWPORT
from monitor.errors import BrowserError

log = logging.getLogger(__name__)

Box = dict[str, float]
SCROLL_JS = "y => window.scrollTo(0, Math.max(0, y - 40))"  # a band starting at y comes into view


async def screenshot_boxes(
    boxes: list[Box | None],
    cdp: CDPSession,
    lock: asyncio.Lock,
    evaluate: Callable[[str, Any], Awaitable[Any]],
    *,
    on_demand: bool,
    url: str,
) -> list[bytes | None]:
    """PNG screenshots of these boxes of the page at ``url``, one per box (None where it failed).

    Boxes close to each other are captured in one shot and cut apart: a capture costs ~40 ms
    whatever its size, and most own ads sit in a few bands of the page. ``evaluate`` runs a script in
    the page (the visit's); ``on_demand``: the tab draws a frame only when asked (``draw_frame``).
    """
    shots: list[bytes | None] = [None] * len(boxes)
    cuts: list[asyncio.Future[list[tuple[int, bytes]]]] = []
    for band in _bands([(i, b) for i, b in enumerate(boxes) if b is not None]):
        left = min(b["x"] for _, b in band)
        top = min(b["y"] for _, b in band)
        right = max(b["x"] + b["width"] for _, b in band)
        bottom = max(b["y"] + b["height"] for _, b in band)
        try:
            # Scrolling the band into view is cheaper than captureBeyondViewport, which resizes
            # the viewport (two relayouts) for every capture; and it is what a shopper does.
            await evaluate(SCROLL_JS, top)
            clip = {"x": left, "y": top, "width": right - left, "height": bottom - top, "scale": 1}
            params = {"format": "png", "optimizeForSpeed": True, "clip": clip}
            if on_demand:  # the frame is drawn now, for this screenshot
                data = await draw_frame(cdp, lock, params)
            else:
                # only a single tile taller than the window needs the expensive way
                params["captureBeyondViewport"] = bottom - top > VIEWPORT["height"] - 40
                shot = await cdp.send("Page.captureScreenshot", params)
                data = base64.b64decode(shot["data"])
        except (PlaywrightError, BrowserError) as exc:
            log.debug("screenshot on %s failed: %s", url, exc)
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


def frame_lock(browser: Browser | None) -> asyncio.Lock:
    """The one lock of a browser under which its tabs draw their frames."""
    if browser is None:
        return asyncio.Lock()
    lock = _FRAME_LOCKS.get(browser)
    if lock is None:
        lock = _FRAME_LOCKS[browser] = asyncio.Lock()
    return lock


@asynccontextmanager
async def frames_running(cdp: CDPSession, lock: asyncio.Lock) -> AsyncIterator[None]:
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
