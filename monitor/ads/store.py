"""Loading ads reports into the database so that a day loaded again replaces the old one.

Where it sits: the last step of the ads stage. A ``Report`` (from a console file or a Reporting v3
download) is written into ``ads_day`` (Search term and Targeting reports) or ``ads_advertised``
(Advertised product report) inside the caller's transaction: the caller commits, so a failure stores
nothing. ``monitor.ads.query`` reads the days back.

Replacement scope: (marketplace, report kind) x the days present in the report x the campaigns present in
the report. Every stored row in that scope is deleted and the report's rows are inserted, so a day is
wholly the old data or wholly the new one, a campaign that dropped out of a day (no clicks any more) is
dropped too, and a report filtered to one campaign leaves the other campaigns alone. Rows of one report
with the same key (day, campaign, ad group, keyword, match type) are summed: the Search term report lists
a term once per targeting clause (two auto-targeting clauses can both match one term).

Attribution: an ads day gets an ASIN only when its ad group advertises exactly one of the seller's
configured ASINs, judged on every Advertised product row ever stored for that ad group; otherwise the ASIN
is null and ``asin_note`` says why. Loading an Advertised product report re-attributes the ad groups it
names, so the reports can be imported in any order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from monitor.ads.keywords import normalise_keyword
from monitor.ads.rows import AdvertisedDay, Report, ReportKind, TermDay
from monitor.store.models import AdsAdvertised, AdsDay

INSERT_CHUNK = 5_000
SQLITE_CACHE_KIB = 128 * 1024
IN_CHUNK = 500  # bound parameters per IN list, well below SQLite's and PostgreSQL's limits

_DAY: sa.Table = AdsDay.__table__  # type: ignore[attr-defined]
_ADV: sa.Table = AdsAdvertised.__table__  # type: ignore[attr-defined]

TermKey = tuple[date, str, str, str, str]  # day, campaign, ad group, keyword, match type
AdvKey = tuple[date, str, str, str]  # day, campaign, ad group, asin


@dataclass(frozen=True)
class DaySpan:
    """The days a report covered: first and last (None when it had no rows) and how many."""

    first: date | None
    last: date | None
    count: int


@dataclass(frozen=True)
class LoadResult:
    """What one ``store_report`` did.

    ``rows`` counts the report's rows; ``new`` + ``replaced`` the rows stored (after summing rows with
    one key); ``replaced`` those whose key was stored before; ``removed`` stored rows in the replaced
    scope that the new report no longer has.
    """

    kind: ReportKind
    marketplace: str
    days: DaySpan
    rows: int
    new: int
    replaced: int
    removed: int = 0


def own_asins_by_marketplace(products: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """(marketplace, ASIN) pairs of the configured products -> marketplace -> the seller's ASINs."""
    own: dict[str, set[str]] = {}
    for marketplace, asin in products:
        own.setdefault(marketplace, set()).add(asin)
    return {marketplace: frozenset(asins) for marketplace, asins in own.items()}


def store_report(
    session: Session, report: Report, own_asins: Mapping[str, frozenset[str]], now: datetime
) -> LoadResult:
    """Load ``report`` so that the (day, campaign) pairs it covers replace what was stored for them.

    Runs in the caller's transaction and never commits: commit on success, roll back on failure.
    ``own_asins`` maps marketplace -> the seller's configured ASINs there (for attribution).
    """
    own = own_asins.get(report.marketplace, frozenset())
    days = sorted(report.days)
    span = DaySpan(days[0] if days else None, days[-1] if days else None, len(days))
    if report.kind == "advertised_product":
        new, replaced, removed = _store_advertised(session, report, own, now)
    else:
        new, replaced, removed = _store_terms(session, report, own, now)
    return LoadResult(report.kind, report.marketplace, span, len(report.terms or report.advertised),
                      new, replaced, removed)  # fmt: skip


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _scope(table: sa.Table, marketplace: str, days: Sequence[date], campaigns: Sequence[str]) -> list[Any]:
    """WHERE clauses for one IN-chunk of campaigns each (the caller loops over them)."""
    return [
        sa.and_(table.c.marketplace == marketplace, table.c.day.in_(days), table.c.campaign.in_(chunk))
        for chunk in _chunks(campaigns, IN_CHUNK)
    ]


