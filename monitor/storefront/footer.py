"""The Sponsored Brands footer ("Brands related to your search") of the simulated search page.

Where it sits: inside the simulated storefront; ``render_search`` adds this row near the bottom of
page 1 when the scenario has ``brand_footer`` ASINs for the keyword. The markup follows the footer of
the saved 2026 amazon.com page (STRUCTURE.md 1d "SB brand footer"; tests/fixtures/
sb_brand_footer_two_brands.html describes it): one card per brand in a carousel, each card's product
named only in its links (an ad redirect to ``/dp/ASIN``), no ``data-asin`` holder in the whole unit.
The product shot's id is written as is in ``src`` and with ``+`` percent-encoded (``%2B``) in
``srcset``, as Amazon sometimes writes it, so a client must pair each ASIN with the picture of its own
card however the id is written.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from monitor.storefront.catalog import Listing, stable_int
from monitor.storefront.html import Ctx, esc

CEL = "multi-brand-creative-desktop_loom-desktop-brand-footer-slot_98"
BLOCK = "_AC_SR139,139_QL70_"
BLOCK_2X = "_AC_SR278,278_QL70_"


def _ad_id(*parts: object) -> str:
    return str(300_000_000_000_000 + stable_int("footer", *parts) % 10**12)


def _card(ctx: Ctx, listing: Listing, image_id: str, index: int) -> str:
    brand = listing.product.brand
    ad_id, campaign = _ad_id("ad", ctx.keyword, brand), _ad_id("campaign", brand)
    click = "/x/c/" + base64.urlsafe_b64encode(f"sbf|{ad_id}".encode()).decode().rstrip("=")
    to_product = (
        f"{click}/?url={quote('/dp/' + listing.asin, safe='')}&ref_=sbx_be_s_3psl_mbd_mb{index}_asin_0_img"
    )
    to_store = f"{click}/?url={quote('/', safe='')}&ref_=sbx_be_s_3psl_mbd_mb{index}_hl"
    src = ctx.image(image_id, BLOCK)
    encoded = image_id.replace("+", "%2B")
    srcset = f"{ctx.image(encoded, BLOCK)} 1x, {ctx.image(encoded, BLOCK_2X)} 2x"
    logo = f"/images/S/al-na-9d5791cf-3faf/{ad_id}._CR0,0,1500,1502_AC_SX278_SY200_QL70_.png?brand="
    logo += quote(brand)
    return (
        f'<div class="_bXVsd_container_36eK4" data-index="{index}" style="display:inline-block;'
        'vertical-align:top;width:300px;margin-right:16px">'
        f'<div class="_bXVsd_container_yQKU1 sbx-desktop sbx-no-js" data-aid="{ad_id}" data-cid="{campaign}" '
        'data-mrkt="US" data-slot="desktop-hsa-3psl" data-var="lifestyle">'
        f'<div class="_bXVsd_logoContainer_hP7uf"><a class="a-link-normal" href="{esc(to_store)}">'
        f'<img alt="{esc(brand)}" src="{esc(logo)}" width="139" height="60"></a></div>'
        '<div class="_bXVsd_headlineContainer_3qJ82">'
        f'<a class="a-link-normal" href="{esc(to_store)}">Shop {esc(brand)}</a></div>'
        '<div class="_bXVsd_productContainer_1qWbS">'
        f'<a class="a-link-normal _bXVsd_productLink_2x4Ux" href="{esc(to_product)}" '
        'style="display:inline-block;width:139px;height:139px">'
        f'<img alt="Sponsored ad from {esc(brand)}" src="{esc(src)}" srcset="{esc(srcset)}" '
        'width="139" height="139"></a></div></div></div>'
    )


def brand_footer(ctx: Ctx, cards: list[tuple[Listing, str]], index: int, uuid: str) -> str:
    """The footer row (``data-index`` ``index``): one card per (listing, id of its ad picture)."""
    listings = [lst for lst, _ in cards]
    creatives = [
        {"campaignId": _ad_id("campaign", brand), "adId": _ad_id("ad", ctx.keyword, brand), "title": brand}
        for brand in (lst.product.brand for lst in listings)
    ]
    inner = "".join(_card(ctx, lst, image_id, i) for i, (lst, image_id) in enumerate(cards))
    return (
        '<div class="s-result-item s-widget s-widget-spacing-large AdHolder s-flex-full-width" '
        f'data-asin="" data-uuid="{uuid}" data-index="{index}">'
        f'<div class="celwidget c-f" cel_widget_id="{CEL}" data-csa-c-type="widget" '
        'data-csa-c-painter="multi-brand-creative-desktop-cards">'
        f'<div class="a-cardui" data-a-card-type="fullBleed" data-card-metrics-id="{CEL}">'
        '<div class="a-cardui-body"><span aria-label="Brands related to your search" '
        'class="a-size-medium-plus" role="heading">Brands related to your search</span>'
        '<div class="a-section a-spacing-small"><div class="_bXVsd_adFeedbackWrapper_5HhSK" '
        f'data-ad-creative-list="{esc(json.dumps(creatives, separators=(",", ":")))}">'
        '<span class="_bXVsd_ad-feedback-text-desktop_q3xp_" aria-label="Leave feedback on Sponsored ad" '
        'role="button">Sponsored</span></div></div>'
        '<div class="_bXVsd_mbc_3aFoX"><div class="_bXVsd_carousel_3dgog" data-id="carousel">'
        f'<div class="_bXVsd_track_176sq" data-id="track" data-is-search="true">{inner}</div>'
        "</div></div></div></div></div></div>"
    )
