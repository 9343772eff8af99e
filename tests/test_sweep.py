"""Sweeps in real Chromium against the simulated storefront: what a seller would check afterwards."""

from __future__ import annotations

import http.client
import io
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageChops, ImageStat
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.config import Config, load_config
from monitor.run.settings import sweep_settings
from monitor.store import models
from monitor.store.db import open_database
from monitor.store.files import BlobStore
from monitor.storefront import Scenario, Storefront, StoreProduct
from monitor.sweep.gallery import refresh_galleries
from monitor.sweep.planning import SweepOptions
from monitor.sweep.runner import run_sweep

pytestmark = pytest.mark.browser

CHAIR = "B0TESTCHR1"
TABLE = "B0TESTTBL2"


def scenario() -> Scenario:
    return Scenario(
        products=[
            StoreProduct(CHAIR, "Trailhead folding camping chair", "Trailhead", seed=11),
            StoreProduct(TABLE, "Trailhead roll-up camping table", "Trailhead", seed=23),
        ],
        sponsored={"camping chair": [CHAIR, TABLE], "folding chair": [CHAIR], "camp table": []},
        ad_images={(CHAIR, "folding chair"): "PT03"},
        carousel={"camping chair": [TABLE]},
        organic_count=12,
    )


def clock() -> datetime:
    return datetime.now(UTC)


def write_config(folder: Path, base_url: str, chromium: str, **sweep: object) -> Config:
    settings: dict[str, object] = {
        "concurrency": 2,
        "delay_seconds": [0, 0],
        "timeout_seconds": 10,
        "retries": 1,
        **sweep,
    }
    extra = "\n".join(f"{k} = {v}" for k, v in settings.items())
    (folder / "ismon.toml").write_text(
        f"""
database_url = "sqlite:///ismon.db"
data_dir = "data"
[marketplaces.us]
base_url = "{base_url}"
[[products]]
asin = "{CHAIR}"
marketplace = "us"
name = "Camping chair"
keywords = ["camping chair", "folding chair"]
[[products]]
asin = "{TABLE}"
marketplace = "us"
name = "Camping table"
keywords = ["camping chair", "camp table"]
[sweep]
{extra}
[browser]
executable = "{chromium}"
"""
    )
    return load_config(folder / "ismon.toml")


@pytest.fixture
def store() -> Iterator[Storefront]:
    with Storefront(scenario()) as running:
        yield running


@pytest.fixture
def setup(tmp_path: Path, store: Storefront, chromium_path: str) -> tuple[Config, Engine]:
    config = write_config(tmp_path, store.base_url, chromium_path)
    engine = open_database(config.database_url)
    return config, engine


def sightings(engine: Engine) -> list[models.Sighting]:
    with Session(engine) as session:
        return list(session.exec(select(models.Sighting).order_by(col(models.Sighting.id))).all())


def visits(engine: Engine) -> dict[str, models.PageVisit]:
    with Session(engine) as session:
        return {v.keyword: v for v in session.exec(select(models.PageVisit)).all()}


def test_a_sweep_records_which_gallery_image_each_own_ad_showed(
    setup: tuple[Config, Engine], store: Storefront
) -> None:
    config, engine = setup
    summary = run_sweep(sweep_settings(config), engine, clock=clock)

    assert summary.status == "ok", summary.errors
    assert summary.galleries_refreshed == 2
    seen = {(s.asin, s.keyword, s.unit): (s.verdict, s.variant) for s in sightings(engine)}
    assert seen == {
        (CHAIR, "camping chair", "grid"): ("match", "MAIN"),
        (TABLE, "camping chair", "grid"): ("match", "MAIN"),
        (TABLE, "camping chair", "carousel"): ("match", "MAIN"),
        (CHAIR, "folding chair", "grid"): ("match", "PT03"),
    }
    pages = visits(engine)
    assert {k: v.status for k, v in pages.items()} == {
        "camping chair": "search",
        "folding chair": "search",
        "camp table": "search",
    }
    assert pages["camp table"].own_ads == 0  # no ad of ours there: a normal result
    assert all(v.bytes > 0 and v.duration_ms > 0 for v in pages.values())

    blobs = BlobStore(config.data_dir)
    for sighting in sightings(engine):
        assert sighting.image_sha256 and blobs.path("images", sighting.image_sha256)
        assert sighting.screenshot_sha256 and blobs.path("screenshots", sighting.screenshot_sha256)
        assert sighting.position is not None and sighting.placement

    # The ad image bytes are the ones the browser received: no second download outside the browser
    # (which would come without the browser's cookies), and they are the bytes the store served.
    for sighting in sightings(engine):
        assert sighting.image_url is not None
        hits = [r for r in store.requests if r.path == urlsplit(sighting.image_url).path]
        assert hits and all(r.cookies.get("session-id") for r in hits)
        assert sighting.image_sha256 is not None
        stored = blobs.get("images", sighting.image_sha256)
        assert stored is not None and len(stored) in {r.bytes_sent for r in hits}

    # Like a shopper: a normal desktop user agent and the marketplace's language.
    searches = [r for r in store.requests if r.path.startswith("/s?")]
    assert searches and all("HeadlessChrome" not in r.user_agent for r in searches)
    assert all("Chrome/" in r.user_agent for r in searches)
    # Fonts, video and trackers are not fetched.
    assert not [r for r in store.requests if r.path.endswith((".woff2", ".mp4")) or "/tracker" in r.path]


