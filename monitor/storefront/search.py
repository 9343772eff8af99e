"""The search result page (``/s?k=...&page=N``) of the simulated storefront.

Where it sits: inside the simulated storefront; the request handler calls ``render_search`` with the
scenario's ``Catalog``. The markup is Amazon's 2024-2026 desktop grid ("Layout B", STRUCTURE.md
1b-1e): ``div.s-main-slot`` rows with ``data-index`` over every row, ``data-csa-c-pos`` counting
products, Sponsored Products rows marked four ways (``AdHolder``, ``puis-sponsored-label-text``,
``/sspa/click?spc=`` links, an ``s-impression-logger`` with ``widgetName``), a sponsored carousel
(``sp_search_thematic``), a Sponsored Brands top slot and header, pagination and feedback rows.

Page 1 carries the scenario's ad units: grid ads ``sponsored[kw][0:4]`` as ``sp_atf`` at the top,
``[4:8]`` as ``sp_mtf`` mid-grid, the rest as ``sp_btf`` near the bottom. Later pages carry organic
results only.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, replace
from urllib.parse import quote, quote_plus

from monitor.storefront.catalog import Catalog, Listing, Slot, price_of, rating_of, stable_int
from monitor.storefront.footer import brand_footer
from monitor.storefront.html import Ctx, esc, head, nav, slug, tail
from monitor.storefront.scenario import brand_footer_for, brand_for, carousel_for, choice_for, sponsored_for

GRID_BLOCK = "_AC_UL320_"
SRCSET = (
    ("_AC_UL320_", "1x"),
    ("_AC_UL480_FMwebp_QL65_", "1.5x"),
    ("_AC_UL640_FMwebp_QL65_", "2x"),
    ("_AC_UL800_FMwebp_QL65_", "2.5x"),
    ("_AC_UL960_FMwebp_QL65_", "3x"),
)
SB_BLOCK = "_AC_SR160,134_QL70_"
CAROUSEL_WIDGET = "loom-desktop-inline-slot_sptw-cfv-session-similarity-v2-t4"
SB_CEL = "multi-card-creative-desktop_loom-desktop-top-slot_0"
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


def _digits(n: int, width: int) -> str:
    return str(10 ** (width - 1) + n % (9 * 10 ** (width - 1)))


def _uuid(*parts: object) -> str:
    h = f"{stable_int('uuid', *parts):016x}{stable_int('uuid2', *parts):016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode().rstrip("=")


def _sq(value: object) -> str:
    """JSON for a single-quoted attribute, as Amazon writes ``data-component-props='{...}'``."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;")


def tile_image(listing: Listing, slot: Slot, *salt: str) -> str:
    """Which id of a picture a SERP tile uses: sometimes the large upload, mostly the hiRes one."""
    return slot.large_id if stable_int("tile", listing.asin, slot.variant, *salt) % 3 == 0 else slot.hires_id


def _truncate(title: str, limit: int = 120) -> str:
    return title if len(title) <= limit else title[: limit - 3].rstrip() + "..."


def _sspa_href(ctx: Ctx, listing: Listing, ad: Ad, ref: str, sr: str) -> str:
    spc = _b64(f"1:{ad.request}:{ctx.qid}:{ad.widget}:{ad.ad_id}::0::")
    target = (
        f"/{slug(listing.product.title)}/dp/{listing.asin}/ref={ref}?dib={_DIB}&dib_tag=se"
        f"&keywords={quote_plus(ctx.keyword)}&qid={ctx.qid}&sr={sr}"
        f"&sp_csd={_b64('widgetName=' + ad.widget)}&psc=1"
    )
    return f"/sspa/click?ie=UTF8&spc={spc}&url={quote(target, safe='')}"


def _organic_href(ctx: Ctx, listing: Listing, pos: int) -> str:
    return (
        f"/{slug(listing.product.title)}/dp/{listing.asin}/ref=sr_1_{pos}?dib={_DIB}&dib_tag=se"
        f"&keywords={quote_plus(ctx.keyword)}&qid={ctx.qid}&sr=8-{pos}"
    )


