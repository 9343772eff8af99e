"""Shared markup of the simulated storefront: page shell, nav bar, location popover, cookie banner,
and the small pages (home, captcha, 404, an unrecognisable layout).

Where it sits: inside the simulated storefront, called by the request handler and by the search and
product page renderers. The markup copies Amazon's 2024-2026 desktop pages (ids and classes from the
saved pages in ``shared/fixtures/amazon``) so that ismon's parser and browser client meet the same
structure as on the real site.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from monitor.storefront import assets

AUI_BUILD = "3.26.2-2026-03-04"
DEFAULT_LOCATION = ("Ashburn", "20147")  # where Amazon's IP lookup puts a data-centre visitor

ZIP_CITIES: dict[str, str] = {
    "10001": "New York",
    "10115": "Berlin",
    "20147": "Ashburn",
    "27713": "Durham",
    "60601": "Chicago",
    "73301": "Austin",
    "90001": "Los Angeles",
    "94103": "San Francisco",
    "98101": "Seattle",
    "SW1A 1AA": "London",
}
ZIP_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z -]{1,8}[0-9A-Za-z]$")


def esc(text: object) -> str:
    """HTML-escape text for element content and double-quoted attributes."""
    return html.escape(str(text), quote=True)


def slug(title: str) -> str:
    """Amazon's URL slug of a title: the first words, dashes between, no punctuation."""
    words = re.findall(r"[A-Za-z0-9]+", title)[:7]
    return "-".join(words) or "product"


def city_for(zip_code: str) -> str:
    """The city shown next to a postal code (empty when the storefront does not know it)."""
    return ZIP_CITIES.get(zip_code.upper(), "")


@dataclass(frozen=True)
class Ctx:
    """Per-request facts the markup depends on."""

    origin: str  # scheme://host:port the browser used; image and canonical URLs are absolute
    request_id: str
    qid: int
    zip_code: str | None = None
    cookie_banner: bool = False
    keyword: str = ""
    page_type: str = "Search"
    choice: frozenset[str] = frozenset()  # ASINs badged "Amazon's Choice" on this search

    @property
    def media(self) -> str:
        """Base of image URLs (Amazon's m.media-amazon.com; here the storefront itself)."""
        return self.origin

    def image(self, image_id: str, block: str = "", ext: str = "jpg") -> str:
        """The CDN URL of an image id with an optional modifier block (``_AC_UL320_``)."""
        mid = f".{block}" if block else ""
        return f"{self.media}/images/I/{image_id}{mid}.{ext}"


def head(ctx: Ctx, title: str, extra: str = "") -> str:
    """Doctype, ``<head>`` and the opening ``<body>``."""
    return (
        "<!doctype html>"
        f'<html lang="en-us" class="a-no-js" data-19ax5a9jf="dingo" data-aui-build-date="{AUI_BUILD}">'
        "<head>"
        '<meta charset="utf-8">'
        '<meta http-equiv="x-dns-prefetch-control" content="on">'
        f"<title>{esc(title)}</title>"
        '<link rel="preload" href="/fonts/AmazonEmber_Rg.woff2" as="font" type="font/woff2" crossorigin>'
        "<style>"
        '@font-face{font-family:"Amazon Ember";src:url(/fonts/AmazonEmber_Rg.woff2) format("woff2");'
        "font-weight:400;font-display:swap}"
        '@font-face{font-family:"Amazon Ember";src:url(/fonts/AmazonEmber_Bd.woff2) format("woff2");'
        "font-weight:700;font-display:swap}"
        "</style>"
        '<link rel="stylesheet" href="/static/AmazonUI.css">'
        f"<script>{assets.HEAD_JS.replace('__REQUEST_ID__', ctx.request_id)}</script>"
        '<script async src="/static/AmazonUI.js"></script>'
        f"{extra}"
        "</head>"
        f'<body class="a-m-us a-aui_72554-c a-aui_template_weblab_cache_333406-c" '
        f'data-page-type="{esc(ctx.page_type)}">'
        '<div id="a-page">'
    )


