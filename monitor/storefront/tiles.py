"""The product tile of the simulated search page: the ``puis-card-container`` of a grid row or a
carousel card (picture, title, stars, price, add to cart), its links and ad tracking.

Where it sits: inside the simulated storefront, under the search page (``search``), its rows
(``rows``) and the sponsored units (``carousel``, ``brand_unit``). ``tile_image`` says which id of a
picture a tile shows. The small markup helpers (``digits``, ``uuid_for``, ``b64``, ``sq``) are shared
by the units.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from monitor.storefront.catalog import Listing, Slot, price_of, rating_of, stable_int
from monitor.storefront.html import Ctx, esc, slug

GRID_BLOCK = "_AC_UL320_"
SRCSET = (
    ("_AC_UL320_", "1x"),
    ("_AC_UL480_FMwebp_QL65_", "1.5x"),
    ("_AC_UL640_FMwebp_QL65_", "2x"),
    ("_AC_UL800_FMwebp_QL65_", "2.5x"),
    ("_AC_UL960_FMwebp_QL65_", "3x"),
)
EVENTS = "/1/events/com.amazon.eel.SponsoredProductsEventTracking.prod"
_DIB = (
    "eyJ2IjoiMSJ9.YlAZhF67zTyeTdE-2Q9BgMDaIE_V2Ks51Cv9RiajM0t2w5iJoGv6QrZxA5Z9egZjk7v6om_vm17NPdmJ4cs"
    "UI5hEI1OzOeFz5Gz26wDBOnQ4df417NY5Udqvf1WyxzadFuiKgRgvwFW57ltGBVzAAzsazyBSIdvYdCcifqDQe2Zf97Q3YT"
)


@dataclass(frozen=True)
class Ad:
    """How one sponsored placement is tracked: widget name, ad id and the page's SP request id."""

    widget: str
    ad_id: str
    request: str
    index: int


def digits(n: int, width: int) -> str:
    """A ``width``-digit number from ``n`` (ad, campaign and request ids)."""
    return str(10 ** (width - 1) + n % (9 * 10 ** (width - 1)))


def uuid_for(*parts: object) -> str:
    """A UUID-shaped id that is a pure function of ``parts`` (row and widget ids)."""
    h = f"{stable_int('uuid', *parts):016x}{stable_int('uuid2', *parts):016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def b64(text: str) -> str:
    """Base64 without padding, as Amazon writes its ``spc`` and ``sp_csd`` parameters."""
    return base64.b64encode(text.encode()).decode().rstrip("=")


