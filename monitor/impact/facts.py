"""The inputs of the impact join, from wherever they come: the store, or an analyst's files.

Where it sits: the entrance of ``monitor.impact``. It turns the history (``HistoryRow`` values, or the
array ``ismon history --json`` wrote) into ``SightingFact`` values and ads days (stored rows, or the
``Report`` values the ads stage reads from console files) into ``AdsFact`` values. Pure: the callers
read the database or the files and pass what they read.

Crediting a Search term row to an ASIN needs to know which ASINs its ad group advertises: the ads
store does that with the Advertised product report; from files, the same report among the files does
it (an ad group advertising exactly one of the ASINs in the history). Without that report, when the
history holds a single ASIN of the marketplace, every term row is credited to it (the caller is told).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from monitor.ads.keywords import normalise_keyword
from monitor.ads.rows import Report, TermDay
from monitor.errors import UsageError
from monitor.impact.join import AdsFact, SightingFact


class _HistoryLike(Protocol):
    @property
    def seen_at(self) -> datetime: ...
    @property
    def marketplace(self) -> str: ...
    @property
    def keyword(self) -> str: ...
    @property
    def asin(self) -> str | None: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def verdict(self) -> str | None: ...
    @property
    def variant(self) -> str | None: ...


class _AdsDayLike(Protocol):
    @property
    def marketplace(self) -> str: ...
    @property
    def date(self) -> date: ...
    @property
    def asin(self) -> str | None: ...
    @property
    def keyword(self) -> str: ...
    @property
    def impressions(self) -> int: ...
    @property
    def clicks(self) -> int: ...
    @property
    def orders(self) -> int: ...
    @property
    def sales(self) -> float: ...
    @property
    def cost(self) -> float: ...


def sightings_from_rows(rows: Iterable[_HistoryLike]) -> list[SightingFact]:
    """History rows (``monitor.store.history.HistoryRow``) as facts."""
    return [
        SightingFact(
            seen_at=r.seen_at,
            marketplace=r.marketplace,
            asin=r.asin,
            keyword=r.keyword,
            unit=r.unit,
            status=r.status,
            verdict=r.verdict,
            variant=r.variant,
        )
        for r in rows
    ]


def ads_from_rows(rows: Iterable[_AdsDayLike]) -> list[AdsFact]:
    """Stored ads days as ``query_ads_days`` lists them (``StoredDay``: each click once) as facts."""
    return [
        AdsFact(
            marketplace=r.marketplace,
            day=r.date,
            asin=r.asin,
            keyword=r.keyword,
            impressions=r.impressions,
            clicks=r.clicks,
            orders=r.orders,
            sales=r.sales,
            cost=r.cost,
            report=str(getattr(r, "report", "search_term")),
        )
        for r in rows
    ]


_STRINGS = ("marketplace", "keyword", "status")


def sightings_from_history_json(data: Any, source: str) -> list[SightingFact]:
    """The array ``ismon history --json`` writes; a malformed item is a ``UsageError`` naming it."""
    if not isinstance(data, list):
        raise UsageError(f"{source}: not a JSON array (expected the output of `ismon history --json`)")
    facts = []
    for index, item in enumerate(data):
        where = f"{source}: item {index}"
        if not isinstance(item, dict):
            raise UsageError(f"{where}: not an object")
        for key in (*_STRINGS, "seen_at"):
            if not isinstance(item.get(key), str):
                raise UsageError(f"{where}: {key!r} is missing or not a string")
        try:
            seen_at = datetime.fromisoformat(item["seen_at"].replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"{where}: seen_at {item['seen_at']!r} is not an ISO 8601 time") from None
        if seen_at.tzinfo is None:
            raise UsageError(f"{where}: seen_at {item['seen_at']!r} has no time zone")
        optional = {key: item.get(key) for key in ("asin", "unit", "verdict", "variant")}
        for key, value in optional.items():
            if value is not None and not isinstance(value, str):
                raise UsageError(f"{where}: {key!r} is not a string or null")
        facts.append(
            SightingFact(
                seen_at=seen_at.astimezone(UTC),
                marketplace=item["marketplace"],
                asin=optional["asin"],
                keyword=item["keyword"],
                unit=optional["unit"],
                status=item["status"],
                verdict=optional["verdict"],
                variant=optional["variant"],
            )
        )
    return facts


def _counts(report: Report, term: TermDay, exact: set[tuple[str, date, str, str, str]]) -> bool:
    """Each click once, as ``query_ads_days`` does: an exact-match keyword's Targeting row is its day
    (it has every day, not only days with a click) and the same term's EXACT Search term row is left
    out; broad, phrase and auto Targeting rows repeat days the Search term report already holds."""
    is_exact = term.match_type.upper() == "EXACT"
    if report.kind == "targeting":
        return is_exact
    key = (report.marketplace, term.day, term.campaign, term.ad_group, normalise_keyword(term.keyword))
    return not (is_exact and key in exact)


@dataclass(frozen=True)
class FileAds:
    """The ads facts of some report files, and what could not be credited to one ASIN."""

    facts: list[AdsFact]
    uncredited_rows: int
    credited_to_only_asin: str | None  # set when no Advertised product report said which ASIN


def ads_from_reports(reports: Sequence[Report], own_asins: Mapping[str, set[str]]) -> FileAds:
    """Term rows of ``reports`` as facts, credited to an ASIN of ``own_asins`` (per marketplace)."""
    advertised: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for report in reports:
        for row in report.advertised:
            if row.asin in own_asins.get(report.marketplace, set()):
                advertised[(report.marketplace, row.campaign, row.ad_group)].add(row.asin)
    exact = {
        (report.marketplace, t.day, t.campaign, t.ad_group, normalise_keyword(t.keyword))
        for report in reports
        if report.kind == "targeting"
        for t in report.terms
        if t.match_type.upper() == "EXACT"
    }
    facts: list[AdsFact] = []
    uncredited = 0
    only: str | None = None
    for report in reports:
        own = own_asins.get(report.marketplace, set())
        for term in report.terms:
            if not _counts(report, term, exact):
                continue
            asins = advertised.get((report.marketplace, term.campaign, term.ad_group))
            if not advertised and len(own) == 1:
                asins = own
                only = next(iter(own))
            if not asins or len(asins) != 1:
                uncredited += 1
                continue
            facts.append(
                AdsFact(
                    marketplace=report.marketplace,
                    day=term.day,
                    asin=next(iter(asins)),
                    keyword=term.keyword,
                    impressions=term.impressions,
                    clicks=term.clicks,
                    orders=term.orders,
                    sales=term.sales,
                    cost=term.cost,
                    report=report.kind,
                )
            )
    return FileAds(facts=facts, uncredited_rows=uncredited, credited_to_only_asin=only)
