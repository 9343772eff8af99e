"""The rows of the simulated search page's result list (``div.s-main-slot``).

Where it sits: inside the simulated storefront, between the search page (``search``), which fills a
``Rows`` in page order, and the product tile (``tiles``), which a product row wraps; the sponsored
units (``carousel``, ``brand_unit``) add their rows through it. ``data-index`` counts every row,
``data-csa-c-pos`` (``Rows.pos``) counts products only.
"""

from __future__ import annotations

from monitor.storefront.catalog import Listing
from monitor.storefront.html import Ctx
from monitor.storefront.tiles import Ad, impression_logger, organic_href, product_card, sspa_href, uuid_for


class Rows:
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
        return uuid_for(self.ctx.keyword, self.page, self.index, self.ctx.qid)

    def product(self, listing: Listing, image_id: str, ad: Ad | None) -> None:
        self.pos += 1
        pos, index, uid, ctx = self.pos, self.index, self.uuid(), self.ctx
        if ad:
            href = sspa_href(ctx, listing, ad, f"sr_1_{pos}_sspa", f"8-{pos}-spons")
        else:
            href = organic_href(ctx, listing, pos)
        card = product_card(ctx, listing, href, image_id, pos, ad)
        if ad:
            card = (
                f'{impression_logger(ctx, ad)}<div data-component-type="s-impression-counter" '
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
