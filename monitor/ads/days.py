"""Ads days from reports in memory, by the same rules as the database (pure).

Where it sits: beside ``monitor.ads.store``, for readers that have report files but no database
(``ismon impact --ads FILE...``). ``ads_days(reports, own_asins)`` gives what ``query_ads_days`` would
list after ``store_report`` of the same reports in the same order: later reports replace the
(marketplace, kind, day, campaign) scope of earlier ones, rows of one key are summed, an ASIN only where
the ad group advertises exactly one of the seller's ASINs, and exact-match Targeting rows instead of the
Search term report's exact rows of the same keyword.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from monitor.ads.keywords import normalise_keyword
from monitor.ads.rows import Report, TermDay
from monitor.ads.store import StoredDay, attribute, sum_terms

_Scope = tuple[str, str, date, str]  # marketplace, kind, day, campaign


def ads_days(reports: Iterable[Report], own_asins: Mapping[str, frozenset[str]]) -> list[StoredDay]:
    """The ads days of ``reports`` (loaded in this order), newest first, as ``query_ads_days`` lists them."""
    terms: dict[_Scope, list[tuple[Report, TermDay]]] = {}
    advertised: dict[
        tuple[str, date, str], dict[str, set[str]]
    ] = {}  # (mkt, day, campaign) -> group -> ASINs
    for report in reports:
        if report.kind == "advertised_product":
            fresh: dict[tuple[str, date, str], dict[str, set[str]]] = {}
            for product in report.advertised:
                groups = fresh.setdefault((report.marketplace, product.day, product.campaign), {})
                groups.setdefault(product.ad_group, set()).add(product.asin)
            advertised.update(fresh)
            continue
        summed = sum_terms(report.terms)
        fresh_terms: dict[_Scope, list[tuple[Report, TermDay]]] = {}
        for (day, campaign, *_), row in summed.items():
            fresh_terms.setdefault((report.marketplace, report.kind, day, campaign), []).append((report, row))
        campaigns = {scope[3] for scope in fresh_terms}
        for scope in [s for s in terms if s[:2] == (report.marketplace, report.kind) and s[3] in campaigns]:
            if scope[2] in report.days:
                del terms[scope]
        terms.update(fresh_terms)
    asins: dict[tuple[str, str, str], set[str]] = {}
    for (market, _, campaign), groups in advertised.items():
        for group, found in groups.items():
            asins.setdefault((market, campaign, group), set()).update(found)
    exact = {
        (scope[0], row.day, row.campaign, row.ad_group, normalise_keyword(row.keyword))
        for scope, rows in terms.items()
        if scope[1] == "targeting"
        for _, row in rows
        if row.match_type.upper() == "EXACT"
    }
    days = []
    for (market, kind, _, _), rows in terms.items():
        for report, row in rows:
            is_exact = row.match_type.upper() == "EXACT"
            key = (market, row.day, row.campaign, row.ad_group, normalise_keyword(row.keyword))
            if (kind == "targeting" and not is_exact) or (
                kind == "search_term" and is_exact and key in exact
            ):
                continue
            group_asins = asins.get((market, row.campaign, row.ad_group), set())
            asin, note = attribute(group_asins, own_asins.get(market, frozenset()))
            days.append(StoredDay(row.day, market, row.keyword, asin, row.campaign, row.ad_group,
                                  row.match_type.upper(), row.impressions, row.clicks, row.cost, row.orders,
                                  row.sales, row.currency, report.source, kind, note))  # fmt: skip
    days.sort(key=lambda d: (d.marketplace, d.keyword, d.campaign, d.ad_group, d.match_type, d.report))
    days.sort(key=lambda d: d.date, reverse=True)
    return days
