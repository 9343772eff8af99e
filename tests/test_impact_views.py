"""What the seller sees of impact: the `ctr_drop` email and the report's impact section.

A simulated account with known effects (PT01 +40 %, PT03 -50 % against MAIN) is stored in a real SQLite
database; a sweep ends, the `ctr_drop` for PT03 is delivered once through a real SMTP server with its
numbers, chart and screenshot, and the report opened in Chromium from file:// shows the CTR chart over
the shown variants, the tracking table and the verdict in the overview.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.item_loading import load_alert_items
from monitor.alerts.mailer import flush_outbox
from monitor.alerts.optouts import record_optouts
from monitor.alerts.outbox import events_of
from monitor.alerts.render import opt_out_request, render_html, subject_for
from monitor.report.impact import ADS_COLUMNS
from monitor.report.site import build_report
from monitor.run.settings import report_settings
from monitor.store.files import BlobStore
from monitor.store.models import AdsDay, Event, Outbox
from tests.impact_world import account, load_account, smtp  # noqa: F401  (smtp: a fixture)
from tests.test_alerts import Server
from tests.test_changes import ASIN, KW, KW2, Ad, Page, World, make_config

# Screenshots for a person to look at, when asked: ISMON_SCREENSHOTS=/some/folder
SHOTS = os.environ.get("ISMON_SCREENSHOTS")


@pytest.fixture
def seller(engine: Engine, tmp_path: Path, smtp: Server) -> World:  # noqa: F811
    world = World(engine, make_config(email_port=smtp.port), BlobStore(tmp_path / "data"))
    sightings, days = load_account(world, account())
    assert sightings > 300 and days == 59
    return world


def blobs_of(world: World) -> BlobStore:
    assert world.blobs is not None
    return world.blobs


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path, headless=True)
        yield launched
        launched.close()


def test_ctr_drop_is_emailed_once_with_numbers_chart_and_evidence(
    seller: World,
    smtp: Server,  # noqa: F811
    browser: Any,
    tmp_path: Path,
) -> None:
    fired = seller.sweep(Page(ads=[Ad("PT03")]))
    drops = [f for f in fired if f.kind == "ctr_drop"]
    assert [(f.asin, f.keyword, f.variant) for f in drops] == [(ASIN, KW, "PT03")]  # PT01 is better
    assert "−" in drops[0].detail and "95 % interval" in drops[0].detail
    later = [f.kind for _ in range(8) for f in seller.sweep(Page(ads=[Ad("PT03")]))]
    assert "ctr_drop" not in later  # 32 h later, past the 24 h cooldown: told once per variant and keyword

    smtp.start()
    config = seller.config
    assert config.email is not None
    flush_outbox(seller.engine, config.email, "", blobs_of(seller), seller.now)
    flush_outbox(seller.engine, config.email, "", blobs_of(seller), seller.now)
    received = [m for m in smtp.inbox.messages if "lowers the CTR" in str(m["Subject"])]
    assert len(received) == 1
    message = received[0]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f'Click-through rate for "{KW}"' in text
    pt03 = next(line for line in text.splitlines() if line.strip().startswith("PT03") and "CTR" in line)
    assert "worse" in pt03 and "[" in pt03  # its CTR and change with their intervals
    # The opt-out request carries the CTR change with its interval and the dates.
    assert "our ads data, PT03: CTR −" in text and "95 % interval" in text
    images = {p.get_filename() or "" for p in message.walk() if p.get_content_maintype() == "image"}
    assert any("ctr-chart" in name for name in images), images
    assert any("ad-screenshot" in name for name in images), images

    # The same email as a browser shows it: the chart and the pictures render.
    with Session(seller.engine) as session:
        event = session.exec(select(Event).where(Event.kind == "ctr_drop")).one()
        row = session.get(Outbox, event.outbox_id)
        assert row is not None
        items = load_alert_items(session, events_of(session, row), blobs_of(seller))
    html = render_html(items, subject=subject_for(items), embed="data")
    page_file = tmp_path / "ctr_drop.html"
    page_file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 700, "height": 900})
    try:
        page.goto(page_file.as_uri())
        chart = page.locator("img[alt^='Daily CTR']")
        assert chart.evaluate("i => i.complete && i.naturalWidth") >= 600
        assert page.locator("table.impact tr.focus").inner_text().startswith("PT03")
        broken = page.evaluate("() => [...document.images].filter(i => !i.naturalWidth).length")
        assert broken == 0
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "ctr_drop_email.png"), full_page=True)
    finally:
        page.close()


def test_main_replaced_email_shows_ctr_before_and_since(seller: World, smtp: Server) -> None:  # noqa: F811
    seller.sweep(Page(ads=[Ad("MAIN", keyword=KW)]))
    fired = seller.sweep(Page(ads=[Ad("PT01", keyword=KW)]))
    assert "main_replaced" in [f.kind for f in fired]
    with Session(seller.engine) as session:
        event = session.exec(select(Event).where(Event.kind == "main_replaced")).one()
        (item,) = load_alert_items(session, [event], blobs_of(seller))
    assert item.impact is not None
    assert item.impact.before is not None and item.impact.before[2] > 10_000  # 28 days of impressions
    assert item.impact.since is None  # no ads day since the replacement yet: said, not zero
    html = render_html([item], subject=subject_for([item]))
    assert "CTR before" in html and "no ads data yet" in html
    # The opt-out request quotes the numbers that make the case, never a better CTR.
    pt01 = next(r for r in item.impact.rows if r["variant"] == "PT01")
    request = opt_out_request([item])
    assert ("our ads data, PT01: CTR" in request) == (pt01["verdict"] != "better")


def test_report_impact_section_in_chromium(seller: World, browser: Any, tmp_path: Path) -> None:
    with Session(seller.engine) as session:
        requested = seller.now + timedelta(hours=1)
        record_optouts(session, seller.config.products, [ASIN], [KW], "C-42", requested, requested)
        session.commit()
    for _ in range(3):
        seller.sweep(Page(ads=[Ad("PT03")]))
    seller.sweep(Page(ads=[Ad("MAIN")]))
    at = seller.now + timedelta(minutes=5)  # the sweep's pages are stored seconds after it started
    summary = build_report(
        seller.engine, report_settings(seller.config), blobs_of(seller), tmp_path / "site", at
    )

    with (summary.out_dir / "ads_days.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == ADS_COLUMNS and len(rows) == 60
    assert rows[1][:4] == ["2026-09-03", "us", KW, ASIN]

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(summary.index.as_uri())
        cell = page.locator(f"tr.product-row[data-keyword='{KW}'] td.ctr-vs-main")
        assert cell.get_attribute("data-verdict") == "worse"
        assert cell.inner_text().startswith("PT03 −") and "worse" in cell.inner_text()
        other = page.locator(f"tr.product-row[data-keyword='{KW2}'] td.ctr-vs-main")
        assert other.inner_text() == "no ads data"

        page.locator("td.product a").first.click()
        page.wait_for_load_state("load")
        section = page.locator(f"section.impact[data-keyword='{KW}']")
        assert section.get_attribute("data-verdict") == "worse"
        svg = section.locator("svg.ctr-chart")
        assert int(svg.get_attribute("data-points") or 0) == 59  # one point per ads day
        assert section.locator("circle.ctr-point").count() == 59
        bands = section.locator("rect.band")
        assert {b for b in bands.evaluate_all("els => els.map(e => e.dataset.variant)")} == {
            "MAIN",
            "PT01",
            "PT03",
        }
        box = svg.bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 120  # drawn, not collapsed
        verdicts = {
            r.get_attribute("data-variant"): r.get_attribute("data-verdict")
            for r in section.locator("table.impact-table tbody tr").all()
        }
        assert verdicts.pop("PT01") in ("better", "not_enough_data")  # truly +40 %: never worse
        assert verdicts == {"MAIN": "no_difference", "PT03": "worse"}
        timeline = page.locator(f"section.keyword[data-keyword='{KW}'] ul.timeline li.optout")
        texts = timeline.all_inner_texts()
        assert any("opt-out requested (case C-42)" in t for t in texts)
        assert any("opt-out took effect" in t for t in texts)
        assert page.locator(f"section.keyword[data-keyword='{KW2}'] li.optout").count() == 0
        if SHOTS:
            section.screenshot(path=str(Path(SHOTS) / "report_impact.png"))
            page.goto(summary.index.as_uri())
            page.screenshot(path=str(Path(SHOTS) / "report_index.png"), full_page=True)
    finally:
        page.close()
    assert requests and all(url.startswith("file://") for url in requests)


def test_hostile_ads_day_is_refused_by_name_and_never_ends_a_sweep(seller: World, tmp_path: Path) -> None:
    with Session(seller.engine) as session:
        day = session.exec(select(AdsDay).order_by(col(AdsDay.day).desc())).first()
        assert day is not None
        day.clicks, day.impressions = 900, 40  # more clicks than impressions: no report holds this
        session.add(day)
        session.commit()
        when = day.day.isoformat()
    fired = seller.sweep(Page(ads=[Ad("PT03")]))  # the sweep closes; nothing is concluded from it
    assert "ctr_drop" not in [f.kind for f in fired]
    summary = build_report(
        seller.engine, report_settings(seller.config), blobs_of(seller), tmp_path / "site", seller.now
    )
    index = summary.index.read_text(encoding="utf-8")
    assert "The impact sections are left out" in index
    assert f"ads day {when} us {ASIN} &#39;{KW}&#39;: more clicks than impressions (900 &gt; 40)" in index
