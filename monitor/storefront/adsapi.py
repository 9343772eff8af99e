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
test: throttling, 5xx, slow answers, FAILED reports.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.storefront.adsdata import AdsWorld
from monitor.storefront.server import LocalServer, _Handler, _Response

V3_TYPE = "application/vnd.createasyncreportrequest.v3+json"
RETENTION = {"spSearchTerm": 65, "spTargeting": 95, "spAdvertisedProduct": 95}
DEMO_CLIENT_ID = "amzn1.application-oa2-client.ismondemo"


@dataclass
class AdsFaults:
    """Faults switched on per test; counters count down as they are served."""

    throttle: int = 0  # the next N API calls answer 429
    retry_after_s: float = 1.0
    server_errors: int = 0  # the next N API calls answer 500
    token_errors: int = 0  # the next N token requests answer 503
    fail_reports: int = 0  # the next N reports created end FAILED
    slow_calls: int = 0  # the next N API calls wait ``slow_s`` before answering (client timeouts)
    slow_s: float = 0.0
    expired_urls: int = 0  # the next N download URLs handed out have expired already
    corrupt: set[str] = field(default_factory=set)  # report types whose downloads are cut short


@dataclass
class _Report:
    report_id: str
    profile: str
    body: dict[str, Any]
    created: float
    fail: bool
    rows: list[dict[str, Any]] | None = None

    @property
    def key(self) -> str:
        return json.dumps(
            [
                self.profile,
                self.body.get("startDate"),
                self.body.get("endDate"),
                self.body.get("configuration"),
            ],
            sort_keys=True,
        )


@dataclass
class _State:
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch)
    reports: dict[str, _Report] = field(default_factory=dict)
    tokens_issued: int = 0


