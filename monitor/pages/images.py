"""The picture of a product tile: the CDN URL and the image id of the product image inside an element.

``_img_url`` reads one ``img`` (``src``, else ``data-src`` / ``srcset`` / the dynamic-image JSON; a
browser-saved local copy becomes the CDN URL of the same file); ``_product_image`` picks the product
picture among the ``img`` of a result or tile, the tagged product image first and badges last.

Where it sits: between the markup helpers and the parsers: the search grid and the ad units ask it for
each product's picture, the product gallery for the URLs of its landing image.
"""

from __future__ import annotations

import json
import re

from lxml.html import HtmlElement

from monitor.imaging.ids import cdn_image_url, image_id_from_url
from monitor.pages.markup import _classes

_IMAGE_CLASSES = frozenset({"s-image", "puis-image", "s-access-image"})


def _srcset_urls(srcset: str) -> list[str]:
    """URLs of a ``srcset`` in order. URLs may contain commas (``_AC_SR115,105_``)."""
    urls: list[str] = []
    for match in re.finditer(r"\s*(\S+)(?:\s+[^\s,]+)?\s*(?:,|$)", srcset):
        url = match.group(1).rstrip(",")
        if url:
            urls.append(url)
    return urls


def _dynamic_image_urls(value: str) -> list[str]:
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    return [key for key in parsed if isinstance(key, str)] if isinstance(parsed, dict) else []


def _img_url(img: HtmlElement) -> tuple[str | None, str | None]:
    """``(CDN URL, image id)`` of an ``img``: src, else data-src / srcset / dynamic-image."""
    candidates: list[str] = []
    for attr in ("src", "data-src", "data-old-hires", "data-lazy-src"):
        value = img.get(attr)
        if value:
            candidates.append(value)
    for attr in ("srcset", "data-srcset"):
        value = img.get(attr)
        if value:
            candidates.extend(_srcset_urls(value))
    dynamic = img.get("data-a-dynamic-image")
    if dynamic:
        candidates.extend(_dynamic_image_urls(dynamic))
    local: tuple[str, str] | None = None
    for candidate in candidates:
        ident = image_id_from_url(candidate)
        if ident is None:
            continue
        text = candidate.strip()
        if text.startswith(("http://", "https://", "//")) or text.startswith("/images/"):
            return cdn_image_url(text), ident
        if local is None:
            local = (text, ident)
    if local is not None:
        # Browser-saved copy only: the same file name on the CDN is the image Amazon served.
        return cdn_image_url(local[0]), local[1]
    return None, None


def _product_image(element: HtmlElement) -> tuple[str | None, str | None]:
    """The product picture inside ``element``: the tagged product image first, badges last."""
    best: tuple[int, str, str] | None = None
    for img in element.iter("img"):
        if img.get("data-image-latency") == "s-product-image":
            rank = 0
        elif _IMAGE_CLASSES.intersection(_classes(img)):
            rank = 1
        else:
            rank = 2
        if best is not None and rank >= best[0]:
            continue
        url, ident = _img_url(img)
        if url is None or ident is None:
            continue
        best = (rank, url, ident)
        if rank == 0:
            break
    if best is None:
        return None, None
    return best[1], best[2]
