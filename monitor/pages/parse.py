"""Any page: decide its kind and parse it as a search page or as a product page.

Where it sits: the entry of ``monitor.pages`` for callers that do not know what they hold
(``ismon inspect``, the parse bench): it sniffs the kind once (``monitor.pages.kind``) and hands the
prepared bytes to ``monitor.pages.product`` or ``monitor.pages.search``.
"""

from __future__ import annotations

from monitor.pages.kind import _sniff_kind
from monitor.pages.markup import _prepare
from monitor.pages.product import _parse_product
from monitor.pages.search import _parse_search
from monitor.pages.values import ProductPage, SearchPage

__all__ = ["parse_page"]


def parse_page(html: str | bytes, url: str | None = None) -> SearchPage | ProductPage:
    """Decide the kind of page and parse it: a ``ProductPage`` for product pages, else a ``SearchPage``."""
    data, encoding, notes = _prepare(html)
    if data is None:
        return SearchPage(kind="unknown", notes=tuple(notes))
    kind = _sniff_kind(data, url)
    if kind == "product":
        return _parse_product(html, data, encoding, url, kind)
    return _parse_search(data, encoding, notes, kind)
