"""The store side of impact: sightings and ads days from the database -> ``DayRow`` -> estimates.

Where it sits: between the store and the pure ``monitor.impact`` package. The report, the alerts
(``ctr_drop``, the CTR in ``main_replaced`` emails and in the opt-out request) read impact through
here: ``load_day_rows`` fetches the Sponsored Products sightings (``search`` pages, ``grid`` and
``carousel`` units, filtered in SQL; ``monitor.impact.join`` applies the same rules again) and the ads
days of the ASINs asked for (as the ads store lists them, each day once), and joins them per
marketplace-local day; ``impacts`` estimates each
(marketplace, ASIN, keyword).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from monitor.ads.keywords import normalise_keyword
from monitor.ads.store import query_ads_days
from monitor.impact.estimate import KeywordImpact, estimate
from monitor.impact.facts import ads_from_rows
from monitor.impact.join import SP_UNITS, AdsFact, DayRow, SightingFact, join_days
from monitor.impact.zones import Zones
from monitor.store.models import PageVisit, Sighting

__all__ = ["Key", "Scope", "Zones", "by_key", "impacts", "key_of", "load_day_rows"]

_S = Sighting.__table__  # type: ignore[attr-defined]
_V = PageVisit.__table__  # type: ignore[attr-defined]

Key = tuple[str, str, str]  # (marketplace, ASIN, normalised keyword)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which rows to load: every filter is optional."""

    marketplace: str | None = None
    asin: str | None = None
    keyword: str | None = None
    since: date | None = None  # marketplace-local day
    until: datetime | None = None  # sightings up to this moment (an event's time)


def key_of(marketplace: str, asin: str, keyword: str) -> Key:
    return (marketplace, asin, normalise_keyword(keyword))


def _sightings(conn: Connection, scope: Scope, asins: Collection[str]) -> list[SightingFact]:
    """SP sightings on search pages of ``asins`` (the ASINs with ads days) within ``scope``."""
    stmt = (
        sa.select(
            _S.c.seen_at, _S.c.marketplace, _S.c.asin, _S.c.keyword, _S.c.unit, _S.c.verdict, _S.c.variant
        )
        .join(_V, _V.c.id == _S.c.visit_id)
        .where(_V.c.status == "search", _S.c.unit.in_(sorted(SP_UNITS)))
    )
    if scope.marketplace:
        stmt = stmt.where(_S.c.marketplace == scope.marketplace)
    stmt = stmt.where(_S.c.asin == scope.asin) if scope.asin else stmt.where(_S.c.asin.in_(sorted(asins)))
    if scope.since is not None:  # a day early: the local day may begin before UTC midnight
        start = datetime(scope.since.year, scope.since.month, scope.since.day, tzinfo=UTC) - timedelta(days=1)
        stmt = stmt.where(_S.c.seen_at >= start)
    if scope.until is not None:
        stmt = stmt.where(_S.c.seen_at <= scope.until)
    wanted = normalise_keyword(scope.keyword) if scope.keyword else None
    return [
        SightingFact(r[0], r[1], r[2], r[3], r[4], "search", r[5], r[6])
        for r in conn.execute(stmt)
        if wanted is None or normalise_keyword(r[3]) == wanted
    ]


def _ads(conn: Connection, scope: Scope) -> list[AdsFact]:
    """The ads days the ads store lists (each day counted once: ``query_ads_days``), with an ASIN."""
    with Session(bind=conn) as session:
        days = query_ads_days(
            session, marketplace=scope.marketplace, asin=scope.asin, keyword=scope.keyword, since=scope.since
        )
    return ads_from_rows(d for d in days if d.asin is not None)


def load_day_rows(conn: Connection, zones: Mapping[str, tzinfo], scope: Scope = Scope()) -> list[DayRow]:
    """The joined days of ``scope`` that have ads data, or sightings from the first ads day on, sorted
    by marketplace, ASIN, keyword and day.

    Sightings before the first ads day (and of ASINs without ads days) are not read: nothing can be
    estimated from them, and a history of millions of sightings without ads data costs nothing here.
    """
    ads = _ads(conn, scope)
    if not ads:
        return []
    first = min(a.day for a in ads)
    since = max(first, scope.since) if scope.since is not None else first
    sightings = _sightings(conn, replace(scope, since=since), {a.asin for a in ads if a.asin})
    return [r for r in join_days(sightings, ads, zones) if r.day >= since]


def by_key(rows: Sequence[DayRow]) -> dict[Key, list[DayRow]]:
    grouped: dict[Key, list[DayRow]] = defaultdict(list)
    for row in rows:
        grouped[key_of(row.marketplace, row.asin, row.keyword)].append(row)
    return dict(grouped)


def impacts(grouped: Mapping[Key, Sequence[DayRow]]) -> dict[Key, KeywordImpact]:
    """One estimate per (marketplace, ASIN, keyword) of ``by_key`` that has a day with ads data."""
    return {key: estimate(days) for key, days in grouped.items() if any(d.has_ads for d in days)}
