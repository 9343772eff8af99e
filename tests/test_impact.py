"""Impact: the join per marketplace-local day, and estimates on simulated accounts with known effects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from statsmodels.stats.proportion import proportions_ztest

from monitor.errors import UsageError
from monitor.impact.estimate import estimate
from monitor.impact.join import AdsFact, DayRow, SightingFact, join_days
from monitor.impact.simulate import Account, simulate
from monitor.impact.table import impact_table, weekly_sentence

LA = ZoneInfo("America/Los_Angeles")
TOKYO = ZoneInfo("Asia/Tokyo")
ZONES = {"us": LA, "jp": TOKYO}


def seen(
    at: datetime,
    variant: str | None = "MAIN",
    *,
    market: str = "us",
    asin: str | None = "B0CHAIR001",
    keyword: str = "camping chair",
    unit: str | None = "grid",
    status: str = "search",
    verdict: str | None = "match",
) -> SightingFact:
    return SightingFact(at, market, asin, keyword, unit, status, verdict, variant)


def ads_day(
    day: date,
    impressions: int = 1000,
    clicks: int = 10,
    *,
    market: str = "us",
    asin: str | None = "B0CHAIR001",
    keyword: str = "camping chair",
    orders: int = 1,
    report: str = "search_term",
) -> AdsFact:
    return AdsFact(
        market, day, asin, keyword, impressions, clicks, orders, 25.0 * orders, 0.8 * clicks, report
    )


# --- the join ---------------------------------------------------------------------------------------


def test_a_sighting_belongs_to_the_marketplace_local_day() -> None:
    early = datetime(2026, 11, 3, 5, 0, tzinfo=UTC)  # 21:00 on Nov 2 in Los Angeles, 14:00 on Nov 3 in Tokyo
    rows = join_days(
        [seen(early, "PT01"), seen(early, "MAIN", market="jp")],
        [ads_day(date(2026, 11, 2)), ads_day(date(2026, 11, 3), market="jp")],
        ZONES,
    )
    by_market = {r.marketplace: r for r in rows}
    assert by_market["us"].day == date(2026, 11, 2) and by_market["us"].shares == {"PT01": 1.0}
    assert by_market["us"].impressions == 1000 and by_market["us"].complete
    assert by_market["jp"].day == date(2026, 11, 3) and by_market["jp"].complete


def test_gaps_are_known_not_zero() -> None:
    noon = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
    rows = join_days(
        [seen(noon), seen(noon + timedelta(days=1), "PT02")],
        [ads_day(date(2026, 11, 2)), ads_day(date(2026, 11, 4), clicks=0)],
        ZONES,
    )
    assert [(r.day.day, r.sightings, r.clicks) for r in rows] == [(2, 1, 10), (3, 1, None), (4, 0, 0)]
    no_ads, no_sightings = rows[1], rows[2]
    assert not no_ads.has_ads and no_ads.impressions is None and no_ads.shares == {"PT02": 1.0}
    assert no_sightings.has_ads and no_sightings.shares == {} and not no_sightings.complete


def test_only_sponsored_products_on_search_pages_count_and_unidentified_images_stay_unknown() -> None:
    t = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    rows = join_days(
        [
            seen(t, "MAIN"),
            seen(t, "PT01", unit="carousel"),
            seen(t, "PT02", unit="brand"),
            seen(t, "PT02", unit="video"),
            seen(t, None, asin=None, unit=None, status="captcha", verdict=None),
            seen(t, "PT02", status="error: timeout"),
            seen(t, "PT02", status="skipped"),
            seen(t, None, verdict="unknown"),
            seen(t, "PT03", verdict="ambiguous"),
        ],
        [ads_day(date(2026, 11, 2))],
        ZONES,
    )
    assert len(rows) == 1
    assert rows[0].sightings == 4
    assert rows[0].shares == {"MAIN": 0.25, "PT01": 0.25, "UNKNOWN": 0.5}


def test_ads_rows_are_matched_by_normalised_keyword_and_summed() -> None:
    t = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    day = date(2026, 11, 2)
    rows = join_days(
        [seen(t, keyword="Camping  Chair")],
        [
            ads_day(day, 600, 6, keyword="camping chair"),
            ads_day(day, 400, 4, keyword="CAMPING　CHAIR"),  # another ad group, full-width space
            ads_day(day, 300, 3, report="targeting"),  # an exact-match ad group
            ads_day(day, 500, 5, asin=None),  # an ad group of several ASINs: cannot be credited
            ads_day(day, 9999, 99, keyword="folding chair"),  # not a monitored keyword
            ads_day(day, 700, 7, asin="B0OTHER001"),  # another ASIN
        ],
        ZONES,
    )
    assert len(rows) == 1
    assert rows[0].keyword == "Camping Chair" and (rows[0].impressions, rows[0].clicks) == (1300, 13)


@pytest.mark.parametrize(
    ("impressions", "clicks", "orders", "what"),
    [(100, 200, 1, "more clicks than impressions"), (-5, 0, 0, "negative"), (100, 5, -1, "negative")],
)
def test_impossible_ads_numbers_are_refused_with_the_row_named(
    impressions: int, clicks: int, orders: int, what: str
) -> None:
    t = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    bad = ads_day(date(2026, 11, 2), impressions, clicks, orders=orders)
    with pytest.raises(UsageError, match=f"2026-11-02.*camping chair.*{what}"):
        join_days([seen(t)], [bad], ZONES)


def test_a_marketplace_without_a_zone_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="'fr'"):
        join_days([seen(datetime(2026, 11, 2, tzinfo=UTC), market="fr")], [], ZONES)


# --- estimation on simulated accounts ---------------------------------------------------------------


def simulated(seed: int, **changes: object) -> list[DayRow]:
    account = Account(**changes)  # type: ignore[arg-type]
    sightings, ads = simulate(account, np.random.default_rng(seed), LA)
    return join_days(sightings, ads, {"us": LA})


def test_a_strong_drop_is_worse_and_its_interval_holds_the_truth() -> None:
    days = simulated(1, days=90, impressions=1500, ctr=0.01, effects={"PT01": 0.5})
    result = estimate(days)
    pt01 = result.variant("PT01")
    assert pt01 is not None and pt01.ctr_change_low is not None and pt01.ctr_change_high is not None
    assert pt01.verdict == "worse" and result.verdict == "worse"
    assert pt01.ctr_change_low <= -0.5 <= pt01.ctr_change_high
    main = result.variant("MAIN")
    assert main is not None and main.ctr_low is not None and main.ctr_high is not None
    assert main.ctr_low <= 0.01 <= main.ctr_high
    assert result.weekly_clicks is not None and result.weekly_clicks < 0
    assert "cost about" in weekly_sentence(result)
    assert result.weekly_clicks_low is not None and result.weekly_clicks_high is not None
    lost = sorted((round(-result.weekly_clicks_low), round(-result.weekly_clicks_high)))
    assert f"between {lost[0]} and {lost[1]} lost" in weekly_sentence(result)


def test_a_weekly_range_across_zero_says_it_may_be_either() -> None:
    # one image gains, another costs more: the net is a cost whose range reaches into a gain
    days = simulated(1, days=90, impressions=1500, ctr=0.01, effects={"PT01": 0.5})
    result = replace(estimate(days), weekly_clicks=-6.0, weekly_clicks_low=-25.0, weekly_clicks_high=9.0)
    sentence = weekly_sentence(result)
    assert "cost about 6 clicks a week (anywhere from 25 lost to 9 gained: it may be either)" in sentence


def test_mixed_days_are_modelled_by_share_not_by_majority() -> None:
    """PT01 was never shown alone: every day is MAIN alone or MAIN and PT01 half and half."""
    rng = np.random.default_rng(7)
    days = []
    for i in range(120):
        mixed = i % 2 == 1
        impressions = int(rng.integers(1500, 2500))
        ctr = 0.01 * (0.5 + 0.5 * 0.4 if mixed else 1.0) * rng.lognormal(0, 0.15)
        clicks = int(rng.poisson(impressions * ctr))
        shares = {"MAIN": 0.5, "PT01": 0.5} if mixed else {"MAIN": 1.0}
        days.append(
            DayRow("us", "B0CHAIR001", "camping chair", date(2026, 6, 1) + timedelta(i), shares, 12,
                   impressions, clicks, int(rng.binomial(clicks, 0.1)), 0.0, 0.0)
        )  # fmt: skip
    pt01 = estimate(days).variant("PT01")
    assert pt01 is not None and pt01.ctr_change is not None
    assert pt01.verdict == "worse"
    assert pt01.ctr_change_low is not None and pt01.ctr_change_high is not None
    assert pt01.ctr_change_low <= -0.6 <= pt01.ctr_change_high  # a majority vote would see no PT01 day
    assert pt01.days == pytest.approx(30.0)


def test_day_to_day_swings_are_not_called_an_effect() -> None:
    """Big volumes, ±15% a day, no effect: a two-proportion test sees an effect, ismon does not."""
    for seed in range(40):
        days = simulated(seed, days=60, impressions=40000, ctr=0.01, mixed_days=0.0, effects={"PT01": 1.0})
        complete = [d for d in days if d.complete]
        clicks = [sum(d.clicks or 0 for d in complete if d.shares.get(v) == 1.0) for v in ("MAIN", "PT01")]
        shown = [
            sum(d.impressions or 0 for d in complete if d.shares.get(v) == 1.0) for v in ("MAIN", "PT01")
        ]
        _z, p_value = proportions_ztest(clicks, shown)
        if p_value < 0.01:
            break
    else:
        pytest.fail("no simulated account fooled the two-proportion test")
    pt01 = estimate(days).variant("PT01")
    assert pt01 is not None and pt01.verdict not in ("worse", "better")
    assert pt01.ctr_change_low is not None and pt01.ctr_change_high is not None
    assert pt01.ctr_change_low < 0 < pt01.ctr_change_high


def test_no_effect_with_plenty_of_data_is_no_difference() -> None:
    days = simulated(3, days=180, impressions=3000, ctr=0.012, day_noise=0.08, effects={"PT01": 1.0})
    result = estimate(days)
    pt01 = result.variant("PT01")
    assert pt01 is not None and pt01.verdict == "no_difference" and result.verdict == "no_difference"
    assert "No measurable cost or gain" in weekly_sentence(result)


def test_a_weekday_pattern_is_not_mistaken_for_the_image() -> None:
    """PT01 is shown only at weekends, when shoppers click 40% more: the image itself changes nothing."""
    rng = np.random.default_rng(11)
    days = []
    for i in range(84):
        day = date(2026, 3, 2) + timedelta(i)  # a Monday
        weekend = day.weekday() >= 5
        variant = "PT01" if weekend or (day.weekday() == 0 and i % 14 == 0) else "MAIN"
        impressions = int(rng.integers(2000, 3000))
        ctr = 0.01 * (1.4 if weekend else 1.0) * rng.lognormal(0, 0.1)
        clicks = int(rng.poisson(impressions * ctr))
        days.append(
            DayRow("us", "B0CHAIR001", "camping chair", day, {variant: 1.0}, 6, impressions, clicks,
                   int(rng.binomial(clicks, 0.1)), 0.0, 0.0)
        )  # fmt: skip
    pt01 = estimate(days).variant("PT01")
    assert pt01 is not None and pt01.verdict != "better"
    assert pt01.ctr_change_low is not None and pt01.ctr_change_high is not None
    assert pt01.ctr_change_low < 0 < pt01.ctr_change_high
    shown = {v: [d for d in days if v in d.shares] for v in ("MAIN", "PT01")}
    raw = {v: sum(d.clicks or 0 for d in r) / sum(d.impressions or 0 for d in r) for v, r in shown.items()}
    assert raw["PT01"] / raw["MAIN"] > 1.2  # what a naive comparison would report


def test_tiny_data_says_not_enough_data() -> None:
    days = simulated(5, days=5, impressions=300, ctr=0.005, effects={"PT01": 0.5})
    result = estimate(days)
    assert result.verdict == "not_enough_data"
    assert all(v.verdict == "not_enough_data" for v in result.variants)
    assert weekly_sentence(result).startswith("Not enough data")
    one = estimate(days[:1])
    assert one.verdict == "not_enough_data" and one.days <= 1


def test_only_main_shown_and_no_ads_data() -> None:
    only_main = simulated(9, days=30, effects={})
    result = estimate(only_main)
    assert [v.variant for v in result.variants] == ["MAIN"] and result.verdict == "not_enough_data"
    assert weekly_sentence(result) == "Only MAIN was shown: nothing to compare."
    no_ads = [DayRow("us", "B0X", "k", date(2026, 1, 1), {"MAIN": 1.0}, 6)]
    empty = estimate(no_ads)
    assert empty.days == 0 and empty.days_without_ads == 1 and empty.variants[0].ctr is None


def test_the_table_pools_an_asins_keywords() -> None:
    rows = simulated(2, days=60, keyword="camping chair", effects={"PT01": 0.6})
    rows += simulated(4, days=60, keyword="folding chair", effects={"PT01": 0.6})
    table = impact_table(rows)
    assert len(table) == 1
    entry = table[0]
    assert [k.keyword for k in entry.keywords] == ["camping chair", "folding chair"]
    assert entry.pooled is not None and entry.pooled.keyword is None and entry.pooled.keywords == 2
    pooled = entry.pooled.variant("PT01")
    single = entry.keywords[0].variant("PT01")
    assert pooled is not None and single is not None
    assert pooled.ctr_change_low is not None and pooled.ctr_change_high is not None
    assert single.ctr_change_low is not None and single.ctr_change_high is not None
    assert pooled.ctr_change_high - pooled.ctr_change_low < single.ctr_change_high - single.ctr_change_low
    assert pooled.ctr_change_low <= -0.4 <= pooled.ctr_change_high


def test_a_keywords_verdict_is_its_worst_images_but_a_rare_image_does_not_blur_it() -> None:
    days = simulated(6, days=180, impressions=3000, ctr=0.012, day_noise=0.08, effects={"PT01": 1.0})
    rare = DayRow(
        "us", "B0CHAIR001", "camping chair", date(2026, 7, 1), {"PT07": 1.0}, 6, 3000, 30, 3, 75.0, 24.0
    )
    unknown = DayRow(
        "us", "B0CHAIR001", "camping chair", date(2026, 7, 2), {"UNKNOWN": 1.0}, 6, 3000, 40, 4, 100.0, 32.0
    )
    result = estimate([*days, rare, unknown])
    verdicts = {v.variant: v.verdict for v in result.variants}
    assert verdicts == {
        "MAIN": "no_difference",
        "PT01": "no_difference",
        "PT07": "not_enough_data",
        "UNKNOWN": "not_enough_data",
    }
    assert result.verdict == "no_difference"
    worse = simulated(
        6, days=180, impressions=3000, ctr=0.012, day_noise=0.08, effects={"PT01": 1.0, "PT02": 0.5}
    )
    assert estimate(worse).verdict == "worse"


def test_low_volume_conversion_is_not_dragged_to_nothing_by_a_weekday_without_orders() -> None:
    days = simulated(8, days=60, impressions=400, ctr=0.004, cvr=0.1, effects={"PT01": 1.0})
    complete = [d for d in days if d.complete]
    raw = sum(d.orders or 0 for d in complete) / sum(d.clicks or 0 for d in complete)
    main = estimate(days).variant("MAIN")
    assert (
        main is not None and main.cvr is not None and main.cvr_low is not None and main.cvr_high is not None
    )
    assert main.cvr_low <= raw <= main.cvr_high and 0.5 * raw < main.cvr < 2 * raw


def test_one_sweep_a_day_uses_the_days_as_seen() -> None:
    """One sighting a day cannot show mixing within a day: the shares are taken as they are."""
    days = simulated(
        14, days=60, impressions=800, ctr=0.02, sightings_per_day=1, mixed_days=0.0, switch=0.1,
        effects={"PT02": 1.3, "PT03": 0.45},
    )  # fmt: skip
    result = estimate(days)
    main, pt03 = result.variant("MAIN"), result.variant("PT03")
    assert main is not None and main.ctr_low is not None and main.ctr_high is not None
    assert main.ctr_low <= 0.02 <= main.ctr_high
    assert pt03 is not None and pt03.ctr_change_low is not None and pt03.ctr_change_high is not None
    assert pt03.days >= 7 and pt03.verdict == "worse"
    assert pt03.ctr_change_low <= -0.55 <= pt03.ctr_change_high
    assert all(v.cvr is None or v.cvr <= 1.0 for v in result.variants)