def _location(ctx: Ctx) -> str:
    if ctx.zip_code:
        city = city_for(ctx.zip_code)
        line1 = f"Delivering to {city} {ctx.zip_code}".replace("  ", " ")
    else:
        line1 = f"Delivering to {DEFAULT_LOCATION[0]} {DEFAULT_LOCATION[1]}"
    return (
        '<div id="nav-global-location-slot">'
        '<span id="nav-global-location-data-modal-action" class="a-declarative nav-progressive-attribute" '
        'data-a-modal=\'{"width":375, "closeButton":"true","popoverLabel":"Choose your location", '
        '"name":"glow-modal", "url":"/portal-migration/hz/glow/get-rendered-address-selections?'
        "deviceType=desktop&amp;pageType=Search&amp;storeContext=NoStoreName&amp;"
        'actionSource=desktop-modal", '
        '"footer":"","header":"Choose your location"}\' data-action="a-modal">'
        '<a id="nav-global-location-popover-link" role="button" tabindex="0" '
        'class="nav-a nav-a-2 a-popover-trigger a-declarative nav-progressive-attribute" href="">'
        '<div class="nav-sprite nav-progressive-attribute" id="nav-packard-glow-loc-icon"></div>'
        '<div id="glow-ingress-block">'
        f'<span class="nav-line-1 nav-progressive-content" id="glow-ingress-line1">{esc(line1)}</span>'
        '<span class="nav-line-2 nav-progressive-content" id="glow-ingress-line2">Update location</span>'
        "</div></a></span>"
        '<input data-addnewaddress="add-new" id="unifiedLocation1ClickAddress" name="dropdown-selection" '
        'type="hidden" value="add-new" class="nav-progressive-attribute">'
        f'<input id="glowValidationToken" name="glow-validation-token" type="hidden" '
        f'value="{esc(ctx.request_id)}" class="nav-progressive-attribute">'
        '<input id="glowDestinationType" name="glow-destination-type" type="hidden" '
        f'value="{"ZIP" if ctx.zip_code else "IP2LOCATION"}" class="nav-progressive-attribute">'
        "</div>"
    )


def nav(ctx: Ctx) -> str:
    """Amazon's header: logo, delivery location, search form, account and cart."""
    kw = esc(ctx.keyword)
    return (
        '<header id="navbar-main" class="nav-opt-sprite nav-flex nav-locale-us nav-lang-en nav-ssl '
        'nav-unrec nav-progressive-attribute">'
        '<div id="navbar" cel_widget_id="Navigation-desktop-navbar" role="navigation" '
        'class="nav-sprite-v1 celwidget nav-bluebeacon nav-a11y-t1 nav-packard-glow hamburger">'
        '<div id="nav-belt"><div class="nav-left">'
        '<div id="nav-logo"><a href="/ref=nav_logo" id="nav-logo-sprites" class="nav-logo-link '
        'nav-progressive-attribute" aria-label="Amazon"><span class="nav-sprite nav-logo-base"></span>'
        '<span class="nav-logo-locale">.us</span></a></div>'
        f"{_location(ctx)}</div>"
        '<div class="nav-fill" id="nav-fill-search">'
        '<form id="nav-search-bar-form" accept-charset="utf-8" action="/s/ref=nb_sb_noss" '
        'class="nav-searchbar nav-progressive-attribute" method="GET" name="site-search" role="search">'
        '<div class="nav-left"><select aria-describedby="searchDropdownDescription" '
        'class="nav-search-dropdown searchSelect" id="searchDropdownBox" name="url" title="Search in">'
        '<option selected="selected" value="search-alias=aps">All Departments</option>'
        '<option value="search-alias=sporting">Sports &amp; Outdoors</option>'
        '<option value="search-alias=garden">Home &amp; Kitchen</option>'
        '<option value="search-alias=beauty">Beauty &amp; Personal Care</option></select></div>'
        '<div class="nav-fill"><label for="twotabsearchtextbox" style="display: none;">Search Amazon</label>'
        f'<input type="text" id="twotabsearchtextbox" value="{kw}" name="field-keywords" '
        'autocomplete="off" placeholder="Search Amazon" class="nav-input nav-progressive-attribute" '
        'dir="auto" tabindex="0" aria-label="Search Amazon" role="searchbox" spellcheck="false"></div>'
        '<div class="nav-right"><span id="nav-search-submit-text" class="nav-search-submit-text nav-sprite" '
        'aria-label="Go"><input id="nav-search-submit-button" type="submit" class="nav-input '
        'nav-progressive-attribute" value="Go" tabindex="0"></span></div>'
        "</form></div>"
        '<div class="nav-right"><div id="nav-tools" class="layoutToolbarPadding">'
        '<a href="/customer-preferences/edit" id="icp-nav-flyout" class="nav-a nav-a-2 icp-link-style-2">'
        '<span class="nav-line-2">EN</span></a>'
        '<a href="/ap/signin" id="nav-link-accountList" class="nav-a nav-a-2 nav-truncate">'
        '<span id="nav-link-accountList-nav-line-1" class="nav-line-1">Hello, sign in</span>'
        '<span class="nav-line-2">Account &amp; Lists</span></a>'
        '<a href="/gp/css/order-history" id="nav-orders" class="nav-a nav-a-2 nav-single-row-link">'
        '<span class="nav-line-1">Returns</span><span class="nav-line-2">&amp; Orders</span></a>'
        '<a href="/gp/cart/view.html" id="nav-cart" class="nav-a nav-a-2" aria-label="0 items in cart">'
        '<span id="nav-cart-count" class="nav-cart-count">0</span><span class="nav-line-2">Cart</span></a>'
        "</div></div></div>"
        '<div id="nav-main" class="nav-sprite"><a href="/gp/goldbox">Today\'s Deals</a>'
        '<a href="/gp/help/customer/display.html">Customer Service</a><a href="/registries">Registry</a>'
        '<a href="/gift-cards">Gift Cards</a><a href="/b?node=12035955011">Sell</a></div>'
        "</div></header>"
    )


