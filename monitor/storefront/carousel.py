"""The sponsored carousel (``sp_search_thematic``, "Customers frequently viewed") of the simulated
search page.

Where it sits: inside the simulated storefront; ``render_search`` (``search``) adds this unit to page
1 after the first organic results when the scenario has ``carousel`` ASINs for the keyword. Its cards
are product tiles (``tiles``) with Sponsored Products tracking; the unit's header carries the
"Sponsored" label and an ad-feedback trigger.
"""

from __future__ import annotations

import json

from monitor.storefront.catalog import Catalog, stable_int
from monitor.storefront.html import Ctx
from monitor.storefront.rows import Rows
from monitor.storefront.tiles import (
    Ad,
    digits,
    impression_logger,
    product_card,
    sq,
    sspa_href,
    tile_image,
    uuid_for,
)

CAROUSEL_WIDGET = "loom-desktop-inline-slot_sptw-cfv-session-similarity-v2-t4"


def sponsored_carousel(ctx: Ctx, catalog: Catalog, rows: Rows, asins: list[str]) -> None:
    """Add the ``sp_search_thematic`` carousel of ``asins`` to ``rows`` (nothing if none is listed)."""
    keyword = ctx.keyword
    request = digits(stable_int("sp-carousel", keyword, ctx.qid), 16)
    cards: list[str] = []
    feedback = []
    for i, asin in enumerate(asins):
        listing = catalog.listing(asin)
        if listing is None:
            continue
        ad = Ad("sp_search_thematic", digits(stable_int("ad", asin, keyword), 15), request, i)
        slot = catalog.ad_slot(asin, keyword)
        image_id = tile_image(listing, slot, keyword)
        n = len(cards) + 1
        href = sspa_href(ctx, listing, ad, f"sxin_{rows.index}_pa_sp_search_thematic_sspa", f"1-{n}-spons")
        feedback.append({"asin": asin, "adId": ad.ad_id, "campaignId": digits(stable_int("c", asin), 15)})
        cards.append(
            f'<li aria-label="{n} of {len(asins)}" aria-roledescription="slide" class="a-carousel-card">'
            f'<div data-asin="{asin}" class="sg-col-4-of-24 sg-col-4-of-12 s-result-item '
            'sg-col-4-of-16 sg-col sg-col-4-of-20"><div class="sg-col-inner">'
            f"{impression_logger(ctx, ad)}{product_card(ctx, listing, href, image_id, n, ad)}"
            "</div></div></div></li>"
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
        f'<div data-uuid="{uuid_for("c", index, ctx.qid)}" cel_widget_id="MAIN-FEATURED_ASINS_LIST-{index}" '
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
        f"data-multi-ad-feedback-form-trigger='{sq(trigger)}'>"
        '<a aria-hidden="false" aria-label="View Sponsored information or leave ad feedback" '
        'class="a-link-normal aok-inline-block s-widget-sponsored-label-text" href="#" role="button">'
        "Sponsored</a></span></div></div></div></div></div></div>"
        '<span data-component-type="s-searchgrid-carousel" '
        f"data-component-props='{sq({'name': CAROUSEL_WIDGET})}' class=\"rush-component\">"
        f"<div data-a-carousel-options='{sq(options)}' "
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
