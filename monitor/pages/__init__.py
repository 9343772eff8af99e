"""Pages: Amazon search, captcha and product pages, from HTML to plain values (pure, lxml).

Where it sits: between the browser, which hands over the HTML of a page it loaded (or ``ismon
inspect`` a saved file), and the sweep and the gallery refresh, which receive values: for a search
page every ad unit and organic result (ASIN, unit, placement, position, image URL and image id), for a
product page the ASIN and the ordered gallery of the listing and of its child variations. The sweep
keeps the seller's own ASINs from the ads; imaging matches their image ids against the gallery.

Pure: no IO, no logging side effects, nothing at import time beyond compiling patterns. Unexpected
markup never raises: it gives ``kind="unknown"`` (or fewer results) and a note in ``SearchPage.notes``.

The rules follow the structure of real pages from 2015 to 2026 (see ``STRUCTURE.md`` next to the
saved pages): classes and URLs rather than visible text (labels are translated), both ``s-`` and
``puis-`` class prefixes, result rank from ``data-csa-c-pos`` / ``sr_1_N`` rather than
``data-index`` (which also counts headers and widgets), the CDN URL from ``srcset`` / ``data-src``
when ``src`` is a browser-saved local copy or a lazy-load pixel, and ad placements from the impression
logger, the ``spc`` parameter of ``/sspa/click`` or the ``sp_csd`` parameter of its target.

Exports (import them from ``monitor.pages``):

- ``parse_page`` (``parse``): any page, by its kind, to a ``SearchPage`` or a ``ProductPage``;
- ``parse_search`` (``search``): the result grid and the ad units of a search page;
- ``parse_product`` (``product``): the ASIN and galleries of a product page;
- ``page_kind``, ``is_continue_wall`` (``kind``): the kind of a page, and the button-only robot check;
- ``SearchPage``, ``ProductPage``, ``AdUnit``, ``OrganicResult``, ``GalleryImage``, ``PageKind``,
  ``Unit`` and ``page_to_json`` (``values``): the values and their ``ismon inspect --json`` form.

Inside: ``units`` (carousels, Sponsored Brands, video: one ad per ASIN with its own tile's picture),
``placement`` (ad placement, product rank, result ASIN), ``images`` (the picture of a tile) and
``markup`` (input checks, the lxml tree, XPath and ASIN helpers). Names with a leading underscore are
shared between these modules only.
"""

from monitor.pages.kind import is_continue_wall, page_kind
from monitor.pages.parse import parse_page
from monitor.pages.product import parse_product
from monitor.pages.search import parse_search
from monitor.pages.values import (
    AdUnit,
    GalleryImage,
    OrganicResult,
    PageKind,
    ProductPage,
    SearchPage,
    Unit,
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
    "is_continue_wall",
    "page_kind",
    "page_to_json",
    "parse_page",
    "parse_product",
    "parse_search",
]