def glow_modal() -> str:
    """The "Choose your location" popover (hidden until the location link is clicked)."""
    return (
        '<div id="a-modal-backdrop" class="a-modal-scroller a-declarative" style="display:none"></div>'
        '<div id="a-popover-glow" class="a-popover a-popover-modal a-declarative" role="dialog" '
        'aria-modal="true" aria-labelledby="a-popover-header-1" style="display:none">'
        '<div class="a-popover-wrapper"><header class="a-popover-header">'
        '<h4 class="a-popover-header-content" id="a-popover-header-1">Choose your location</h4>'
        '<button data-action="a-popover-close" class="a-button-close a-declarative" aria-label="Close">'
        "&#10005;</button></header>"
        '<div class="a-popover-inner" id="a-popover-content-1"><div id="GLUXAddressBlock">'
        '<div class="a-section a-spacing-base"><span class="a-size-base a-color-secondary">'
        "Delivery options and delivery speeds may vary for different locations</span></div>"
        '<div id="GLUXSignInButton" class="a-section a-spacing-base"><span class="a-button a-button-primary '
        'a-button-span12"><span class="a-button-inner"><a href="/ap/signin" class="a-button-text">'
        "Sign in to see your addresses</a></span></span></div>"
        '<div class="a-section a-spacing-small a-text-center">'
        '<span class="a-size-base a-color-secondary">or enter a US zip code</span></div>'
        '<div id="GLUXZipInputSection" class="a-section a-spacing-none"><div class="a-row">'
        '<div class="a-column a-span8"><input type="text" id="GLUXZipUpdateInput" '
        'class="GLUX_Full_Width a-declarative" autocomplete="postal-code" '
        'aria-label="or enter a US zip code">'
        '</div><div class="a-column a-span4 a-span-last"><span class="a-button a-button-span12" '
        'id="GLUXZipUpdate"><span class="a-button-inner"><input class="a-button-input" type="submit" '
        'aria-labelledby="GLUXZipUpdate-announce"><span id="GLUXZipUpdate-announce" class="a-button-text" '
        'aria-hidden="true">Apply</span></span></span></div></div>'
        '<div id="GLUXZipError" class="a-box a-alert-inline a-alert-inline-error aok-hidden" role="alert">'
        '<div class="a-box-inner a-alert-container"><div class="a-alert-content">'
        "Please enter a valid US zip code</div></div></div></div></div>"
        '<div id="GLUXHiddenSuccessDialog" class="a-section aok-hidden">'
        '<div class="a-spacing-base">Your location has been updated to '
        '<span id="GLUXHiddenSuccessSelectedAddressPlaceholder" class="a-text-bold"></span></div>'
        '<span class="a-button a-button-primary a-button-span12" id="GLUXConfirmClose">'
        '<span class="a-button-inner"><input class="a-button-input" type="submit" '
        'aria-labelledby="GLUXConfirmClose-announce"><span id="GLUXConfirmClose-announce" '
        'class="a-button-text" aria-hidden="true">Continue</span></span></span></div>'
        "</div></div></div>"
    )


