"""What stands between a shopper and the page: the EU cookie banner, Amazon's continue-shopping wall.

Where it sits: inside a page load. ``Shopper.visit`` (``monitor.acquire.shopper``) sees either in the
served HTML and gets past it as a person would: the banner's accept button clicked, the wall's one
"Continue shopping" button clicked once (the page it leads to becomes the visit's; a wall that comes
back is left for the pages stage to call a captcha). Setting the delivery location
(``monitor.acquire.location``) accepts the banner too.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import nullcontext

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from monitor.acquire.capture import frames_running
from monitor.acquire.launch import first_line
from monitor.acquire.visit import Visit
from monitor.errors import PageLoadTimeoutError

log = logging.getLogger(__name__)

# The served HTML tells whether a page has the EU cookie banner: asking the page instead (a locator)
# makes Playwright inject its selector engine into every fresh tab, ~100 ms of a ~300 ms visit.
COOKIE_BANNER_MARK = "sp-cc-accept"  # the accept button, in the served HTML of the saved UK page too
# The one button of Amazon's button-only robot check ("Click the button below to continue shopping").
CONTINUE_BUTTON = (
    'form[action*="validateCaptcha"] button[type=submit], form[action*="validateCaptcha"] input[type=submit]'
)


async def accept_cookie_banner(page: Page) -> None:
    """Accept the EU cookie banner if one is shown (as a shopper would)."""
    button = page.locator("#sp-cc-accept, input[name=accept][data-cel-widget=sp-cc-accept]")
    try:
        if await button.count():
            await button.first.click(timeout=3_000)
    except PlaywrightError:
        log.debug("cookie banner could not be accepted")


async def continue_shopping(visit: Visit) -> None:
    """Pass Amazon's button-only wall as a shopper does: one click on "Continue shopping", then the
    page it leads to is the visit's. Clicked once: a wall that comes back stays a captcha."""
    await visit.dom_ready()
    button = visit.page.locator(CONTINUE_BUTTON).first
    visit.document, visit.document_arrived = "", asyncio.Event()  # the next page's HTML
    try:
        async with frames_running(visit.cdp, visit.shopper.frame_lock) if visit.on_demand else nullcontext():
            async with visit.page.expect_navigation(wait_until="commit") as navigation:
                await button.click(timeout=5_000)
            response = await navigation.value
    except PlaywrightTimeout:
        raise PageLoadTimeoutError(f"{visit.url}: no answer after continue shopping") from None
    except PlaywrightError as exc:
        if "closed" in str(exc):
            raise
        log.info("%s: the continue-shopping button did not lead on: %s", visit.url, first_line(exc))
        return
    log.info("%s: passed the continue-shopping page with one click", visit.url)
    visit.parsed = asyncio.ensure_future(visit.page.wait_for_load_state("domcontentloaded"))
    visit.status = response.status if response else None
    visit.final_url = visit.page.url
    visit.html = await visit.served_html(response)