def test_only_own_ad_pictures_are_loaded_and_one_outside_the_gallery_still_is(
    setup: tuple[Config, Engine], store: Storefront
) -> None:
    config, engine = setup
    refresh_galleries(sweep_settings(config), engine, clock=clock)
    # The chair's ad for "folding chair" shows a picture its gallery does not have (an AI creative).
    store.set_scenario(replace(scenario(), ad_images={(CHAIR, "folding chair"): "new_scene"}))
    store.clear_requests()
    summary = run_sweep(sweep_settings(config), engine, clock=clock)
    assert summary.status == "ok", summary.errors

    creative = store.ad_image_id(CHAIR, "folding chair")
    gallery_ids = {i for asin in (CHAIR, TABLE) for _, *ids in store.gallery(asin) for i in ids}
    assert creative not in gallery_ids
    browser_pictures = {r.path for r in store.requests if r.kind == "image" and r.cookies.get("session-id")}
    # Every picture the browser fetched is one of ours: the organic results' pictures were not loaded.
    assert browser_pictures
    assert all(any(i in p for i in gallery_ids | {creative}) for p in browser_pictures)

    (odd,) = [s for s in sightings(engine) if s.keyword == "folding chair"]
    assert odd.image_id == creative and odd.verdict == "unknown"
    # ... and the browser did load the one outside the gallery: its bytes and a screenshot are evidence.
    assert any(creative in p for p in browser_pictures)
    blobs = BlobStore(config.data_dir)
    assert odd.image_sha256 and odd.screenshot_sha256
    stored = blobs.get("images", odd.image_sha256)
    hits = [r for r in store.requests if creative in r.path]
    assert stored is not None and len(stored) in {r.bytes_sent for r in hits}
    assert all(r.cookies.get("session-id") for r in hits)  # no download outside the browser


def test_imagesmith_swap_between_sweeps_is_an_event(setup: tuple[Config, Engine], store: Storefront) -> None:
    config, engine = setup
    run_sweep(sweep_settings(config), engine, clock=clock)
    store.set_scenario(replace(scenario(), ad_images={(CHAIR, "camping chair"): "PT02"}))
    summary = run_sweep(sweep_settings(config), engine, clock=clock)
    assert summary.status == "ok"
    with Session(engine) as session:
        events = session.exec(select(models.Event)).all()
    kinds = {(e.kind, e.asin, e.keyword, e.variant) for e in events}
    assert ("main_replaced", CHAIR, "camping chair", "PT02") in kinds
    assert ("main_restored", CHAIR, "folding chair", "MAIN") in kinds

    # Evidence: the changed ads got new screenshots; an unchanged ad keeps pointing at its first one.
    first: dict[tuple[str, str, str], str | None] = {}
    second: dict[tuple[str, str, str], str | None] = {}
    for s in sightings(engine):
        (first if s.visit_id <= 3 else second)[(s.asin, s.keyword, s.unit)] = s.screenshot_sha256
    assert second[(CHAIR, "camping chair", "grid")] != first[(CHAIR, "camping chair", "grid")]
    assert second[(CHAIR, "folding chair", "grid")] != first[(CHAIR, "folding chair", "grid")]
    assert second[(TABLE, "camping chair", "carousel")] == first[(TABLE, "camping chair", "carousel")]
    assert all(second.values())


