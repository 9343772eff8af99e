"""The Amazon Ads API over HTTP: Login with Amazon token refresh and the three Reporting v3 calls.

Where it sits: the IO edge of ``ismon ads pull`` (``monitor.ads.pull`` drives it). ``AdsClient`` is given
an ``httpx.Client``, the endpoints, the ``Credentials`` and a clock; it keeps the access token (an hour
long: refreshed a minute before it ends, and once more when the API answers 401), retries what is worth
retrying (429 after its Retry-After, 5xx, timeouts, a server that is down) with exponential backoff, and
reuses the report id of a 425 "duplicate request" answer instead of failing.

Secrets: the client secret and refresh token are read from the environment only when pulling
(``credentials_from_env``), live in ``Credentials`` (whose repr hides them), travel only in the token
request's form body and never appear in a log line or an error message: every text that comes back from
a server is passed through ``Credentials.redact`` with the current access token. The report download URL
is a pre-signed link to another host: it gets no Authorization header, and it is logged without its query.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

import httpx

from monitor.ads.reporting import CONTENT_TYPE
from monitor.errors import AdsApiError, AdsAuthError, ConfigError

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], object]  # time.sleep, or a stop event's wait
REFRESH_BEFORE = timedelta(seconds=60)  # a token this close to its end is refreshed first
_DUPLICATE_RE = re.compile(r"duplicate of\W*([A-Za-z0-9][A-Za-z0-9._:-]{7,})", re.IGNORECASE)


@dataclass(frozen=True)
class Credentials:
    """The Login with Amazon application's id and the seller's grant; the secrets never print."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)

    def redact(self, text: str, *more: str) -> str:
        """``text`` with every secret (and ``more``, e.g. the access token) replaced by ``***``."""
        for secret in (self.client_secret, self.refresh_token, *more):
            if secret:
                text = text.replace(secret, "***")
        return text


def credentials_from_env(
    client_id: str, secret_env: str, refresh_env: str, env: Mapping[str, str], where: str = "config"
) -> Credentials:
    """The credentials for a pull; a missing piece is a ``ConfigError`` (exit 2) naming the variable."""
    if not client_id:
        raise ConfigError(f"{where}: ads.client_id is empty (the Login with Amazon client id)")
    values = {}
    for key, name in (("ads.client_secret_env", secret_env), ("ads.refresh_token_env", refresh_env)):
        value = env.get(name, "").strip()
        if not value:
            raise ConfigError(f"{where}: {key}: environment variable {name} is not set")
        values[key] = value
    return Credentials(client_id, values["ads.client_secret_env"], values["ads.refresh_token_env"])


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries before a call fails."""

    attempts: int = 5  # per call, for 429, 5xx, timeouts and refused connections
    backoff_s: float = 1.0  # first wait; doubles each attempt
    max_backoff_s: float = 60.0
    max_retry_after_s: float = 300.0  # a longer Retry-After is cut to this


@dataclass(frozen=True)
class ReportStatus:
    """``GET /reporting/reports/{id}``: PENDING, PROCESSING, COMPLETED (with ``url``) or FAILED."""

    report_id: str
    status: str
    url: str = ""
    url_expires_at: datetime | None = None
    failure_reason: str = ""


class UrlExpiredError(AdsApiError):
    """The download link of a report ran out: ask for the report's status again for a fresh one."""


