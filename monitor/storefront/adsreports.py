"""Reporting v3 of the simulated Amazon Ads API: reports asked for, prepared, downloaded.

Where it sits: inside the simulated Ads API (``monitor.storefront.adsapi`` routes to it), outside
ismon's data flow. A ``ReportDesk`` keeps the reports created, answers an identical request while the
first is still being prepared with 425 naming it, prepares a report (fixes its rows from the
``AdsWorld``) once ``pending_s`` has passed, and hands out pre-signed download links that expire after
``url_ttl_s``. ``AdsFaults`` are the faults a test switches on.
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

from monitor.storefront.adsdata import AdsWorld
from monitor.storefront.server import _Response

RETENTION = {"spSearchTerm": 65, "spTargeting": 95, "spAdvertisedProduct": 95}


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
        """What makes two requests identical: profile, days and configuration."""
        return json.dumps(
            [
                self.profile,
                self.body.get("startDate"),
                self.body.get("endDate"),
                self.body.get("configuration"),
            ],
            sort_keys=True,
        )


def json_response(status: int, body: object, headers: list[tuple[str, str]] | None = None) -> _Response:
    """A JSON answer of the simulated Ads API."""
    return _Response(status, json.dumps(body).encode(), "application/json", "api", headers or [])


class ReportDesk:
    """The reports of the simulated Ads API, shared by its request threads under ``lock``."""

    def __init__(
        self, world: AdsWorld, faults: AdsFaults, lock: threading.Lock, pending_s: float, url_ttl_s: float
    ) -> None:
        self.world = world
        self.faults = faults
        self.lock = lock
        self.pending_s = pending_s
        self.url_ttl_s = url_ttl_s
        self.reports: dict[str, _Report] = {}
        self._signing_key = secrets.token_hex(16)

    def create(self, profile: str, raw: bytes) -> _Response:
        """``POST /reporting/reports``."""
        try:
            body = json.loads(raw or b"{}")
            conf = body["configuration"]
            start, end = date.fromisoformat(body["startDate"]), date.fromisoformat(body["endDate"])
            type_id = conf["reportTypeId"]
        except (ValueError, KeyError, TypeError) as exc:
            return json_response(400, {"code": "400", "detail": f"Invalid request: {exc}"})
        problem = self._invalid(type_id, conf, start, end)
        if problem:
            return json_response(400, {"code": "400", "detail": problem})
        with self.lock:
            candidate = _Report("", profile, body, time.time(), False)
            for report in self.reports.values():
                if report.key == candidate.key and not report.fail and report.rows is None:
                    detail = f"The Request is a duplicate of : {report.report_id}"
                    return json_response(425, {"code": "425", "detail": detail})
            report = self.new_report(profile, body)
        return json_response(200, self._describe(report, "PENDING", ""))

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

    def new_report(self, profile: str, body: dict[str, Any]) -> _Report:
        """A report as created (the caller holds the lock)."""
        fail = self.faults.fail_reports > 0
        if fail:
            self.faults.fail_reports -= 1
        report = _Report(secrets.token_hex(4) + "-" + secrets.token_hex(12), profile, body, time.time(), fail)
        self.reports[report.report_id] = report
        return report

    def status(self, profile: str, report_id: str, origin: str) -> _Response:
        """``GET /reporting/reports/{id}``: prepared once ``pending_s`` has passed, with a fresh link."""
        with self.lock:
            report = self.reports.get(report_id)
            if report is None or report.profile != profile:
                return json_response(404, {"code": "404", "detail": f"Report {report_id} not found"})
            age = time.time() - report.created
            if age < self.pending_s:
                status = "PENDING" if age < self.pending_s / 2 else "PROCESSING"
                return json_response(200, self._describe(report, status, ""))
            if report.fail:
                return json_response(200, self._describe(report, "FAILED", ""))
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
            return json_response(200, self._describe(report, "COMPLETED", url, expires))

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

    def download(self, name: str, query: dict[str, list[str]]) -> _Response:
        """The pre-signed download: 403 when the signature is wrong or the link expired."""
        report_id = name.removesuffix(".json.gz")
        expires_text = query.get("X-Amz-Expires", ["0"])[0]
        try:
            expires = float(expires_text)
        except ValueError:
            expires = 0.0
        with self.lock:
            report = self.reports.get(report_id)
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