def _json_response(status: int, body: object, headers: list[tuple[str, str]] | None = None) -> _Response:
    return _Response(status, json.dumps(body).encode(), "application/json", "api", headers or [])


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
        self.pending_s, self.url_ttl_s = pending_s, url_ttl_s
        self.faults = AdsFaults()
        self._state = _State()
        self._lock = threading.Lock()
        self._signing_key = secrets.token_hex(16)

    # ---- control and inspection ------------------------------------------------------------------

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
            return [r.body for r in self._state.reports.values()]

    def create_report(self, profile: str, body: dict[str, Any]) -> str:
        """Create a report as if a POST had come in (e.g. from a run that died before storing the id)."""
        with self._lock:
            return self._new_report(profile, body).report_id

    # ---- routing ----------------------------------------------------------------------------------

    def _respond(self, h: _Handler, cookies: dict[str, str]) -> _Response:
        url = urlsplit(h.path)
        body = h._body()  # read first: an answer that leaves it unread would garble the next request
        if h.command == "POST" and url.path == "/auth/o2/token":
            answer = self._token(body)
            answer.kind = "token"
            return answer
        if h.command == "GET" and url.path.startswith("/download/"):
            return self._download(url.path.removeprefix("/download/"), parse_qs(url.query))
        if not url.path.startswith("/reporting/reports"):
            return _json_response(404, {"code": "404", "detail": "Not Found"})
        fault = self._api_fault()
        if fault is not None:
            return fault
        denied = self._authorize(h)
        if denied is not None:
            return denied
        profile = h.headers.get("Amazon-Advertising-API-Scope", "")
        if h.command == "POST" and url.path == "/reporting/reports":
            if h.headers.get("Content-Type", "").split(";")[0].strip() != V3_TYPE:
                return _json_response(415, {"code": "415", "detail": "Cannot consume content type"})
            return self._create(profile, body)
        if h.command == "GET":
            return self._status(profile, url.path.removeprefix("/reporting/reports/"), h._origin())
        return _json_response(405, {"code": "405", "detail": "Method Not Allowed"})

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
            return _json_response(
                429, {"code": "429", "detail": "Too Many Requests"}, [("Retry-After", f"{f.retry_after_s:g}")]
            )
        if f.server_errors > 0:
            f.server_errors -= 1
            return _json_response(500, {"code": "500", "detail": "Internal Server Error"})
        return None

    def _token(self, body: bytes) -> _Response:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        with self._lock:
            if self.faults.token_errors > 0:
                self.faults.token_errors -= 1
                return _json_response(
                    503, {"error": "server_error", "error_description": "Service Unavailable"}
                )
            if form.get("grant_type") != "refresh_token":
                return _json_response(
                    400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
                )
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return _json_response(
                    401, {"error": "invalid_client", "error_description": "Client authentication failed"}
                )
            if form.get("refresh_token") != self.refresh_token:
                return _json_response(
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
        return _json_response(200, body_out)

    def _authorize(self, h: _Handler) -> _Response | None:
        auth = h.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        with self._lock:
            expiry = self._state.tokens.get(token)
        if expiry is None or expiry <= time.time():
            return _json_response(401, {"code": "UNAUTHORIZED", "details": "HTTP 401 Unauthorized"})
        if h.headers.get("Amazon-Advertising-API-ClientId") != self.client_id:
            return _json_response(401, {"code": "UNAUTHORIZED", "details": "Invalid client id"})
        if h.headers.get("Amazon-Advertising-API-Scope") not in self.profiles:
            return _json_response(401, {"code": "UNAUTHORIZED", "details": "Not authorized to access scope"})
        return None

    # ---- reports ----------------------------------------------------------------------------------

    def _create(self, profile: str, raw: bytes) -> _Response:
        try:
            body = json.loads(raw or b"{}")
            conf = body["configuration"]
            start, end = date.fromisoformat(body["startDate"]), date.fromisoformat(body["endDate"])
            type_id = conf["reportTypeId"]
        except (ValueError, KeyError, TypeError) as exc:
            return _json_response(400, {"code": "400", "detail": f"Invalid request: {exc}"})
        problem = self._invalid(type_id, conf, start, end)
        if problem:
            return _json_response(400, {"code": "400", "detail": problem})
        with self._lock:
            candidate = _Report("", profile, body, time.time(), False)
            for report in self._state.reports.values():
                if report.key == candidate.key and not report.fail and report.rows is None:
                    detail = f"The Request is a duplicate of : {report.report_id}"
                    return _json_response(425, {"code": "425", "detail": detail})
            report = self._new_report(profile, body)
        return _json_response(200, self._describe(report, "PENDING", ""))

    def _invalid(self, type_id: str, conf: dict[str, Any], start: date, end: date) -> str:
        if type_id not in RETENTION:
            return f"reportTypeId {type_id} is not supported"
        if conf.get("timeUnit") not in ("DAILY", "SUMMARY") or conf.get("format") != "GZIP_JSON":
            return "timeUnit must be DAILY or SUMMARY and format GZIP_JSON"
        if end < start or (end - start).days + 1 > 31:
            return "Report date range must be no more than 31 days"
        today = datetime.now(UTC).date()
        if start < today - timedelta(days=RETENTION[type_id] + 1):
            return f"startDate {start} is beyond the {RETENTION[type_id]}-day retention of {type_id}"
        if end > today + timedelta(days=1):
            return f"endDate {end} is in the future"
        return ""

    def _new_report(self, profile: str, body: dict[str, Any]) -> _Report:
        fail = self.faults.fail_reports > 0
        if fail:
            self.faults.fail_reports -= 1
        report = _Report(secrets.token_hex(4) + "-" + secrets.token_hex(12), profile, body, time.time(), fail)
        self._state.reports[report.report_id] = report
        return report

    def _status(self, profile: str, report_id: str, origin: str) -> _Response:
        with self._lock:
            report = self._state.reports.get(report_id)
            if report is None or report.profile != profile:
                return _json_response(404, {"code": "404", "detail": f"Report {report_id} not found"})
            age = time.time() - report.created
            if age < self.pending_s:
                status = "PENDING" if age < self.pending_s / 2 else "PROCESSING"
                return _json_response(200, self._describe(report, status, ""))
            if report.fail:
                return _json_response(200, self._describe(report, "FAILED", ""))
            if report.rows is None:  # the numbers are fixed when the report is prepared
                conf = report.body["configuration"]
                report.rows = self.world.rows(
                    conf["reportTypeId"],
                    date.fromisoformat(report.body["startDate"]),
                    date.fromisoformat(report.body["endDate"]),
                    list(conf.get("columns") or []),
                )
            expires = time.time() + self.url_ttl_s
            if self.faults.expired_urls > 0:
                self.faults.expired_urls -= 1
                expires = time.time() - 1
            signature = self._sign(report_id, expires)
            query = f"X-Amz-Expires={expires:.3f}&X-Amz-Signature={signature}"
            url = f"{origin}/download/{report_id}.json.gz?{query}"
            return _json_response(200, self._describe(report, "COMPLETED", url, expires))

    def _describe(
        self, report: _Report, status: str, url: str, expires: float | None = None
    ) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(report.created, UTC).isoformat().replace("+00:00", "Z")
        return {
            "reportId": report.report_id,
            "name": report.body.get("name"),
            "startDate": report.body.get("startDate"),
            "endDate": report.body.get("endDate"),
            "configuration": report.body.get("configuration"),
            "status": status,
            "createdAt": stamp,
            "updatedAt": stamp,
            "failureReason": "Report generation failed (simulated)" if status == "FAILED" else None,
            "url": url or None,
            "urlExpiresAt": datetime.fromtimestamp(expires, UTC).isoformat() if expires else None,
            "fileSize": None,
        }

    def _sign(self, report_id: str, expires: float) -> str:
        return hashlib.sha256(f"{self._signing_key}|{report_id}|{expires:.3f}".encode()).hexdigest()

    def _download(self, name: str, query: dict[str, list[str]]) -> _Response:
        report_id = name.removesuffix(".json.gz")
        expires_text = query.get("X-Amz-Expires", ["0"])[0]
        try:
            expires = float(expires_text)
        except ValueError:
            expires = 0.0
        with self._lock:
            report = self._state.reports.get(report_id)
            rows = report.rows if report else None
            cut = report is not None and report.body["configuration"]["reportTypeId"] in self.faults.corrupt
        if rows is None or query.get("X-Amz-Signature", [""])[0] != self._sign(report_id, expires):
            return _Response(403, b"<Error><Code>AccessDenied</Code></Error>", "application/xml", "download")
        if expires <= time.time():
            message = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            return _Response(403, message, "application/xml", "download")
        data = gzip.compress(json.dumps(rows).encode())
        if cut:
            data = data[: len(data) // 2]
        return _Response(200, data, "application/octet-stream", "download")