def _logger(ctx: Ctx, ad: Ad) -> str:
    props = {
        "percentageShownToFire": "50",
        "batchable": True,
        "requiredElementSelector": ".s-image:visible",
        "url": f"{ctx.origin}{EVENTS}?qualifier={ctx.qid}&id={ad.request}&widgetName={ad.widget}"
        f"&adId={ad.ad_id}&eventType=1&adIndex={ad.index}",
    }
    return (
        f"<div data-component-type=\"s-impression-logger\" data-component-props='{_sq(props)}' "
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
        f"data-csa-c-func-deps=\"aui-da-a-popover\" data-a-popover='{_sq(popover)}' "
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


def _card(ctx: Ctx, listing: Listing, href: str, image_id: str, pos: int, ad: Ad | None) -> str:
    """The ``puis-card-container`` of a product tile (grid row or carousel card)."""
    p = listing.product
    title = p.title
    alt = f"Sponsored Ad - {_truncate(title)}" if ad else _truncate(title)
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


class _Rows:
    """Accumulates result-list rows, numbering ``data-index`` over every row."""

    def __init__(self, ctx: Ctx, page: int) -> None:
        self.ctx = ctx
        self.page = page
        self.rows: list[str] = []
        self.pos = 0  # product rank: sponsored and organic grid results together

    @property
    def index(self) -> int:
        return len(self.rows)

    def uuid(self) -> str:
        return _uuid(self.ctx.keyword, self.page, self.index, self.ctx.qid)

    def product(self, listing: Listing, image_id: str, ad: Ad | None) -> None:
        self.pos += 1
        pos, index, uid, ctx = self.pos, self.index, self.uuid(), self.ctx
        if ad:
            href = _sspa_href(ctx, listing, ad, f"sr_1_{pos}_sspa", f"8-{pos}-spons")
        else:
            href = _organic_href(ctx, listing, pos)
        card = _card(ctx, listing, href, image_id, pos, ad)
        if ad:
            card = (
                f'{_logger(ctx, ad)}<div data-component-type="s-impression-counter" '
                'data-component-props=\'{"presenceCounterName":"sp_delivered","hiddenCounterName":'
                '"sp_hidden","testElementSelector":".s-image"}\' class="rush-component '
                f's-featured-result-item s-expand-height">{card}</div></div>'
            )
        holder = " AdHolder" if ad else ""
        self.rows.append(
            f'<div role="listitem" data-asin="{listing.asin}" data-index="{index}" data-uuid="{uid}" '
            f'id="{uid}" data-component-type="s-search-result" class="sg-col-4-of-24 sg-col-4-of-12 '
            f's-result-item s-asin sg-col-4-of-16{holder} sg-col s-widget-spacing-small sg-col-4-of-20" '
            f'data-cel-widget="search_result_{index}"><div class="sg-col-inner">'
            f'<div cel_widget_id="MAIN-SEARCH_RESULTS-{index}" class="s-widget-container s-spacing-small '
            "s-widget-container-height-small celwidget slot=MAIN template=SEARCH_RESULTS "
            f'widgetId=search-results_{pos}" data-csa-c-pos="{pos}" '
            f'data-csa-c-item-id="amzn1.asin.1.{listing.asin}" data-csa-op-log-render="" '
            f'data-csa-c-type="item">{card}</div></div></div>'
        )

    def widget(self, cel: str, body: str, *, full: bool = True, extra_class: str = "") -> None:
        index = self.index
        cls = (
            "a-section a-spacing-none s-result-item s-flex-full-width s-widget s-widget-spacing-large"
            if full
            else "sg-col-20-of-24 s-result-item sg-col-0-of-12 sg-col-16-of-20 s-widget sg-col "
            "s-flex-geom sg-col-12-of-16 s-widget-spacing-large"
        )
        self.rows.append(
            f'<div data-asin="" data-index="{index}" data-uuid="{self.uuid()}" '
            f'class="{cls}{extra_class}"><div class="sg-col-inner">'
            f'<div cel_widget_id="{cel}-{index}" class="s-widget-container s-spacing-medium '
            f'celwidget slot=MAIN template={cel.removeprefix("MAIN-")}">{body}</div></div></div>'
        )

    def raw(self, html: str) -> None:
        self.rows.append(html)


def _header(title: str, sub: str) -> str:
    return (
        '<span data-component-type="s-messaging-widget-results-header" class="rush-component">'
        '<div class="a-section a-spacing-none s-messaging-widget-results-header"><div class="s-no-outline">'
        f'<h2 class="a-size-medium-plus a-spacing-none a-color-base a-text-bold">{esc(title)}</h2>'
        f'<div class="a-row a-size-base"><span class="a-size-base a-color-secondary a-text-normal">'
        f"{esc(sub)}</span></div></div></div></span>"
    )


def _carousel(ctx: Ctx, catalog: Catalog, rows: _Rows, asins: list[str]) -> None:
    keyword = ctx.keyword
    request = _digits(stable_int("sp-carousel", keyword, ctx.qid), 16)
    cards: list[str] = []
    feedback = []
    for i, asin in enumerate(asins):
        listing = catalog.listing(asin)
        if listing is None:
            continue
        ad = Ad("sp_search_thematic", _digits(stable_int("ad", asin, keyword), 15), request, i)
        slot = catalog.ad_slot(asin, keyword)
        image_id = tile_image(listing, slot, keyword)
        n = len(cards) + 1
        href = _sspa_href(ctx, listing, ad, f"sxin_{rows.index}_pa_sp_search_thematic_sspa", f"1-{n}-spons")
        feedback.append({"asin": asin, "adId": ad.ad_id, "campaignId": _digits(stable_int("c", asin), 15)})
        cards.append(
            f'<li aria-label="{n} of {len(asins)}" aria-roledescription="slide" class="a-carousel-card">'
            f'<div data-asin="{asin}" class="sg-col-4-of-24 sg-col-4-of-12 s-result-item '
            'sg-col-4-of-16 sg-col sg-col-4-of-20"><div class="sg-col-inner">'
            f"{_logger(ctx, ad)}{_card(ctx, listing, href, image_id, n, ad)}</div></div></div></li>"
        )
    if not cards:
        return
    trigger = {
        "multiAdfLabelAriaText": "View Sponsored information or leave ad feedback",
        "multiAdfModalHeader": "Leave feedback",
        "multiAdfPayload": json.dumps({"adCreativeMetaData": {"adCreativeDetails": feedback}}),
    }
    options = {
        "name": CAROUSEL_WIDGET,
        "show_partial_next": True,
        "first_item_flush_left": True,
        "circular": False,
        "set_size": str(len(cards)),
    }
    index = rows.index
    rows.raw(
        f'<div data-asin="" data-index="{index}" data-uuid="{rows.uuid()}" data-component-type="" '
        'class="sg-col-20-of-24 s-result-item sg-col-0-of-12 sg-col-16-of-20 s-widget sg-col s-flex-geom '
        'sg-col-12-of-16 s-widget-spacing-large"><div class="sg-col-inner">'
        f'<div data-uuid="{_uuid("c", index, ctx.qid)}" cel_widget_id="MAIN-FEATURED_ASINS_LIST-{index}" '
        'class="s-widget-container s-spacing-medium s-widget-container-height-medium celwidget slot=MAIN '
        f'template=FEATURED_ASINS_LIST widget={CAROUSEL_WIDGET} widgetId={CAROUSEL_WIDGET}">'
        '<div class="s-include-content-margin s-border-bottom s-border-top-overlap s-widget-padding-bottom">'
        '<div class="sg-row"><div class="sg-col-20-of-24 sg-col-16-of-20 sg-col sg-col-8-of-12 '
        'sg-col-12-of-16"><div class="sg-col-inner"><div class="a-section a-spacing-none">'
        '<div class="a-section a-spacing-small"><div class="a-section a-spacing-none a-text-bold">'
        '<h2 id="loom-desktop-inline-slot_featuredasins-heading" class="a-size-medium-plus a-color-base">'
        "Customers frequently viewed</h2></div>"
        '<div class="a-section a-spacing-none"><span class="a-declarative" '
        'data-action="multi-ad-feedback-form-trigger" '
        f"data-multi-ad-feedback-form-trigger='{_sq(trigger)}'>"
        '<a aria-hidden="false" aria-label="View Sponsored information or leave ad feedback" '
        'class="a-link-normal aok-inline-block s-widget-sponsored-label-text" href="#" role="button">'
        "Sponsored</a></span></div></div></div></div></div></div>"
        '<span data-component-type="s-searchgrid-carousel" '
        f"data-component-props='{_sq({'name': CAROUSEL_WIDGET})}' class=\"rush-component\">"
        f"<div data-a-carousel-options='{_sq(options)}' "
        'aria-labelledby="loom-desktop-inline-slot_featuredasins-heading" aria-roledescription="carousel" '
        'data-a-display-strategy="searchgrid" role="group" class="a-begin a-carousel-container '
        'a-carousel-static a-carousel-display-searchgrid">'
        '<div id="loom-desktop-inline-slot_featuredasins-carousel" class="a-row">'
        '<a class="a-carousel-goto-prevpage" href="#" aria-label="Previous"></a>'
        '<div class="a-carousel-viewport" role="group"><ol class="a-carousel" role="list">'
        + "".join(cards)
        + '</ol></div><a class="a-carousel-goto-nextpage" href="#" aria-label="Next"></a></div></div>'
        "</span></div></div></div></div>"
    )


def _brand_unit(ctx: Ctx, catalog: Catalog, rows: _Rows, asins: list[str]) -> None:
    listings = [lst for lst in (catalog.listing(a) for a in asins) if lst is not None]
    if not listings:
        return
    brand = listings[0].product.brand
    ad_id = _digits(stable_int("sb", ctx.keyword, brand), 15)
    click = f"/x/c/{_b64('sb|' + ad_id)}/"
    tiles = []
    for i, lst in enumerate(listings):
        slot = lst.main
        image_id = tile_image(lst, slot, "sb")
        href = f"{click}?url={quote('/dp/' + lst.asin, safe='')}"
        tiles.append(
            f'<div data-asin="{lst.asin}" data-csa-c-item-id="amzn1.asin.{lst.asin}" '
            'data-csa-c-item-type="asin" data-csa-c-owner="sponsored-brands" '
            f'data-csa-c-posx="{i + 1}" data-csa-c-type="item" data-type="productContainer" '
            'class="a-section _c2Itd_pdCntr_2lxVH sb-tile">'
            f'<a aria-hidden="false" class="a-link-normal _c2Itd_productImageLink_2cbWY" href="{esc(href)}">'
            f'<img alt="{esc(lst.product.title)}" src="{esc(ctx.image(image_id, SB_BLOCK))}" '
            'data-image-latency="" data-type="productImage" class="_c2Itd_image_pQREQ"></a>'
            f'<a data-type="productTitle" class="a-link-normal _c2Itd_productTitle_1vCSB" '
            f'href="{esc(href)}">{esc(_truncate(lst.product.title, 60))}</a></div>'
        )
    props = {
        "adId": ad_id,
        "advertiserId": _digits(stable_int("adv", brand), 12),
        "campaignId": _digits(stable_int("sbc", brand), 15),
        "clickUrl": f"{ctx.origin}{click}",
    }
    logo = (
        f"/images/S/al-na-9d5791cf-3faf/{_uuid('logo', brand)}._AC_SX175_SY100_QL70_.png?brand={quote(brand)}"
    )
    video = f"/media/sbv/{_uuid('video', brand)}/sbv.mp4"
    index = rows.index
    rows.raw(
        f'<div class="s-result-item s-widget s-widget-spacing-large AdHolder s-flex-full-width" '
        f'data-asin="" data-uuid="{rows.uuid()}" data-index="{index}">'
        f'<div class="celwidget" cel_widget_id="{SB_CEL}" data-csa-op-log-render="" data-csa-c-type="widget" '
        'data-csa-c-painter="multi-card-creative-desktop-cards">'
        f"<div class=\"_c2Itd_container_ut_MN sb-creative\" data-properties='{_sq(props)}' "
        f'aria-label="Sponsored ad from {esc(brand)}" id="CardInstance{ad_id}">'
        f'<img alt="" src="/tracker/pixel.gif?sb={ad_id}" class="_c2Itd_trackingPixel_wHX-P" '
        'style="position:absolute;visibility:hidden">'
        '<div class="sb-unit">'
        f'<a class="a-link-normal _c2Itd_headerLink_3bVa1" href="{esc(click)}">'
        f'<video aria-label="Sponsored ad from {esc(brand)}" class="_c2Itd_media_17g-f" '
        f'src="{video}" playsinline muted autoplay loop preload="auto" '
        f'poster="/images/S/al-na-9d5791cf-3faf/{_uuid("poster", brand)}.jpg?brand={quote(brand)}">'
        "</video></a>"
        f'<div class="sb-tiles">{"".join(tiles)}</div>'
        '<div data-type="brandLogo" class="_c2Itd_brandLogoContainer_2BXRc">'
        f'<a class="a-link-normal" href="{esc(click)}"><img src="{esc(logo)}" '
        f'alt="Shop the {esc(brand)} Store on Amazon"></a>'
        f'<div id="ctaContainer"><a class="a-link-normal" href="{esc(click)}">'
        f'<span class="a-size-base-plus">Shop {esc(brand)}</span></a></div></div></div>'
        '<div class="a-row a-spacing-none _c2Itd_footer_1EgsI">'
        '<span class="_c2Itd_ad-feedback-text-desktop_q3xp_" '
        'aria-label="Leave feedback on Sponsored ad" role="button">Sponsored</span></div>'
        "</div></div></div>"
    )


def _pagination(ctx: Ctx, page: int, pages: int) -> str:
    k = quote_plus(ctx.keyword)
    items = []
    if page > 1:
        items.append(
            f'<a href="/s?k={k}&amp;page={page - 1}&amp;qid={ctx.qid}&amp;ref=sr_pg_{page}" role="button" '
            'aria-label="Go to previous page" class="s-pagination-item s-pagination-previous '
            's-pagination-button">Previous</a>'
        )
    else:
        items.append(
            '<span class="s-pagination-item s-pagination-previous s-pagination-disabled" '
            'aria-disabled="true">Previous</span>'
        )
    for n in range(1, pages + 1):
        if n == page:
            items.append(
                f'<span class="s-pagination-item s-pagination-selected" aria-current="page" '
                f'aria-label="Page {n}">{n}</span>'
            )
        else:
            items.append(
                f'<a href="/s?k={k}&amp;page={n}&amp;qid={ctx.qid}&amp;ref=sr_pg_{n}" role="button" '
                f'aria-label="Go to page {n}" class="s-pagination-item s-pagination-button">{n}</a>'
            )
    if page < pages:
        items.append(
            f'<a href="/s?k={k}&amp;page={page + 1}&amp;qid={ctx.qid}&amp;ref=sr_pg_{page}" role="button" '
            f'aria-label="Go to next page, page {page + 1}" class="s-pagination-item s-pagination-next '
            's-pagination-button s-pagination-separator">Next</a>'
        )
    else:
        items.append(
            '<span class="s-pagination-item s-pagination-next s-pagination-disabled" '
            'aria-disabled="true">Next</span>'
        )
    lis = "".join(
        f'<li class="s-list-item-margin-right-adjustment"><span class="a-list-item">{i}</span></li>'
        for i in items
    )
    return (
        '<div aria-label="pagination" class="a-section a-text-center s-pagination-container" '
        f'role="navigation"><span class="s-pagination-strip"><ul class="a-unordered-list a-horizontal '
        f's-unordered-list-accessibility">{lis}</ul></span></div>'
    )


def _refinements(ctx: Ctx) -> str:
    return (
        '<div class="sg-col-4-of-24 sg-col-4-of-12 s-matching-dir sg-col-4-of-16 sg-col sg-col-4-of-20" '
        'style="width:240px;flex:0 0 240px"><div class="sg-col-inner"><div id="s-refinements" '
        'class="a-section a-spacing-none"><div class="a-section a-spacing-none">'
        '<span class="a-size-base a-color-base puis-bold-weight-text">Department</span>'
        '<ul class="a-unordered-list a-nostyle a-vertical"><li><a href="/s?rh=n%3A3375251">'
        'Sports &amp; Outdoors</a></li><li><a href="/s?rh=n%3A1055398">Home &amp; Kitchen</a></li></ul>'
        '<span class="a-size-base a-color-base puis-bold-weight-text">Customer Reviews</span>'
        '<ul class="a-unordered-list a-nostyle a-vertical"><li><a href="#">4 Stars &amp; Up</a></li></ul>'
        "</div></div></div></div>"
    )


def _frame(ctx: Ctx, info: str, main_slot: str) -> str:
    return (
        head(ctx, f"Amazon.com : {ctx.keyword}")
        + nav(ctx)
        + '<span data-component-type="s-result-info-bar" class="rush-component">'
        '<div class="a-section a-spacing-small a-spacing-top-small s-breadcrumb sg-row">'
        f'<div class="a-section a-spacing-none"><span>{info}</span></div></div></span>'
        '<div id="search"><div class="s-desktop-width-max s-desktop-content s-opposite-dir '
        's-wide-grid-style sg-row">'
        + _refinements(ctx)
        + '<div class="sg-col-20-of-24 s-matching-dir sg-col-16-of-20 sg-col sg-col-8-of-12 '
        'sg-col-12-of-16"><div class="sg-col-inner">'
        '<span data-component-type="s-search-results" class="rush-component s-latency-cf-section">'
        f'<div class="s-main-slot s-result-list s-search-results sg-row">{main_slot}</div>'
        "</span></div></div></div></div>" + tail(ctx)
    )


def render_no_results(ctx: Ctx) -> str:
    """ "No results for <keyword>." (STRUCTURE.md 1g: ``MAIN-TOP_BANNER_MESSAGE``)."""
    rows = _Rows(ctx, 1)
    rows.widget(
        "MAIN-TOP_BANNER_MESSAGE",
        '<div class="a-section a-spacing-none s-no-outline" data-cy="no-results-header">'
        '<span class="a-size-medium a-color-base">No results for </span>'
        f'<span class="a-size-medium a-color-base a-text-bold">{esc(ctx.keyword)}.</span></div>'
        '<div class="a-row"><span class="a-size-base">Try checking your spelling or use more general '
        "terms</span></div>",
    )
    return _frame(
        ctx,
        f'No results for <span class="a-color-state a-text-bold">"{esc(ctx.keyword)}"</span>',
        "".join(rows.rows),
    )


def render_search(ctx: Ctx, catalog: Catalog, page: int) -> str:
    """The result page ``page`` of ``ctx.keyword``."""
    s = catalog.scenario
    keyword = ctx.keyword
    ctx = replace(ctx, choice=frozenset(choice_for(s, keyword)))
    if page < 1 or page > max(1, s.pages):
        return render_no_results(ctx)
    rows = _Rows(ctx, page)
    organic = catalog.organic(keyword, page)
    grid_ads: list[str] = []
    if page == 1:
        brand = brand_for(s, keyword)
        if brand:
            _brand_unit(ctx, catalog, rows, brand)
        grid_ads = [a for a in sponsored_for(s, keyword) if catalog.listing(a) is not None]
    rows.widget(
        "MAIN-MESSAGING",
        _header("Results", "Check each product page for other buying options."),
    )
    request = _digits(stable_int("sp", keyword, page, ctx.qid), 16)
    placed: list[tuple[str, str, int]] = []  # (asin, widget, index within the page's SP ads)
    for i, asin in enumerate(grid_ads):
        widget = "sp_atf" if i < 4 else "sp_mtf" if i < 8 else "sp_btf"
        placed.append((asin, widget, i))

    def put_ads(widget: str) -> None:
        for asin, w, i in placed:
            if w != widget:
                continue
            listing = catalog.listing(asin)
            assert listing is not None
            ad = Ad(w, _digits(stable_int("ad", asin, keyword, w), 15), request, i)
            slot = catalog.ad_slot(asin, keyword)
            rows.product(listing, tile_image(listing, slot, keyword), ad)

    def put_organic(chunk: list[Listing]) -> None:
        for listing in chunk:
            rows.product(listing, tile_image(listing, listing.main), None)

    half = (len(organic) + 1) // 2
    put_ads("sp_atf")
    put_organic(organic[: min(4, half)])
    carousel = carousel_for(s, keyword) if page == 1 else []
    if carousel:
        _carousel(ctx, catalog, rows, carousel)
    put_organic(organic[min(4, half) : half])
    rows.widget("MAIN-MESSAGING", _header("More results", ""))
    put_ads("sp_mtf")
    put_organic(organic[half:])
    put_ads("sp_btf")
    in_footer = [
        lst for lst in map(catalog.listing, brand_footer_for(s, keyword) if page == 1 else []) if lst
    ]
    footer = [(lst, tile_image(lst, catalog.ad_slot(lst.asin, keyword), "footer")) for lst in in_footer]
    if footer:
        rows.raw(brand_footer(ctx, footer, rows.index, rows.uuid()))
    rows.widget(
        "MAIN-TEXT_REFORMULATION",
        '<div class="a-section a-spacing-none"><h2 class="a-size-medium-plus">Related searches</h2>'
        f'<a class="a-link-normal" href="/s?k={quote_plus(keyword + " sale")}">{esc(keyword)} sale</a> '
        f'<a class="a-link-normal" href="/s?k={quote_plus("best " + keyword)}">best {esc(keyword)}</a></div>',
    )
    rows.widget("MAIN-PAGINATION", _pagination(ctx, page, max(1, s.pages)))
    rows.widget(
        "MAIN-FEEDBACK",
        '<div class="a-section a-text-center"><span class="a-size-base">Need help?</span> '
        '<a href="/gp/help/customer/display.html">Visit the help section</a></div>',
    )
    first = (page - 1) * 48 + 1
    info = (
        f"{first}-{first + rows.pos - 1} of over 1,000 results for "
        f'<span class="a-color-state a-text-bold">"{esc(keyword)}"</span>'
    )
    return _frame(ctx, info, "".join(rows.rows))