def sum_terms(rows: Iterable[TermDay]) -> dict[TermKey, TermDay]:
    """One row per key; rows of one key (one term under two targeting clauses) are added up."""
    summed: dict[TermKey, TermDay] = {}
    for row in rows:
        key = (row.day, row.campaign, row.ad_group, row.keyword, row.match_type.upper())
        have = summed.setdefault(key, row)
        if have is not row:
            summed[key] = replace(
                have,
                impressions=have.impressions + row.impressions,
                clicks=have.clicks + row.clicks,
                cost=round(have.cost + row.cost, 2),
                orders=have.orders + row.orders,
                sales=round(have.sales + row.sales, 2),
            )
    return summed


_TERM_COLUMNS = ("marketplace", "day", "report", "keyword", "keyword_norm", "match_type", "campaign",
                 "ad_group", "asin", "asin_note", "impressions", "clicks", "cost", "orders", "sales",
                 "currency", "source", "loaded_at")  # fmt: skip
_ADV_COLUMNS = ("marketplace", "day", "campaign", "ad_group", "asin", "sku", "impressions", "clicks", "cost",
                "orders", "sales", "currency", "source", "loaded_at")  # fmt: skip


# The stored keys of the replaced scope are kept as hashes only: a million key tuples of fresh strings
# would take ~350 MB during a re-import; a 64-bit hash collision could at worst miscount "replaced".


def _store_terms(
    session: Session, report: Report, own: frozenset[str], now: datetime
) -> tuple[int, int, int]:
    conn = session.connection()
    summed = sum_terms(report.terms)
    days = sorted(report.days)
    campaigns = sorted({key[1] for key in summed})
    existing: set[int] = set()
    cols = (_DAY.c.day, _DAY.c.campaign, _DAY.c.ad_group, _DAY.c.keyword, _DAY.c.match_type)
    for where in _scope(_DAY, report.marketplace, days, campaigns):
        where = sa.and_(where, _DAY.c.report == report.kind)
        existing.update(hash(tuple(r)) for r in conn.execute(sa.select(*cols).where(where)))
        conn.execute(sa.delete(_DAY).where(where))
    groups = {(key[1], key[2]) for key in summed}
    attribution = _attribution(session, report.marketplace, groups, own)
    norms: dict[str, str] = {}
    market, kind, source, stamp = (
        report.marketplace,
        report.kind,
        report.source,
        _bound(session, _DAY.c.loaded_at, now),
    )

    def records() -> Iterator[tuple[Any, ...]]:
        for key, r in summed.items():
            day, campaign, ad_group, keyword, match_type = key
            norm = norms.get(keyword)
            if norm is None:
                norm = norms[keyword] = normalise_keyword(keyword)
            asin, note = attribution[(campaign, ad_group)]
            yield (market, day, kind, keyword, norm, match_type, campaign, ad_group, asin, note,
                   r.impressions, r.clicks, r.cost, r.orders, r.sales, r.currency, source, stamp)  # fmt: skip

    _insert(session, _DAY, _TERM_COLUMNS, records())
    replaced = sum(1 for key in summed if hash(key) in existing)
    return len(summed) - replaced, replaced, len(existing) - replaced