def cookie_banner(request_id: str) -> str:
    """The EU cookie consent banner of Amazon's European stores (``#sp-cc``)."""
    return (
        '<div id="sp-cc-wrapper"><span class="a-declarative" data-action="sp-cc" data-sp-cc="{}">'
        '<form id="sp-cc" method="post" action="/cookieprefs?ref_=portal_banner_all" data-offset="0">'
        f'<input type="hidden" name="anti-csrftoken-a2z" value="{esc(request_id)}">'
        '<div class="sp-cc-text"><h4 class="a-spacing-small">Select Your Cookie Preferences</h4>'
        '<p class="a-spacing-none">We use cookies and similar tools that are necessary to enable you to '
        "make purchases, to enhance your shopping experiences and to provide our services, as detailed in "
        "our Cookie notice. We also use these cookies to understand how customers use our services.</p>"
        '<div id="sp-cc-error" class="a-box a-alert-inline a-alert-inline-error aok-hidden" role="alert">'
        '<div class="a-alert-content">Sorry, there was a problem saving your cookie preferences. '
        "Try again.</div></div></div>"
        '<div class="sp-cc-buttons"><span class="a-button a-button-primary"><span class="a-button-inner">'
        '<input id="sp-cc-accept" tabindex="1" name="accept" class="a-button-input celwidget" '
        'type="submit" value="all"><span class="a-button-text" aria-hidden="true">Accept Cookies</span>'
        '</span></span><span class="a-button a-button-base"><span class="a-button-inner">'
        '<input id="sp-cc-rejectall-link" tabindex="1" name="accept" class="a-button-input celwidget" '
        'type="submit" value="rejectAll"><span class="a-button-text" aria-hidden="true">Decline</span>'
        '</span></span><span class="a-button a-button-base"><span class="a-button-inner">'
        '<a id="sp-cc-customize" tabindex="1" href="/cookieprefs?ref_=portal_banner_cpp" '
        'class="a-button-text a-text-center celwidget" role="button">Customise Cookies</a>'
        "</span></span></div></form></span></div>"
    )


def tail(ctx: Ctx) -> str:
    """Footer, popovers, the page scripts and the closing tags."""
    banner = cookie_banner(ctx.request_id) if ctx.cookie_banner else ""
    return (
        '<div id="navFooter" class="navLeftFooter nav-sprite-v1"><div class="navFooterLine">'
        '<a href="/gp/help/customer/display.html?nodeId=508088">Conditions of Use</a> &nbsp; '
        '<a href="/gp/help/customer/display.html?nodeId=468496">Privacy Notice</a> &nbsp; '
        "<span>&copy; 1996-2026, Amazon.com, Inc. or its affiliates</span></div></div>"
        f"{glow_modal()}{banner}"
        "</div>"  # a-page
        f"<script>{assets.BODY_JS}</script>"
        f'<noscript><img src="/tracker/pixel.gif?js=0&amp;id={esc(ctx.request_id)}" alt=""></noscript>'
        "</body></html>"
    )


