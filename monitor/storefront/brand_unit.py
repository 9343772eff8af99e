"""The Sponsored Brands unit at the top of the simulated search page: a brand video, product tiles,
the brand logo and a "Shop <brand>" link.

Where it sits: inside the simulated storefront; ``render_search`` (``search``) puts it first on page 1
when the scenario has ``brand`` ASINs for the keyword. Its links go through ``/x/c/`` ad redirects
(answered by the server's routes); the footer unit of the same ad type is ``footer``.
"""

from __future__ import annotations

from urllib.parse import quote

from monitor.storefront.catalog import Catalog, stable_int
from monitor.storefront.html import Ctx, esc
from monitor.storefront.rows import Rows
from monitor.storefront.tiles import b64, digits, sq, tile_image, truncate, uuid_for

SB_BLOCK = "_AC_SR160,134_QL70_"
SB_CEL = "multi-card-creative-desktop_loom-desktop-top-slot_0"


def brand_unit(ctx: Ctx, catalog: Catalog, rows: Rows, asins: list[str]) -> None:
    """Add the Sponsored Brands top slot of ``asins`` (one brand) to ``rows`` (nothing if none is listed)."""
    listings = [lst for lst in (catalog.listing(a) for a in asins) if lst is not None]
    if not listings:
        return
    brand = listings[0].product.brand
    ad_id = digits(stable_int("sb", ctx.keyword, brand), 15)
    click = f"/x/c/{b64('sb|' + ad_id)}/"
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
            f'href="{esc(href)}">{esc(truncate(lst.product.title, 60))}</a></div>'
        )
    props = {
        "adId": ad_id,
        "advertiserId": digits(stable_int("adv", brand), 12),
        "campaignId": digits(stable_int("sbc", brand), 15),
        "clickUrl": f"{ctx.origin}{click}",
    }
    logo = (
        f"/images/S/al-na-9d5791cf-3faf/{uuid_for('logo', brand)}._AC_SX175_SY100_QL70_.png"
        f"?brand={quote(brand)}"
    )
    video = f"/media/sbv/{uuid_for('video', brand)}/sbv.mp4"
    index = rows.index
    rows.raw(
        f'<div class="s-result-item s-widget s-widget-spacing-large AdHolder s-flex-full-width" '
        f'data-asin="" data-uuid="{rows.uuid()}" data-index="{index}">'
        f'<div class="celwidget" cel_widget_id="{SB_CEL}" data-csa-op-log-render="" data-csa-c-type="widget" '
        'data-csa-c-painter="multi-card-creative-desktop-cards">'
        f"<div class=\"_c2Itd_container_ut_MN sb-creative\" data-properties='{sq(props)}' "
        f'aria-label="Sponsored ad from {esc(brand)}" id="CardInstance{ad_id}">'
        f'<img alt="" src="/tracker/pixel.gif?sb={ad_id}" class="_c2Itd_trackingPixel_wHX-P" '
        'style="position:absolute;visibility:hidden">'
        '<div class="sb-unit">'
        f'<a class="a-link-normal _c2Itd_headerLink_3bVa1" href="{esc(click)}">'
        f'<video aria-label="Sponsored ad from {esc(brand)}" class="_c2Itd_media_17g-f" '
        f'src="{video}" playsinline muted autoplay loop preload="auto" '
        f'poster="/images/S/al-na-9d5791cf-3faf/{uuid_for("poster", brand)}.jpg?brand={quote(brand)}">'
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
