"""The product detail page (``/dp/<ASIN>``) of the simulated storefront.

Where it sits: inside the simulated storefront; ismon's gallery refresh reads it. The gallery is in
the same places as on Amazon (STRUCTURE.md section 2): the ``ImageBlockATF`` script whose
``'colorImages': { 'initial': [...] }`` is a JSON array of slots (``hiRes``, ``thumb``, ``large``,
``main``, ``variant``), the ``#altImages li.item img`` thumbnails (large id, ``_SS40_``), and
``#landingImage[data-old-hires]`` (hiRes id of the first slot).
"""

from __future__ import annotations

import json

from monitor.storefront.catalog import Listing, price_of, rating_of
from monitor.storefront.html import Ctx, esc, head, nav, slug, tail

MAIN_SIZES = ((355, "SY"), (450, "SY"), (425, "SX"), (466, "SX"), (522, "SX"), (569, "SX"), (679, "SX"))


def _slot_json(ctx: Ctx, hires: str, large: str, variant: str) -> dict[str, object]:
    main = {ctx.image(hires, f"_{ax}{n}_"): [n, n] for n, ax in MAIN_SIZES}
    return {
        "hiRes": ctx.image(hires, "_SL1500_"),
        "thumb": ctx.image(large, "_SS40_"),
        "large": ctx.image(large),
        "main": main,
        "variant": variant,
        "lowRes": None,
        "shoppableScene": None,
        "feedbackMetadata": None,
        "physicalIdForMedia": hires,
    }


def _image_block_script(ctx: Ctx, listing: Listing) -> str:
    initial = [_slot_json(ctx, s.hires_id, s.large_id, s.variant) for s in listing.slots]
    data = json.dumps(initial, separators=(",", ":")).replace("</", "<\\/")
    return (
        '<script type="text/javascript">\n'
        "                P.now('media-block-initialised').execute(function(isMediaBlockInitialised) {\n"
        "                    if(!isMediaBlockInitialised){\n"
        "                        P.declare('media-block-initialised', true);\n"
        "                        P.when('A').register(\"ImageBlockATF\", function(A){\n"
        "                            var data = {\n"
        "                                'isMediaBlock': true,\n"
        f"                                'asin' : '{listing.asin}',\n"
        "                                'enableS2WithoutS1': false,\n"
        f"                                'colorImages': {{ 'initial': {data}}},\n"
        "                                'colorToAsin': {'initial': '{}'},\n"
        "                                'holderRatio': 1.0,\n"
        "                                'holderMaxHeight': 700,\n"
        "                                'mediaTypeCount':'1',\n"
        "                                'winningAsin': '',\n"
        "                                'weblabs' : {},\n"
        "                                'imageBlockRenderingStartTime': Date.now(),\n"
        "                            };\n"
        "                            A.trigger('P.AboveTheFold'); // trigger ATF event.\n"
        "                            return data;\n"
        "                        });\n"
        "                    }\n"
        "                });\n"
        "            </script>"
    )


def _alt_images(ctx: Ctx, listing: Listing) -> str:
    items = []
    n = len(listing.slots)
    for i, s in enumerate(listing.slots):
        action = json.dumps(
            {
                "thumbnailIndex": i,
                "variant": s.variant,
                "index": i,
                "actionOnClick": "openMainView",
                "type": "image",
            }
        )
        selected = " a-button-selected a-button-focus" if i == 0 else ""
        items.append(
            f'<li data-csa-c-action="mediaBlock-thumbnail-mainView-hover" data-csa-c-posx="{i}" '
            f'data-csa-c-type="uxElement" class="a-spacing-small item itemNo{i} imageThumbnail">'
            '<span class="a-list-item"><span class="a-declarative" data-action="thumb-action" '
            f"data-thumb-action='{action}' data-ux-click=\"\">"
            f'<span class="a-button a-button-thumbnail a-button-toggle{selected}" id="a-autoid-{4 + i}">'
            f'<span class="a-button-inner"><input role="radio" aria-checked="false" class="a-button-input" '
            f'type="submit" aria-posinset="{i + 1}" aria-setsize="{n}">'
            f'<span class="a-button-text" aria-hidden="true"><img alt="" '
            f'src="{esc(ctx.image(s.large_id, "_SS40_"))}"></span></span></span></span></span></li>'
        )
    return (
        '<div id="altImages" class="a-fixed-left-grid-col a-col-left">'
        '<ul aria-label="Image thumbnails" class="a-unordered-list a-nostyle a-button-list a-declarative '
        'a-button-toggle-group a-vertical a-spacing-top-micro regularAltImageViewLayout" role="radiogroup">'
        + "".join(items)
        + "</ul></div>"
    )


