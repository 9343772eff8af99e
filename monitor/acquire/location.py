"""Setting the delivery location: the postal code typed into Amazon's location popover, the state kept.

Where it sits: before a sweep's searches. The sweep asks a fresh ``Shopper`` to set a marketplace's
configured postal code (``Shopper.set_delivery_location``, which runs this in its browser context)
when the stored browser state (``monitor.acquire.stored_state``) was not made for that code; the
state saved here then gives every later shopper of the marketplace the same location.
"""

from __future__ import annotations

import logging
from pathlib import Path

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from monitor.acquire.launch import first_line
from monitor.acquire.visit import page_html
from monitor.acquire.walls import COOKIE_BANNER_MARK, accept_cookie_banner

log = logging.getLogger(__name__)


async def set_delivery_location(
    context: BrowserContext, base_url: str, postal_code: str, state_file: Path
) -> bool:
    """Set the delivery postal code through Amazon's location popover and keep the browser state.

    Returns True when the page confirmed the new location.
    """
    page = await context.new_page()
    try:
        response = await page.goto(base_url + "/", wait_until="domcontentloaded")
        if COOKIE_BANNER_MARK in await page_html(page, response):
            await accept_cookie_banner(page)
        link = page.locator("#nav-global-location-popover-link, #glow-ingress-block").first
        await link.click(timeout=10_000)
        field_ = page.locator("#GLUXZipUpdateInput")
        await field_.wait_for(state="visible", timeout=10_000)
        await field_.fill(postal_code)
        await page.locator(
            "#GLUXZipUpdate input, #GLUXZipUpdate, [aria-labelledby=GLUXZipUpdate-announce]"
        ).first.click()
        try:
            await page.wait_for_function(
                "zip => (document.querySelector('#glow-ingress-line2, #nav-global-location-slot')"
                " || document.body).innerText.includes(zip)",
                arg=postal_code,
                timeout=10_000,
            )
            confirmed = True
        except PlaywrightTimeout:
            await page.reload(wait_until="domcontentloaded")
            confirmed = postal_code in (await page.locator("#nav-global-location-popover-link").inner_text())
        state_file.parent.mkdir(parents=True, exist_ok=True)
        await context.storage_state(path=str(state_file))
        return confirmed
    except PlaywrightError as exc:
        log.warning("could not set the delivery location at %s: %s", base_url, first_line(exc))
        return False
    finally:
        await page.close()
