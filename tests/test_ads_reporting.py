"""Which days a pull asks Amazon for, and how a Reporting v3 row becomes an ads day (pure functions)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from monitor.ads.reporting import (
    ADVERTISED,
    SEARCH_TERM,
    TARGETING,
    Window,
    clip,
    plan_windows,
    report_from_rows,
    request_body,
    wanted_range,
)
from monitor.errors import AdsApiError

TODAY = date(2026, 12, 4)
YESTERDAY = TODAY - timedelta(days=1)


def test_a_first_pull_reaches_back_as_far_as_amazon_keeps_reports() -> None:
    wanted = wanted_range(TODAY, since=None, until=None, lookback_days=14, last_stored=None)
    assert wanted == Window(TODAY - timedelta(days=94), YESTERDAY)


def test_later_pulls_repull_the_lookback_days_and_fill_a_gap() -> None:
    recent = wanted_range(TODAY, since=None, until=None, lookback_days=14, last_stored=YESTERDAY)
    assert recent == Window(TODAY - timedelta(days=14), YESTERDAY)  # Amazon restates recent days
    gap = wanted_range(TODAY, since=None, until=None, lookback_days=14, last_stored=date(2026, 11, 1))
    assert gap == Window(date(2026, 11, 2), YESTERDAY)  # a week without pulls is filled


def test_given_days_are_kept_within_retention_and_before_today() -> None:
    assert wanted_range(
        TODAY, since=date(2026, 1, 1), until=TODAY + timedelta(days=5), lookback_days=14, last_stored=None
    ) == Window(TODAY - timedelta(days=94), YESTERDAY)
    assert wanted_range(TODAY, since=TODAY, until=None, lookback_days=14, last_stored=None) is None


def test_windows_are_at_most_31_days_and_meet_without_gaps() -> None:
    windows = plan_windows(Window(date(2026, 9, 1), date(2026, 12, 3)))
    assert [w.days for w in windows] == [31, 31, 31, 1]
    assert windows[0].start == date(2026, 9, 1) and windows[-1].end == date(2026, 12, 3)
    assert all(b.start == a.end + timedelta(days=1) for a, b in itertools.pairwise(windows))


def test_search_terms_are_clipped_to_their_shorter_retention() -> None:
    window = Window(TODAY - timedelta(days=90), TODAY - timedelta(days=60))
    assert clip(window, TARGETING, TODAY) == window
    assert clip(window, SEARCH_TERM, TODAY) == Window(TODAY - timedelta(days=64), window.end)
    assert clip(Window(TODAY - timedelta(days=90), TODAY - timedelta(days=70)), SEARCH_TERM, TODAY) is None


def test_the_request_body_is_a_daily_gzip_json_sponsored_products_report() -> None:
    body = request_body(SEARCH_TERM, Window(date(2026, 11, 1), date(2026, 11, 30)), "us")
    conf = body["configuration"]
    assert (body["startDate"], body["endDate"]) == ("2026-11-01", "2026-11-30")
    assert conf["reportTypeId"] == "spSearchTerm" and conf["groupBy"] == ["searchTerm"]
    assert (conf["timeUnit"], conf["format"], conf["adProduct"]) == (
        "DAILY",
        "GZIP_JSON",
        "SPONSORED_PRODUCTS",
    )
    for column in ("date", "searchTerm", "impressions", "clicks", "cost", "purchases7d", "sales7d"):
        assert column in conf["columns"]


ROW = {
    "date": "2026-11-30",
    "campaignName": "SP chair exact",
    "adGroupName": "chair",
    "impressions": 812,
    "clicks": 17,
    "cost": 13.6,
    "purchases7d": 2,
    "sales7d": 59.98,
    "campaignBudgetCurrencyCode": "usd",
}


def test_rows_become_term_days_and_advertised_days() -> None:
    term = report_from_rows(
        SEARCH_TERM, "us", [{**ROW, "searchTerm": "camping chair", "keyword": "chair", "matchType": "exact"}]
    ).terms[0]
    assert (term.day, term.keyword, term.match_type, term.currency) == (
        date(2026, 11, 30),
        "camping chair",
        "EXACT",
        "USD",
    )
    assert (term.impressions, term.clicks, term.cost, term.orders, term.sales) == (812, 17, 13.6, 2, 59.98)
    target = report_from_rows(TARGETING, "us", [{**ROW, "keyword": None, "targeting": "close-match"}]).terms[
        0
    ]
    assert target.keyword == "close-match" and target.match_type == ""
    advertised = report_from_rows(ADVERTISED, "us", [{**ROW, "advertisedAsin": "b0trlhvn01"}])
    assert advertised.kind == "advertised_product" and advertised.advertised[0].asin == "B0TRLHVN01"
    assert advertised.source == "api"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": "yesterday"}, "row 1, column 'date': 'yesterday' is not a date"),
        ({"clicks": "many"}, "row 1, column 'clicks': 'many' is not a number"),
        ({"clicks": -3}, "row 1, column 'clicks': -3 is not a count"),
        ({"searchTerm": None}, "row 1, column 'searchTerm': missing"),
    ],
)
def test_a_row_that_cannot_be_read_names_the_report_row_and_column(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(AdsApiError, match=f"spSearchTerm report: {message}"):
        report_from_rows(SEARCH_TERM, "us", [{**ROW, "searchTerm": "chair", **change}])
