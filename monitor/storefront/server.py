"""The HTTP server under the simulated storefront and the simulated Ads API: ``LocalServer``.

``LocalServer`` binds 127.0.0.1, serves in a background thread, logs every answer (``RequestRecord``)
and stops cleanly. Its two subclasses answer the requests: ``Storefront``
(``monitor.storefront.routes``) and ``SimulatedAdsApi`` (``monitor.storefront.adsapi``).

Where it sits: outside ismon's data flow, in front of it. Tests and ``ismon demo`` point a marketplace's
``base_url`` at ``Storefront.base_url``; the sweep's browser then loads search pages, product pages
and images from here exactly as from Amazon. The server is stdlib ``ThreadingHTTPServer`` (HTTP/1.1,
keep-alive, gzip for text) and logs every request (path, status, bytes, user agent, cookies) so tests
and the bench can assert what the client fetched and what it blocked.
"""

from __future__ import annotations

import contextlib
import gzip
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
from urllib.parse import unquote

from monitor.errors import MonitorError

log = logging.getLogger(__name__)

LOG_LIMIT = 200_000  # newest requests kept, so a long-running demo server does not grow forever
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$")
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
    session_id: str = ""  # the shopper session: the session-id cookie sent, else the one given now


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
                session_id=cookies.get("session-id") or _given_session(resp.headers),
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


def _given_session(headers: list[tuple[str, str]]) -> str:
    for name, value in headers:
        if name == "Set-Cookie" and value.startswith("session-id="):
            return value.split(";", 1)[0].removeprefix("session-id=")
    return ""


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
