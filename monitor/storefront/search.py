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

This module assembles the page (frame, refinements, headers, pagination, the order of the rows); the
pieces are per unit kind: ``rows`` (the result list), ``tiles`` (the product tile of a grid row or a
carousel card), ``carousel`` (``sp_search_thematic``), ``brand_unit`` (the Sponsored Brands top slot)
and ``footer`` (the Sponsored Brands footer).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote_plus

from monitor.storefront.brand_unit import brand_unit
from monitor.storefront.carousel import sponsored_carousel
from monitor.storefront.catalog import Catalog, Listing, stable_int
from monitor.storefront.footer import brand_footer
from monitor.storefront.html import Ctx, esc, head, nav, tail
from monitor.storefront.rows import Rows
from monitor.storefront.scenario import brand_footer_for, brand_for, carousel_for, choice_for, sponsored_for
from monitor.storefront.tiles import Ad, digits, tile_image


def _header(title: str, sub: str) -> str:
    return (
        '<span data-component-type="s-messaging-widget-results-header" class="rush-component">'
        '<div class="a-section a-spacing-none s-messaging-widget-results-header"><div class="s-no-outline">'
        f'<h2 class="a-size-medium-plus a-spacing-none a-color-base a-text-bold">{esc(title)}</h2>'
        f'<div class="a-row a-size-base"><span class="a-size-base a-color-secondary a-text-normal">'
        f"{esc(sub)}</span></div></div></div></span>"
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
    rows = Rows(ctx, 1)
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
    rows = Rows(ctx, page)
    organic = catalog.organic(keyword, page)
    grid_ads: list[str] = []
    if page == 1:
        brand = brand_for(s, keyword)
        if brand:
            brand_unit(ctx, catalog, rows, brand)
        grid_ads = [a for a in sponsored_for(s, keyword) if catalog.listing(a) is not None]
    rows.widget(
        "MAIN-MESSAGING",
        _header("Results", "Check each product page for other buying options."),
    )
    request = digits(stable_int("sp", keyword, page, ctx.qid), 16)
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
            ad = Ad(w, digits(stable_int("ad", asin, keyword, w), 15), request, i)
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
        sponsored_carousel(ctx, catalog, rows, carousel)
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
