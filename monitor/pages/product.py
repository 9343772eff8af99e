"""Product pages: the ASIN, the ordered gallery of the listing and the galleries of its child variations.

The gallery comes from the image block's ``colorImages.initial`` data (also when it sits, escaped once
more, inside a JS string), else from the landing image for pages whose gallery is rendered
client-side (2025 books); the children's galleries from the twister's ``colorImages`` /
``colorToAsin`` data. The text is searched directly (no DOM): product pages are large and the data
sits in scripts.

Where it sits: between the browser, which hands over a product page's HTML, and the gallery refresh
(``monitor.sweep.gallery``), which stores and fingerprints each slot; imaging then matches the ad
pictures' image ids against these galleries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html import unescape
from typing import Any

from monitor.imaging.ids import cdn_image_url, image_id_from_url
from monitor.pages.images import _dynamic_image_urls
from monitor.pages.kind import _sniff_kind
from monitor.pages.markup import _asin_from_url, _prepare, _text, _valid_asin
from monitor.pages.values import GalleryImage, PageKind, ProductPage

__all__ = ["parse_product"]


_INITIAL_RE = re.compile(r"""['"]colorImages['"]\s*:\s*\{\s*['"]initial['"]\s*:\s*""")
_COLOR_IMAGES_RE = re.compile(r'"colorImages"\s*:\s*(?=\{)')
_COLOR_TO_ASIN_RE = re.compile(r'"colorToAsin"\s*:\s*(?=\{)')
_IMAGE_BLOCK_ASIN_RE = re.compile(r"""['"]asin['"]\s*:\s*['"]([A-Z0-9]{10})['"]""")
_ATTR_RE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_LANDING_IDS = ("landingImage", "imgBlkFront", "ebooksImgBlkFront", "main-image")
_DECODER = json.JSONDecoder()


_JS_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _js_unescape(text: str) -> str:
    """The value of a JS string literal's body: ``\\\\`` -> ``\\``, ``\\'`` -> ``'``, ``\\u2013`` -> ``–``."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) > 1:
            return chr(int(code[1:], 16))
        return _JS_SIMPLE_ESCAPES.get(code, code)

    return _JS_ESCAPE_RE.sub(one, text)


def _json_at(text: str, pos: int) -> Any:
    """The JSON value that starts at ``pos``, also when it sits inside a JS string literal.

    ``jQuery.parseJSON('…')`` holds JSON escaped once more for JS: ``\\'`` for an apostrophe,
    ``\\\\"`` for an escaped quote. Plain JSON is tried first (the common case, and fast).
    """
    try:
        return _DECODER.raw_decode(text, pos)[0]
    except ValueError:
        pass
    window = text[pos : pos + 8_000_000]
    for candidate in (window.replace("\\'", "'"), _js_unescape(window)):
        try:
            return _DECODER.raw_decode(candidate, 0)[0]
        except ValueError:
            continue
    return None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _tag_attrs(text: str, pos: int) -> dict[str, str]:
    """Attributes of the HTML start tag around ``pos`` (unescaped)."""
    start = text.rfind("<", 0, pos)
    end = text.find(">", pos)
    if start < 0 or end < 0:
        return {}
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(text, start, end):
        value = match.group(2)
        if value is None:
            value = match.group(3) if match.group(3) is not None else match.group(4) or ""
        attrs[match.group(1).lower()] = unescape(value) if "&" in value else value
    return attrs


def _find_tags_with(text: str, needles: Iterable[str]) -> Iterable[dict[str, str]]:
    for needle in needles:
        pos = text.find(needle)
        while pos >= 0:
            yield _tag_attrs(text, pos)
            pos = text.find(needle, pos + len(needle))


def _gallery_image(entry: Any, index: int) -> GalleryImage | None:
    if not isinstance(entry, dict):
        return None
    variant = entry.get("variant")
    if not isinstance(variant, str) or not variant:
        variant = "MAIN" if index == 0 else f"PT{index:02d}"
    ids: list[str] = []
    best: str | None = None
    sources: list[Any] = [entry.get("hiRes"), entry.get("large"), entry.get("thumb")]
    main = entry.get("main")
    if isinstance(main, dict):
        sources.extend(main.keys())
    for position, source in enumerate(sources):
        if not isinstance(source, str):
            continue
        source = source.replace("\\/", "/")  # "https:\/\/…" when JSON was escaped twice
        ident = image_id_from_url(source)
        if ident is None:
            continue
        if ident not in ids:
            ids.append(ident)
        if best is None and position < 2:
            best = cdn_image_url(source)
    if not ids:
        return None
    return GalleryImage(variant=variant, image_ids=tuple(ids), url=best)


def _gallery(entries: Any) -> tuple[GalleryImage, ...]:
    if not isinstance(entries, list):
        return ()
    images = (_gallery_image(entry, index) for index, entry in enumerate(entries))
    return tuple(image for image in images if image is not None)


def _initial_gallery(text: str) -> tuple[GalleryImage, ...]:
    for match in _INITIAL_RE.finditer(text):
        gallery = _gallery(_json_at(text, match.end()))
        if gallery:
            return gallery
    return ()


def _first_object(text: str, pattern: re.Pattern[str]) -> dict[str, Any]:
    for match in pattern.finditer(text):
        value = _json_at(text, match.end())
        if isinstance(value, dict) and value:
            return value
    return {}


def _children(text: str) -> dict[str, tuple[GalleryImage, ...]]:
    if '"colorToAsin"' not in text:
        return {}
    by_name = _first_object(text, _COLOR_IMAGES_RE)
    to_asin = _first_object(text, _COLOR_TO_ASIN_RE)
    children: dict[str, tuple[GalleryImage, ...]] = {}
    for name, target in to_asin.items():
        asin = _valid_asin(target.get("asin")) if isinstance(target, dict) else None
        if asin is None:
            continue
        gallery = _gallery(by_name.get(name))
        if gallery:
            children[asin] = gallery
    return children


def _landing_gallery(text: str) -> tuple[GalleryImage, ...]:
    """MAIN only, for pages whose gallery is rendered client-side (2025 books)."""
    urls: list[str] = []
    pos = text.find("desktop-landing-image-data")
    if pos >= 0:
        start = text.find(">", pos)
        if start >= 0:
            value = _json_at(text, _skip_space(text, start + 1))
            if isinstance(value, dict) and isinstance(value.get("landingImageUrl"), str):
                urls.append(value["landingImageUrl"])
    for attrs in _find_tags_with(text, [f'id="{name}"' for name in _LANDING_IDS]):
        for key in ("data-old-hires", "src"):
            if attrs.get(key):
                urls.append(attrs[key])
        if attrs.get("data-a-dynamic-image"):
            urls.extend(_dynamic_image_urls(attrs["data-a-dynamic-image"]))
    ids: list[str] = []
    best: str | None = None
    for url in urls:
        ident = image_id_from_url(url)
        if ident is None:
            continue
        if ident not in ids:
            ids.append(ident)
        if best is None:
            best = cdn_image_url(url)
    if not ids:
        return ()
    return (GalleryImage(variant="MAIN", image_ids=tuple(ids), url=best),)


def _product_asin(text: str, url: str | None) -> str | None:
    asin = _asin_from_url(url)
    if asin:
        return asin
    for needle in ('id="ASIN"', "id='ASIN'"):
        for attrs in _find_tags_with(text, [needle]):
            asin = _valid_asin(attrs.get("value"))
            if asin:
                return asin
    for needle in ('rel="canonical"', "rel='canonical'"):
        for attrs in _find_tags_with(text, [needle]):
            asin = _asin_from_url(attrs.get("href"))
            if asin:
                return asin
    block = text.find("ImageBlockATF")
    if block >= 0:
        match = _IMAGE_BLOCK_ASIN_RE.search(text, block, block + 5000)
        if match:
            return match.group(1)
    for needle in ('name="ASIN"', "name='ASIN'", 'id="dp" data-asin', 'data-asin="'):
        for count, attrs in enumerate(_find_tags_with(text, [needle])):
            asin = _valid_asin(attrs.get("value") or attrs.get("data-asin"))
            if asin:
                return asin
            if count > 20:
                break
    return None


def parse_product(html: str | bytes, url: str | None = None) -> ProductPage:
    """ASIN, ordered gallery and child galleries of a product page. Never raises on bad markup."""
    data, encoding, _notes = _prepare(html)
    if data is None:
        return ProductPage(kind="unknown", asin=_asin_from_url(url))
    return _parse_product(html, data, encoding, url, _sniff_kind(data, url))


def _parse_product(
    html: str | bytes, data: bytes, encoding: str, url: str | None, kind: PageKind
) -> ProductPage:
    if kind == "captcha":
        return ProductPage(kind="captcha", asin=_asin_from_url(url))
    if kind == "search":
        return ProductPage(kind="search")
    text = _text(html, data, encoding)
    gallery = _initial_gallery(text)
    children = _children(text) if gallery else {}
    if not gallery:
        gallery = _landing_gallery(text)
    asin = _product_asin(text, url)
    if asin and asin in children and len(children[asin]) < len(gallery):
        # Size/flavour twisters list one slot per child; the landing ASIN's full gallery is 'initial'.
        children[asin] = gallery
    if kind == "unknown" and (gallery or asin):
        kind = "product"
    return ProductPage(kind=kind, asin=asin, gallery=gallery, children=children)