def continue_wall_page(amzn: str, amzn_r: str) -> str:
    """The button-only robot check: "Click the button below to continue shopping", nothing to type.

    As Amazon serves it since 2025 (STRUCTURE.md 1g, the BR page; pages saved by public scrapers): the
    ``validateCaptcha`` form with ``amzn`` and ``amzn-r`` and one submit button, no captcha image.
    """
    return (
        '<!doctype html><html lang="en-us" class="a-no-js"><head><meta charset="utf-8">'
        '<title dir="ltr">Amazon.com</title><link rel="stylesheet" href="/static/AmazonUI.css"></head>\n'
        "<body>\n<!--\n        To discuss automated access to Amazon data please contact "
        "api-services-support@amazon.com.\n-->\n"
        '<div class="a-container a-padding-double-large" style="min-width:350px;padding:44px 0 !important">'
        '<div class="a-row a-spacing-double-large" style="width: 350px; margin: 0 auto">'
        '<div class="a-row a-spacing-medium a-text-center"><i class="a-icon a-logo"></i></div>'
        '<div class="a-box a-alert a-alert-info a-spacing-base"><div class="a-box-inner">'
        '<i class="a-icon a-icon-alert"></i><h4>Click the button below to continue shopping</h4>'
        "</div></div>"
        '<div class="a-section"><div class="a-box a-color-offset-background">'
        '<div class="a-box-inner a-padding-extra-large">'
        '<form method="get" action="/errors/validateCaptcha" name="">'
        f'<input type=hidden name="amzn" value="{esc(amzn)}" />'
        f'<input type=hidden name="amzn-r" value="{esc(amzn_r)}" />'
        '<input type=hidden name="field-keywords" value="" />'
        '<div class="a-section a-spacing-extra-large"><div class="a-row">'
        '<span class="a-button a-button-primary a-span12"><span class="a-button-inner">'
        '<button type="submit" class="a-button-text" alt="Continue shopping">Continue shopping</button>'
        "</span></span></div></div></form></div></div></div></div></div>\n"
        '<div class="a-text-center a-size-mini a-color-secondary">'
        "&copy; 1996-2026, Amazon.com, Inc. or its affiliates</div>\n</body></html>\n"
    )


def captcha_page(amzn: str, amzn_r: str, token: str) -> str:
    """The classic "Enter the characters you see below" robot check (STRUCTURE.md 1g)."""
    return (
        '<!DOCTYPE html>\n<!--[if lt IE 7]> <html lang="en-us" class="a-no-js a-lt-ie9 a-lt-ie8 a-lt-ie7"> '
        "<![endif]-->\n<!--[if gt IE 8]><!-->\n"
        '<html class="a-no-js" lang="en-us"><!--<![endif]--><head>\n'
        '<meta http-equiv="content-type" content="text/html; charset=UTF-8">\n<meta charset="utf-8">\n'
        '<title dir="ltr">Amazon.com</title>\n<meta name="viewport" content="width=device-width">\n'
        '<link rel="stylesheet" href="/static/AmazonUI.css">\n</head>\n<body>\n'
        "<!--\n        To discuss automated access to Amazon data please contact "
        "api-services-support@amazon.com.\n-->\n"
        '<div class="a-container a-padding-double-large" style="min-width:350px;padding:44px 0 !important">\n'
        '<div class="a-row a-spacing-double-large" style="width: 350px; margin: 0 auto">\n'
        '<div class="a-row a-spacing-medium a-text-center"><i class="a-icon a-logo"></i></div>\n'
        '<div class="a-box a-alert a-alert-info a-spacing-base"><div class="a-box-inner">\n'
        '<i class="a-icon a-icon-alert"></i>\n<h4>Enter the characters you see below</h4>\n'
        '<p class="a-last">Sorry, we just need to make sure you\'re not a robot. For best results, please '
        "make sure your browser is accepting cookies.</p>\n</div></div>\n"
        '<div class="a-section"><div class="a-box a-color-offset-background">'
        '<div class="a-box-inner a-padding-extra-large">\n'
        '<form method="get" action="/errors/validateCaptcha" name="">\n'
        f'<input type=hidden name="amzn" value="{esc(amzn)}" />'
        f'<input type=hidden name="amzn-r" value="{esc(amzn_r)}" />\n'
        '<div class="a-row a-spacing-large"><div class="a-box"><div class="a-box-inner">\n'
        "<h4>Type the characters you see in this image:</h4>\n"
        '<div class="a-row a-text-center">'
        f'<img src="/captcha/{esc(token[:8])}/Captcha_{esc(token[8:18])}.jpg"></div>\n'
        '<div class="a-row a-spacing-base"><div class="a-row"><div class="a-column a-span6"></div>'
        '<div class="a-column a-span6 a-span-last a-text-right">'
        '<a onclick="window.location.reload()">Try different image</a></div></div>\n'
        '<input autocomplete="off" spellcheck="false" placeholder="Type characters" id="captchacharacters" '
        'name="field-keywords" autocapitalize="off" autocorrect="off" type="text"></div>\n'
        "</div></div></div>\n"
        '<div class="a-section a-spacing-extra-large"><div class="a-row">'
        '<span class="a-button a-button-primary a-span12"><span class="a-button-inner">'
        '<button type="submit" class="a-button-text">Continue shopping</button></span></span>'
        "</div></div>\n</form>\n</div></div></div>\n</div></div>\n"
        '<div class="a-divider a-divider-section"><div class="a-divider-inner"></div></div>\n'
        '<div class="a-text-center a-spacing-small a-size-mini">'
        '<a href="/gp/help/customer/display.html/ref=footer_cou?ie=UTF8&amp;nodeId=508088">'
        'Conditions of Use</a> <a href="/gp/help/customer/display.html/ref=footer_privacy?ie=UTF8&amp;'
        'nodeId=468496">Privacy Policy</a></div>\n'
        '<div class="a-text-center a-size-mini a-color-secondary">'
        "&copy; 1996-2026, Amazon.com, Inc. or its affiliates</div>\n</body></html>\n"
    )


