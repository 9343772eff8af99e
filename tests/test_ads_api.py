"""``ismon ads pull`` against the simulated Amazon Ads API over HTTP on 127.0.0.1.

Each test switches on what Amazon does to a client (tokens that expire, throttling, 425 duplicates,
expiring download links, FAILED reports, restated days, a restart while reports are pending) and checks
what the seller would: the days stored, their numbers, nothing counted twice, nothing half-replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.ads.api import AdsClient, Credentials, RetryPolicy
from monitor.ads.pull import PullOptions, PullResult, Target, run_pull
from monitor.ads.reporting import SEARCH_TERM, Window, request_body
from monitor.errors import AdsApiError, AdsAuthError
from monitor.store.models import AdsAdvertised, AdsDay, AdsReportJob
from monitor.storefront import demo_scenario
from monitor.storefront.adsapi import DEMO_CLIENT_ID, SimulatedAdsApi
from monitor.storefront.adsdata import AdsWorld

PROFILE = "1111111111"
LA = ZoneInfo("America/Los_Angeles")
TARGETS = [Target("us", PROFILE, LA)]
FAST = PullOptions(first_poll_s=0.05, poll_factor=1.5, max_poll_s=0.3, max_wait_s=30)
CREDENTIALS = Credentials(DEMO_CLIENT_ID, "demo-client-secret", "Atzr|demo-refresh-token")


def utcnow() -> datetime:
    return datetime.now(UTC)


def yesterday() -> date:
    return utcnow().astimezone(LA).date() - timedelta(days=1)


@pytest.fixture
def sim() -> Iterator[SimulatedAdsApi]:
    with SimulatedAdsApi(AdsWorld(demo_scenario()), profiles={PROFILE: "us"}, pending_s=0.2) as api:
        yield api


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as client:
        yield client


def client_for(sim: SimulatedAdsApi, http: httpx.Client, credentials: Credentials = CREDENTIALS) -> AdsClient:
    return AdsClient(
        http,
        api_url=sim.base_url,
        token_url=sim.token_url,
        credentials=credentials,
        clock=utcnow,
        retry=RetryPolicy(attempts=4, backoff_s=0.05, max_backoff_s=0.2),
    )


def own() -> dict[str, frozenset[str]]:
    return {"us": frozenset(p.asin for p in demo_scenario().products)}


def pull(engine: Engine, client: AdsClient, days: int = 7, **options: object) -> PullResult:
    opts = PullOptions(**{**FAST.__dict__, "since": yesterday() - timedelta(days=days - 1), **options})
    return run_pull(engine, client, TARGETS, own(), clock=utcnow, options=opts)


Key = tuple[date, str | None, str]  # day, ASIN, keyword


def stored_days(engine: Engine, report: str = "targeting") -> dict[Key, tuple[int, int]]:
    with Session(engine) as session:
        rows = session.exec(select(AdsDay).where(col(AdsDay.report) == report)).all()
    out: dict[Key, tuple[int, int]] = {}
    for row in rows:
        key = (row.day, row.asin, row.keyword)
        assert key not in out, f"{key} stored twice"
        out[key] = (row.impressions, row.clicks)
    return out


def expected(sim: SimulatedAdsApi, days: list[date]) -> dict[Key, tuple[int, int]]:
    out: dict[Key, tuple[int, int]] = {}
    for day in days:
        for asin, keyword in sim.world.targets():
            kd = sim.world.day(asin, keyword, day)
            out[(day, asin, keyword)] = (kd.impressions, kd.clicks)
    return out


def test_a_pull_stores_what_the_api_reports_per_keyword_and_day(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    result = pull(engine, client_for(sim, http), days=5)
    assert result.ok, result.failed
    days = [yesterday() - timedelta(days=n) for n in range(5)]
    assert stored_days(engine) == expected(sim, days)
    with Session(engine) as session:
        asins = {r.asin for r in session.exec(select(AdsDay)).all()}
        advertised = session.exec(select(AdsAdvertised)).all()
        jobs = session.exec(select(AdsReportJob)).all()
    assert asins == {p.asin for p in demo_scenario().products}  # one own ASIN per ad group
    assert {a.day for a in advertised} == set(days)
    assert {j.status for j in jobs} == {"stored"} and len(jobs) == 3
    # search terms only on days with a click, every one of them stored
    terms = stored_days(engine, "search_term")
    assert terms == {k: v for k, v in expected(sim, days).items() if v[1] > 0}


def test_an_ad_group_advertising_several_own_asins_gives_its_days_no_asin(
    http: httpx.Client, engine: Engine
) -> None:
    world = AdsWorld(demo_scenario(), auto_campaign=True)
    with SimulatedAdsApi(world, profiles={PROFILE: "us"}, pending_s=0.2) as sim:
        assert pull(engine, client_for(sim, http), days=2).ok
    with Session(engine) as session:
        rows = session.exec(select(AdsDay)).all()
    auto = [r for r in rows if r.ad_group == "auto - all products"]
    exact = [r for r in rows if r.ad_group != "auto - all products"]
    assert auto and all(r.asin is None and r.asin_note for r in auto)
    assert {r.keyword for r in auto if r.report == "targeting"} == {"close-match"}
    assert exact and all(r.asin is not None for r in exact)


def test_a_long_range_is_split_into_windows_of_at_most_31_days_within_retention(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    result = pull(engine, client_for(sim, http), days=120)
    assert result.ok, result.failed
    bodies = sim.created()
    spans = {b["configuration"]["reportTypeId"]: [] for b in bodies}  # type: dict[str, list[tuple[date, date]]]
    for b in bodies:
        spans[b["configuration"]["reportTypeId"]].append(
            (date.fromisoformat(b["startDate"]), date.fromisoformat(b["endDate"]))
        )
    today = yesterday() + timedelta(days=1)
    for type_id, retention in (("spTargeting", 95), ("spAdvertisedProduct", 95), ("spSearchTerm", 65)):
        windows = sorted(spans[type_id])
        assert all((end - start).days + 1 <= 31 for start, end in windows)
        assert windows[0][0] == today - timedelta(days=retention - 1)  # not beyond retention
        assert windows[-1][1] == yesterday()
        assert all(b[0] == a[1] + timedelta(days=1) for a, b in pairwise(windows))
    assert len(stored_days(engine)) == 94 * len(sim.world.targets())  # today is not asked for


def test_an_expired_access_token_is_refreshed_not_fatal(http: httpx.Client, engine: Engine) -> None:
    world = AdsWorld(demo_scenario())
    # Tokens stop working after a second although they announce an hour: the API answers 401.
    with SimulatedAdsApi(world, profiles={PROFILE: "us"}, pending_s=2.5, token_ttl_s=1.0) as sim:
        result = pull(engine, client_for(sim, http), days=3)
        assert result.ok, result.failed
        assert sim.tokens_issued >= 2
        assert any(r.status == 401 for r in sim.requests)
    assert len(stored_days(engine)) == 3 * len(world.targets())


def test_a_token_about_to_end_is_refreshed_before_the_call() -> None:
    """Pure unit test of the token clock (an injected transport stands in for Login with Amazon)."""
    now = [datetime(2026, 12, 4, 8, 0, tzinfo=UTC)]
    grants: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        grants.append(request.content.decode())
        return httpx.Response(200, json={"access_token": f"Atza|t{len(grants)}", "expires_in": 3600})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = AdsClient(
            http, api_url="http://x", token_url="http://x/t", credentials=CREDENTIALS, clock=lambda: now[0]
        )
        assert client.access_token() == "Atza|t1"
        now[0] += timedelta(minutes=58)
        assert client.access_token() == "Atza|t1"
        now[0] += timedelta(minutes=1, seconds=30)  # within the last minute: refreshed first
        assert client.access_token() == "Atza|t2"
    assert all("grant_type=refresh_token" in g for g in grants)


def test_throttling_is_waited_out_as_retry_after_says(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    sim.faults.throttle, sim.faults.retry_after_s = 2, 0.4
    result = pull(engine, client_for(sim, http), days=2)
    assert result.ok, result.failed
    api = [r for r in sim.requests if r.kind == "api"]
    assert [r.status for r in api[:3]] == [429, 429, 200]
    assert api[1].time - api[0].time >= 0.35 and api[2].time - api[1].time >= 0.35


def test_a_duplicate_request_reuses_the_report_amazon_names(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    # A run that died right after asking for the search term report, before it stored the report id.
    window = Window(yesterday() - timedelta(days=1), yesterday())
    earlier = sim.create_report(PROFILE, request_body(SEARCH_TERM, window, "us"))
    result = pull(engine, client_for(sim, http), days=2)
    assert result.ok, result.failed
    assert any(r.status == 425 for r in sim.requests)
    assert len(sim.created()) == 3  # the duplicate was not asked for again
    with Session(engine) as session:
        ids = {j.report_id for j in session.exec(select(AdsReportJob)).all()}
    assert earlier in ids


def test_an_expired_download_link_is_renewed(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    sim.faults.expired_urls = 2
    result = pull(engine, client_for(sim, http), days=2)
    assert result.ok, result.failed
    downloads = [r.status for r in sim.requests if r.kind == "download"]
    assert downloads.count(403) == 2 and downloads.count(200) == 3


def test_restated_days_replace_the_stored_ones(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    assert pull(engine, client_for(sim, http), days=4).ok
    before = stored_days(engine)
    restated = yesterday() - timedelta(days=1)
    sim.restate(restated, 1.5)
    assert pull(engine, client_for(sim, http), days=4).ok
    after = stored_days(engine)
    assert after.keys() == before.keys()  # nothing counted twice
    days = [yesterday() - timedelta(days=n) for n in range(4)]
    assert after == expected(sim, days)
    changed = {k for k in after if after[k] != before[k]}
    assert changed and {day for day, _, _ in changed} == {restated}


def test_a_restarted_pull_collects_pending_reports_instead_of_asking_again(
    http: httpx.Client, engine: Engine
) -> None:
    with SimulatedAdsApi(AdsWorld(demo_scenario()), profiles={PROFILE: "us"}, pending_s=1.5) as sim:
        first = pull(engine, client_for(sim, http), days=3, max_wait_s=0.0)
        assert first.pending == 3 and not first.stored
        with Session(engine) as session:
            assert {j.status for j in session.exec(select(AdsReportJob)).all()} == {"pending"}
        assert stored_days(engine) == {}
        # a new process: a new client and token, the same database
        second = pull(engine, client_for(sim, http), days=3)
        assert second.ok, second.failed
        assert len(sim.created()) == 3  # nothing asked twice
    assert len(stored_days(engine)) == 3 * len(sim.world.targets())


def test_a_failed_report_is_asked_for_once_more(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    sim.faults.fail_reports = 1
    result = pull(engine, client_for(sim, http), days=2)
    assert result.ok, result.failed
    assert len(sim.created()) == 4


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("failed", "failed to prepare"),  # every report FAILED, and again when asked once more
        ("corrupt", "not gzip JSON"),  # the advertised products are stored first, then a download breaks
    ],
)
def test_a_failing_pull_leaves_every_day_wholly_old(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine, fault: str, message: str
) -> None:
    assert pull(engine, client_for(sim, http), days=3).ok
    before = (stored_days(engine), stored_days(engine, "search_term"), _advertised(engine))
    for day in range(3):
        sim.restate(yesterday() - timedelta(days=day), 2.0)
    if fault == "failed":
        sim.faults.fail_reports = 10
    else:
        sim.faults.corrupt = {"spTargeting"}
    result = pull(engine, client_for(sim, http), days=3)
    assert not result.ok and message in result.failed[0]
    assert "left as they were" in result.failed[0]
    assert (stored_days(engine), stored_days(engine, "search_term"), _advertised(engine)) == before
    with Session(engine) as session:
        assert "failed" in {j.status for j in session.exec(select(AdsReportJob)).all()}


def _advertised(engine: Engine) -> dict[tuple[date, str], int]:
    with Session(engine) as session:
        return {(a.day, a.asin): a.impressions for a in session.exec(select(AdsAdvertised)).all()}


def test_server_errors_and_timeouts_are_retried(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    sim.faults.server_errors = 2
    sim.faults.slow_calls, sim.faults.slow_s = 1, 3.0
    with httpx.Client(timeout=1.0) as impatient:
        result = pull(engine, client_for(sim, impatient), days=2)
    assert result.ok, result.failed
    assert [r.status for r in sim.requests if r.kind == "api"][:2] == [500, 500]


def test_a_server_that_stays_broken_ends_with_a_clear_message(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    sim.faults.server_errors = 100
    with pytest.raises(AdsApiError, match=r"server error 500 after 4 attempts; try again later"):
        pull(engine, client_for(sim, http), days=2)


def test_a_server_that_is_down_ends_with_a_clear_message(http: httpx.Client, engine: Engine) -> None:
    sim = SimulatedAdsApi(AdsWorld(demo_scenario()))
    sim.start()
    sim.stop()  # the port is closed now
    with pytest.raises(AdsApiError, match=r"cannot connect .* after 4 attempts"):
        pull(engine, client_for(sim, http), days=2)


def test_wrong_credentials_fail_at_once_without_showing_them(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    wrong = Credentials(DEMO_CLIENT_ID, "not-the-secret-123", "Atzr|not-the-refresh-token")
    with pytest.raises(AdsAuthError) as caught:
        pull(engine, client_for(sim, http, wrong), days=2)
    message = str(caught.value)
    assert "invalid_client" in message
    assert "not-the-secret-123" not in message and "not-the-refresh-token" not in message
    assert "not-the-secret-123" not in repr(wrong)
    assert [r.kind for r in sim.requests] == ["token"]  # no retry of what cannot work


def test_a_profile_the_grant_does_not_cover_is_refused_after_one_refresh(
    sim: SimulatedAdsApi, http: httpx.Client, engine: Engine
) -> None:
    opts = PullOptions(**{**FAST.__dict__, "since": yesterday()})
    with pytest.raises(AdsAuthError, match=r"profile 999 after a token refresh"):
        run_pull(engine, client_for(sim, http), [Target("us", "999", LA)], own(), clock=utcnow, options=opts)
    assert sim.tokens_issued == 2


@pytest.mark.postgres
def test_pulls_into_postgresql_replace_restated_days(postgres_url: str, http: httpx.Client) -> None:
    from monitor.store.db import open_database

    engine = open_database(postgres_url)  # shared by the session's tests: this one uses marketplace "ca"
    world = AdsWorld(demo_scenario(), auto_campaign=True)  # v3's long targeting match types included
    target = [Target("ca", "2222222222", LA)]
    opts = PullOptions(**{**FAST.__dict__, "since": yesterday() - timedelta(days=2)})
    with SimulatedAdsApi(world, profiles={"2222222222": "ca"}, pending_s=0.2) as sim:
        first = run_pull(
            engine, client_for(sim, http), target, {"ca": own()["us"]}, clock=utcnow, options=opts
        )
        assert first.ok, first.failed
        sim.restate(yesterday(), 3.0)
        second = run_pull(
            engine, client_for(sim, http), target, {"ca": own()["us"]}, clock=utcnow, options=opts
        )
        assert second.ok, second.failed
    with Session(engine) as session:
        rows = session.exec(
            select(AdsDay).where(col(AdsDay.marketplace) == "ca", col(AdsDay.report) == "targeting")
        ).all()
    keys = [(r.day, r.campaign, r.ad_group, r.keyword) for r in rows]
    assert len(keys) == len(set(keys)) == 3 * (len(world.targets()) + 1)  # + the auto group's close-match
    chair = world.day("B0TRLHVN01", "camping chair", yesterday())
    assert any(r.impressions == chair.impressions for r in rows if r.keyword == "camping chair" and r.asin)
    engine.dispose()
