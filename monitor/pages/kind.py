"""Page kind: search, captcha, product or unknown, from markers that are cheap to find in the raw bytes.

``page_kind`` says what a page is without extracting anything (``no_results`` needs
``parse_search``); ``is_continue_wall`` recognises Amazon's button-only robot check ("Click the button
below to continue shopping"), which a shopper passes with one click, as opposed to the character
captcha, which is never answered.

Where it sits: first in ``monitor.pages``: the search and product parsers ask it which kind of page
they were handed, and the browser asks it whether a loaded page is the continue-shopping wall.
"""

from __future__ import annotations

import re

from monitor.pages.markup import _asin_from_url, _prepare
from monitor.pages.values import PageKind

__all__ = ["is_continue_wall", "page_kind"]


_CAPTCHA_FORM_RE = re.compile(rb"""<form[^>]*action\s*=\s*["'][^"']*/errors/validateCaptcha""", re.I)
_CAPTCHA_INPUTS = (
    b'name="amzn-r"',
    b"name='amzn-r'",
    b'id="captchacharacters"',
    b"id='captchacharacters'",
)
_PAGE_TYPE_RE = re.compile(rb"""ue_pty\s*=\s*["']([A-Za-z]+)""")
_SEARCH_MARKERS = (
    b"s-search-result",
    b"puis-search-result",
    b"s-main-slot",
    b"puis-main-slot",
    b'id="s-results-list-atf"',
    b'id="atfResults"',
)
_SEARCH_LAYOUT_A_RE = re.compile(rb"""<li[^>]+id=["']result_\d+["']""")
_PRODUCT_MARKERS = (
    b"'colorImages'",
    b'"colorImages"',
    b'id="dp-container"',
    b'id="productTitle"',
    b"desktop-landing-image-data",
    b'id="landingImage"',
    b'id="imgTagWrapperId"',
)
_SEARCH_URL_RE = re.compile(r"/s(?:/|\?|$)|[?&](?:k|field-keywords)=")


def _page_type(data: bytes) -> str | None:
    """Amazon's own page type (``ue_pty``): ``search``, ``detail``…; set near the end of the page."""
    end = len(data)
    for _ in range(10):
        pos = data.rfind(b"ue_pty", 0, end)
        if pos < 0:
            return None
        match = _PAGE_TYPE_RE.match(data, pos)
        if match:
            return match.group(1).decode("ascii").lower()
        end = pos
    return None


def _sniff_kind(data: bytes, url: str | None) -> PageKind:
    """Search, product, captcha or unknown, from markers that are cheap to find in raw bytes."""
    # Captcha pages are a few KB; their form sits near the top even when wrapped in site chrome.
    head = data[:262_144]
    if b"validateCaptcha" in head and _CAPTCHA_FORM_RE.search(head):
        return "captcha"
    if any(marker in head for marker in _CAPTCHA_INPUTS):
        return "captcha"
    page_type = _page_type(data)
    if page_type == "search":
        return "search"
    if page_type == "detail":
        return "product"
    if any(marker in data for marker in _SEARCH_MARKERS) or _SEARCH_LAYOUT_A_RE.search(data):
        return "search"
    if any(marker in data for marker in _PRODUCT_MARKERS):
        return "product"
    if url:
        if _asin_from_url(url):
            return "product"
        if _SEARCH_URL_RE.search(url):
            return "search"
    return "unknown"


# What makes a robot check one that asks for characters: the text box and the captcha picture.
_CHARACTER_CAPTCHA = (b"captchacharacters", b"/captcha/", b"Captcha_")
_SUBMIT_RE = re.compile(rb"""<button[^>]*type\s*=\s*["']?submit|<input[^>]*type\s*=\s*["']?submit""", re.I)


def is_continue_wall(html: str | bytes) -> bool:
    """Amazon's button-only robot check ("Click the button below to continue shopping"): the captcha
    form with a submit button and nothing to type. A shopper passes it with one click; the character
    captcha (``captcha_uk.html``) is not this, and is never answered."""
    data = html.encode("utf-8", "replace") if isinstance(html, str) else html
    head = data[:262_144]
    if b"validateCaptcha" not in head or not _CAPTCHA_FORM_RE.search(head):
        return False
    if any(marker in head for marker in _CHARACTER_CAPTCHA):
        return False
    return bool(_SUBMIT_RE.search(head))


def page_kind(html: str | bytes, url: str | None = None) -> PageKind:
    """The kind of page without extracting anything (``no_results`` needs ``parse_search``)."""
    data, _encoding_name, _notes = _prepare(html)
    if data is None:
        return "unknown"
    return _sniff_kind(data, url)
