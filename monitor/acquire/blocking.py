"""Request blocking: what a shopper's tab does not load, and which product pictures it lets through.

Where it sits: inside a ``Shopper`` (``monitor.acquire.shopper``), applied to each tab it opens
(``monitor.acquire.tabs``) and widened during a visit when the page shows an own ad with a picture
outside the known galleries (``Visit.load_images``). Fonts, media, sprites, trackers and other
shoppers' product pictures are blocked inside Chromium by URL pattern; the seller's gallery pictures
(``ShopperSettings.image_ids``) get through.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from playwright.async_api import CDPSession
from playwright.async_api import Error as PlaywrightError

from monitor.acquire.launch import first_line
from monitor.imaging.ids import image_id_forms

log = logging.getLogger(__name__)

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
# Product pictures (/images/I/) are many on a search page and only the seller's own ads are needed:
# with blocking on, the pictures of the seller's galleries are let through by URL pattern and the rest
# is not loaded. An own ad showing a picture outside the known galleries (a new upload: what an
# unknown_image alert is about) is loaded once the page's HTML names it (``Visit.load_images``).
ANY_PRODUCT_IMAGE = {"urlPattern": "*://*:*/images/I/*", "block": True}
_URLPATTERN_SPECIAL = re.compile(r"[\\:*?+(){}]")


def allow_patterns(image_ids: Iterable[str]) -> list[dict[str, Any]]:
    """CDP ``urlPatterns`` (URLPattern syntax) that let the pictures with these ids through."""
    escaped = (
        _URLPATTERN_SPECIAL.sub(r"\\\g<0>", form)
        for image_id in sorted(set(image_ids))
        for form in image_id_forms(image_id)
    )
    return [{"urlPattern": f"*://*:*/images/I/*{e}*", "block": False} for e in escaped]


@dataclass(slots=True)
class Blocking:
    """The blocking of one browser context: on or off, and the gallery pictures let through."""

    enabled: bool  # ``ShopperSettings.block_resources``
    allowed: set[str]  # image ids of the pictures loaded despite blocking
    patterns: bool = True  # False once this Chromium refused URL patterns

    def allow(self, image_ids: Iterable[str]) -> list[str]:
        """Let pictures with these ids through from now on; returns those that were blocked until now
        (the tabs open from then on block accordingly; a tab already open is told with ``apply``)."""
        if not self.enabled or not self.patterns:
            return []
        new = sorted({i for i in image_ids if i and i not in self.allowed})
        if new:
            self.allowed.update(new)
        return new

    async def apply(self, cdp: CDPSession) -> None:
        """Block in the tab of this CDP session what is to be blocked (nothing if blocking is off)."""
        if not self.enabled:
            return
        urls = list(BLOCKED_URL_PATTERNS)
        if self.patterns:
            patterns = [*allow_patterns(self.allowed), ANY_PRODUCT_IMAGE]
            try:
                await cdp.send("Network.setBlockedURLs", {"urls": urls, "urlPatterns": patterns})
                return
            except PlaywrightError as exc:
                if "closed" in str(exc):
                    raise
                log.info("this Chromium cannot block by URL pattern; loading every product picture (%s)",
                         first_line(exc))  # fmt: skip
                self.patterns = False
        await cdp.send("Network.setBlockedURLs", {"urls": urls})
