"""Markup helpers: from the bytes handed over to a parsed document, and the small readers every parser uses.

``_prepare`` checks that the input is HTML at all (notes "truncated HTML", "not HTML" and so on) and
finds its encoding; ``_parse_dom`` builds the lxml tree; ``_xpath`` / ``_xbool`` / ``_xcount`` run
compiled XPaths with plain return types; ``_valid_asin`` and ``_asin_from_url`` read ASINs.

Where it sits: under every other module of ``monitor.pages`` (kind detection, search results, ad units,
product galleries). Names with a leading underscore are the package's own, shared between its modules.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import unquote

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

# --------------------------------------------------------------------------------------------------
# Input handling

_ASIN_RE = re.compile(r"^[A-Z0-9]{10}$")
_ASIN_IN_URL_RE = re.compile(r"/(?:dp|gp/product|gp/aw/d|gp/video/detail|d)/([A-Z0-9]{10})(?=$|[/?#&%])")
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._-]+)""", re.I)
_CONTROL_BYTES = bytes(range(0, 9)) + bytes(range(14, 32))


def _valid_asin(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().upper()
    return value if _ASIN_RE.match(value) else None


def _asin_from_url(url: str | None) -> str | None:
    if not url:
        return None
    match = _ASIN_IN_URL_RE.search(unquote(url))
    return match.group(1) if match else None


def _encoding(data: bytes) -> str:
    match = _CHARSET_RE.search(data[:8192])
    if match:
        name = match.group(1).decode("ascii", "replace").lower()
        try:
            "".encode(name)
        except LookupError:
            return "utf-8"
        return name
    return "utf-8"


def _prepare(html: str | bytes) -> tuple[bytes | None, str, list[str]]:
    """Bytes to parse, their encoding, and notes; ``None`` bytes when there is no HTML at all."""
    notes: list[str] = []
    if isinstance(html, str):
        data = html.encode("utf-8", "replace")
        encoding = "utf-8"
    elif isinstance(html, (bytes, bytearray, memoryview)):
        data = bytes(html)
        encoding = _encoding(data)
    else:
        return None, "utf-8", [f"not HTML: got {type(html).__name__}"]
    if not data.strip():
        return None, encoding, ["empty document"]
    head = data[:65536]
    if b"\x00" in head or b"<" not in head:
        return None, encoding, ["not HTML (binary or plain text)"]
    controls = sum(head.count(bytes([c])) for c in _CONTROL_BYTES)
    if controls * 100 > len(head):
        return None, encoding, ["not HTML (binary data)"]
    if data.rfind(b"</html") < 0 and data.rfind(b"</HTML") < 0:
        notes.append("truncated HTML (no closing </html> tag)")
    return data, encoding, notes


def _text(html: str | bytes, data: bytes, encoding: str) -> str:
    if isinstance(html, str):
        return html
    return data.decode(encoding, "replace")


# --------------------------------------------------------------------------------------------------
# DOM helpers


def _parse_dom(data: bytes, encoding: str) -> HtmlElement | None:
    # Comments go: the 2017 layout keeps the next page's results in one. huge_tree: 20 MB pages.
    parser = lxml.html.HTMLParser(
        encoding=encoding,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        collect_ids=False,
        huge_tree=True,
    )
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, LookupError):
        return None
    return cast(HtmlElement, root)


def _xpath(compiled: etree.XPath, element: HtmlElement) -> list[Any]:
    result = compiled(element)
    return result if isinstance(result, list) else []


def _xbool(compiled: etree.XPath, element: HtmlElement) -> bool:
    return bool(compiled(element))


def _xcount(compiled: etree.XPath, element: HtmlElement) -> int:
    result = compiled(element)
    return int(result) if isinstance(result, float) else 0


def _classes(element: HtmlElement) -> list[str]:
    return (element.get("class") or "").split()
