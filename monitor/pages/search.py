"""Search pages: the result grid (organic results and sponsored tiles) and every ad unit around it.

``parse_search`` walks the rows of the result list in page order: a search result becomes an
``OrganicResult`` or a ``grid`` ``AdUnit`` (ASIN, placement, rank, image URL and image id); any other
row is handed to ``monitor.pages.units`` (carousels, Sponsored Brands, video). A page with neither is
``no_results`` when Amazon says so, else ``unknown`` with a note.

Where it sits: between the browser, which hands over the HTML of a search page, and the sweep, which
keeps the seller's own ASINs from the ads; imaging then matches their image ids against the gallery.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lxml import etree
from lxml.html import HtmlElement

from monitor.pages.images import _product_image
from monitor.pages.kind import _sniff_kind
from monitor.pages.markup import _classes, _parse_dom, _prepare, _xbool, _xcount, _xpath
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
from monitor.pages.values import AdUnit, OrganicResult, PageKind, SearchPage, _Collected

__all__ = ["parse_search"]

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
