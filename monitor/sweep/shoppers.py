"""The sweep's browser and the shoppers it opens in it, with the health of each marketplace.

Where it sits: between the sweep (``monitor.sweep.runner``, ``monitor.sweep.gallery``) and
``monitor.acquire``. One Chromium per sweep, started on first use and started again if it goes away;
each shopper is a browser context with its marketplace's language and delivery location, the next proxy
in turn and, once the marketplace challenged a session, a fresh identity. ``Health``
(``monitor.acquire.sessions``) keeps what happened to each marketplace's sessions. Also the httpx client
that fetches the pictures the browser did not keep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

import httpx
from playwright.async_api import Browser

from monitor.acquire.launch import desktop_user_agent, launch
from monitor.acquire.sessions import Health, HealthLimits
from monitor.acquire.shopper import Shopper, ShopperSettings
from monitor.acquire.stored_state import remember_postal_code, storage_state_path, stored_postal_code
from monitor.sweep.settings import SweepSettings

log = logging.getLogger(__name__)


def _no_image_ids(_marketplace: str) -> frozenset[str]:
    return frozenset()


class Shoppers:
    """Opens shoppers in the sweep's browser; ``image_ids`` says which pictures a marketplace's
    shoppers load despite blocking (the seller's galleries)."""

    def __init__(
        self, settings: SweepSettings, image_ids: Callable[[str], frozenset[str]] = _no_image_ids
    ) -> None:
        self.settings = settings
        self.image_ids = image_ids
        self.browser: Browser | None = None
        self.health = Health(
            HealthLimits(
                blocked_after=settings.alerts.blocked_after,
                give_up_after_timeouts=settings.sweep.give_up_after_timeouts,
                challenge_retries=settings.sweep.retries,
            )
        )
        self._launch_lock = asyncio.Lock()
        self._launches = 0
        self._proxy_turn = 0

    async def ensure_browser(self, playwright: object) -> Browser:
        async with self._launch_lock:
            if self.browser is None or not self.browser.is_connected():
                if self.browser is not None:
                    log.warning("the browser went away; starting a new one")
                self.browser = await launch(
                    playwright,  # type: ignore[arg-type]
                    self.settings.browser.executable,
                    headless=self.settings.browser.headless,
                )
                self._launches += 1
            return self.browser

    def _shopper_settings(self, marketplace: str) -> ShopperSettings:
        proxies = self.settings.browser.proxies
        proxy = ""
        if proxies:
            proxy = proxies[self._proxy_turn % len(proxies)]
            self._proxy_turn += 1
        return ShopperSettings(
            locale=self.settings.locales[marketplace],
            user_agent=self.settings.browser.user_agent,
            proxy=proxy,
            block_resources=self.settings.browser.block_resources,
            render_on_demand=self.settings.browser.render_on_demand,
            timeout_s=self.settings.sweep.timeout_seconds,
            storage_state=storage_state_path(self.settings.data_dir, marketplace),
            # once the marketplace challenged a session, new ones do not inherit its identity cookies
            fresh_identity=self.health.market(marketplace).challenges > 0,
            image_ids=self.image_ids(marketplace),
        )

    async def open(self, playwright: object, marketplace: str) -> Shopper:
        browser = await self.ensure_browser(playwright)
        return await Shopper.open(browser, self._shopper_settings(marketplace))

    async def set_locations(self, playwright: object, markets: Iterable[str]) -> None:
        for key in markets:
            market = self.settings.marketplaces[key]
            if not market.postal_code:
                continue
            state = storage_state_path(self.settings.data_dir, key)
            if state.is_file() and stored_postal_code(state) == market.postal_code:
                continue
            shopper = await self.open(playwright, key)
            try:
                if await shopper.set_delivery_location(market.base_url, market.postal_code, state):
                    remember_postal_code(state, market.postal_code)
                    log.info("%s: delivery location set to %s", key, market.postal_code)
            finally:
                await shopper.close()

    def http(self) -> httpx.AsyncClient:
        ua = self.settings.browser.user_agent or desktop_user_agent(
            self.browser.version if self.browser else "130"
        )
        return httpx.AsyncClient(
            headers={"User-Agent": ua}, timeout=self.settings.sweep.timeout_seconds, follow_redirects=True
        )