class AdsClient:
    """Calls of the Amazon Ads API for one Login with Amazon grant (all profiles of that grant)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_url: str,
        token_url: str,
        credentials: Credentials,
        clock: Clock,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self.credentials = credentials
        self.clock = clock
        self.sleep = sleep
        self.retry = retry
        self._token = ""
        self._expires_at = datetime.min.replace(tzinfo=UTC)
        self.refreshes = 0

    # --- Login with Amazon ----------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token, refreshed first when it ends within a minute."""
        if not self._token or self.clock() >= self._expires_at - REFRESH_BEFORE:
            self.refresh()
        return self._token

    def refresh(self) -> None:
        """Trade the refresh token for a new access token (``grant_type=refresh_token``)."""
        form = {
            "grant_type": "refresh_token",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
            "refresh_token": self.credentials.refresh_token,
        }
        response = self._send("token refresh", lambda: self.http.post(self.token_url, data=form))
        if response.status_code in (400, 401, 403):
            body = _json(response)
            reason = f"{body.get('error', response.status_code)}: {body.get('error_description', '')}"
            raise AdsAuthError(
                f"Login with Amazon refused the credentials ({self._clean(reason.strip(': '))}); check "
                "ads.client_id and the client secret and refresh token variables (a refresh token is "
                "revoked when the seller removes the app's access)"
            )
        self._raise_unless_ok(response, "token refresh")
        body = _json(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise AdsApiError(f"{self.token_url}: the token answer has no access_token")
        self._token = token
        self._expires_at = self.clock() + timedelta(seconds=float(body.get("expires_in", 3600)))
        self.refreshes += 1
        log.info("ads: access token refreshed, valid until %s", f"{self._expires_at:%H:%M:%S} UTC")

    # --- Reporting v3 ---------------------------------------------------------------------------

    def create_report(self, profile_id: str, body: dict[str, Any]) -> str:
        """``POST /reporting/reports``: the new report's id, or the existing one a 425 names."""
        response = self._api("POST", "/reporting/reports", profile_id, body)
        if response.status_code == 425:
            match = _DUPLICATE_RE.search(response.text)
            if match is None:
                raise AdsApiError(f"425 without a report id: {self._clean(response.text[:300])}")
            log.info("ads: duplicate request, reusing report %s", match.group(1))
            return match.group(1)
        self._raise_unless_ok(response, "create report")
        report_id = _json(response).get("reportId")
        if not isinstance(report_id, str) or not report_id:
            raise AdsApiError("the Ads API accepted a report but sent no reportId")
        return report_id

    def report(self, profile_id: str, report_id: str) -> ReportStatus:
        """``GET /reporting/reports/{id}``: the report's status (and download URL when COMPLETED)."""
        response = self._api("GET", f"/reporting/reports/{report_id}", profile_id)
        self._raise_unless_ok(response, f"report {report_id}")
        body = _json(response)
        expires = body.get("urlExpiresAt")
        return ReportStatus(
            report_id=report_id,
            status=str(body.get("status", "")).upper(),
            url=str(body.get("url") or ""),
            url_expires_at=_timestamp(expires) if isinstance(expires, str) else None,
            failure_reason=self._clean(str(body.get("failureReason") or "")),
        )

    def download(self, url: str) -> bytes:
        """The report file behind a pre-signed ``url`` (no credentials sent: it is another host)."""
        where = url.split("?", 1)[0]
        response = self._send(f"download {where}", lambda: self.http.get(url))
        if response.status_code in (400, 403) and "expire" in response.text.lower():
            raise UrlExpiredError(f"the download link of {where} expired")
        self._raise_unless_ok(response, f"download {where}")
        return response.content

    # --- plumbing -------------------------------------------------------------------------------

    def _api(
        self, method: str, path: str, profile_id: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One Ads API call with the profile's headers; a 401 gets one token refresh and one retry."""
        url = self.api_url + path
        for refreshed in (False, True):
            headers = {
                "Authorization": f"Bearer {self.access_token()}",
                "Amazon-Advertising-API-ClientId": self.credentials.client_id,
                "Amazon-Advertising-API-Scope": profile_id,
                "Content-Type": CONTENT_TYPE,
                "Accept": "application/vnd.createasyncreportrequest.v3+json, application/json",
            }
            response = self._send(
                f"{method} {path}", partial(self.http.request, method, url, headers=headers, json=body)
            )
            if response.status_code != 401:
                return response
            if refreshed:
                raise AdsAuthError(
                    f"the Ads API refused {method} {path} for profile {profile_id} after a token refresh "
                    f"(401: {self._clean(response.text[:200])}); check that the profile belongs to this "
                    "Login with Amazon grant and region"
                )
            log.info("ads: 401 on %s %s, refreshing the access token", method, path)
            self._token = ""
        raise AssertionError("unreachable")

    def _send(self, what: str, call: Callable[[], httpx.Response]) -> httpx.Response:
        """``call`` with retries on 429 (after Retry-After), 5xx, timeouts and refused connections."""
        policy = self.retry
        problem = ""
        for attempt in range(1, policy.attempts + 1):
            wait = min(policy.backoff_s * 2 ** (attempt - 1), policy.max_backoff_s)
            try:
                response = call()
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = f"cannot connect ({type(exc).__name__}: {self._clean(str(exc))})"
            else:
                if response.status_code == 429:
                    problem = "throttled (429)"
                    wait = _retry_after(response, self.clock(), wait, policy.max_retry_after_s)
                elif response.status_code >= 500:
                    problem = f"server error {response.status_code}"
                else:
                    return response
            if attempt < policy.attempts:
                log.info(
                    "ads: %s %s; retry %d/%d in %.1f s", what, problem, attempt, policy.attempts - 1, wait
                )
                self.sleep(wait)
        raise AdsApiError(
            f"Amazon Ads API: {what}: {problem} after {policy.attempts} attempts; try again later"
        )

    def _raise_unless_ok(self, response: httpx.Response, what: str) -> None:
        if response.is_success:
            return
        raise AdsApiError(
            f"Amazon Ads API: {what}: {response.status_code} {self._clean(response.text[:300])}"
        )

    def _clean(self, text: str) -> str:
        return self.credentials.redact(text, self._token)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _timestamp(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _retry_after(response: httpx.Response, now: datetime, default: float, cap: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), else ``default``."""
    header = response.headers.get("Retry-After", "").strip()
    if not header:
        return default
    try:
        seconds = float(header)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(header) - now).total_seconds()
        except (TypeError, ValueError):
            return default
    return min(max(seconds, 0.0), cap)


class _NoQuery(logging.Filter):
    """Drops the query of URLs that httpx logs: a pre-signed download link carries its signature there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                str(a).split("?", 1)[0] + "?..." if isinstance(a, httpx.URL) and a.query else a
                for a in record.args
            )
        return True


def hide_url_queries() -> None:
    """Install ``_NoQuery`` on httpx's logger (once)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _NoQuery) for f in logger.filters):
        logger.addFilter(_NoQuery())
