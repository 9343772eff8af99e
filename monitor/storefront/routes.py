"""The simulated Amazon storefront: ``Storefront`` answers search, product, image and asset requests
from a ``Scenario``.

Where it sits: outside ismon's data flow, in front of it. ``Storefront`` is a ``LocalServer``
(``monitor.storefront.server``: the HTTP plumbing and the request log); here is what it answers: the
routes from a path to a page (``search``, ``product``, ``html``), a picture (``images``), an asset
(``assets``) or a redirect, and the control tests and ``ismon demo`` use between sweeps
(``set_scenario``, ``gallery``, ``ad_image_id``).

Control is in-process: ``Storefront.set_scenario`` swaps what the store shows (the scenario is
copied, so later changes to the caller's object have no effect until it is set again).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from monitor.storefront import assets
from monitor.storefront.catalog import Catalog, stable_int
from monitor.storefront.html import (
    ZIP_RE,
    Ctx,
    broken_page,
    captcha_page,
    city_for,
    continue_wall_page,
    home_page,
    not_found_page,
)
from monitor.storefront.images import Drawer, ImageStore, parse_image_name
from monitor.storefront.product import render_product
from monitor.storefront.scenario import Scenario, delay_for, in_set, norm_keyword
from monitor.storefront.search import render_no_results, render_search
from monitor.storefront.server import LocalServer, _Handler, _Response
from monitor.storefront.tiles import tile_image

ZIP_COOKIE = "glow-zip"
CONSENT_COOKIE = "sp-cc"
_DP_RE = re.compile(r"^/(?:[^/]+/)?(?:dp|gp/product)/([A-Z0-9]{10})(?:[/?].*)?$")


def _request_id() -> str:
    """A 20-character id like Amazon's ``x-amz-rid`` (also the page's csrf token here)."""
    seed = (time.time_ns(), threading.get_ident())
    n = stable_int("req", *seed) << 64 | stable_int("req2", *seed)
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for _ in range(20):
        n, r = divmod(n, 36)
        out.append(chars[r])
    return "".join(out)


def _html(status: int, text: str, kind: str, headers: list[tuple[str, str]] | None = None) -> _Response:
    return _Response(status, text.encode(), "text/html;charset=UTF-8", kind, headers or [])


def _redirect(location: str, headers: list[tuple[str, str]] | None = None) -> _Response:
    return _Response(302, b"", "text/plain", "redirect", [("Location", location), *(headers or [])])


def _set_cookie(name: str, value: str) -> tuple[str, str]:
    return ("Set-Cookie", f"{name}={quote(value, safe='')}; Path=/; SameSite=Lax")


def _fixed_answer(path: str, q: Callable[..., str]) -> _Response | None:
    """The answers that do not depend on the scenario (brand logos, static files, captcha pictures,
    ad-click redirects, fonts, media, trackers, robots.txt); None for any other path."""
    if path.startswith("/images/S/"):
        data = assets.brand_logo(path, q("brand"))
        return _Response(200, data, "image/png", "image", cache="max-age=31536000")
    if path.startswith("/images/G/"):
        return _Response(200, assets.static_image(path), "image/png", "static", cache="max-age=31536000")
    if path.startswith("/captcha/"):
        return _Response(200, assets.captcha_image(path), "image/jpeg", "captcha")
    if path == "/errors/validateCaptcha":
        target = q("amzn-r", "/") or "/"
        if not target.startswith("/"):
            target = "/"
        return _redirect(target)
    if path == "/sspa/click" or path.startswith("/x/c/"):
        target = q("url", "/") or "/"
        return _redirect(target if target.startswith("/") else "/")
    if path == "/static/AmazonUI.css":
        return _Response(200, assets.AUI_CSS.encode(), "text/css", "static", cache="max-age=86400")
    if path == "/static/AmazonUI.js":
        return _Response(
            200, assets.AUI_JS.encode(), "application/javascript", "static", cache="max-age=86400"
        )
    if path.startswith("/fonts/"):
        return _Response(200, assets.font_bytes(), "font/woff2", "font", cache="max-age=31536000")
    if path.startswith("/media/"):
        return _Response(200, assets.video_bytes(path), "video/mp4", "media")
    if path.startswith("/tracker/"):
        if path.endswith(".js"):
            return _Response(200, assets.TRACKER_JS.encode(), "application/javascript", "tracker")
        return _Response(200, assets.PIXEL_GIF, "image/gif", "tracker")
    if path.startswith("/1/events/"):
        return _Response(204, b"", "text/plain", "tracker")
    if path == "/robots.txt":
        return _Response(200, assets.ROBOTS_TXT.encode(), "text/plain", "page")
    return None


class Storefront(LocalServer):
    """A simulated Amazon marketplace on 127.0.0.1, serving one ``Scenario``."""

    name = "storefront"

    def __init__(
        self,
        scenario: Scenario,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        drawer: Drawer | None = None,
    ) -> None:
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._searches = 0  # search pages answered since the scenario was set (captcha_first, ...)
        self._catalog = Catalog(copy.deepcopy(scenario))
        self._images = ImageStore(drawer)

    # ---- control -----------------------------------------------------------------------------

    def set_scenario(self, scenario: Scenario) -> None:
        """Show ``scenario`` from the next request on (a copy of it is taken)."""
        catalog = Catalog(copy.deepcopy(scenario))
        with self._lock:
            self._catalog = catalog
            self._searches = 0

    @property
    def scenario(self) -> Scenario:
        """A copy of the scenario being served."""
        return copy.deepcopy(self.catalog.scenario)

    @property
    def catalog(self) -> Catalog:
        """The catalogue of the current scenario (listings and image ids)."""
        with self._lock:
            return self._catalog

    def gallery(self, asin: str) -> list[tuple[str, str, str]]:
        """``(variant, hiRes id, large id)`` of a listing's gallery, as its product page shows it."""
        listing = self.catalog.listing(asin)
        if listing is None:
            raise KeyError(asin)
        return [(s.variant, s.hires_id, s.large_id) for s in listing.slots]

    def ad_image_id(self, asin: str, keyword: str) -> str:
        """The image id the grid ad of ``asin`` shows for ``keyword`` (what the SERP tile carries)."""
        cat = self.catalog
        listing = cat.listing(asin)
        if listing is None:
            raise KeyError(asin)
        return tile_image(listing, cat.ad_slot(asin, keyword), norm_keyword(keyword))

    # ---- routing -------------------------------------------------------------------------------

    def _respond(self, h: _Handler, cookies: dict[str, str]) -> _Response:
        cat = self.catalog
        url = urlsplit(h.path)
        path = unquote(url.path)
        query = parse_qs(url.query, keep_blank_values=True)

        def q(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        origin = h._origin()
        request_id = _request_id()
        session = (
            []
            if "session-id" in cookies
            else [
                _set_cookie("session-id", f"13{stable_int('s', request_id) % 10**13:013d}"),
                _set_cookie("i18n-prefs", "USD"),
            ]
        )
        show_banner = cat.scenario.cookie_banner and CONSENT_COOKIE not in cookies

        def ctx(keyword: str = "", page_type: str = "Gateway") -> Ctx:
            return Ctx(
                origin=origin,
                request_id=request_id,
                qid=int(time.time()),
                zip_code=cookies.get(ZIP_COOKIE) or None,
                cookie_banner=show_banner,
                keyword=keyword,
                page_type=page_type,
            )

        method = h.command
        if method == "POST":
            return self._post(h, path, ctx)

        if path in ("/s", "/s/") or path.startswith("/s/ref="):
            keyword = " ".join((q("k") or q("field-keywords")).split())
            try:
                page = int(q("page", "1") or 1)
            except ValueError:
                page = 1
            return self._search(cat, ctx(keyword, "Search"), keyword, page, h.path, session)
        m = _DP_RE.match(path)
        if m:
            listing = cat.listing(m.group(1))
            if listing is None:
                return _html(404, not_found_page(ctx()), "product")
            return _html(200, render_product(ctx(page_type="Detail"), listing), "product", session)
        if path.startswith("/images/I/"):
            return self._image(cat, path.removeprefix("/images/I/"))
        fixed = _fixed_answer(path, q)
        if fixed is not None:
            return fixed
        if path in ("/", "/ref=nav_logo", "/ref=cs_404_link"):
            return _html(200, home_page(ctx(), cat.scenario.keywords()), "page", session)
        return _html(404, not_found_page(ctx()), "page")

    def _post(self, h: _Handler, path: str, ctx: Callable[..., Ctx]) -> _Response:
        """A POST: the delivery address, the cookie consent, event beacons; 404 otherwise."""
        body = h._body()
        if path == "/portal-migration/hz/glow/address-change":
            return self._address_change(body)
        if path == "/cookieprefs":
            cookie = _set_cookie(CONSENT_COOKIE, "accepted" if b"rejectAll" not in body else "rejected")
            if h.headers.get("Sec-Fetch-Mode", "navigate") == "navigate":
                return _redirect(h.headers.get("Referer", "/"), [cookie])
            return _Response(200, b'{"ok":true}', "application/json", "api", [cookie])
        if path.startswith("/1/events/"):
            return _Response(204, b"", "text/plain", "tracker")
        return _html(404, not_found_page(ctx()), "page")

    def _search(
        self,
        cat: Catalog,
        c: Ctx,
        keyword: str,
        page: int,
        raw_path: str,
        session: list[tuple[str, str]],
    ) -> _Response:
        s = cat.scenario
        delay = delay_for(s, keyword)
        if delay > 0:
            self._stopping.wait(delay)
        with self._lock:
            served = self._searches
            self._searches += 1
        amzn = f"{stable_int('amzn', c.request_id) % 10**16:016d}=="
        if s.captcha or in_set(s.captcha_keywords, keyword) or served < s.captcha_first:
            token = f"{stable_int('captcha', c.request_id):020d}"
            return _html(200, captcha_page(amzn, raw_path, token), "captcha", session)
        if served < s.captcha_first + s.continue_wall_first:
            return _html(200, continue_wall_page(amzn, raw_path), "captcha", session)
        if not keyword or in_set(s.no_results_keywords, keyword):
            return _html(200, render_no_results(c), "search", session)
        if in_set(s.broken_keywords, keyword):
            titles = [lst.product.title for lst in cat.organic(keyword, page)]
            return _html(200, broken_page(c, keyword, titles), "search", session)
        return _html(200, render_search(c, cat, page), "search", session)

    def _image(self, cat: Catalog, name: str) -> _Response:
        parsed = parse_image_name(name)
        ref = cat.image(parsed[0]) if parsed else None
        if parsed is None or ref is None:
            return _Response(404, b"Not Found", "text/plain", "image")
        data, ctype = self._images.get(ref, parsed[1], parsed[2])
        return _Response(200, data, ctype, "image", cache="max-age=31536000")

    def _address_change(self, body: bytes) -> _Response:
        zip_code = ""
        try:
            payload = json.loads(body or b"{}")
            if isinstance(payload, dict):
                zip_code = str(payload.get("zipCode", "")).strip()
        except ValueError:
            zip_code = parse_qs(body.decode("utf-8", "replace")).get("zipCode", [""])[0].strip()
        if not ZIP_RE.match(zip_code):
            bad = {"isValidAddress": 0, "isTransitOutOfAis": 0}
            return _Response(200, json.dumps(bad).encode(), "application/json", "api")
        out: dict[str, object] = {
            "isValidAddress": 1,
            "isTransitOutOfAis": 0,
            "sembuUpdated": 1,
            "address": {
                "zipCode": zip_code,
                "city": city_for(zip_code),
                "countryCode": "US",
                "locationType": "LOCATION_INPUT",
            },
        }
        return _Response(
            200, json.dumps(out).encode(), "application/json", "api", [_set_cookie(ZIP_COOKIE, zip_code)]
        )
