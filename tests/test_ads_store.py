"""Ads days in the database: loading a day again replaces it, attribution to ASINs, what ``ads show`` lists.

Real SQLite (and once PostgreSQL) with the migrations applied; reports come from the console files in
tests/ads_reports/ or are built as the readers build them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.ads.files import read_report_file
from monitor.ads.rows import AdvertisedDay, Report, TermDay
from monitor.ads.store import LoadResult, StoredDay, query_ads_days, store_report

REPORTS = Path(__file__).parent / "ads_reports"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
OWN = {"us": frozenset({"B0CHAIR001", "B0TABLE001"})}


def term(
    day: int, keyword: str, clicks: int, campaign: str = "C1", ad_group: str = "G1", match: str = "BROAD"
) -> TermDay:
    return TermDay(
        date(2026, 9, day), campaign, ad_group, keyword, match, 100, clicks, clicks * 0.5, 0, 0.0, "USD"
    )


def load(engine: Engine, report: Report) -> LoadResult:
    with Session(engine) as session:
        result = store_report(session, report, OWN, NOW)
        session.commit()
    return result


def shown(engine: Engine, **filters: str | date) -> list[StoredDay]:
    with Session(engine) as session:
        return query_ads_days(session, **filters)  # type: ignore[arg-type]


def totals(days: list[StoredDay]) -> tuple[int, int, float]:
    return sum(d.impressions for d in days), sum(d.clicks for d in days), round(sum(d.cost for d in days), 2)


def test_importing_the_same_file_twice_counts_nothing_twice(engine: Engine) -> None:
    report = read_report_file(REPORTS / "search_term_old_us.csv")
    first = load(engine, report)
    before = totals(shown(engine))
    again = load(engine, report)
    assert (first.new, first.replaced) == (4, 0)  # two auto-targeting rows of one term are one day
    assert (first.rows, again.rows, again.new, again.replaced) == (5, 5, 0, 4)
    assert (first.days.first, first.days.last, first.days.count) == (date(2026, 9, 1), date(2026, 9, 2), 2)
    assert totals(shown(engine)) == before == (3060, 64, 32.0)


def test_overlapping_reports_replace_the_shared_days(engine: Engine) -> None:
    load(
        engine, Report("search_term", "us", "file", terms=(term(1, "a", 1), term(2, "a", 2), term(3, "a", 3)))
    )
    result = load(engine, Report("search_term", "us", "api", terms=(term(3, "a", 30), term(4, "a", 4))))
    assert (result.new, result.replaced) == (1, 1)
    by_day = {d.date.day: (d.clicks, d.source) for d in shown(engine)}
    assert by_day == {1: (1, "file"), 2: (2, "file"), 3: (30, "api"), 4: (4, "api")}


def test_a_campaign_that_dropped_out_of_a_reloaded_day_goes_too(engine: Engine) -> None:
    load(
        engine, Report("search_term", "us", "file", terms=(term(1, "a", 1), term(1, "b", 1), term(2, "a", 1)))
    )
    result = load(engine, Report("search_term", "us", "file", terms=(term(1, "a", 5), term(2, "a", 1))))
    assert result.removed == 1  # "b" had no click any more on Sep 1 (the report restated it)
    assert sorted((d.date.day, d.keyword) for d in shown(engine)) == [(1, "a"), (2, "a")]


def test_a_report_of_one_campaign_leaves_the_other_campaigns_alone(engine: Engine) -> None:
    load(engine, Report("search_term", "us", "file", terms=(term(1, "a", 1, "C1"), term(1, "a", 2, "C2"))))
    load(engine, Report("search_term", "us", "file", terms=(term(1, "a", 7, "C1"),)))
    assert sorted((d.campaign, d.clicks) for d in shown(engine)) == [("C1", 7), ("C2", 2)]


def test_days_missing_from_the_search_term_report_stay_unknown(engine: Engine) -> None:
    load(engine, read_report_file(REPORTS / "search_term_old_us.csv"))
    days = shown(engine, keyword="folding chair lightweight")
    assert [d.date for d in days] == [date(2026, 9, 2)]  # Sep 1 is absent, not a zero row


def test_asin_only_when_the_ad_group_advertises_exactly_one_own_asin(engine: Engine) -> None:
    # terms first, advertised products later: the stored days are attributed when the products arrive
    load(engine, read_report_file(REPORTS / "search_term_old_us.csv"))
    assert {d.asin for d in shown(engine)} == {None}
    assert {d.asin_note for d in shown(engine)} == {"no Advertised product report for this ad group"}
    load(engine, read_report_file(REPORTS / "advertised_product_us.csv"))
    days = shown(engine)
    exact = {d.asin for d in days if d.ad_group == "Chair exact"}
    assert exact == {"B0CHAIR001"}
    # the auto group advertises B0CHAIR001 and B0STOOL001, and only the chair is the seller's
    assert {d.asin for d in days if d.ad_group == "Auto group"} == {"B0CHAIR001"}
    assert shown(engine, asin="B0CHAIR001") == days
    table = AdvertisedDay(
        date(2026, 9, 3), "SP Chairs Auto", "Auto group", "B0TABLE001", "T", 1, 0, 0, 0, 0, "USD"
    )
    two = Report("advertised_product", "us", "file", advertised=(table,))
    load(engine, two)
    auto = [d for d in shown(engine) if d.ad_group == "Auto group"]
    assert {d.asin for d in auto} == {None}
    assert {d.asin_note for d in auto} == {"ad group advertises 2 of your ASINs (B0CHAIR001, B0TABLE001)"}


def test_an_ad_group_of_someone_elses_asin_says_so(engine: Engine) -> None:
    load(engine, Report("search_term", "us", "file", terms=(term(1, "a", 1),)))
    other = AdvertisedDay(date(2026, 9, 1), "C1", "G1", "B0OTHER001", "", 1, 0, 0.0, 0, 0.0, "USD")
    load(engine, Report("advertised_product", "us", "file", advertised=(other,)))
    (day,) = shown(engine)
    assert (
        day.asin is None and day.asin_note == "ad group advertises none of your configured ASINs (B0OTHER001)"
    )


def test_exact_targeting_rows_win_over_search_term_rows(engine: Engine) -> None:
    load(engine, read_report_file(REPORTS / "search_term_old_us.csv"))
    load(engine, read_report_file(REPORTS / "targeting_old_us.csv"))
    days = shown(engine, keyword="Camping  CHAIR")  # compared after normalising
    assert [(d.date.day, d.report, d.clicks) for d in days] == [
        (3, "targeting", 0),  # the Targeting report has the day without clicks too
        (2, "targeting", 20),
        (1, "targeting", 40),
    ]
    # the close variant stays a search term of its own; auto targeting rows are not listed twice
    reports = {(d.keyword, d.report) for d in shown(engine)}
    assert ("camping chairs", "search_term") in reports
    assert ("close-match", "targeting") not in reports
    assert ("folding chair lightweight", "search_term") in reports


def test_a_failed_load_leaves_the_stored_days_as_they_were(engine: Engine) -> None:
    load(engine, Report("search_term", "us", "file", terms=(term(1, "a", 1), term(2, "a", 2))))
    broken = replace(term(2, "b", 3), impressions=None)  # type: ignore[arg-type]  # NOT NULL fails after the delete
    with Session(engine) as session, pytest.raises(sa.exc.IntegrityError):
        store_report(session, Report("search_term", "us", "file", terms=(term(1, "a", 9), broken)), OWN, NOW)
        session.commit()
    assert sorted((d.date.day, d.clicks) for d in shown(engine)) == [(1, 1), (2, 2)]


def test_the_replace_rule_on_postgresql(postgres_url: str) -> None:
    from monitor.store.db import open_database

    engine = open_database(postgres_url)
    try:
        with engine.begin() as conn:  # the server is shared by the session's tests
            conn.execute(sa.text("DELETE FROM ads_day"))
            conn.execute(sa.text("DELETE FROM ads_advertised"))
        report = read_report_file(REPORTS / "search_term_old_us.csv")
        load(engine, report)
        again = load(engine, report)
        assert (again.new, again.replaced) == (0, 4)
        load(engine, Report("search_term", "us", "file", terms=(term(1, "a", 7, "Other"),)))
        load(engine, read_report_file(REPORTS / "advertised_product_us.csv"))
        days = shown(engine)
        assert totals(days) == (3160, 71, 35.5)
        assert {d.asin for d in days if d.campaign == "SP Chairs Exact"} == {"B0CHAIR001"}
    finally:
        engine.dispose()


def test_days_from_files_in_memory_are_the_days_the_database_lists(engine: Engine) -> None:
    """``ismon impact --ads FILE...`` reads files without a database: same days, same rules."""
    from monitor.ads.days import ads_days

    names = ["search_term_old_us.csv", "advertised_product_us.csv", "targeting_old_us.csv"]
    reports = [read_report_file(REPORTS / name) for name in names]
    restated = term(2, "folding chair lightweight", 9, "SP Chairs Auto", "Auto group")
    reports.append(Report("search_term", "us", "api", terms=(restated,)))
    for report in reports:
        load(engine, report)
    days = shown(engine)
    assert ads_days(reports, OWN) == days
    assert len(days) == 5
    assert [(d.clicks, d.source) for d in days if d.keyword == "folding chair lightweight"] == [(9, "api")]
