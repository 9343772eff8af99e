"""Multi-product ad units: sponsored carousels, Sponsored Brands tiles and videos, and stray SP widgets.

A widget row of the search page (a carousel, a Sponsored Brands footer, the top or inline slot)
becomes one ``AdUnit`` per advertised ASIN, in page order, with its unit (``carousel``, ``brand``,
``video``), its placement (the SP widget name, or the loom slot for Sponsored Brands) and the picture
of that ASIN's own tile, never a neighbour's. Sponsored Products links outside the result list (the
old left/right-column widgets) become ``carousel`` ads too.

Where it sits: under the search parser (``monitor.pages.search``), which walks the rows of the result
list and hands every row that is not a result to ``_handle_widget_row``.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

from monitor.pages.images import _img_url, _product_image
from monitor.pages.markup import _asin_from_url, _classes, _valid_asin, _xbool, _xpath
from monitor.pages.placement import (
    _SP_LINK,
    _X_CSA_ASIN,
    _count_sp_links,
    _hrefs,
    _placement_from_text,
    _sp_placement,
)
from monitor.pages.values import AdUnit, Unit, _Collected

_X_SP_LINKS = etree.XPath(f"descendant::a[{_SP_LINK}]")
_X_AD_ROW = etree.XPath(
    f"boolean(descendant::a[contains(@class,'sponsored-label') or {_SP_LINK}"
    " or contains(@href,'/x/c/')]"
    " | descendant::*[@data-ad-creative-list or @data-ad-feedback-payload"
    " or @data-multi-ad-feedback-form-trigger or @data-video-type='sponsored']"
    " | descendant::*[@data-component-type][starts-with(@data-component-type,'sbv-')])"
)
_X_VIDEO = etree.XPath(
    "boolean(descendant::*[@data-video-type]"
    " | descendant::*[@data-component-type][starts-with(@data-component-type,'sbv-')])"
)
_X_HINTS = etree.XPath(
    "descendant-or-self::*[@cel_widget_id]/@cel_widget_id"
    " | descendant-or-self::*[@data-cel-widget]/@data-cel-widget"
    " | descendant::*[@data-csa-c-painter]/@data-csa-c-painter"
    " | descendant::*[@data-component-type]/@data-component-type"
    " | descendant::div[@class][contains(@class,'widget=') or contains(@class,'widgetId=')]/@class"
    " | descendant::script[contains(.,'cel_widget_id')]/text()"
)
_X_DATA_ASIN = etree.XPath("descendant::*[@data-asin][@data-asin!='']")
_X_DATA_SLOT = etree.XPath("(descendant::*[@data-slot]/@data-slot)[1]")
_LOOM_SLOT_RE = re.compile(r"loom-desktop-[a-z-]+?-slot")


def _items_of_row(row: HtmlElement, hrefs: list[str]) -> list[tuple[str, HtmlElement]]:
    """The advertised products of a widget row, in page order, one per ASIN."""
    seen: set[str] = set()
    items: list[tuple[str, HtmlElement]] = []
    for element in _xpath(_X_DATA_ASIN, row):
        asin = _valid_asin(element.get("data-asin"))
        if asin and asin not in seen:
            seen.add(asin)
            items.append((asin, element))
    if items:
        return items
    # SB video (and other creatives): no data-asin holder, the ASIN sits in a CSA attribute or in
    # the /dp/ASIN of the click-through redirect.
    for value in _xpath(_X_CSA_ASIN, row):
        asin = _valid_asin(str(value).rsplit(".", 1)[-1])
        if asin and asin not in seen:
            seen.add(asin)
            items.append((asin, row))
    if items:
        return items
    for href in hrefs:
        asin = _asin_from_url(href)
        if asin and asin not in seen:
            seen.add(asin)
            items.append((asin, row))
    return items


def _item_image(item: HtmlElement, row: HtmlElement, asin: str, alone: bool) -> tuple[str | None, str | None]:
    """The picture in the tile of ``asin``; ``alone``: the only product of its unit."""
    if item is row:
        # The unit names its products only in links or CSA attributes (Sponsored Brands footers with
        # several brands, SB video): the picture is the one whose own box names this ASIN, never
        # the unit's first picture, which is a neighbour's when the unit shows several.
        tile = _own_tile(row, asin)
        if tile is not None:
            return _product_image(tile)
        return _product_image(row) if alone else (None, None)
    url, ident = _product_image(item)
    if url is not None:
        return url, ident
    # 2020 HSA tiles: the picture is a sibling of the data-asin holder, not inside it. Climb while
    # the ancestor still holds only this product: no other ASIN, at most one product picture.
    node = item.getparent()
    for _ in range(3):
        if node is None or node is row:
            break
        others = {_valid_asin(e.get("data-asin")) for e in _xpath(_X_DATA_ASIN, node)} - {None, asin}
        if others:
            break
        pictures = {ident for ident in (_img_url(img)[1] for img in node.iter("img")) if ident}
        if len(pictures) > 1:
            break
        if pictures:
            return _product_image(node)
        node = node.getparent()
    return None, None


_X_NAMED = etree.XPath(
    "descendant-or-self::*[@data-asin!='' or @data-csa-c-asin]/@data-asin"
    " | descendant-or-self::*[@data-csa-c-asin]/@data-csa-c-asin"
    " | descendant-or-self::a/@href"
)


def _named_asins(element: HtmlElement) -> set[str]:
    """The products an element names: its data-asin / CSA holders and the /dp/ASIN of its links."""
    named: set[str] = set()
    for value in _xpath(_X_NAMED, element):
        text = str(value)
        asin = _valid_asin(text) or _asin_from_url(text)
        if asin:
            named.add(asin)
    return named


def _own_tile(row: HtmlElement, asin: str) -> HtmlElement | None:
    """The smallest element of ``row`` around a product picture that names ``asin`` and no other."""
    for img in row.iter("img"):
        if _img_url(img)[1] is None:
            continue
        node = img.getparent()
        while node is not None and node is not row:
            named = _named_asins(node)
            if named - {asin}:
                break  # this box is a neighbour's, or holds several products
            if asin in named:
                return node
            node = node.getparent()
    return None


def _loom_slot(hints: str, row: HtmlElement) -> str | None:
    match = _LOOM_SLOT_RE.search(hints)
    if match:
        return match.group(0)
    slot = _xpath(_X_DATA_SLOT, row)
    return str(slot[0]) if slot else None


def _handle_widget_row(row: HtmlElement, out: _Collected) -> None:
    if "AdHolder" not in _classes(row) and not _xbool(_X_AD_ROW, row):
        return
    hrefs = _hrefs(row)
    sp_links = _count_sp_links(hrefs)
    out.sp_links += sp_links
    items = _items_of_row(row, hrefs)
    if not items:
        return  # display ads, brand creatives without products
    hints = " ".join(str(h) for h in _xpath(_X_HINTS, row))
    has_sp_links = sp_links > 0
    video_component = _xbool(_X_VIDEO, row)
    unit: Unit
    if has_sp_links and not video_component:
        unit = "carousel"
    elif video_component or "VIDEO" in hints or "video" in hints:
        unit = "video"
    elif "sptw" in hints or "sp_search_thematic" in hints:
        unit = "carousel"
    else:
        unit = "brand"
    row_placement = _sp_placement(row, hrefs) if unit == "carousel" else _loom_slot(hints, row)
    for index, (asin, item) in enumerate(items, start=1):
        placement = row_placement
        if unit == "carousel" and item is not row:
            placement = _sp_placement(item, _hrefs(item)) or row_placement
        image_url, image_id = _item_image(item, row, asin, alone=len(items) == 1)
        out.ads.append(AdUnit(asin, unit, placement, index, image_url, image_id))


def _handle_stray_sp_links(root: HtmlElement, handled: set[HtmlElement], out: _Collected) -> None:
    """Sponsored Products links outside the result list (the old left/right-column SP widgets)."""
    per_placement: dict[str | None, int] = {}
    seen: set[tuple[str | None, str]] = set()
    for link in _xpath(_X_SP_LINKS, root):
        if any(ancestor in handled for ancestor in link.iterancestors()):
            continue
        href = str(link.get("href") or "")
        asin = _asin_from_url(href)
        placement = _placement_from_text([href])
        if asin is None or (placement, asin) in seen:
            continue  # the image link and the title link of one ad
        seen.add((placement, asin))
        image_url, image_id = _item_image(link, root, asin, alone=False)
        index = per_placement.get(placement, 0) + 1
        per_placement[placement] = index
        out.ads.append(AdUnit(asin, "carousel", placement, index, image_url, image_id))
