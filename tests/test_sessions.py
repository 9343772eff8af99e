"""A captcha costs its session, a hung marketplace a few timeouts: sweeps in real Chromium against the
simulated storefront, and the session/marketplace state machine on its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.acquire.sessions import Health, HealthLimits, Lane
from monitor.config import Config, load_config
from monitor.run.settings import sweep_settings
from monitor.store import models
from monitor.store.db import open_database
from monitor.storefront import Storefront
from monitor.sweep.gallery import refresh_galleries
from monitor.sweep.recording import SweepSummary
from monitor.sweep.runner import run_sweep
from tests.test_sweep import clock, scenario, write_config

# --- the state machine ---------------------------------------------------------------------------------


def test_a_challenge_retires_its_session_and_only_blocked_after_fresh_sessions_back_off() -> None:
    health = Health(HealthLimits(blocked_after=3, give_up_after_timeouts=3, challenge_retries=2))
    first = health.new_session("us")
    assert health.challenged(first) is False
    assert first.retired and first.challenged
    second = health.new_session("us")
    health.loaded(second)  # a page loaded in between: the run starts again
    assert not health.challenged(health.new_session("us"))
    assert not health.challenged(health.new_session("us"))
    assert health.skip_reason("us") == ""
    assert health.challenged(health.new_session("us")) is True
    assert "3 fresh sessions in a row were challenged" in health.skip_reason("us")
    assert health.skip_reason("uk") == ""  # other marketplaces go on
    assert health.retry_challenged(1) and not health.retry_challenged(2)


def test_a_marketplace_that_does_not_answer_is_given_up_after_the_configured_run() -> None:
    health = Health(HealthLimits(give_up_after_timeouts=2))
    assert health.unanswered("us") is False
    health.loaded(health.new_session("us"))
    assert health.unanswered("us") is False
    assert health.unanswered("us") is True
    assert "did not answer (2 page loads in a row" in health.skip_reason("us")


def test_closing_a_lane_closes_its_context_and_retires_its_session() -> None:
    class Context:
        closed = False

        async def close(self) -> None:
            self.closed = True

    health = Health()
    lane: Lane[Context] = Lane()
    context, session = Context(), health.new_session("us")
    lane.open(context, session)
    assert lane.marketplace == "us"
    asyncio.run(lane.close())
    assert context.closed and session.retired and not session.challenged
    assert lane.context is None and lane.marketplace == ""


# --- sweeps --------------------------------------------------------------------------------------------


@pytest.fixture
def store() -> Iterator[Storefront]:
    with Storefront(scenario()) as running:
        yield running


def _ready(tmp_path: Path, store: Storefront, chromium_path: str, **sweep: object) -> tuple[Config, Engine]:
    config = write_config(tmp_path, store.base_url, chromium_path, concurrency=1, **sweep)
    engine = open_database(config.database_url)
    refresh_galleries(sweep_settings(config), engine, clock=clock)
    return config, engine


def _sweep(config: Config, engine: Engine, store: Storefront, **changes: Any) -> SweepSummary:
    """A sweep of the test scenario with ``changes`` (storefront modes), its request log fresh."""
    store.set_scenario(replace(scenario(), **changes))
    store.clear_requests()
    return run_sweep(sweep_settings(config), engine, clock=clock)


def _visits(engine: Engine) -> list[models.PageVisit]:
    with Session(engine) as session:
        return list(session.exec(select(models.PageVisit).order_by(col(models.PageVisit.id))).all())


def _seen(engine: Engine) -> set[tuple[str, str]]:
    with Session(engine) as session:
        return {(s.keyword, s.asin) for s in session.exec(select(models.Sighting)).all()}


def _events(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return {e.kind for e in session.exec(select(models.Event)).all()}


# what the scenario advertises: "camp table" has no ads
ALL_SIGHTINGS = {
    ("camping chair", "B0TESTCHR1"),
    ("camping chair", "B0TESTTBL2"),
    ("folding chair", "B0TESTCHR1"),
}


def test_a_challenged_page_is_loaded_again_in_a_fresh_session_and_nothing_is_lost(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config, engine = _ready(tmp_path, store, chromium_path, challenge_pause_seconds=0.5)
    summary = _sweep(config, engine, store, captcha_first=1)

    assert _seen(engine) == ALL_SIGHTINGS
    statuses = [(v.keyword, v.status) for v in _visits(engine)]
    challenged = statuses[0]
    assert challenged[1] == "captcha"
    assert (challenged[0], "search") in statuses[1:]  # the same page, later, loaded
    assert summary.status == "ok" and summary.challenges == 1 and summary.failures == 0
    assert "blocked" not in _events(engine)
    # the challenged session's cookies never came back: later searches came from other sessions
    searches = [r for r in store.requests if r.path.startswith("/s?")]
    assert searches[0].kind == "captcha" and searches[0].session_id
    assert all(r.session_id != searches[0].session_id for r in searches[1:])
    # a character captcha is recorded, never answered
    assert not [r for r in store.requests if r.path.startswith("/errors/validateCaptcha")]


def test_a_fresh_session_keeps_the_delivery_location_but_not_the_challenged_identity(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    _, engine = _ready(tmp_path, store, chromium_path, challenge_pause_seconds=0.2)
    path = tmp_path / "ismon.toml"
    path.write_text(path.read_text().replace("[[products]]", 'postal_code = "98101"\n[[products]]', 1))
    config = load_config(path)
    summary = _sweep(config, engine, store, captcha_first=1)

    assert summary.status == "ok" and _seen(engine) == ALL_SIGHTINGS
    searches = [r for r in store.requests if r.path.startswith("/s?")]
    flagged = searches[0].session_id  # the stored session, which the store challenged
    assert searches[0].kind == "captcha" and searches[0].cookies.get("session-id") == flagged
    assert all(r.session_id != flagged for r in searches[1:])
    assert all(r.cookies.get("glow-zip") == "98101" for r in searches)


def test_one_keyword_always_challenged_costs_only_that_keyword(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config, engine = _ready(tmp_path, store, chromium_path, challenge_pause_seconds=0.2, retries=1)
    summary = _sweep(config, engine, store, captcha_keywords={"folding chair"})

    assert _seen(engine) == ALL_SIGHTINGS - {("folding chair", "B0TESTCHR1")}
    by_keyword: dict[str, list[str]] = {}
    for visit in _visits(engine):
        by_keyword.setdefault(visit.keyword, []).append(visit.status)
    assert by_keyword == {
        "camping chair": ["search"],
        "folding chair": ["captcha", "captcha"],  # tried again once (retries = 1), in a fresh session
        "camp table": ["search"],
    }
    assert summary.status == "failed" and summary.failures == 1 and summary.skipped == 0
    assert not _events(engine) & {"blocked", "main_replaced", "unknown_image", "not_seen"}


def _clicks(store: Storefront) -> int:
    return len([r for r in store.requests if r.path.startswith("/errors/validateCaptcha")])


def test_the_continue_shopping_wall_is_passed_with_one_click(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config, engine = _ready(tmp_path, store, chromium_path, challenge_pause_seconds=0.2)
    summary = _sweep(config, engine, store, continue_wall_first=1)

    assert summary.status == "ok" and summary.challenges == 0
    assert [v.status for v in _visits(engine)] == ["search", "search", "search"]
    assert _seen(engine) == ALL_SIGHTINGS
    assert _clicks(store) == 1

    # a wall that comes back after its click is a captcha: the session goes, the page is tried later
    summary = _sweep(config, engine, store, continue_wall_first=2)
    assert _clicks(store) == 1
    assert summary.status == "ok" and summary.challenges == 1
    assert [v.status for v in _visits(engine)][3:] == ["captcha", "search", "search", "search"]


def test_fresh_sessions_challenged_in_a_row_back_the_marketplace_off_as_blocked(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config, engine = _ready(tmp_path, store, chromium_path, challenge_pause_seconds=0)
    summary = _sweep(config, engine, store, captcha=True)

    visits = _visits(engine)
    assert [v.status for v in visits][:3] == ["captcha", "captcha", "captcha"]  # three sessions
    skipped = [v for v in visits if v.status == "skipped"]
    assert skipped and all("fresh sessions in a row were challenged" in v.error for v in skipped)
    assert {v.keyword for v in visits} == {"camping chair", "folding chair", "camp table"}
    assert _seen(engine) == set()
    assert "blocked" in _events(engine)
    assert summary.status == "failed" and "us" in summary.given_up


def _hung_sweep(config: Config, engine: Engine) -> tuple[SweepSummary, float]:
    started = time.monotonic()
    summary = run_sweep(sweep_settings(config), engine, clock=clock)
    return summary, time.monotonic() - started


def test_a_hung_marketplace_is_given_up_after_a_few_timeouts(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config, engine = _ready(tmp_path, store, chromium_path, timeout_seconds=2, retries=2)
    assert config.sweep.give_up_after_timeouts == 3  # the default
    hung = {"camping chair": 60.0, "folding chair": 60.0, "camp table": 60.0}
    store.set_scenario(replace(scenario(), slow_keywords=hung))
    summary, seconds = _hung_sweep(config, engine)

    # three timeouts of 2 s and two short pauses, not three per keyword (about 25 s)
    assert seconds < 16, seconds
    visits = _visits(engine)
    assert [v.status for v in visits] == ["error", "skipped", "skipped"]
    assert "no answer" in visits[0].error
    assert all("did not answer" in v.error for v in visits[1:])
    assert "did not answer" in summary.given_up["us"] and summary.errors[0].startswith("us: ")
    assert summary.status == "failed" and summary.skipped == 2
    assert _seen(engine) == set()
    assert not _events(engine) & {"main_replaced", "main_restored", "unknown_image", "not_seen", "blocked"}
    with Session(engine) as session:
        run = session.exec(select(models.SweepRun)).one()
    assert "did not answer" in run.note


def test_a_stopped_storefront_is_given_up_without_a_retry_per_keyword(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config, engine = _ready(tmp_path, store, chromium_path, retries=2)
    store.stop()  # the process is gone: connections are refused
    summary, seconds = _hung_sweep(config, engine)

    assert [v.status for v in _visits(engine)] == ["error", "skipped", "skipped"]
    assert "did not answer" in summary.given_up["us"]
    assert seconds < 20, seconds
