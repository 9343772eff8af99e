"""The simulated storefront's HTTP server: ``Storefront`` runs it in a background thread.

``LocalServer`` is the part it shares with the simulated Ads API (``monitor.storefront.adsapi``): bind
127.0.0.1, serve in a thread, log every answer, stop cleanly.

Where it sits: outside ismon's data flow, in front of it. Tests and ``ismon demo`` point a marketplace's
``base_url`` at ``Storefront.base_url``; the sweep's browser then loads search pages, product pages
and images from here exactly as from Amazon. The server is stdlib ``ThreadingHTTPServer`` (HTTP/1.1,
keep-alive, gzip for text) and logs every request (path, status, bytes, user agent, cookies) so tests
and the bench can assert what the client fetched and what it blocked.

Control is in-process: ``Storefront.set_scenario`` swaps what the store shows (the scenario is
copied, so later changes to the caller's object have no effect until it is set again).
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import json
import logging
import re
import socket
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

from monitor.errors import MonitorError
from monitor.storefront import assets
from monitor.storefront.catalog import Catalog, stable_int
from monitor.storefront.html import (
    ZIP_RE,
    Ctx,
    broken_page,
    captcha_page,
    city_for,
    home_page,
    not_found_page,
)
from monitor.storefront.images import Drawer, ImageStore, parse_image_name
from monitor.storefront.product import render_product
from monitor.storefront.scenario import Scenario, delay_for, in_set, norm_keyword
from monitor.storefront.search import render_no_results, render_search, tile_image

log = logging.getLogger(__name__)

ZIP_COOKIE = "glow-zip"
LOG_LIMIT = 200_000  # newest requests kept, so a long-running demo server does not grow forever
CONSENT_COOKIE = "sp-cc"
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$")
_DP_RE = re.compile(r"^/(?:[^/]+/)?(?:dp|gp/product)/([A-Z0-9]{10})(?:[/?].*)?$")
_TEXT_TYPES = ("text/", "application/json", "application/javascript")


@dataclass(frozen=True)
class RequestRecord:
    """One request the storefront answered."""

    method: str
    path: str  # path and query as requested
    status: int
    bytes_sent: int  # body bytes of the response (after gzip)
    user_agent: str
    cookies: dict[str, str]
    time: float  # epoch seconds when the request arrived
    duration: float  # seconds spent preparing the answer (includes scenario delays)
    kind: str  # search, captcha, product, image, static, font, media, tracker, api, page, redirect


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str
    kind: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    cache: str = "no-cache"


class _Server(ThreadingHTTPServer):
    """Remembers open connections so ``stop()`` can end idle keep-alive ones at once."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], store: LocalServer) -> None:
        self.store = store
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that hangs up (it navigated on, a picture no longer wanted) is normal, not an error."""
        if isinstance(sys.exception(), ConnectionError):
            log.debug("%s: %s hung up", self.store.name, client_address)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Server"
    sys_version = ""
    timeout = 20  # idle keep-alive connections end on their own after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus delayed ACKs add 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        log.debug(self.server.store.name + ": " + format, *args)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        self._serve(send_body=True)

    # ---- plumbing ------------------------------------------------------------------------

    def _cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except CookieError:
            return {}
        return {k: unquote(m.value) for k, m in jar.items()}

    def _origin(self) -> str:
        host = self.headers.get("Host", "")
        if not _HOST_RE.match(host):
            h, p = self.server.server_address[:2]
            host = f"{h!s}:{p}"
        return f"http://{host}"

    def _body(self) -> bytes:
        try:
            n = int(self.headers.get("Content-Length", "0") or 0)
        except ValueError:
            n = 0
        return self.rfile.read(min(n, 1 << 20)) if n > 0 else b""

    def _serve(self, send_body: bool) -> None:
        store = self.server.store
        started = time.time()
        t0 = time.perf_counter()
        cookies = self._cookies()
        try:
            resp = store._respond(self, cookies)
        except (MonitorError, OSError, ValueError) as exc:
            log.warning("%s: %s %s failed: %s", store.name, self.command, self.path, exc)
            resp = _Response(500, b"Internal error", "text/plain; charset=utf-8", "error")
        except Exception:  # a storefront bug: answer 500 and keep serving, like a web server would
            log.exception("%s: %s %s crashed", store.name, self.command, self.path)
            resp = _Response(500, b"Internal error", "text/plain; charset=utf-8", "error")
        body = resp.body
        encoded = False
        if (
            len(body) > 1024
            and resp.content_type.startswith(_TEXT_TYPES)
            and "gzip" in self.headers.get("Accept-Encoding", "")
        ):
            body = gzip.compress(body, compresslevel=5)
            encoded = True
        has_body = send_body and resp.status != HTTPStatus.NO_CONTENT
        # Logged before the response goes out: once a client has its answer, the log has the request.
        store._record(
            RequestRecord(
                method=self.command,
                path=self.path,
                status=resp.status,
                bytes_sent=len(body) if has_body else 0,
                user_agent=self.headers.get("User-Agent", ""),
                cookies=cookies,
                time=started,
                duration=time.perf_counter() - t0,
                kind=resp.kind,
            )
        )
        try:
            self.send_response(resp.status)
            if resp.status != HTTPStatus.NO_CONTENT:
                self.send_header("Content-Type", resp.content_type)
                self.send_header("Content-Length", str(len(body)))
            if encoded:
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Vary", "Accept-Encoding")
            self.send_header("Cache-Control", resp.cache)
            for k, v in resp.headers:
                self.send_header(k, v)
            self.end_headers()
            if has_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


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


class LocalServer:
    """A stdlib HTTP server on 127.0.0.1 in a background thread, with a log of what it answered.

    Subclasses answer requests in ``_respond``; ``Storefront`` and the simulated Ads API
    (``monitor.storefront.adsapi``) are the two.
    """

    name = "server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.base_url = ""
        self._log: deque[RequestRecord] = deque(maxlen=LOG_LIMIT)
        self._log_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def _respond(self, h: _Handler, cookies: dict[str, str]) -> _Response:
        raise NotImplementedError

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        """Bind and serve in a background thread; returns ``base_url`` (``http://127.0.0.1:PORT``)."""
        if self._httpd is not None:
            return self.base_url
        self._stopping.clear()
        httpd = _Server((self.host, self.port), self)
        self._httpd = httpd
        port = httpd.server_address[1]
        self.base_url = f"http://{self.host}:{port}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}:{port}"
        )
        self._thread.daemon = True
        self._thread.start()
        log.info("%s serving at %s", self.name, self.base_url)
        return self.base_url

    def stop(self) -> None:
        """Stop serving, end open connections and free the port. Safe to call twice."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers that sit in a scenario delay
        httpd.shutdown()
        with httpd.conn_lock:
            conns = list(httpd.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()  # joins the handler threads
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- request log ---------------------------------------------------------------------------

    def _record(self, rec: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(rec)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request answered so far, oldest first."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the request log (e.g. between the phases of a test)."""
        with self._log_lock:
            self._log.clear()

    @property
    def counters(self) -> dict[str, int]:
        """Requests per kind (search, captcha, product, image, font, media, tracker, ...)."""
        with self._log_lock:
            return dict(Counter(r.kind for r in self._log))

    @property
    def bytes_sent(self) -> int:
        """Body bytes sent so far."""
        with self._log_lock:
            return sum(r.bytes_sent for r in self._log)


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
        self._catalog = Catalog(copy.deepcopy(scenario))
        self._images = ImageStore(drawer)

    # ---- control -----------------------------------------------------------------------------

    def set_scenario(self, scenario: Scenario) -> None:
        """Show ``scenario`` from the next request on (a copy of it is taken)."""
        catalog = Catalog(copy.deepcopy(scenario))
        with self._lock:
            self._catalog = catalog

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
        if path in ("/", "/ref=nav_logo", "/ref=cs_404_link"):
            return _html(200, home_page(ctx(), cat.scenario.keywords()), "page", session)
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
        if s.captcha or in_set(s.captcha_keywords, keyword):
            token = f"{stable_int('captcha', c.request_id):020d}"
            amzn = f"{stable_int('amzn', c.request_id) % 10**16:016d}=="
            return _html(200, captcha_page(amzn, raw_path, token), "captcha")
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