def test_an_ad_tile_that_looks_the_same_on_another_search_shares_its_screenshot(
    tmp_path: Path, chromium_path: str
) -> None:
    """The same tile (product, unit, picture, size, text) is photographed once a sweep; a tile that
    differs, by its picture or by a keyword's badge, gets its own screenshot."""
    # On these keywords the store shows the same MAIN image id (on some it shows another rendition)
    keywords = ["camping chair", "folding chair", "beach chair", "lawn chair", "deck chair"]
    world = Scenario(
        products=[StoreProduct(CHAIR, "Trailhead folding camping chair", "Trailhead", seed=11)],
        sponsored={k: [CHAIR] for k in keywords},
        ad_images={(CHAIR, "beach chair"): "PT03"},
        # MAIN, as on the first two, but badged "Amazon's Choice for <keyword>": the two badged tiles
        # have the same size and differ only by their text
        choice={"lawn chair": [CHAIR], "deck chair": [CHAIR]},
        organic_count=8,
    )
    taken: dict[float, tuple[int, dict[str, str | None], set[str | None]]] = {}
    with Storefront(world) as running:
        for hours in (24.0, 0.0):  # 0: every ad photographed, to compare with
            folder = tmp_path / f"hours-{hours}"
            folder.mkdir()
            # one tab: with two, both may photograph a new tile before either has it
            config = write_config(
                folder, running.base_url, chromium_path, concurrency=1, screenshot_every_hours=hours
            )
            chair = config.products[0].model_copy(update={"keywords": keywords})
            config = config.model_copy(update={"products": [chair]})
            engine = open_database(config.database_url)
            summary = run_sweep(sweep_settings(config), engine, clock=clock)
            assert summary.status == "ok", summary.errors
            seen = sightings(engine)
            taken[hours] = (
                summary.screenshots,
                {s.keyword: s.screenshot_sha256 for s in seen},
                {s.image_id for s in seen if s.keyword != "beach chair"},
            )

    shots, evidence, image_ids = taken[24.0]
    assert len(image_ids) == 1  # the same picture on the four MAIN tiles
    assert shots == 4 and len(evidence) == 5 and all(evidence.values())
    assert evidence["folding chair"] == evidence["camping chair"]  # shared: the same tile
    assert evidence["beach chair"] != evidence["camping chair"]  # another picture
    assert evidence["lawn chair"] != evidence["camping chair"]  # the badge: another size and text
    assert evidence["deck chair"] != evidence["lawn chair"]  # the same size, another text
    every, fresh, _ = taken[0.0]
    assert every == 5
    # photographed anew, the same tile gives the very bytes that were shared
    assert fresh["folding chair"] == fresh["camping chair"] == evidence["camping chair"]


def _evidence(config: Config, engine: Engine) -> dict[tuple[str, str, str], Image.Image]:
    blobs = BlobStore(config.data_dir)
    shots: dict[tuple[str, str, str], Image.Image] = {}
    for s in sightings(engine):
        data = blobs.get("screenshots", s.screenshot_sha256 or "")
        assert data is not None, (s.asin, s.keyword, s.unit)
        shots[(s.asin, s.keyword, s.unit)] = Image.open(io.BytesIO(data)).convert("RGB")
    return shots


