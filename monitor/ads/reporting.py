"""Amazon Ads Reporting v3 as values: which reports ismon asks for, over which days, and what rows mean.

Where it sits: the pure core of ``ismon ads pull`` (``monitor.ads.pull`` does the IO). ``plan_windows``
turns "today" and the wanted days into windows of at most 31 days; ``request_body`` is what is POSTed
to ``/reporting/reports`` for one report type and window (clipped to that type's retention);
``report_from_rows`` turns a downloaded GZIP_JSON report into a ``monitor.ads.rows.Report``.

Column names, limits and retention are Amazon's (guides/reporting/v3/report-types): Sponsored Products
search term, targeting and advertised product reports, ``timeUnit`` DAILY, ``format`` GZIP_JSON, at
most 31 days per report. Retention: the issue asks for 65 days for search terms (Amazon's page now says
95; asking for less is safe, asking beyond it is refused) and 95 for targeting and advertised products.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from monitor.ads.rows import AdvertisedDay, Report, ReportKind, TermDay
from monitor.errors import AdsApiError

MAX_DAYS = 31  # Amazon's maximum date range of one report

_COMMON = ("date", "campaignName", "campaignId", "adGroupName", "adGroupId", "impressions", "clicks")
_MONEY = ("cost", "purchases7d", "sales7d", "campaignBudgetCurrencyCode")


@dataclass(frozen=True)
class ReportType:
    """One Sponsored Products report of Reporting v3, as ismon asks for it."""

    type_id: str  # reportTypeId
    kind: ReportKind
    group_by: str
    columns: tuple[str, ...]
    retention_days: int

    def earliest(self, today: date) -> date:
        """The first day Amazon still has for this report (``today`` is the marketplace's date)."""
        return today - timedelta(days=self.retention_days - 1)


ADVERTISED = ReportType(
    "spAdvertisedProduct",
    "advertised_product",
    "advertiser",
    (*_COMMON, "advertisedAsin", "advertisedSku", *_MONEY),
    95,
)
TARGETING = ReportType(
    "spTargeting",
    "targeting",
    "targeting",
    (*_COMMON, "keyword", "keywordType", "matchType", "targeting", *_MONEY),
    95,
)
SEARCH_TERM = ReportType(
    "spSearchTerm",
    "search_term",
    "searchTerm",
    (*_COMMON, "searchTerm", "keyword", "keywordType", "matchType", "targeting", *_MONEY),
    65,
)
# The order reports of one window are stored in: the advertised products first, because they say which
# ASIN each ad group advertises.
REPORT_TYPES: tuple[ReportType, ...] = (ADVERTISED, TARGETING, SEARCH_TERM)
BY_TYPE_ID = {t.type_id: t for t in REPORT_TYPES}
CONTENT_TYPE = "application/vnd.createasyncreportrequest.v3+json"
LONGEST_RETENTION = max(t.retention_days for t in REPORT_TYPES)


@dataclass(frozen=True)
class Window:
    """Days ``start`` to ``end`` (both included) of one marketplace, at most ``MAX_DAYS`` long."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"


def wanted_range(
    today: date,
    *,
    since: date | None,
    until: date | None,
    lookback_days: int,
    last_stored: date | None,
) -> Window | None:
    """The days a pull asks for: ``since``..``until`` as given, else from the day after the last stored
    one (but at least the last ``lookback_days``, which Amazon restates) to yesterday; never beyond the
    longest retention nor today (its numbers are not final). None when nothing is left to ask."""
    end = min(until or today - timedelta(days=1), today - timedelta(days=1))
    if since is None:
        since = end - timedelta(days=max(lookback_days, 1) - 1)
        if last_stored is None:
            since = date.min
        elif last_stored + timedelta(days=1) < since:
            since = last_stored + timedelta(days=1)
    start = max(since, today - timedelta(days=LONGEST_RETENTION - 1))
    return Window(start, end) if start <= end else None


def plan_windows(wanted: Window) -> list[Window]:
    """``wanted`` cut into windows of at most ``MAX_DAYS`` days, oldest first."""
    out = []
    start = wanted.start
    while start <= wanted.end:
        end = min(start + timedelta(days=MAX_DAYS - 1), wanted.end)
        out.append(Window(start, end))
        start = end + timedelta(days=1)
    return out


def clip(window: Window, report_type: ReportType, today: date) -> Window | None:
    """The part of ``window`` that ``report_type`` still has (None: it is all beyond retention)."""
    start = max(window.start, report_type.earliest(today))
    return Window(start, window.end) if start <= window.end else None


def request_body(report_type: ReportType, window: Window, marketplace: str) -> dict[str, Any]:
    """The JSON body of ``POST /reporting/reports`` for one report of one window."""
    return {
        "name": f"ismon {marketplace} {report_type.type_id} {window}",
        "startDate": window.start.isoformat(),
        "endDate": window.end.isoformat(),
        "configuration": {
            "adProduct": "SPONSORED_PRODUCTS",
            "groupBy": [report_type.group_by],
            "columns": list(report_type.columns),
            "reportTypeId": report_type.type_id,
            "timeUnit": "DAILY",
            "format": "GZIP_JSON",
        },
    }


def report_from_rows(report_type: ReportType, marketplace: str, rows: Iterable[Mapping[str, Any]]) -> Report:
    """A downloaded report's rows as a ``Report(source="api")``; a row that cannot be read is an error
    naming the report and the column (the whole report is then not stored)."""
    terms: list[TermDay] = []
    advertised: list[AdvertisedDay] = []
    for number, row in enumerate(rows, start=1):
        reader = _Row(report_type.type_id, number, row)
        day, campaign, ad_group = reader.day("date"), reader.text("campaignName"), reader.text("adGroupName")
        numbers = (
            reader.integer("impressions"),
            reader.integer("clicks"),
            reader.money("cost"),
            reader.integer("purchases7d"),
            reader.money("sales7d"),
            reader.text("campaignBudgetCurrencyCode", required=False).upper(),
        )
        if report_type is ADVERTISED:
            advertised.append(
                AdvertisedDay(
                    day,
                    campaign,
                    ad_group,
                    reader.text("advertisedAsin").upper(),
                    reader.text("advertisedSku", required=False),
                    *numbers,
                )
            )
            continue
        keyword = reader.text("keyword", required=False) or reader.text("targeting", required=False)
        if report_type is SEARCH_TERM:
            keyword = reader.text("searchTerm")
        match_type = reader.text("matchType", required=False) or reader.text("keywordType", required=False)
        terms.append(TermDay(day, campaign, ad_group, keyword, match_type.upper(), *numbers))
    return Report(
        kind=report_type.kind,
        marketplace=marketplace,
        source="api",
        terms=tuple(terms),
        advertised=tuple(advertised),
    )


class _Row:
    """Typed reads of one report row; a wrong value names the report, the row and the column."""

    def __init__(self, type_id: str, number: int, row: Mapping[str, Any]) -> None:
        if not isinstance(row, Mapping):
            raise AdsApiError(f"{type_id} report: row {number} is not an object")
        self.type_id, self.number, self.row = type_id, number, row

    def _fail(self, column: str, why: str) -> AdsApiError:
        return AdsApiError(f"{self.type_id} report: row {self.number}, column {column!r}: {why}")

    def text(self, column: str, *, required: bool = True) -> str:
        value = self.row.get(column)
        if value is None:
            if required:
                raise self._fail(column, "missing")
            return ""
        return str(value).strip()

    def day(self, column: str) -> date:
        value = self.text(column)
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise self._fail(column, f"{value!r} is not a date") from None

    def integer(self, column: str) -> int:
        value = self.row.get(column, 0)
        if value is None:
            return 0
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self._fail(column, f"{value!r} is not a number") from None
        if number < 0 or number != int(number):
            raise self._fail(column, f"{value!r} is not a count")
        return int(number)

    def money(self, column: str) -> float:
        value = self.row.get(column, 0)
        if value is None:
            return 0.0
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self._fail(column, f"{value!r} is not an amount") from None