def render_product(ctx: Ctx, listing: Listing) -> str:
    """The detail page of one listing."""
    p = listing.product
    first = listing.slots[0]
    dynamic = json.dumps({ctx.image(first.hires_id, f"_{ax}{n}_"): [n, n] for n, ax in MAIN_SIZES})
    dollars, cents = price_of(p.asin)
    stars, count = rating_of(p.asin)
    canonical = f"{ctx.origin}/{slug(p.title)}/dp/{p.asin}"
    landing = (
        '<div id="main-image-container" class="a-dynamic-image-container"><ul class="a-unordered-list '
        'a-nostyle a-horizontal list maintain-height"><li class="image item itemNo0 maintain-height '
        'selected"><span class="a-list-item"><span class="a-declarative" data-action="main-image-click">'
        '<div id="imgTagWrapperId" class="imgTagWrapper" role="button" tabindex="0">'
        f'<img alt="{esc(p.title)}" src="{esc(ctx.image(first.hires_id, "_SX425_"))}" '
        'data-mb-pv-slot-index="0" '
        f'data-old-hires="{esc(ctx.image(first.hires_id, "_SL1500_"))}" data-a-image-name="landingImage" '
        'class="a-dynamic-image a-stretch-vertical media-block-image-tag" id="landingImage" '
        f"data-a-dynamic-image='{esc(dynamic)}' style=\"max-width: 380px; max-height: 380px;\">"
        "</div></span></span></li></ul></div>"
    )
    body = (
        f'<div id="dp" class="sporting_goods en_US"><div id="dp-container" class="a-container">'
        '<div id="leftCol" class="celwidget"><div id="imageBlock_feature_div" class="celwidget">'
        f'<div id="imageBlock" class="a-section imageBlockRearch">{_alt_images(ctx, listing)}{landing}'
        "</div></div></div>"
        '<div id="centerCol" class="centerColAlign"><div id="title_feature_div" class="celwidget">'
        '<h1 id="title" class="a-size-large a-spacing-none">'
        f'<span id="productTitle" class="a-size-large product-title-word-break">{esc(p.title)}</span></h1>'
        '</div><div id="bylineInfo_feature_div">'
        f'<a id="bylineInfo" class="a-link-normal" href="/stores/{esc(slug(p.brand))}/page/'
        f'{p.asin}?ref_=ast_bln">Visit the {esc(p.brand)} Store</a></div>'
        f'<div id="averageCustomerReviews"><span class="a-size-base a-color-base">{stars}</span> '
        f'<span id="acrCustomerReviewText" class="a-size-base">{count:,} ratings</span></div>'
        '<div id="corePrice_feature_div"><span class="a-price aok-align-center" data-a-size="xl">'
        f'<span class="a-offscreen">${dollars}.{cents:02d}</span><span aria-hidden="true">'
        f'<span class="a-price-symbol">$</span><span class="a-price-whole">{dollars}</span>'
        f'<span class="a-price-fraction">{cents:02d}</span></span></span></div>'
        '<div id="feature-bullets" class="a-section a-spacing-medium a-spacing-top-small">'
        '<ul class="a-unordered-list a-vertical a-spacing-mini">'
        f'<li><span class="a-list-item">{esc(p.brand)} quality you can count on.</span></li>'
        '<li><span class="a-list-item">Designed for the outdoors and everyday use.</span></li>'
        "</ul></div></div>"
        '<div id="rightCol"><div id="buybox"><form method="post" id="addToCart" action="/cart/add-to-cart">'
        f'<input type="hidden" id="ASIN" name="ASIN" value="{p.asin}">'
        '<input type="hidden" name="quantity" value="1">'
        f'<span class="a-price"><span class="a-offscreen">${dollars}.{cents:02d}</span></span>'
        '<div id="availability"><span class="a-size-medium a-color-success">In Stock</span></div>'
        '<span class="a-button a-button-primary"><span class="a-button-inner">'
        '<input id="add-to-cart-button" name="submit.add-to-cart" class="a-button-input" type="submit">'
        '<span class="a-button-text">Add to Cart</span></span></span></form></div></div>'
        "</div></div>"
    )
    extra = f'<link rel="canonical" href="{esc(canonical)}">'
    return (
        head(ctx, f"Amazon.com: {p.title} : Sports & Outdoors", extra)
        + nav(ctx)
        + body
        + _image_block_script(ctx, listing)
        + tail(ctx)
    )