def test_evidence_drawn_on_demand_looks_like_the_one_of_a_browser_drawing_every_frame(
    tmp_path: Path, store: Storefront, chromium_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Tabs that draw a frame only to photograph an ad must photograph the same thing."""
    results = {}
    for on_demand in (True, False):
        folder = tmp_path / f"on-demand-{on_demand}"
        folder.mkdir()
        config = write_config(folder, store.base_url, chromium_path)  # concurrency 2: two tabs drawing
        config = config.model_copy(
            update={"browser": config.browser.model_copy(update={"render_on_demand": on_demand})}
        )
        engine = open_database(config.database_url)
        with caplog.at_level(logging.INFO, logger="monitor.acquire.tabs"):
            assert run_sweep(sweep_settings(config), engine, clock=clock).status == "ok"
        results[on_demand] = _evidence(config, engine)
    if "headless" in Path(chromium_path).name:  # Chromium's headless shell can draw on demand
        assert "cannot render on demand" not in caplog.text

    drawn, always = results[True], results[False]
    assert drawn.keys() == always.keys() and len(drawn) == 4
    for key, picture in drawn.items():
        other = always[key]
        assert abs(picture.width - other.width) <= 1 and abs(picture.height - other.height) <= 1, key
        assert max(ImageStat.Stat(picture).stddev) > 20, f"{key}: the screenshot is blank"
        size = (min(picture.width, other.width), min(picture.height, other.height))
        difference = ImageChops.difference(picture.crop((0, 0, *size)), other.crop((0, 0, *size)))
        assert max(ImageStat.Stat(difference).mean) < 3, f"{key}: the two screenshots differ"


def test_a_chromium_that_cannot_draw_on_demand_draws_every_frame_and_still_photographs(
    tmp_path: Path, store: Storefront, caplog: pytest.LogCaptureFixture
) -> None:
    full = Path("/usr/lib/chromium/chromium")  # Debian's full Chromium (new headless mode)
    if not full.is_file():
        pytest.skip(f"no full Chromium at {full} (apt-get install chromium)")
    config = write_config(tmp_path, store.base_url, str(full))
    engine = open_database(config.database_url)
    with caplog.at_level(logging.INFO, logger="monitor.acquire.tabs"):
        assert run_sweep(sweep_settings(config), engine, clock=clock).status == "ok"
    assert "cannot render on demand; it draws every frame" in caplog.text
    shots = _evidence(config, engine)
    assert len(shots) == 4 and all(max(ImageStat.Stat(p).stddev) > 20 for p in shots.values())


def test_captchas_in_every_fresh_session_are_recorded_and_back_off_the_marketplace(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path, concurrency=1)
    engine = open_database(config.database_url)
    refresh_galleries(sweep_settings(config), engine, clock=clock)
    store.set_scenario(replace(scenario(), captcha=True))
    summary = run_sweep(sweep_settings(config), engine, clock=clock)

    statuses = sorted(v.status for v in visits(engine).values())
    assert statuses == ["captcha", "skipped", "skipped"]
    assert sightings(engine) == []
    assert summary.status == "failed" and summary.exit_code == 1
    with Session(engine) as session:
        kinds = {e.kind for e in session.exec(select(models.Event)).all()}
    assert not kinds & {"main_replaced", "main_restored", "unknown_image", "not_seen"}


def test_a_timeout_is_retried_then_recorded_and_the_sweep_goes_on(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path, timeout_seconds=2)
    engine = open_database(config.database_url)
    store.set_scenario(replace(scenario(), slow_keywords={"camp table": 6.0}))
    summary = run_sweep(sweep_settings(config), engine, clock=clock)

    pages = visits(engine)
    assert pages["camp table"].status == "error"
    assert "no answer" in pages["camp table"].error
    assert pages["camping chair"].status == "search" and pages["folding chair"].status == "search"
    # Retried once: two requests (the store logs a request when it answers, after its delay).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        tries = [r for r in store.requests if r.path.startswith("/s?k=camp+table")]
        if len(tries) >= 2:
            break
        time.sleep(0.2)
    assert len(tries) == 2
    assert summary.status == "failed"
    assert len(sightings(engine)) == 4


def _chromium_pids() -> list[int]:
    """Browser processes started by this test process (children of Playwright's driver)."""
    me = os.getpid()
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        names[int(entry.name)] = cmd

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
        return False

    return [
        pid
        for pid, cmd in names.items()
        if "remote-debugging-pipe" in cmd and descends(pid) and "--type=" not in cmd
    ]


def test_a_crashed_browser_is_relaunched_and_the_sweep_goes_on(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path, concurrency=1)
    engine = open_database(config.database_url)
    refresh_galleries(sweep_settings(config), engine, clock=clock)
    store.set_scenario(replace(scenario(), slow_keywords={"camping chair": 3.0}))
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(r.path.startswith("/s?k=camping+chair") for r in store.requests):
                for pid in _chromium_pids():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=killer)
    thread.start()
    summary = run_sweep(sweep_settings(config), engine, clock=clock)
    thread.join()

    assert killed, "the browser was not found to kill"
    pages = visits(engine)
    assert {k: v.status for k, v in pages.items()} == {
        "camping chair": "search",
        "folding chair": "search",
        "camp table": "search",
    }
    assert pages["camping chair"].attempts == 2
    assert summary.status == "ok"
    assert len(sightings(engine)) == 4


def test_the_delivery_location_is_set_once_and_kept(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path)
    text = (
        (tmp_path / "ismon.toml")
        .read_text()
        .replace(f'base_url = "{store.base_url}"', f'base_url = "{store.base_url}"\npostal_code = "98101"')
    )
    (tmp_path / "ismon.toml").write_text(text)
    config = load_config(tmp_path / "ismon.toml")
    engine = open_database(config.database_url)
    run_sweep(
        sweep_settings(config), engine, clock=clock, options=SweepOptions(keywords=frozenset({"camp table"}))
    )
    run_sweep(
        sweep_settings(config), engine, clock=clock, options=SweepOptions(keywords=frozenset({"camp table"}))
    )
    changes = [r for r in store.requests if "address-change" in r.path]
    assert len(changes) == 1
    searches = [r for r in store.requests if r.path.startswith("/s?")]
    assert searches and all(r.cookies.get("glow-zip") == "98101" for r in searches)


def test_a_changed_listing_main_is_recorded_as_an_event(
    setup: tuple[Config, Engine], store: Storefront
) -> None:
    config, engine = setup
    first = refresh_galleries(sweep_settings(config), engine, clock=clock)
    assert [r.ok for r in first] == [True, True]
    assert first[0].variants[0] == "MAIN" and len(first[0].variants) == 7
    unchanged = refresh_galleries(sweep_settings(config), engine, clock=clock)
    assert not any(r.changed for r in unchanged)

    store.set_scenario(replace(scenario(), main_override={CHAIR: "777"}))
    second = refresh_galleries(sweep_settings(config), engine, clock=clock, asins=[CHAIR])
    assert len(second) == 1 and second[0].main_changed
    with Session(engine) as session:
        events = session.exec(select(models.Event).where(models.Event.kind == "listing_main_changed")).all()
        retired = session.exec(
            select(models.GalleryImage).where(col(models.GalleryImage.retired_at).is_not(None))
        ).all()
    assert [(e.asin, e.marketplace) for e in events] == [(CHAIR, "us")]
    assert len(retired) == 7

    # The sweep identifies against the new gallery: the ad now shows the new MAIN.
    summary = run_sweep(
        sweep_settings(config),
        engine,
        clock=clock,
        options=SweepOptions(keywords=frozenset({"camping chair"})),
    )
    assert summary.status == "ok"
    latest = [s for s in sightings(engine) if s.asin == CHAIR]
    assert latest and latest[-1].verdict == "match" and latest[-1].variant == "MAIN"


def test_an_eu_cookie_banner_is_accepted_like_a_shopper_would(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path, concurrency=1)
    engine = open_database(config.database_url)
    store.set_scenario(replace(scenario(), cookie_banner=True))
    summary = run_sweep(sweep_settings(config), engine, clock=clock)
    assert summary.status == "ok"
    searches = [r for r in store.requests if r.path.startswith("/s?")]
    # The first page showed the banner and it was accepted; the pages after it carry the consent.
    assert any(r.path.startswith("/cookieprefs") for r in store.requests)
    assert searches[-1].cookies.get("sp-cc")
    assert len(sightings(engine)) == 4


def test_an_unrecognisable_page_is_stored_as_such_and_never_an_image_alert(
    setup: tuple[Config, Engine], store: Storefront
) -> None:
    config, engine = setup
    run_sweep(sweep_settings(config), engine, clock=clock)
    store.set_scenario(replace(scenario(), broken_keywords={"folding chair"}))
    summary = run_sweep(sweep_settings(config), engine, clock=clock)

    assert summary.status == "failed" and summary.kinds["unknown"] == 1
    with Session(engine) as session:
        broken = session.exec(select(models.PageVisit).where(models.PageVisit.status == "unknown")).all()
        events = session.exec(
            select(models.Event).where(col(models.Event.sweep_id) == summary.sweep_id)
        ).all()
    assert [v.keyword for v in broken] == ["folding chair"]
    kinds = {e.kind for e in events}
    assert "parser_drift" in kinds
    assert not kinds & {"main_replaced", "main_restored", "unknown_image", "not_seen"}
    assert [s for s in sightings(engine) if s.visit_id == broken[0].id] == []


class _ForwardProxy(ThreadingHTTPServer):
    """A minimal HTTP forward proxy on 127.0.0.1 that counts what passes through it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[str] = []


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ForwardProxy

    def _forward(self) -> None:
        target = urlsplit(self.path)
        self.server.seen.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in {"proxy-connection", "connection"}
        }
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request(self.command, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in {"connection", "transfer-encoding", "content-length", "keep-alive"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    do_GET = _forward
    do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_proxies_rotate_per_browser_context(tmp_path: Path, store: Storefront, chromium_path: str) -> None:
    proxies = [_ForwardProxy(), _ForwardProxy()]
    threads = [threading.Thread(target=p.serve_forever, daemon=True) for p in proxies]
    for thread in threads:
        thread.start()
    try:
        urls = ", ".join(f'"http://127.0.0.1:{p.server_address[1]}"' for p in proxies)
        config = write_config(tmp_path, store.base_url, chromium_path)
        text = (tmp_path / "ismon.toml").read_text().replace("[browser]", f"[browser]\nproxy = [{urls}]")
        (tmp_path / "ismon.toml").write_text(text)
        config = load_config(tmp_path / "ismon.toml")
        engine = open_database(config.database_url)
        summary = run_sweep(sweep_settings(config), engine, clock=clock)
        assert summary.status == "ok", summary.errors
        searches = [[u for u in p.seen if "/s?k=" in u] for p in proxies]
        assert all(searches), "both proxies carry searches"
        assert sum(len(s) for s in searches) == 3
    finally:
        for proxy in proxies:
            proxy.shutdown()
            proxy.server_close()
