"""Opt-out requests: recorded from the command line, verified from later sweeps, `optout_overdue` told once.

What a seller checks: `ismon optout list` says pending, then effective with the hours it took, or
overdue; the overdue email arrives once through a real SMTP server, with the screenshot of the ad that
still shows another image and a follow-up text for the Seller Support case.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.alerts.mailer import flush_outbox
from monitor.alerts.optouts import optout_states, record_optouts
from monitor.config import load_config
from monitor.errors import UsageError
from monitor.impact.optout import EFFECTIVE, OVERDUE, PENDING, Request, Seen, hours_to_effect, verify
from monitor.store.db import open_database
from monitor.store.files import BlobStore
from monitor.store.models import Event, OptOutRequest
from tests.impact_world import smtp  # noqa: F401  (a fixture)
from tests.test_alerts import Server
from tests.test_changes import ASIN, KW, KW2, T0, Ad, Page, World, make_config
from tests.test_cli import ismon

GRACE = timedelta(hours=48)


def seen(hours: float, state: str, keyword: str = KW, unit: str = "grid") -> Seen:
    return Seen(T0 + timedelta(hours=hours), keyword, state, unit)


# --- the rule, pure -------------------------------------------------------------------------------------


def test_effective_once_every_covered_keyword_shows_main_again() -> None:
    request = Request("us", ASIN, (), T0)
    sightings = [
        seen(-5, "PT03"),
        seen(4, "PT03"),
        seen(8, "PT03", KW2),
        seen(12, "MAIN"),
        seen(30, "MAIN", KW2),
    ]
    early = verify(request, sightings, T0 + timedelta(hours=20), GRACE)
    assert early.state == PENDING  # KW2 still showed PT03 at its newest sighting by then
    assert [s.keyword for s in early.still_other] == [KW2]
    later = verify(request, sightings, T0 + timedelta(hours=31), GRACE)
    assert later.state == EFFECTIVE
    assert later.effective_at == T0 + timedelta(hours=30)  # the later of the two keywords
    assert hours_to_effect(request, later) == 30.0


def test_overdue_when_another_image_is_still_shown_after_the_grace() -> None:
    request = Request("us", ASIN, (KW,), T0)
    sightings = [seen(10, "MAIN"), seen(30, "PT03"), seen(50, "PT03"), seen(51, "MAIN", KW2)]
    assert verify(request, sightings, T0 + timedelta(hours=40), GRACE).state == PENDING
    verdict = verify(request, sightings, T0 + timedelta(hours=52), GRACE)
    assert verdict.state == OVERDUE
    assert [(s.state, s.seen_at) for s in verdict.still_other] == [("PT03", T0 + timedelta(hours=50))]


def test_one_unit_still_replaced_keeps_it_from_being_effective() -> None:
    request = Request("us", ASIN, (), T0)
    sightings = [seen(5, "MAIN"), seen(5, "unknown", unit="carousel"), seen(60, "MAIN")]
    verdict = verify(request, sightings, T0 + timedelta(hours=61), GRACE)
    assert verdict.state == OVERDUE
    assert verdict.still_other[0].unit == "carousel"


def test_nothing_seen_since_the_request_is_pending_not_effective() -> None:
    request = Request("us", ASIN, (), T0)
    verdict = verify(request, [seen(-3, "PT03")], T0 + timedelta(days=5), GRACE)
    assert verdict.state == PENDING and verdict.observed == 0


def test_keywords_are_compared_as_the_ads_stage_compares_them() -> None:
    request = Request("us", ASIN, ("Camping  CHAIR",), T0)
    assert request.covers("camping chair") and not request.covers(KW2)


# --- stored, verified by sweeps, told once ---------------------------------------------------------------


def test_overdue_optout_is_emailed_once_with_evidence_and_then_seen_effective(
    engine: Engine,
    tmp_path: Path,
    smtp: Server,  # noqa: F811
) -> None:
    server = smtp
    config = make_config(email_port=server.port, optout_grace_hours=12)
    world = World(engine, config, BlobStore(tmp_path / "data"))
    world.sweep(Page(ads=[Ad("PT03"), Ad("PT03", keyword=KW2)]))
    with Session(engine) as session:
        requested_at = world.now + timedelta(minutes=5)
        record_optouts(session, config.products, [ASIN.lower()], [KW], "1234567890", requested_at, world.now)
        session.commit()
    fired = [f.kind for _ in range(4) for f in world.sweep(Page(ads=[Ad("PT03")]))]
    assert "optout_overdue" in fired and fired.count("optout_overdue") == 1  # 16 h > 12 h grace, once
    fired = [f.kind for _ in range(12) for f in world.sweep(Page(ads=[Ad("PT03")]))]
    assert "optout_overdue" not in fired  # 48 more hours, past the cooldown: still told only once

    server.start()
    result = flush_outbox(engine, config.email, "", world.blobs, world.now)  # type: ignore[arg-type]
    assert result.sent >= 1 and result.pending == 0
    overdue = [m for m in server.inbox.messages if "opt-out not in effect" in str(m["Subject"])]
    assert len(overdue) == 1
    message = overdue[0]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "case 1234567890" in text and "PT03" in text and "Follow-up for your Seller Support case" in text
    images = [p.get_filename() or "" for p in message.walk() if p.get_content_maintype() == "image"]
    assert any("ad-screenshot" in name for name in images), images
    flush_outbox(engine, config.email, "", world.blobs, world.now)  # type: ignore[arg-type]
    assert len([m for m in server.inbox.messages if "opt-out" in str(m["Subject"])]) == 1

    with Session(engine) as session:
        row = session.exec(select(OptOutRequest)).one()
        assert row.overdue_event_id is not None
        assert session.get(Event, row.overdue_event_id).kind == "optout_overdue"  # type: ignore[union-attr]
        assert [s.state for s in optout_states(session, world.now, timedelta(hours=12))] == [OVERDUE]
    world.sweep(Page(ads=[Ad("MAIN")]))
    took = world.now + timedelta(seconds=20)
    world.sweep(Page(ads=[Ad("MAIN")]))
    with Session(engine) as session:
        (status,) = optout_states(session, world.now, timedelta(hours=12))
        assert status.state == EFFECTIVE and status.effective_at == took
        assert status.hours == pytest.approx((took - requested_at).total_seconds() / 3600)
        assert session.exec(select(OptOutRequest)).one().effective_at == took  # stored by the sweep


def test_record_rejects_what_ismon_could_never_verify(engine: Engine) -> None:
    config = make_config()
    with Session(engine) as session:
        for asins, keywords, message in (
            (["B0NOTMINE1"], [], "is not a product in the config"),
            ([ASIN], ["garden chair"], "is not searched for 'garden chair'"),
        ):
            try:
                record_optouts(session, config.products, asins, keywords, "", T0, T0)
            except UsageError as exc:
                assert message in str(exc)
            else:
                raise AssertionError("accepted")
        try:
            record_optouts(session, config.products, [ASIN], [], "", T0 + timedelta(days=1), T0)
        except UsageError as exc:
            assert "in the future" in str(exc)


def test_optout_command_records_and_lists(tmp_path: Path) -> None:
    (tmp_path / "ismon.toml").write_text(
        'database_url = "sqlite:///ismon.db"\n[marketplaces.us]\nbase_url = "https://www.amazon.com"\n'
        f'[[products]]\nasin = "{ASIN}"\nmarketplace = "us"\nkeywords = ["{KW}", "{KW2}"]\n'
        "[alerts]\noptout_grace_hours = 24\n"
    )
    done = ismon("optout", ASIN, "--keyword", KW, "--case", "C-77", "--at", "2h", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"opt-out 1 recorded: {ASIN} (us), {KW}" in done.stdout and "case C-77" in done.stdout
    listed = ismon("optout", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (item,) = json.loads(listed.stdout)
    assert item["asin"] == ASIN and item["keywords"] == [KW] and item["case"] == "C-77"
    assert item["state"] == "pending" and item["effective_at"] is None
    table = ismon("optout", "list", cwd=tmp_path)
    assert "pending" in table.stdout and "no sightings since the request yet" in table.stdout
    bad = ismon("optout", "B0NOTMINE1", cwd=tmp_path)
    assert bad.returncode == 2 and "B0NOTMINE1 is not a product in the config" in bad.stderr
    when = ismon("optout", ASIN, "--at", "yesterday-ish", cwd=tmp_path)
    assert when.returncode == 2 and "--at 'yesterday-ish' is not understood" in when.stderr
    config = load_config(tmp_path / "ismon.toml")
    engine = open_database(config.database_url)
    with Session(engine) as session:
        assert len(session.exec(select(OptOutRequest)).all()) == 1
    engine.dispose()