def not_found_page(ctx: Ctx) -> str:
    """Amazon's "Sorry! We couldn't find that page" (HTTP 404)."""
    return (
        head(ctx, "Page Not Found")
        + nav(ctx)
        + '<div id="g"><div class="a-section a-text-center" style="padding:60px 0">'
        '<h2 class="a-size-large">Looking for something?</h2>'
        "<p>We're sorry. The Web address you entered is not a functioning page on our site.</p>"
        '<p><a href="/ref=cs_404_link">Go to Amazon.com\'s Home Page</a></p></div></div>' + tail(ctx)
    )


def home_page(ctx: Ctx, keywords: list[str]) -> str:
    """A plain home page with a card per scenario keyword."""
    cards = "".join(
        f'<div class="a-cardui gw-card"><h2 class="a-size-medium-plus">{esc(k.title())}</h2>'
        f'<a href="/s?k={esc(k.replace(" ", "+"))}&amp;ref=gw_card">Shop now</a></div>'
        for k in keywords
    )
    return (
        head(ctx, "Amazon.com. Spend less. Smile more.")
        + nav(ctx)
        + '<div id="pageContent" class="a-section"><div id="desktop-banner" class="gw-hero" '
        'style="height:220px;background:linear-gradient(#b9e3f5,#fff)"></div>'
        f'<div id="gw-layout" style="display:flex;flex-wrap:wrap;gap:20px;padding:20px">{cards}</div></div>'
        + tail(ctx)
    )


def broken_page(ctx: Ctx, keyword: str, titles: list[str]) -> str:
    """A result page in a layout no parser knows: loads fine (200) but nothing is recognisable."""
    items = "".join(
        f'<article class="rx-card-v9"><div class="rx-media"><picture><source type="image/webp" '
        f'srcset="/tracker/pixel.gif"></picture></div><p class="rx-title">{esc(t)}</p></article>'
        for t in titles
    )
    return (
        head(ctx, f"Amazon.com : {keyword}")
        + nav(ctx)
        + f'<main id="search-v9" data-layout="rx-grid"><section class="rx-grid">{items}</section></main>'
        + tail(ctx)
    )
