"""Placement and position: which ad widget a sponsored product sits in, its rank, and the ASIN of a result.

``_placement_from_text`` reads Amazon's widget name (``sp_atf``, ``sp_mtf``, ``sp_search_thematic``…)
from the ``spc`` parameter of ``/sspa/click``, a ``widgetName=``, the ``sp_csd`` parameter of the
target URL or a ``ref=pa_sp_…`` tag; ``_position`` the product rank from ``data-csa-c-pos`` /
``sr_1_N`` / ``result_N``; ``_result_asin`` the ASIN of a result; ``_count_sp_links`` the Sponsored
Products links among an element's links.

Where it sits: between the markup helpers and the search parsers: the result grid
(``monitor.pages.search``) and the multi-product units (``monitor.pages.units``) read these values
from each result, row and tile.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from urllib.parse import unquote

from lxml import etree
from lxml.html import HtmlElement

from monitor.pages.markup import _asin_from_url, _valid_asin, _xpath

# What marks a Sponsored Products link: an XPath predicate, and the same as plain substrings.
_SP_LINK = (
    "contains(@href,'/sspa/click') or contains(@href,'picassoRedirect') or contains(@href,'/slredirect/')"
)
_X_LOGGER_PROPS = etree.XPath(
    "descendant::div[@data-component-type='s-impression-logger']/@data-component-props"
)
_X_HREFS = etree.XPath("descendant::a/@href")
_X_CSA_ASIN = etree.XPath(
    "descendant::*[@data-csa-c-asin]/@data-csa-c-asin"
    " | descendant::*[@data-csa-c-item-id]/@data-csa-c-item-id"
)
_SP_HREF_MARKERS = ("/sspa/click", "picassoRedirect", "/slredirect/")

_SPC_RE = re.compile(r"[?&]spc=([^&#\s]+)")
_WIDGET_RE = re.compile(r"widgetName=([A-Za-z][A-Za-z0-9_]*)")
_CSD_RE = re.compile(r"sp_csd=([A-Za-z0-9+/=_%-]+)")
_REF_SP_RE = re.compile(r"(?:ref=|_)pa_(sp_[a-z]+(?:_[a-z]+)*?)_(?:aps|sspa|sr)\b")
_PLACEMENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{1,60}$")
_SR_RE = re.compile(r"\bsr_1_(\d{1,4})(?!\d)")
_SR_PARAM_RE = re.compile(r"[?&]sr=\d+-(\d{1,4})(?!\d)")


def _b64(value: str) -> str | None:
    value = unquote(value).strip()
    value += "=" * (-len(value) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decoder(value).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
    return None


def _spc_widget(text: str) -> str | None:
    match = _SPC_RE.search(text)
    if match is None:
        return None
    spc = _b64(match.group(1))
    parts = spc.split(":") if spc else []
    if len(parts) > 3 and _PLACEMENT_RE.match(parts[3]):
        return parts[3]
    return None


def _csd_widget(text: str) -> str | None:
    match = _CSD_RE.search(text)
    if match is None:
        return None
    widget = _WIDGET_RE.search(_b64(match.group(1)) or "")
    return widget.group(1) if widget else None


def _placement_from_text(texts: Sequence[str]) -> str | None:
    """Amazon's SP widget name from ad links and impression-logger props, best source first.

    Order: the ``spc`` parameter of ``/sspa/click`` (base64 ``1:<id>:<qid>:<widget>:<adId>…``), then
    a plain ``widgetName=`` (picassoRedirect links, logger props), then ``sp_csd`` (base64
    ``widgetName=…``) inside the encoded target URL, then the ``ref=pa_sp_atf_…`` tag.
    """
    for text in texts:
        if "spc=" in text:
            widget = _spc_widget(text)
            if widget:
                return widget
    for text in texts:
        match = _WIDGET_RE.search(text)
        if match:
            return match.group(1)
    decoded = [unquote(unquote(text)) for text in texts if "%" in text]
    for text in decoded:
        match = _WIDGET_RE.search(text)
        if match:
            return match.group(1)
    for text in (*texts, *decoded):
        if "sp_csd" in text:
            widget = _csd_widget(text)
            if widget:
                return widget
    for text in (*texts, *decoded):
        match = _REF_SP_RE.search(text)
        if match:
            return match.group(1)
    return None


def _hrefs(element: HtmlElement) -> list[str]:
    return [str(href) for href in _xpath(_X_HREFS, element)]


def _sp_placement(element: HtmlElement, hrefs: list[str]) -> str | None:
    texts = [href for href in hrefs if "sp" in href or "widgetName" in href]
    placement = _placement_from_text(texts)
    if placement is None:
        placement = _placement_from_text([str(v) for v in _xpath(_X_LOGGER_PROPS, element)])
    return placement


def _csa_pos(element: HtmlElement) -> int | None:
    # data-csa-c-pos sits on the result or its first wrappers: stop early, not a subtree scan.
    for count, node in enumerate(element.iter()):
        if count > 40:
            break
        value = node.get("data-csa-c-pos")
        if value is not None:
            value = value.strip()
            return _count(value)
    return None


def _count(text: str) -> int | None:
    """``text`` as a whole number when it is ASCII digits (``str.isdigit`` also passes "²", which ``int``
    refuses: a parser must not raise on such markup)."""
    return int(text) if text.isascii() and text.isdigit() else None


def _position(element: HtmlElement, hrefs: list[str]) -> int | None:
    """Product rank: ``data-csa-c-pos``, else ``sr_1_N`` / ``sr=8-N`` in links, else ``result_N``."""
    pos = _csa_pos(element)
    if pos is not None:
        return pos
    for href in hrefs:
        match = _SR_RE.search(href)
        if match:
            return int(match.group(1))
    for href in hrefs:
        if "sr" in href:
            text = unquote(unquote(href))
            match = _SR_RE.search(text) or _SR_PARAM_RE.search(text)
            if match:
                return int(match.group(1))
    ident = element.get("id") or ""
    rank = _count(ident[7:]) if ident.startswith("result_") else None
    if rank is None:
        rank = _count(element.get("data-result-rank") or "")
    return None if rank is None else rank + 1


def _result_asin(element: HtmlElement, hrefs: list[str]) -> str | None:
    asin = _valid_asin(element.get("data-asin"))
    if asin:
        return asin
    for value in _xpath(_X_CSA_ASIN, element):
        text = str(value)
        asin = _valid_asin(text.rsplit(".", 1)[-1])
        if asin:
            return asin
    for href in hrefs:
        asin = _asin_from_url(href)
        if asin:
            return asin
    return None


def _count_sp_links(hrefs: list[str]) -> int:
    return sum(1 for href in hrefs if any(marker in href for marker in _SP_HREF_MARKERS))