def sq(value: object) -> str:
    """JSON for a single-quoted attribute, as Amazon writes ``data-component-props='{...}'``."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;")


def tile_image(listing: Listing, slot: Slot, *salt: str) -> str:
    """Which id of a picture a SERP tile uses: sometimes the large upload, mostly the hiRes one."""
    return slot.large_id if stable_int("tile", listing.asin, slot.variant, *salt) % 3 == 0 else slot.hires_id


def truncate(title: str, limit: int = 120) -> str:
    """A title cut to ``limit`` characters with an ellipsis, as tiles and alt texts show it."""
    return title if len(title) <= limit else title[: limit - 3].rstrip() + "..."


def sspa_href(ctx: Ctx, listing: Listing, ad: Ad, ref: str, sr: str) -> str:
    """The ``/sspa/click`` link of a sponsored tile, wrapping the product page URL."""
    spc = b64(f"1:{ad.request}:{ctx.qid}:{ad.widget}:{ad.ad_id}::0::")
    target = (
        f"/{slug(listing.product.title)}/dp/{listing.asin}/ref={ref}?dib={_DIB}&dib_tag=se"
        f"&keywords={quote_plus(ctx.keyword)}&qid={ctx.qid}&sr={sr}"
        f"&sp_csd={b64('widgetName=' + ad.widget)}&psc=1"
    )
    return f"/sspa/click?ie=UTF8&spc={spc}&url={quote(target, safe='')}"


def organic_href(ctx: Ctx, listing: Listing, pos: int) -> str:
    """The product page link of an organic result at rank ``pos``."""
    return (
        f"/{slug(listing.product.title)}/dp/{listing.asin}/ref=sr_1_{pos}?dib={_DIB}&dib_tag=se"
        f"&keywords={quote_plus(ctx.keyword)}&qid={ctx.qid}&sr=8-{pos}"
    )


def impression_logger(ctx: Ctx, ad: Ad) -> str:
    """The opening ``s-impression-logger`` div of a sponsored tile (the caller closes it)."""
    props = {
        "percentageShownToFire": "50",
        "batchable": True,
        "requiredElementSelector": ".s-image:visible",
        "url": f"{ctx.origin}{EVENTS}?qualifier={ctx.qid}&id={ad.request}&widgetName={ad.widget}"
        f"&adId={ad.ad_id}&eventType=1&adIndex={ad.index}",
    }
    return (
        f"<div data-component-type=\"s-impression-logger\" data-component-props='{sq(props)}' "
        'class="rush-component s-expand-height">'
    )


def _image_block(ctx: Ctx, href: str, image_id: str, alt: str, pos: int) -> str:
    srcset = ", ".join(f"{ctx.image(image_id, b)} {d}" for b, d in SRCSET)
    return (
        '<div class="s-product-image-container aok-relative s-text-center s-image-overlay-grey '
        'puis-image-overlay-grey s-padding-left-small s-padding-right-small puis-spacing-small" '
        'data-cy="image-container"><span data-component-type="s-product-image" class="rush-component">'
        f'<a aria-hidden="true" class="a-link-normal s-no-outline" tabindex="-1" href="{esc(href)}">'
        '<div class="a-section aok-relative s-image-square-aspect">'
        f'<img class="s-image" src="{esc(ctx.image(image_id, GRID_BLOCK))}" srcset="{esc(srcset)}" '
        f'alt="{esc(alt)}" aria-hidden="true" data-image-index="{pos}" data-image-load="" '
        'data-image-latency="s-product-image" data-image-source-density="1">'
        "</div></a></span></div>"
    )


def _sponsored_label(asin: str) -> str:
    popover = {
        "position": "triggerVertical",
        "popoverLabel": "View Sponsored information or leave ad feedback",
        "closeButtonLabel": "Close",
        "closeButton": "true",
        "dataStrategy": "preload",
        "name": f"sp-info-popover-{asin}",
    }
    return (
        '<div class="a-row a-spacing-micro"><span class="a-declarative" data-action="a-popover" '
        f"data-csa-c-func-deps=\"aui-da-a-popover\" data-a-popover='{sq(popover)}' "
        'data-csa-c-type="widget" aria-label="View Sponsored information or leave ad feedback">'
        '<a href="javascript:void(0)" role="button" style="text-decoration: none;" '
        'class="puis-label-popover puis-sponsored-label-text"><span class="puis-label-popover-default">'
        '<span aria-label="View Sponsored information or leave ad feedback" class="a-color-secondary">'
        'Sponsored</span></span><span class="puis-label-popover-hover"><span aria-hidden="true" '
        'class="a-color-base">Sponsored</span></span> <span class="aok-inline-block '
        'puis-sponsored-label-info-icon"></span></a></span>'
        f'<div class="a-popover-preload" id="a-popover-sp-info-popover-{asin}"><div class="puis">'
        "<span>You\u2019re seeing this ad based on the product\u2019s relevance to your search query."
        '</span><div class="a-row"><a class="a-link-normal s-underline-text s-link-style" href="#">'
        "<span>Leave ad feedback</span></a></div></div></div></div>"
    )


def _choice_badge(keyword: str) -> str:
    """Amazon's keyword-dependent badge above a tile's picture."""
    return (
        '<div class="a-section a-spacing-none s-badge-container"><span class="a-badge" role="status">'
        '<span class="a-badge-label"><span class="a-badge-label-inner a-text-ellipsis">'
        '<span class="a-badge-text" data-a-badge-color="sx-cloud">Amazon\'s <span class="a-text-bold">'
        f'Choice</span></span></span></span></span><span class="a-size-mini"> for {esc(keyword)}</span></div>'
    )


def product_card(ctx: Ctx, listing: Listing, href: str, image_id: str, pos: int, ad: Ad | None) -> str:
    """The ``puis-card-container`` of a product tile (grid row or carousel card)."""
    p = listing.product
    title = p.title
    alt = f"Sponsored Ad - {truncate(title)}" if ad else truncate(title)
    dollars, cents = price_of(p.asin)
    stars, count = rating_of(p.asin)
    label = _sponsored_label(p.asin) if ad and ad.widget != "sp_search_thematic" else ""
    h2_label = f' aria-label="{esc("Sponsored Ad - " + title)}"' if ad else f' aria-label="{esc(title)}"'
    return (
        '<span class="a-declarative" data-action="puis-card-container-declarative" '
        'data-csa-c-func-deps="aui-da-puis-card-container-declarative" '
        f'data-csa-c-item-id="amzn1.asin.{p.asin}" data-csa-c-posx="{pos}" data-csa-c-type="item" '
        'data-csa-c-owner="puis"><div class="puis-card-container s-card-container s-overflow-hidden '
        "aok-relative puis-expand-height puis-include-content-margin puis s-latency-cf-section "
        'puis-card-border" data-cy="asin-faceout-container">'
        '<div class="a-section a-spacing-base desktop-grid-content-view">'
        f"{_choice_badge(ctx.keyword) if p.asin in ctx.choice else ''}"
        f"{_image_block(ctx, href, image_id, alt, pos)}"
        '<div class="a-section a-spacing-small puis-padding-left-small puis-padding-right-small">'
        '<div data-cy="title-recipe" class="a-section a-spacing-none a-spacing-top-small '
        f's-title-instructions-style">{label}'
        f'<a class="a-link-normal s-line-clamp-3 s-link-style a-text-normal" href="{esc(href)}">'
        f'<h2{h2_label} class="a-size-base-plus a-spacing-none a-color-base a-text-normal">'
        f"<span>{esc(title)}</span></h2></a></div>"
        '<div data-cy="reviews-block" class="a-section a-spacing-none a-spacing-top-micro">'
        f'<div class="a-row a-size-small"><span aria-hidden="true" class="a-size-small a-color-base">'
        f"{stars}</span> "
        f'<a aria-label="{stars} out of 5 stars, rating details" href="javascript:void(0)" role="button" '
        'class="a-popover-trigger a-declarative mvt-review-star-mini-popover">'
        f'<i class="a-icon a-icon-star-mini a-star-mini-{math.floor(stars)}-5 mvt-review-star-mini">'
        f'<span class="a-icon-alt">{stars} out of 5 stars</span></i></a> '
        f'<a aria-label="{count:,} ratings" class="a-link-normal s-underline-text s-link-style" '
        f'href="{esc(href)}#customerReviews"><span aria-hidden="true" class="a-size-mini '
        f'puis-normal-weight-text s-underline-text">({count:,})</span></a></div></div>'
        '<div data-cy="price-recipe" class="a-section a-spacing-none a-spacing-top-small '
        's-price-instructions-style"><div class="a-row a-size-base a-color-base">'
        f'<a class="a-link-normal s-no-hover s-underline-text s-link-style a-text-normal" href="{esc(href)}">'
        f'<span class="a-price" data-a-size="xl" data-a-color="base"><span class="a-offscreen">'
        f'${dollars}.{cents:02d}</span><span aria-hidden="true"><span class="a-price-symbol">$</span>'
        f'<span class="a-price-whole">{dollars}<span class="a-price-decimal">.</span></span>'
        f'<span class="a-price-fraction">{cents:02d}</span></span></span></a></div></div>'
        '<div data-cy="delivery-recipe" class="a-section a-spacing-none a-spacing-top-micro">'
        '<div class="a-row a-size-base a-color-secondary s-align-children-center">'
        '<div data-cy="delivery-block" class="a-section a-spacing-none a-padding-none udm-delivery-block">'
        '<div class="a-row a-color-base udm-primary-delivery-message"><div class="a-column a-span12">'
        'FREE delivery <span class="a-text-bold">Mon, Mar 16</span></div></div></div></div></div>'
        '<div class="a-section a-spacing-none a-spacing-top-mini"><div class="puis-atcb-container" '
        f'data-cy="add-to-cart"><form method="post" action="/cart/add-to-cart?ref=sr_atc_rt_add_{pos}'
        f'&amp;sr=8-{pos}&amp;qid={ctx.qid}&amp;discoveredAsins.0={p.asin}" class="a-spacing-none">'
        f'<input type="hidden" name="items[0.base][asin]" value="{p.asin}">'
        '<input type="hidden" name="items[0.base][quantity]" value="1">'
        '<span class="a-button a-button-primary a-button-icon puis-atcb-button"><span class="a-button-inner">'
        '<button name="submit.addToCart" aria-label="Add to cart" class="a-button-text" type="button">'
        "Add to cart</button></span></span></form></div></div>"
        "</div></div></div></span>"
    )
