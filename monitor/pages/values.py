"""What pages become: the plain values of a parsed page, and their JSON form.

``SearchPage`` (kind, ad units, organic results, notes) and ``ProductPage`` (ASIN, ordered gallery, the
children's galleries) with their parts ``AdUnit``, ``OrganicResult`` and ``GalleryImage``;
``page_to_json`` is what ``ismon inspect --json`` prints.

Where it sits: at the bottom of ``monitor.pages``: every parsing module builds these values, and the
callers of the package (the sweep, the gallery refresh, ``ismon inspect``) receive them. Frozen
dataclasses, no behaviour beyond the JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AdUnit",
    "GalleryImage",
    "OrganicResult",
    "PageKind",
    "ProductPage",
    "SearchPage",
    "Unit",
    "page_to_json",
]

PageKind = Literal["search", "captcha", "product", "no_results", "unknown"]
Unit = Literal["grid", "carousel", "brand", "video"]


@dataclass(frozen=True, slots=True)
class AdUnit:
    """One sponsored product shown on a search page.

    ``unit``: ``grid`` (Sponsored Products in the result grid), ``carousel`` (sponsored carousel),
    ``brand`` (Sponsored Brands tiles), ``video`` (Sponsored Brands video).
    ``placement``: Amazon's widget name (``sp_atf``, ``sp_mtf``, ``sp_btf``, ``sp_search_thematic``…)
    for Sponsored Products; the loom slot (``loom-desktop-top-slot``, ``…-inline-slot``,
    ``…-brand-footer-slot``) for Sponsored Brands; None where the page does not say.
    ``position``: for ``grid`` the product rank on the page (sponsored and organic counted together,
    1-based); for the other units the 1-based place of the product inside its carousel or creative;
    None where the page gives none.
    """

    asin: str
    unit: Unit
    placement: str | None
    position: int | None
    image_url: str | None
    image_id: str | None


@dataclass(frozen=True, slots=True)
class OrganicResult:
    """One non-sponsored product of the result grid; ``position`` as for grid ads."""

    asin: str
    position: int | None
    image_url: str | None
    image_id: str | None


@dataclass(frozen=True, slots=True)
class GalleryImage:
    """One slot of a listing gallery.

    ``variant`` is Amazon's slot name (``MAIN``, ``PT01``…, ``LEFT``…); ``image_ids`` holds the hiRes
    id first, then the large id (deduplicated; further distinct ids of the thumbnail or zoom sizes
    follow, if any); ``url`` is the best URL (hiRes, else large).
    """

    variant: str
    image_ids: tuple[str, ...]
    url: str | None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """What a search (or captcha / unrecognised) page shows.

    ``result_count`` is the number of product results found in the result grid (sponsored grid ads
    plus organic results): 0 on a page that yielded nothing recognisable. ``notes`` are
    human-readable remarks of the parser ("truncated HTML", …).
    """

    kind: PageKind
    ads: tuple[AdUnit, ...] = ()
    organic: tuple[OrganicResult, ...] = ()
    result_count: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProductPage:
    """A product detail page: its ASIN, its ordered gallery and the galleries of its children.

    ``children`` maps a child ASIN to its gallery (from the twister's ``colorImages`` /
    ``colorToAsin`` data); it includes the landing ASIN itself when the page lists it.
    """

    kind: PageKind
    asin: str | None = None
    gallery: tuple[GalleryImage, ...] = ()
    children: dict[str, tuple[GalleryImage, ...]] = field(default_factory=dict)


# What the extraction of one search page has found so far (the result grid and the widget rows
# fill it in page order); ``monitor.pages.search`` turns it into a ``SearchPage``.
@dataclass(slots=True)
class _Collected:
    ads: list[AdUnit] = field(default_factory=list)
    organic: list[OrganicResult] = field(default_factory=list)
    sp_links: int = 0  # SP links seen inside handled results and rows


def page_to_json(page: SearchPage | ProductPage) -> dict[str, object]:
    """The object ``ismon inspect --json`` prints (see DESIGN.md)."""
    if isinstance(page, ProductPage):
        return {
            "kind": page.kind,
            "ads": [],
            "organic": [],
            "asin": page.asin,
            "gallery": [
                {"variant": g.variant, "image_ids": list(g.image_ids), "url": g.url} for g in page.gallery
            ],
        }
    return {
        "kind": page.kind,
        "ads": [
            {
                "asin": ad.asin,
                "unit": ad.unit,
                "placement": ad.placement,
                "position": ad.position,
                "image_url": ad.image_url,
                "image_id": ad.image_id,
            }
            for ad in page.ads
        ],
        "organic": [{"asin": r.asin, "position": r.position, "image_id": r.image_id} for r in page.organic],
        "asin": None,
        "gallery": [],
    }
