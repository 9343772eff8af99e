"""The simulated Amazon Ads API: Login with Amazon tokens and Reporting v3, on 127.0.0.1.

Where it sits: beside the simulated storefront, outside ismon's data flow, in place of
advertising-api.amazon.com and api.amazon.com/auth/o2/token. Tests and ``ismon demo`` point
``[ads] api_url`` and ``token_url`` at it (``token_url`` is ``{base_url}/auth/o2/token``).

    with SimulatedAdsApi(AdsWorld(demo_scenario()), profiles={"1111": "us"}) as ads:
        ads.faults.throttle = 2            # the next two API calls get 429 + Retry-After
        ads.restate(day, 1.5)              # Amazon restated a day's numbers

It behaves like Amazon where ismon depends on it: tokens expire (``token_ttl_s``) and an expired or
unknown one gets 401; wrong client credentials get 401 ``invalid_client``, a wrong refresh token 400
``invalid_grant``; ``POST /reporting/reports`` wants the v3 content type, the ClientId and Scope headers,
at most 31 days and nothing beyond retention, and answers an identical request while the first is still
being prepared with 425 naming that report; a report is PENDING, then PROCESSING, then COMPLETED after
``pending_s`` (its rows are fixed then); its download URL is pre-signed and expires after ``url_ttl_s``
(403 "Request has expired"), a new status call gives a fresh one. ``faults`` switches the rest on per
test: throttling, 5xx, slow answers, FAILED reports, expired links, broken downloads. The reports
themselves are kept by ``monitor.storefront.adsreports.ReportDesk``.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.storefront.adsdata import AdsWorld
from monitor.storefront.adsreports import AdsFaults, ReportDesk, json_response
from monitor.storefront.server import LocalServer, _Handler, _Response

V3_TYPE = "application/vnd.createasyncreportrequest.v3+json"
DEMO_CLIENT_ID = "amzn1.application-oa2-client.ismondemo"


@dataclass
class _State:
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch)
    tokens_issued: int = 0


class SimulatedAdsApi(LocalServer):
    """Login with Amazon plus Reporting v3 for the profiles given, serving one ``AdsWorld``."""

    name = "ads-api"

    def __init__(
        self,
        world: AdsWorld,
        *,
        profiles: dict[str, str] | None = None,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = "demo-client-secret",
        refresh_token: str = "Atzr|demo-refresh-token",
        token_ttl_s: float = 3600.0,
        announced_ttl_s: float = 3600.0,
        pending_s: float = 1.0,
        url_ttl_s: float = 3600.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.world = world
        self.profiles = profiles or {"1111111111": "us"}
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        # A token stops working after token_ttl_s; the answer announces announced_ttl_s (Amazon: 3600).
        self.token_ttl_s, self.announced_ttl_s = token_ttl_s, announced_ttl_s
        self.faults = AdsFaults()
        self._state = _State()
        self._lock = threading.Lock()
        self.desk = ReportDesk(world, self.faults, self._lock, pending_s, url_ttl_s)

    # ---- control and inspection ------------------------------------------------------------------

    @property
    def pending_s(self) -> float:
        """Seconds from creating a report to COMPLETED."""
        return self.desk.pending_s

    @pending_s.setter
    def pending_s(self, value: float) -> None:
        self.desk.pending_s = value

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/auth/o2/token"

    def restate(self, day: date, factor: float) -> None:
        """Amazon corrected ``day``: reports prepared from now on count ``factor`` times the impressions."""
        with self._lock:
            self.world.restated[day] = factor

    @property
    def tokens_issued(self) -> int:
        with self._lock:
            return self._state.tokens_issued

    def access_tokens(self) -> list[str]:
        """Every access token handed out (tests look for them in logs)."""
        with self._lock:
            return list(self._state.tokens)

    def created(self) -> list[dict[str, Any]]:
        """The bodies of every report created so far (duplicates answered 425 are not counted)."""
        with self._lock:
            return [r.body for r in self.desk.reports.values()]

    def create_report(self, profile: str, body: dict[str, Any]) -> str:
        """Create a report as if a POST had come in (e.g. from a run that died before storing the id)."""
        with self._lock:
            return self.desk.new_report(profile, body).report_id

    # ---- routing ----------------------------------------------------------------------------------

    def _respond(self, h: _Handler, cookies: dict[str, str]) -> _Response:
        url = urlsplit(h.path)
        body = h._body()  # read first: an answer that leaves it unread would garble the next request
        if h.command == "POST" and url.path == "/auth/o2/token":
            answer = self._token(body)
            answer.kind = "token"
            return answer
        if h.command == "GET" and url.path.startswith("/download/"):
            return self.desk.download(url.path.removeprefix("/download/"), parse_qs(url.query))
        if not url.path.startswith("/reporting/reports"):
            return json_response(404, {"code": "404", "detail": "Not Found"})
        fault = self._api_fault()
        if fault is not None:
            return fault
        denied = self._authorize(h)
        if denied is not None:
            return denied
        profile = h.headers.get("Amazon-Advertising-API-Scope", "")
        if h.command == "POST" and url.path == "/reporting/reports":
            if h.headers.get("Content-Type", "").split(";")[0].strip() != V3_TYPE:
                return json_response(415, {"code": "415", "detail": "Cannot consume content type"})
            return self.desk.create(profile, body)
        if h.command == "GET":
            return self.desk.status(profile, url.path.removeprefix("/reporting/reports/"), h._origin())
        return json_response(405, {"code": "405", "detail": "Method Not Allowed"})

    def _api_fault(self) -> _Response | None:
        f = self.faults
        with self._lock:
            slow = f.slow_s if f.slow_calls > 0 else 0.0
            f.slow_calls = max(f.slow_calls - 1, 0)
        if slow:
            self._stopping.wait(slow)
        with self._lock:
            return self._throttled_or_broken()

    def _throttled_or_broken(self) -> _Response | None:
        f = self.faults
        if f.throttle > 0:
            f.throttle -= 1
            return json_response(
                429, {"code": "429", "detail": "Too Many Requests"}, [("Retry-After", f"{f.retry_after_s:g}")]
            )
        if f.server_errors > 0:
            f.server_errors -= 1
            return json_response(500, {"code": "500", "detail": "Internal Server Error"})
        return None

    def _token(self, body: bytes) -> _Response:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        with self._lock:
            if self.faults.token_errors > 0:
                self.faults.token_errors -= 1
                return json_response(
                    503, {"error": "server_error", "error_description": "Service Unavailable"}
                )
            if form.get("grant_type") != "refresh_token":
                return json_response(
                    400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
                )
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return json_response(
                    401, {"error": "invalid_client", "error_description": "Client authentication failed"}
                )
            if form.get("refresh_token") != self.refresh_token:
                return json_response(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "The request has an invalid grant parameter : refresh_token",
                    },
                )
            token = "Atza|" + secrets.token_urlsafe(24)
            self._state.tokens[token] = time.time() + self.token_ttl_s
            self._state.tokens_issued += 1
        body_out = {
            "access_token": token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": round(self.announced_ttl_s),
        }
        return json_response(200, body_out)

    def _authorize(self, h: _Handler) -> _Response | None:
        auth = h.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        with self._lock:
            expiry = self._state.tokens.get(token)
        if expiry is None or expiry <= time.time():
            return json_response(401, {"code": "UNAUTHORIZED", "details": "HTTP 401 Unauthorized"})
        if h.headers.get("Amazon-Advertising-API-ClientId") != self.client_id:
            return json_response(401, {"code": "UNAUTHORIZED", "details": "Invalid client id"})
        if h.headers.get("Amazon-Advertising-API-Scope") not in self.profiles:
            return json_response(401, {"code": "UNAUTHORIZED", "details": "Not authorized to access scope"})
        return None
