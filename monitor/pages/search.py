"""Parse Amazon search, captcha and product pages into plain values.

Where it sits: the browser hands over the HTML of a page it loaded (or ``ismon inspect`` a saved
file); this module says what kind of page it is and extracts, for search pages, every ad unit and
organic result (ASIN, unit, placement, position, image URL and image id) and, for product pages,
the ASIN and the ordered gallery of the listing and of its child variations. The sweep keeps the
seller's own ASINs from the ads; imaging matches their image ids against the gallery.

Pure: no IO, no logging side effects, nothing at import time. Unexpected markup never raises: it
gives ``kind="unknown"`` (or fewer results) and a note in ``SearchPage.notes``.

The rules follow the structure of real pages from 2015 to 2026 (see ``STRUCTURE.md`` next to the
saved pages): classes and URLs rather than visible text (labels are translated), both ``s-`` and
``puis-`` class prefixes, result rank from ``data-csa-c-pos`` / ``sr_1_N`` rather than
``data-index`` (which also counts headers and widgets), the CDN URL from ``srcset`` / ``data-src``
when ``src`` is a browser-saved local copy or a lazy-load pixel, and ad placements from the impression
logger, the ``spc`` parameter of ``/sspa/click`` or the ``sp_csd`` parameter of its target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from html import unescape
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from monitor.imaging.ids import cdn_image_url, image_id_from_url
from monitor.pages.images import _dynamic_image_urls, _product_image
from monitor.pages.kind import _sniff_kind, page_kind
from monitor.pages.markup import (
    _asin_from_url,
    _classes,
    _parse_dom,
    _prepare,
    _text,
    _valid_asin,
    _xbool,
    _xcount,
    _xpath,
)
from monitor.pages.placement import (
    _SP_LINK,
    _X_LOGGER_PROPS,
    _count_sp_links,
    _hrefs,
    _position,
    _result_asin,
    _sp_placement,
)
from monitor.pages.units import _handle_stray_sp_links, _handle_widget_row
from monitor.pages.values import (
    AdUnit,
    GalleryImage,
    OrganicResult,
    PageKind,
    ProductPage,
    SearchPage,
    Unit,
    _Collected,
    page_to_json,
)

__all__ = [
    "AdUnit",
    "GalleryImage",
    "OrganicResult",
    "PageKind",
    "ProductPage",
    "SearchPage",
    "Unit",
    "page_kind",
    "page_to_json",
    "parse_page",
    "parse_product",
    "parse_search",
]

# --------------------------------------------------------------------------------------------------
# Result and ad markup

_RESULT_TYPES = "@data-component-type='s-search-result' or @data-component-type='puis-search-result'"
_LAYOUT_A_RESULT = "li[@data-asin][starts-with(@id,'result_')]"
# Axes are spelled out (descendant::div rather than //*): lxml evaluates them several times faster.
_X_RESULTS = etree.XPath(
    f"descendant::div[@data-component-type][{_RESULT_TYPES}] | descendant::{_LAYOUT_A_RESULT}"
)
_X_HAS_RESULT = etree.XPath(
    f"boolean(descendant::div[@data-component-type][{_RESULT_TYPES}] | descendant::{_LAYOUT_A_RESULT})"
)
_X_RESULT_ANCESTOR = etree.XPath(
    f"boolean(ancestor::div[@data-component-type][{_RESULT_TYPES}] | ancestor::{_LAYOUT_A_RESULT})"
)
_X_MAIN_SLOTS = etree.XPath(
    "descendant::div[@class][contains(@class,'s-main-slot') or contains(@class,'puis-main-slot')]"
)
# Grid results: each of AdHolder, this label, an SP link or an SP logger marks every sponsored
# result of every saved page, and none of them fires on an organic one.
_X_SPONSORED_LABEL = etree.XPath(
    "boolean(descendant::a[contains(@class,'sponsored-label')]"
    " | descendant::span[contains(@data-a-popover,'sp-info-popover')])"
)
_X_COUNT_SP_LINKS = etree.XPath(f"count(descendant::a[{_SP_LINK}])")
_X_NO_RESULTS = etree.XPath(
    "descendant::*[@data-cy='no-results-header']"
    " | descendant::*[@class][contains(@class,'s-no-results')]"
    " | descendant::*[@cel_widget_id][starts-with(@cel_widget_id,'MAIN-TOP_BANNER_MESSAGE')"
    " or starts-with(@cel_widget_id,'MAIN-NO_RESULTS')]"
)

_NO_RESULTS_TEXT = (
    "no results for",
    "did not match any products",
    "keine ergebnisse",
    "aucun résultat",
    "nessun risultato",
    "no hay resultados",
    "nenhum resultado",
    "geen resultaten",
    "inga resultat",
    "brak wyników",
    "sonuç bulunamadı",
    "に一致する商品はありませんでした",
    "検索結果はありません",
    "没有找到",
    "لا توجد نتائج",
)


# --------------------------------------------------------------------------------------------------
# Search pages


def _handle_result(element: HtmlElement, out: _Collected) -> None:
    hrefs = _hrefs(element)
    asin = _result_asin(element, hrefs)
    if asin is None:
        return
    position = _position(element, hrefs)
    image_url, image_id = _product_image(element)
    sp_links = _count_sp_links(hrefs)
    out.sp_links += sp_links
    sponsored = "AdHolder" in _classes(element) or sp_links > 0 or _xbool(_X_SPONSORED_LABEL, element)
    if not sponsored:
        for props in _xpath(_X_LOGGER_PROPS, element):
            text = str(props)
            if "sponsored-products" in text or "SponsoredProducts" in text:
                sponsored = True
                break
    if sponsored:
        out.ads.append(AdUnit(asin, "grid", _sp_placement(element, hrefs), position, image_url, image_id))
    else:
        out.organic.append(OrganicResult(asin, position, image_url, image_id))


def _rows(root: HtmlElement, results: Sequence[HtmlElement]) -> list[HtmlElement]:
    containers: list[HtmlElement] = []
    seen: set[HtmlElement] = set()
    candidates = [r.getparent() for r in results]
    if not any("main-slot" in (c.get("class") or "") for c in candidates if c is not None):
        candidates = list(_xpath(_X_MAIN_SLOTS, root)) + candidates
    for container in candidates:
        if container is not None and container not in seen:
            seen.add(container)
            containers.append(container)
    rows: list[HtmlElement] = []
    taken: set[HtmlElement] = set()
    for container in containers:
        for row in container:
            if isinstance(row.tag, str) and row not in taken:
                taken.add(row)
                rows.append(row)
    return rows


def _no_results_marker(root: HtmlElement) -> bool:
    for element in _xpath(_X_NO_RESULTS, root):
        if element.get("data-cy") == "no-results-header":
            return True
        if "s-no-results" in (element.get("class") or ""):
            return True
        text = " ".join(element.text_content().split()).lower()
        if any(phrase in text for phrase in _NO_RESULTS_TEXT):
            return True
    return False


def _dedupe_ads(ads: Iterable[AdUnit]) -> tuple[AdUnit, ...]:
    seen: set[tuple[str, str, str | None, int | None]] = set()
    kept: list[AdUnit] = []
    for ad in ads:
        key = (ad.asin, ad.unit, ad.placement, ad.position)
        if key not in seen:
            seen.add(key)
            kept.append(ad)
    return tuple(kept)


def _dedupe_organic(results: Iterable[OrganicResult]) -> tuple[OrganicResult, ...]:
    seen: set[tuple[str, int | None]] = set()
    kept: list[OrganicResult] = []
    for result in results:
        key = (result.asin, result.position)
        if key not in seen:
            seen.add(key)
            kept.append(result)
    return tuple(kept)


def _extract_search(root: HtmlElement) -> _Collected:
    out = _Collected()
    results = [r for r in _xpath(_X_RESULTS, root) if not _xbool(_X_RESULT_ANCESTOR, r)]
    result_set = set(results)
    handled: set[HtmlElement] = set()
    for row in _rows(root, results):
        handled.add(row)
        if row in result_set:
            _handle_result(row, out)
        elif _xbool(_X_HAS_RESULT, row):
            for result in _xpath(_X_RESULTS, row):
                if result in result_set and result not in handled:
                    handled.add(result)
                    _handle_result(result, out)
        else:
            _handle_widget_row(row, out)
    for result in results:
        if result not in handled:
            handled.add(result)
            _handle_result(result, out)
    # Cheap check first: only walk the links when some SP link was not inside a handled row.
    if _xcount(_X_COUNT_SP_LINKS, root) > out.sp_links:
        _handle_stray_sp_links(root, handled, out)
    return out


def parse_search(html: str | bytes, url: str | None = None) -> SearchPage:
    """Kind, ad units and organic results of a search page. Never raises on bad markup."""
    data, encoding, notes = _prepare(html)
    if data is None:
        return SearchPage(kind="unknown", notes=tuple(notes))
    return _parse_search(data, encoding, notes, _sniff_kind(data, url))


def _parse_search(data: bytes, encoding: str, notes: list[str], kind: PageKind) -> SearchPage:
    if kind == "captcha":
        return SearchPage(kind="captcha", notes=tuple(notes))
    root = _parse_dom(data, encoding)
    if root is None:
        return SearchPage(kind="unknown", notes=(*notes, "HTML could not be parsed"))
    collected = _extract_search(root)
    ads = _dedupe_ads(collected.ads)
    organic = _dedupe_organic(collected.organic)
    if ads or organic:
        kind = "search"
    elif kind == "product":
        notes.append("this is a product page, not a search page")
    elif _no_results_marker(root):
        kind = "no_results"
    else:
        if kind == "search":
            notes.append("search page layout, but no result or ad could be recognised")
        kind = "unknown"
    return SearchPage(
        kind=kind,
        ads=ads,
        organic=organic,
        result_count=sum(1 for ad in ads if ad.unit == "grid") + len(organic),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------------
# Product pages

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


# --------------------------------------------------------------------------------------------------
# Any page


def parse_page(html: str | bytes, url: str | None = None) -> SearchPage | ProductPage:
    """Decide the kind of page and parse it: a ``ProductPage`` for product pages, else a ``SearchPage``."""
    data, encoding, notes = _prepare(html)
    if data is None:
        return SearchPage(kind="unknown", notes=tuple(notes))
    kind = _sniff_kind(data, url)
    if kind == "product":
        return _parse_product(html, data, encoding, url, kind)
    return _parse_search(data, encoding, notes, kind)
