"""The browser edge: find Chromium, launch it through Playwright, load pages like a shopper.

Sits between the sweep (which decides what to load and what to do with it) and Amazon (or the simulated
storefront). A ``Shopper`` is one browser context: a normal desktop user agent, the marketplace's
language, a stored delivery location, resources the agent does not need blocked, and a ``Visit`` per
page that hands back the HTML, the ad images the browser received and element screenshots.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, Response, Route
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from monitor.errors import BrowserError, BrowserNotFoundError, PageLoadTimeoutError

log = logging.getLogger(__name__)

SYSTEM_CHROMIUMS = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
INSTALL_HINT = (
    "install one: `apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu), or "
    "`python -m playwright install chromium` where Playwright's download is reachable, or set "
    '[browser] executable = "/path/to/chromium" in the config'
)


def _playwright_chromiums() -> list[Path]:
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    patterns = [
        "chromium_headless_shell-*/chrome-*/chrome-headless-shell",
        "chromium_headless_shell-*/chrome-*/headless_shell",
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
    ]
    found: list[Path] = []
    for pattern in patterns:
        found.extend(sorted(Path(root).glob(pattern), reverse=True))
    return found


def find_chromium(setting: str = "auto") -> Path:
    """The Chromium to drive: the configured path, else Playwright's own, else the system's."""
    if setting and setting != "auto":
        path = Path(setting).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserNotFoundError(
            f"browser.executable: {setting!r} is not an executable file; {INSTALL_HINT}"
        )
    env = os.environ.get("ISMON_CHROMIUM")
    if env:
        return find_chromium(env)
    for candidate in _playwright_chromiums():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in SYSTEM_CHROMIUMS:
        located = shutil.which(name)
        if located:
            real = Path(located)
            # Debian's /usr/bin/chromium is a shell wrapper; the binary behind it starts faster.
            behind = Path("/usr/lib/chromium/chromium")
            if real == Path("/usr/bin/chromium") and behind.is_file():
                return behind
            return real
    raise BrowserNotFoundError(f"no Chromium found; {INSTALL_HINT}")


# --- loading pages like a shopper -------------------------------------------------------------------

VIEWPORT = {"width": 1440, "height": 900}
# Product pictures live under /images/I/; everything else that is heavy and not needed goes.
PRODUCT_IMAGE_RE = re.compile(r"/images/I/")
BLOCKED_TYPES = frozenset({"font", "media", "websocket", "manifest", "texttrack", "eventsource"})
TRACKER_RE = re.compile(
    r"(/tracker/|/pixel|/beacon|fls-[a-z]+\.amazon|unagi(-[a-z]+)?\.amazon|/uedata|/csm/|"
    r"/batch/1/OE/|/rd/uedata|doubleclick|google-analytics|googletagmanager|/1/events/)"
)
CAPTCHA_URL_RE = re.compile(r"/errors/validateCaptcha")


def desktop_user_agent(browser_version: str) -> str:
    """A normal desktop Chrome user agent for this Chromium (never "HeadlessChrome")."""
    major = browser_version.split(".", 1)[0] or "130"
    return (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


@dataclass(frozen=True, slots=True)
class ShopperSettings:
    """How one browser context behaves; built by the sweep from the config."""

    locale: str = "en-US"
    user_agent: str = ""
    proxy: str = ""
    block_resources: bool = True
    timeout_s: float = 30.0
    storage_state: Path | None = None


@dataclass(slots=True)
class Visit:
    """One page load in progress: what the browser received, while the page is still open."""

    url: str
    page: Page
    status: int | None = None
    html: str = ""
    final_url: str = ""
    duration_ms: int = 0
    images: dict[str, Response] = field(default_factory=dict)
    _bytes: list[int] = field(default_factory=lambda: [0])

    @property
    def received_bytes(self) -> int:
        """Bytes received over the network for this page so far (encoded, as on the wire)."""
        return self._bytes[0]

    async def image_bytes(self, image_url: str | None, image_id: str | None) -> bytes | None:
        """The bytes of an ad image as the browser received them (no second request)."""
        candidates: list[Response] = []
        if image_url and image_url in self.images:
            candidates.append(self.images[image_url])
        if image_id:
            candidates.extend(r for u, r in self.images.items() if image_id in u and r not in candidates)
        for response in candidates:
            try:
                if response.ok:
                    return await response.body()
            except PlaywrightError as exc:
                log.debug("image body of %s unavailable: %s", response.url, exc)
        return None

    async def screenshot_ad(self, asin: str, image_id: str | None) -> bytes | None:
        """An element screenshot of the ad tile of ``asin`` whose image is ``image_id``: the evidence."""
        page = self.page
        holders = page.locator(f'[data-asin="{asin}"]')
        if image_id:
            with_image = holders.filter(has=page.locator(f'img[src*="{image_id}"]'))
            if await with_image.count():
                holders = with_image
        elif not await holders.count():
            return None
        if not await holders.count() and image_id:
            # Units whose ASIN sits on no data-asin holder (Sponsored Brands video): the image itself.
            holders = page.locator(f'img[src*="{image_id}"]')
        if not await holders.count():
            return None
        try:
            return await holders.first.screenshot(timeout=5_000, animations="disabled")
        except PlaywrightError as exc:
            log.debug("screenshot of %s failed: %s", asin, exc)
            return None


class Shopper:
    """One browser context that loads pages like a person would."""

    def __init__(self, context: BrowserContext, settings: ShopperSettings) -> None:
        self.context = context
        self.settings = settings

    @classmethod
    async def open(cls, browser: Browser, settings: ShopperSettings) -> Shopper:
        language = settings.locale
        accept = f"{language},{language.split('-')[0]};q=0.9,en;q=0.8"
        kwargs: dict[str, Any] = {
            "user_agent": settings.user_agent or desktop_user_agent(browser.version),
            "locale": language,
            "viewport": VIEWPORT,
            "device_scale_factor": 1,
            "extra_http_headers": {"Accept-Language": accept},
            "service_workers": "block",
        }
        if settings.proxy:
            kwargs["proxy"] = {"server": settings.proxy}
        if settings.storage_state and settings.storage_state.is_file():
            kwargs["storage_state"] = str(settings.storage_state)
        try:
            context = await browser.new_context(**kwargs)
        except PlaywrightError as exc:
            raise BrowserError(f"cannot open a browser context: {exc}") from None
        context.set_default_timeout(settings.timeout_s * 1000)
        if settings.block_resources:
            await context.route("**/*", _block_unneeded)
        return cls(context, settings)

    async def close(self) -> None:
        with suppress(PlaywrightError):
            await self.context.close()

    @asynccontextmanager
    async def visit(self, url: str) -> AsyncIterator[Visit]:
        """Load ``url``; the page stays open inside the ``with`` for images and screenshots."""
        page = await self.context.new_page()
        visit = Visit(url=url, page=page)
        counter = visit._bytes
        cdp = await self.context.new_cdp_session(page)

        def finished(event: dict[str, Any]) -> None:
            counter[0] += int(event.get("encodedDataLength", 0))

        cdp.on("Network.loadingFinished", finished)
        await cdp.send("Network.enable")

        def on_response(response: Response) -> None:
            if response.request.resource_type == "image" and PRODUCT_IMAGE_RE.search(response.url):
                visit.images[response.url] = response

        page.on("response", on_response)
        started = time.perf_counter()
        try:
            try:
                response = await page.goto(url, wait_until="domcontentloaded")
            except PlaywrightTimeout:
                raise PageLoadTimeoutError(f"{url}: no answer in {self.settings.timeout_s:.0f} s") from None
            except PlaywrightError as exc:
                if "Target" in str(exc) and "closed" in str(exc):
                    raise
                raise BrowserError(f"{url}: {_first_line(exc)}") from None
            await _accept_cookie_banner(page)
            try:
                await page.wait_for_load_state("load", timeout=min(10_000, self.settings.timeout_s * 1000))
            except PlaywrightTimeout:
                log.debug("%s: load event late; going on with what arrived", url)
            visit.status = response.status if response else None
            visit.final_url = page.url
            visit.html = await _page_html(page, response)
            visit.duration_ms = int((time.perf_counter() - started) * 1000)
            yield visit
        finally:
            with suppress(PlaywrightError):
                await cdp.detach()
            with suppress(PlaywrightError):
                await page.close()

    async def set_delivery_location(self, base_url: str, postal_code: str, state_file: Path) -> bool:
        """Set the delivery postal code through Amazon's location popover and keep the browser state.

        Returns True when the page confirmed the new location.
        """
        page = await self.context.new_page()
        try:
            await page.goto(base_url + "/", wait_until="domcontentloaded")
            await _accept_cookie_banner(page)
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
                confirmed = postal_code in (
                    await page.locator("#nav-global-location-popover-link").inner_text()
                )
            state_file.parent.mkdir(parents=True, exist_ok=True)
            await self.context.storage_state(path=str(state_file))
            return confirmed
        except PlaywrightError as exc:
            log.warning("could not set the delivery location at %s: %s", base_url, _first_line(exc))
            return False
        finally:
            await page.close()


async def _block_unneeded(route: Route) -> None:
    request = route.request
    kind = request.resource_type
    url = request.url
    if (
        kind in BLOCKED_TYPES
        or (kind == "image" and not PRODUCT_IMAGE_RE.search(url))
        or ((kind in ("script", "xhr", "fetch", "ping", "other")) and TRACKER_RE.search(url))
    ):
        await route.abort()
    else:
        await route.continue_()


async def _accept_cookie_banner(page: Page) -> None:
    """Accept the EU cookie banner if one is shown (as a shopper would)."""
    button = page.locator("#sp-cc-accept, input[name=accept][data-cel-widget=sp-cc-accept]")
    try:
        if await button.count():
            await button.first.click(timeout=3_000)
    except PlaywrightError:
        log.debug("cookie banner could not be accepted")


async def _page_html(page: Page, response: Response | None) -> str:
    """The HTML as served (what the fixtures are); the live DOM when the body is unavailable."""
    if response is not None:
        try:
            return await response.text()
        except PlaywrightError:
            pass
    return await page.content()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


async def launch(playwright: Playwright, executable: str = "auto", *, headless: bool = True) -> Browser:
    """Start Chromium through Playwright with the binary ``find_chromium`` picks."""
    path = find_chromium(executable)
    try:
        return await playwright.chromium.launch(
            executable_path=str(path),
            headless=headless,
            args=["--disable-blink-features=AutomationControlled", "--disable-gpu", "--disable-quic"],
        )
    except PlaywrightError as exc:
        raise BrowserError(f"cannot start {path}: {_first_line(exc)}") from None


def storage_state_path(data_dir: Path, marketplace: str) -> Path:
    return data_dir / "browser" / f"{marketplace}.json"


def stored_postal_code(state_file: Path) -> str | None:
    """The postal code recorded next to a stored browser state, if any."""
    meta = state_file.with_suffix(".meta.json")
    try:
        value = json.loads(meta.read_text()).get("postal_code")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, str) else None


def remember_postal_code(state_file: Path, postal_code: str) -> None:
    state_file.with_suffix(".meta.json").write_text(json.dumps({"postal_code": postal_code}))