def _store_advertised(
    session: Session, report: Report, own: frozenset[str], now: datetime
) -> tuple[int, int, int]:
    conn = session.connection()
    summed: dict[AdvKey, AdvertisedDay] = {}
    for row in report.advertised:
        key = (row.day, row.campaign, row.ad_group, row.asin)
        have = summed.get(key)
        if have is not None:  # one ASIN under two SKUs in one ad group: one row per ASIN
            row = AdvertisedDay(row.day, row.campaign, row.ad_group, row.asin, have.sku or row.sku,
                                have.impressions + row.impressions, have.clicks + row.clicks,
                                have.cost + row.cost, have.orders + row.orders, have.sales + row.sales,
                                row.currency)  # fmt: skip
        summed[key] = row
    days = sorted(report.days)
    campaigns = sorted({key[1] for key in summed})
    existing: set[int] = set()
    cols = (_ADV.c.day, _ADV.c.campaign, _ADV.c.ad_group, _ADV.c.asin)
    for where in _scope(_ADV, report.marketplace, days, campaigns):
        existing.update(hash(tuple(r)) for r in conn.execute(sa.select(*cols).where(where)))
        conn.execute(sa.delete(_ADV).where(where))
    stamp = _bound(session, _ADV.c.loaded_at, now)
    records = (
        (report.marketplace, r.day, r.campaign, r.ad_group, r.asin, r.sku, r.impressions, r.clicks,
         round(r.cost, 2), r.orders, round(r.sales, 2), r.currency, report.source, stamp)
        for r in summed.values()
    )  # fmt: skip
    _insert(session, _ADV, _ADV_COLUMNS, records)
    _reattribute(session, report.marketplace, {(key[1], key[2]) for key in summed}, own)
    replaced = sum(1 for key in summed if hash(key) in existing)
    return len(summed) - replaced, replaced, len(existing) - replaced


def _insert(
    session: Session, table: sa.Table, names: Sequence[str], records: Iterator[tuple[Any, ...]]
) -> None:
    """Insert in chunks through the driver's executemany.

    A million rows through ``sa.insert`` spend most of their time in per-row parameter processing. The
    records already hold what the driver takes (str, int, float, date, and the load time bound once by
    ``_bound``), so they go to the driver as they are.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # A million rows land in four indexes in no common order: with SQLite's default 2 MB page cache
        # every insert reads index pages back from the OS. This connection keeps up to 128 MB instead.
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    while chunk := list(islice(records, INSERT_CHUNK)):
        conn.exec_driver_sql(sql, chunk)


def _bound(session: Session, column: sa.Column[Any], value: Any) -> Any:
    """``value`` as the column's type hands it to the driver (UTCDateTime: naive UTC on SQLite)."""
    process = column.type.bind_processor(session.connection().dialect)
    return process(value) if process is not None else value


def _attribution(
    session: Session, marketplace: str, groups: set[tuple[str, str]], own: frozenset[str]
) -> dict[tuple[str, str], tuple[str | None, str]]:
    """(campaign, ad group) -> (the ASIN, "") or (None, why not), from the stored Advertised product rows."""
    advertised: dict[tuple[str, str], set[str]] = {group: set() for group in groups}
    stmt = sa.select(_ADV.c.campaign, _ADV.c.ad_group, _ADV.c.asin).where(_ADV.c.marketplace == marketplace)
    for campaign, ad_group, asin in session.connection().execute(stmt.distinct()):
        if (campaign, ad_group) in advertised:
            advertised[(campaign, ad_group)].add(asin)
    return {group: attribute(asins, own) for group, asins in advertised.items()}


def attribute(advertised: set[str], own: frozenset[str]) -> tuple[str | None, str]:
    """The ASIN an ad group's days belong to, or None and the reason (printed by ``ads show``)."""
    if not advertised:
        return None, "no Advertised product report for this ad group"
    mine = sorted(advertised & own)
    if len(mine) == 1:
        return mine[0], ""
    if not mine:
        others = ", ".join(sorted(advertised)[:3]) + (", ..." if len(advertised) > 3 else "")
        return None, f"ad group advertises none of your configured ASINs ({others})"
    return None, f"ad group advertises {len(mine)} of your ASINs ({', '.join(mine)})"


def _reattribute(
    session: Session, marketplace: str, groups: set[tuple[str, str]], own: frozenset[str]
) -> None:
    conn = session.connection()
    stmt = (
        sa.update(_DAY)
        .where(
            _DAY.c.marketplace == marketplace,
            _DAY.c.campaign == sa.bindparam("b_campaign"),
            _DAY.c.ad_group == sa.bindparam("b_ad_group"),
        )
        .values(asin=sa.bindparam("b_asin"), asin_note=sa.bindparam("b_note"))
    )
    params = [
        {"b_campaign": campaign, "b_ad_group": ad_group, "b_asin": asin, "b_note": note}
        for (campaign, ad_group), (asin, note) in _attribution(session, marketplace, groups, own).items()
    ]
    for chunk in _chunks(params, INSERT_CHUNK):
        conn.execute(stmt, list(chunk))


@dataclass(frozen=True)
class StoredDay:
    """One ads day as ``ads show --json`` prints it (plus which report it came from and why no ASIN)."""

    date: date
    marketplace: str
    keyword: str
    asin: str | None
    campaign: str
    ad_group: str
    match_type: str
    impressions: int
    clicks: int
    cost: float
    orders: int
    sales: float
    currency: str
    source: str  # file | api
    report: str  # search_term | targeting
    asin_note: str  # why asin is null ("" when it is not)

    def to_json(self) -> dict[str, Any]:
        """The ``ads show --json`` object (the contract's keys, then ``report`` and ``asin_note``)."""
        return {
            "date": self.date.isoformat(), "marketplace": self.marketplace, "keyword": self.keyword,
            "asin": self.asin, "campaign": self.campaign, "ad_group": self.ad_group,
            "match_type": self.match_type, "impressions": self.impressions, "clicks": self.clicks,
            "cost": self.cost, "orders": self.orders, "sales": self.sales, "currency": self.currency,
            "source": self.source, "report": self.report, "asin_note": self.asin_note,
        }  # fmt: skip


def query_ads_days(
    session: Session,
    *,
    marketplace: str | None = None,
    asin: str | None = None,
    keyword: str | None = None,
    since: date | None = None,
) -> list[StoredDay]:
    """The stored ads days, newest first: Search term rows, and exact-match Targeting rows.

    An exact-match keyword's Targeting row has every day (not only days with a click), so where one
    exists for (marketplace, day, campaign, ad group, keyword) it is the day, and the Search term report's
    EXACT row for the same term is left out (counting both would count the day twice). Broad, phrase,
    auto and product Targeting rows are stored but not listed: their days are in the Search term report.
    ``keyword`` is compared after ``normalise_keyword``.
    """
    shadow = _DAY.alias("exact")
    is_exact = sa.func.upper(_DAY.c.match_type) == "EXACT"
    shadowed = sa.exists().where(
        shadow.c.marketplace == _DAY.c.marketplace,
        shadow.c.report == "targeting",
        shadow.c.day == _DAY.c.day,
        shadow.c.campaign == _DAY.c.campaign,
        shadow.c.ad_group == _DAY.c.ad_group,
        shadow.c.keyword_norm == _DAY.c.keyword_norm,
        sa.func.upper(shadow.c.match_type) == "EXACT",
    )
    names = [f.name for f in fields(StoredDay) if f.name != "date"]
    stmt = sa.select(_DAY.c.day.label("date"), *(_DAY.c[name] for name in names)).where(
        sa.or_(
            sa.and_(_DAY.c.report == "targeting", is_exact),
            sa.and_(_DAY.c.report == "search_term", sa.or_(sa.not_(is_exact), sa.not_(shadowed))),
        )
    )  # fmt: skip
    if marketplace is not None:
        stmt = stmt.where(_DAY.c.marketplace == marketplace)
    if asin is not None:
        stmt = stmt.where(_DAY.c.asin == asin)
    if keyword is not None:
        stmt = stmt.where(_DAY.c.keyword_norm == normalise_keyword(keyword))
    if since is not None:
        stmt = stmt.where(_DAY.c.day >= since)
    stmt = stmt.order_by(
        _DAY.c.day.desc(), _DAY.c.marketplace, _DAY.c.keyword, _DAY.c.campaign, _DAY.c.ad_group,
        _DAY.c.match_type, _DAY.c.report,
    )  # fmt: skip
    return [StoredDay(**row) for row in session.connection().execute(stmt).mappings()]
