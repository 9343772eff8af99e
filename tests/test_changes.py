"""Change detection: sequences of sweeps in a real SQLite database -> the events a seller would get.

The ``World`` below plays sweeps the way ``monitor/sweep/`` does: one transaction per page visit with
its sightings and ``record_page_events``, then ``close_sweep_events`` at the end.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.changes import Observation, image_event_kind, image_transition, replay
from monitor.alerts.kinds import IMAGE_KINDS, KIND_ORDER
from monitor.alerts.outbox import close_sweep_events, record_gallery_change, record_page_events
from monitor.alerts.pending import list_outbox, promote_stale_digests
from monitor.config import Alerts, Config, Email, parse_config
from monitor.config import Marketplace as MarketplaceConfig
from monitor.config import Product as ProductConfig
from monitor.run.settings import alert_settings
from monitor.store.files import BlobStore
from monitor.store.models import (
    Event,
    GalleryImage,
    Marketplace,
    Outbox,
    PageVisit,
    Product,
    Sighting,
    SweepRun,
)

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
ASIN = "B0CTEST001"
OTHER = "B0CTEST002"
KW = "camping chair"
KW2 = "folding chair"
SWEEP_EVERY = timedelta(hours=4)

STATES = ("MAIN", "PT01", "PT02", "PT03", "PT05", "unknown", "ambiguous")
PAGE_STATUSES = ("captcha", "error", "unknown_page", "absent", "no_results")


def png(colour: tuple[int, int, int], size: tuple[int, int] = (120, 120), label: str = "") -> bytes:
    """A small real image: a coloured product shape on white."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 5, h // 5, w - w // 5, h - h // 5), fill=colour)
    if label:
        draw.text((6, 6), label, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


COLOURS = {
    "MAIN": (200, 30, 30),
    "PT01": (30, 160, 30),
    "PT02": (30, 30, 200),
    "PT03": (220, 160, 20),
    "PT05": (120, 20, 160),
    "unknown": (20, 20, 20),
    "ambiguous": (90, 90, 90),
}


@dataclass
class Ad:
    state: str  # a variant, "unknown" or "ambiguous"
    asin: str = ASIN
    unit: str = "grid"
    keyword: str = KW
    placement: str | None = "sp_atf"


@dataclass
class Page:
    status: str = "search"
    ads: list[Ad] = field(default_factory=list)
    keyword: str = KW
    page: int = 1
    organic: int = 20


@dataclass(frozen=True)
class Fired:
    kind: str
    asin: str | None
    keyword: str | None
    unit: str | None
    variant: str | None
    previous_variant: str | None
    outbox_id: int | None
    detail: str


def make_config(
    *,
    products: Sequence[tuple[str, str, list[str]]] = ((ASIN, "Folding camping chair", [KW, KW2]),),
    email_port: int = 2525,
    **alerts: Any,
) -> Config:
    return Config(
        marketplaces={"us": MarketplaceConfig(base_url="https://www.amazon.com")},
        products=[
            ProductConfig(asin=asin, marketplace="us", name=name, keywords=keywords)
            for asin, name, keywords in products
        ],
        email=Email(
            smtp_host="127.0.0.1",
            smtp_port=email_port,
            security="none",
            sender="ismon@seller.example",
            recipients=["seller@seller.example"],
            timeout_seconds=5,
        ),
        alerts=Alerts(**alerts),
    )


def _page(spec: Page | str | None) -> Page:
    if isinstance(spec, Page):
        return spec
    if spec is None or spec == "absent":
        return Page()
    if spec == "unknown_page":
        return Page(status="unknown", organic=0)
    if spec in ("captcha", "error", "no_results"):
        return Page(status=spec, organic=0)
    return Page(ads=[Ad(spec)])


class World:
    """A marketplace with products and galleries in a real database, and a clock that sweeps move on."""

    def __init__(self, engine: Engine, config: Config, blobs: BlobStore | None = None) -> None:
        self.engine = engine
        self.config = config
        self.blobs = blobs
        self.now = T0
        self.images: dict[str, str] = {}
        self.screenshot: str | None = None
        if blobs is not None:
            self.images = {state: blobs.put("images", png(c, label=state)) for state, c in COLOURS.items()}
            self.screenshot = blobs.put("screenshots", png((240, 240, 240), (560, 200), "sponsored result"))
        with Session(engine) as session:
            market = Marketplace(key="us", base_url="https://www.amazon.com")
            session.add(market)
            session.flush()
            assert market.id is not None
            for product in config.products:
                row = Product(marketplace_id=market.id, asin=product.asin, name=product.name)
                session.add(row)
                session.flush()
                assert row.id is not None
                for slot, variant in enumerate(("MAIN", "PT01", "PT02", "PT03", "PT05")):
                    session.add(
                        GalleryImage(
                            product_id=row.id,
                            variant=variant,
                            slot=slot,
                            image_ids=f"{product.asin}{variant}hi {product.asin}{variant}lg",
                            sha256=self.images.get(variant),
                            fetched_at=T0 - timedelta(days=1),
                        )
                    )
            session.commit()

    def product_id(self, asin: str = ASIN) -> int:
        with Session(self.engine) as session:
            product = session.exec(select(Product).where(Product.asin == asin)).one()
            assert product.id is not None
            return product.id

    def sweep(self, *pages: Page | str | None, close: bool = True) -> list[Fired]:
        """One sweep of the given pages (a state string means: a search page with our ad showing it)."""
        self.now += SWEEP_EVERY
        fired: list[Event] = []
        with Session(self.engine) as session:
            run = SweepRun(started_at=self.now, trigger="cron")
            session.add(run)
            session.commit()
            t = self.now
            for spec in pages or (None,):
                page = _page(spec)
                t += timedelta(seconds=20)
                visit = PageVisit(
                    sweep_id=run.id,
                    marketplace="us",
                    keyword=page.keyword,
                    page=page.page,
                    url=f"https://www.amazon.com/s?k={page.keyword}&page={page.page}",
                    seen_at=t,
                    status=page.status,
                    organic=page.organic,
                    ads=len(page.ads),
                    own_ads=len(page.ads),
                )
                session.add(visit)
                session.flush()
                assert visit.id is not None
                sightings = []
                for position, ad in enumerate(page.ads, start=1):
                    verdict = {"unknown": "unknown", "ambiguous": "ambiguous"}.get(ad.state, "match")
                    sighting = Sighting(
                        visit_id=visit.id,
                        seen_at=t,
                        marketplace="us",
                        keyword=ad.keyword,
                        asin=ad.asin,
                        unit=ad.unit,
                        placement=ad.placement,
                        position=position,
                        page=page.page,
                        image_url=f"https://m.media-amazon.com/images/I/{ad.state}.jpg",
                        image_sha256=self.images.get(ad.state),
                        screenshot_sha256=self.screenshot,
                        verdict=verdict,
                        variant=ad.state if verdict == "match" else None,
                        # as identify() reports them: an unknown names the nearest variant, far away
                        runner_up="PT01" if verdict != "match" else None,
                        runner_up_distance={"unknown": 0.4, "ambiguous": 0.05}.get(verdict),
                    )
                    session.add(sighting)
                    sightings.append(sighting)
                session.flush()
                fired += record_page_events(session, visit, sightings, alert_settings(self.config), t)
                session.commit()
            if close:
                run.status = "ok"
                run.finished_at = t + timedelta(seconds=5)
                session.add(run)
                fired += close_sweep_events(
                    session, run, alert_settings(self.config), t + timedelta(seconds=5)
                )
                session.commit()
            return [
                Fired(e.kind, e.asin, e.keyword, e.unit, e.variant, e.previous_variant, e.outbox_id, e.detail)
                for e in fired
            ]

    def run(self, *specs: Page | str | None) -> list[list[str]]:
        """One sweep per spec; the kinds of events each made."""
        return [[f.kind for f in self.sweep(spec)] for spec in specs]


@pytest.fixture
def world(engine: Engine) -> World:
    return World(engine, make_config())


def kinds(events: Sequence[Any]) -> list[str]:
    return [e.kind for e in events]


# --- pure core ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "state", "kind"),
    [
        (None, "MAIN", None),
        (None, "PT03", "main_replaced"),
        ("MAIN", "PT03", "main_replaced"),
        ("PT03", "PT05", None),
        ("PT03", "MAIN", "main_restored"),
        ("unknown", "MAIN", "main_restored"),
        ("MAIN", "unknown", "unknown_image"),
        ("PT03", "unknown", "unknown_image"),
        ("unknown", "PT03", None),
        ("MAIN", "MAIN", None),
    ],
)
def test_which_change_of_state_makes_which_event(previous: str | None, state: str, kind: str | None) -> None:
    assert image_event_kind(previous, state) == kind


def test_a_state_is_confirmed_after_k_in_a_row_and_flip_flops_never_are() -> None:
    steps = replay(["MAIN", "MAIN", "PT03", "MAIN", "PT03", "PT03"], confirm_after=2)
    assert [s.after for s in steps] == [None, "MAIN", "MAIN", "MAIN", "MAIN", "PT03"]
    assert steps[-1].changed and steps[-1].since == 4


def test_a_truncated_history_seeds_the_confirmed_state_instead_of_nothing() -> None:
    def obs(i: int, state: str) -> Observation:
        return Observation(f"sweep:{i}", T0 + i * SWEEP_EVERY, state, i)

    history = [obs(i, "PT03") for i in range(5)]
    current = obs(5, "PT03")
    assert image_transition(history, current, 1, truncated=True) is None
    first = image_transition([], obs(0, "PT03"), 1)
    assert first is not None and first.previous is None and first.state == "PT03"


def test_a_second_page_of_the_same_sweep_is_not_a_second_observation() -> None:
    page1 = Observation("sweep:7", T0, "PT03", 1)
    page2 = Observation("sweep:7", T0 + timedelta(seconds=30), "PT03", 2)
    base = [Observation("sweep:6", T0 - SWEEP_EVERY, "MAIN", 0)]
    assert image_transition([*base, page1], page2, 2) is None


# --- image events over sweeps -------------------------------------------------------------------------


def test_main_seen_first_is_quiet_then_a_replacement_alerts_once(world: World) -> None:
    assert world.sweep("MAIN") == []
    fired = world.sweep("PT03")
    assert kinds(fired) == ["main_replaced"]
    (event,) = fired
    assert (event.asin, event.keyword, event.unit) == (ASIN, KW, "grid")
    assert (event.variant, event.previous_variant) == ("PT03", "MAIN")
    assert "PT03 instead of the MAIN image" in event.detail
    assert world.run("PT03", "PT03") == [[], []]


def test_an_ad_first_seen_with_another_image_is_a_replacement(world: World) -> None:
    fired = world.sweep("PT02")
    assert kinds(fired) == ["main_replaced"]
    assert fired[0].previous_variant is None


def test_main_restored(world: World) -> None:
    assert world.run("MAIN", "PT03", "MAIN") == [[], ["main_replaced"], ["main_restored"]]
    restored = world.sweep("PT05")  # another replacement: within the cooldown of the first
    assert restored == []


def test_confirm_after_two_needs_two_sweeps_in_a_row(engine: Engine) -> None:
    world = World(engine, make_config(confirm_after=2))
    assert world.run("MAIN", "MAIN", "PT03", "MAIN", "PT03") == [[], [], [], [], []]
    fired = world.sweep("PT03")
    assert kinds(fired) == ["main_replaced"]
    assert "2 sweeps in a row" in fired[0].detail
    # two pages of one sweep are one observation, not two
    assert world.sweep(Page(ads=[Ad("MAIN")]), Page(page=2, ads=[Ad("MAIN")])) == []
    assert kinds(world.sweep("MAIN")) == ["main_restored"]


def test_cooldown_per_asin_keyword_and_kind(engine: Engine) -> None:
    world = World(engine, make_config(cooldown_hours=10))
    # sweeps every 4 hours: a second event of a kind within 10 hours is held back
    assert world.run("MAIN", "PT03", "MAIN", "PT03", "MAIN", "PT03") == [
        [],
        ["main_replaced"],  # 10:00
        ["main_restored"],  # 14:00
        [],  # replaced again at 18:00, 8 h after the last replacement
        [],  # restored again at 22:00, 8 h after the last restoration
        ["main_replaced"],  # 02:00, 16 h after the first replacement
    ]


def test_cooldown_does_not_cross_keywords_or_products(engine: Engine) -> None:
    config = make_config(products=[(ASIN, "Chair", [KW, KW2]), (OTHER, "Stool", [KW])])
    world = World(engine, config)
    world.sweep(
        Page(ads=[Ad("MAIN"), Ad("MAIN", asin=OTHER)]), Page(keyword=KW2, ads=[Ad("MAIN", keyword=KW2)])
    )
    fired = world.sweep(
        Page(ads=[Ad("PT03"), Ad("PT03", asin=OTHER), Ad("PT02", unit="carousel")]),
        Page(keyword=KW2, ads=[Ad("PT03", keyword=KW2)]),
    )
    # three stories; the carousel flip of the same ASIN and keyword is the same story as the grid's
    assert sorted((f.asin, f.keyword, f.unit) for f in fired) == [
        (ASIN, KW, "grid"),
        (ASIN, KW2, "grid"),
        (OTHER, KW, "grid"),
    ]


def test_captchas_and_failed_pages_between_sightings_do_not_alert_or_break_a_run(engine: Engine) -> None:
    world = World(engine, make_config(confirm_after=2, not_seen_after=1))
    assert world.run("MAIN", "MAIN", "PT03", "captcha", "error", "unknown_page") == [
        [],
        [],
        [],
        [],
        [],
        ["parser_drift"],  # an unrecognisable page is reported as such, never as an image change
    ]
    fired = world.sweep("PT03")
    assert kinds(fired) == ["main_replaced"]
    assert "2 sweeps in a row" in fired[0].detail


def test_sightings_on_a_page_that_is_not_a_search_page_never_make_image_events(world: World) -> None:
    world.sweep("MAIN")
    for status in ("captcha", "error", "unknown"):
        fired = world.sweep(Page(status=status, ads=[Ad("PT03")], organic=20))
        assert not set(kinds(fired)) & IMAGE_KINDS
    assert world.sweep("MAIN") == []


def test_ambiguous_verdicts_make_no_replaced_or_restored_events(world: World) -> None:
    assert world.run("MAIN", "ambiguous", "ambiguous") == [[], [], []]
    assert kinds(world.sweep("PT03")) == ["main_replaced"]
    assert world.run("ambiguous") == [[]]
    fired = world.sweep("PT03")
    assert fired == []


def test_an_image_not_in_the_gallery_alerts_and_main_coming_back_restores(world: World) -> None:
    assert world.run("MAIN", "unknown", "unknown") == [[], ["unknown_image"], []]
    fired = world.sweep("MAIN")
    assert kinds(fired) == ["main_restored"]
    assert fired[0].previous_variant is None
    assert "not in the gallery" in fired[0].detail


def test_a_search_page_without_our_ad_is_skipped_for_image_states(world: World) -> None:
    assert world.run("MAIN", "absent", "absent", "MAIN") == [[], [], [], []]


# --- sweep-level events ---------------------------------------------------------------------------------


def test_not_seen_after_n_loaded_sweeps_without_our_ad_once_per_absence(engine: Engine) -> None:
    world = World(engine, make_config(not_seen_after=3, cooldown_hours=0))
    assert world.run("absent", "absent", "absent", "absent") == [[], [], [], []]  # never seen: nothing missed
    assert world.run("MAIN", "absent", "absent", "captcha", "error") == [[], [], [], [], []]
    fired = world.sweep("absent")  # the third loaded sweep without it; captcha and error did not count
    assert kinds(fired) == ["not_seen"]
    assert (fired[0].asin, fired[0].keyword) == (ASIN, KW)
    assert "last 3 sweeps" in fired[0].detail
    assert world.run("absent", "absent") == [[], []]  # told once per absence
    assert world.run("MAIN", "absent", "absent", "absent") == [[], [], [], ["not_seen"]]


def test_not_seen_counts_only_sweeps_that_searched_the_keyword(engine: Engine) -> None:
    world = World(engine, make_config(not_seen_after=2, cooldown_hours=0))
    world.sweep("MAIN")
    assert world.sweep(Page(keyword=KW2)) == []  # other keyword searched: says nothing about KW
    assert world.sweep(Page(keyword=KW2)) == []
    assert world.run("absent", "absent") == [[], ["not_seen"]]


def test_blocked_after_captchas_in_a_row_once_per_run(engine: Engine) -> None:
    world = World(engine, make_config(blocked_after=3, cooldown_hours=0))
    assert world.sweep("captcha", "captcha") == []
    fired = world.sweep("error", "captcha")  # the error page neither counts nor breaks the run
    assert kinds(fired) == ["blocked"]
    assert fired[0].asin is None and "3 pages in a row" in fired[0].detail
    assert world.sweep("captcha") == []  # the same run
    assert world.sweep("MAIN") == []  # a loaded page ends it
    assert world.run("captcha", "captcha", "captcha") == [[], [], ["blocked"]]


def test_parser_drift_on_unknown_pages_and_on_search_pages_that_lost_their_results(world: World) -> None:
    world.sweep(Page(organic=22), Page(keyword=KW2, organic=0))
    world.sweep(Page(organic=24), Page(keyword=KW2, organic=0))
    # KW2 never had organic results: zero is not suspicious there
    assert world.sweep(Page(keyword=KW2, organic=0)) == []
    fired = world.sweep(Page(organic=0))
    assert kinds(fired) == ["parser_drift"]
    assert "no organic results (usually 23)" in fired[0].detail


def test_listing_main_changed(world: World) -> None:
    product_id = world.product_id()
    with Session(world.engine) as session:
        assert record_gallery_change(session, product_id, [], ["newhi"], T0) is None  # first import
        assert record_gallery_change(session, product_id, ["a", "b"], ["b", "c"], T0) is None  # same picture
        event = record_gallery_change(session, product_id, "oldhi oldlg", ["newhi", "newlg"], T0)
        assert event is not None
        session.commit()
        assert event.kind == "listing_main_changed"
        assert event.asin == ASIN and event.marketplace == "us"
        assert "oldhi" in event.detail and "newhi" in event.detail
        row = session.get(Outbox, event.outbox_id)
        assert row is not None and row.status == "pending"
        assert row.subject == f"[ismon] {ASIN}: the listing's MAIN image changed (us)"


# --- outbox rows ----------------------------------------------------------------------------------------


def test_digest_collects_one_row_per_sweep_and_is_ready_at_its_end(engine: Engine) -> None:
    config = make_config(products=[(ASIN, "Chair", [KW, KW2]), (OTHER, "Stool", [KW])], blocked_after=1)
    world = World(engine, config)
    world.sweep(
        Page(ads=[Ad("MAIN"), Ad("MAIN", asin=OTHER)]), Page(keyword=KW2, ads=[Ad("MAIN", keyword=KW2)])
    )
    fired = world.sweep(
        Page(ads=[Ad("PT03"), Ad("unknown", asin=OTHER)]),
        Page(keyword=KW2, ads=[Ad("PT02", keyword=KW2)]),
        "captcha",
        close=False,
    )
    assert len(fired) == 3 and len({f.outbox_id for f in fired}) == 1
    with Session(engine) as session:
        (row,) = session.exec(select(Outbox)).all()
        assert row.status == "collecting"
        assert row.subject == f'[ismon] 3 changes: {ASIN} main image replaced by PT03 for "{KW}" and 2 more'
        # the sweep is still running: a flush must not take its digest yet
        assert promote_stale_digests(session, world.now + timedelta(hours=1)) == 0
        run = session.exec(select(SweepRun).order_by(col(SweepRun.id).desc())).first()
        assert run is not None
        run.status = "ok"
        extra = close_sweep_events(session, run, alert_settings(config), world.now + timedelta(minutes=5))
        session.commit()
        assert kinds(extra) == ["blocked"]
        assert extra[0].outbox_id == row.id
        session.refresh(row)
        assert row.status == "pending"
        assert row.subject.startswith("[ismon] 4 changes: ")
    (entry,) = list_outbox_rows(engine)
    assert entry.events == 4 and entry.status == "pending"


def test_a_digest_left_collecting_by_a_dead_sweep_is_still_sent(engine: Engine) -> None:
    world = World(engine, make_config())
    world.sweep("MAIN")
    world.sweep("PT03", close=False)  # the process died before closing the sweep
    with Session(engine) as session:
        assert session.exec(select(Outbox.status)).all() == ["collecting"]
        assert promote_stale_digests(session, world.now + timedelta(hours=2)) == 0
        assert promote_stale_digests(session, world.now + timedelta(hours=13)) == 1
        session.commit()
        assert session.exec(select(Outbox.status)).all() == ["pending"]


def test_immediate_mode_makes_one_row_per_event(engine: Engine) -> None:
    world = World(engine, make_config(mode="immediate"))
    world.sweep(Page(ads=[Ad("MAIN")]), Page(keyword=KW2, ads=[Ad("MAIN", keyword=KW2)]))
    fired = world.sweep(Page(ads=[Ad("PT03")]), Page(keyword=KW2, ads=[Ad("PT05", keyword=KW2)]))
    assert len({f.outbox_id for f in fired}) == 2
    entries = list_outbox_rows(engine)
    assert {e.status for e in entries} == {"pending"}
    assert {e.subject for e in entries} == {
        f'[ismon] {ASIN}: main image replaced by PT03 for "{KW}"',
        f'[ismon] {ASIN}: main image replaced by PT05 for "{KW2}"',
    }
    assert len({e.message_id for e in entries}) == 2
    assert all(
        e.message_id.startswith("<ismon.") and e.message_id.endswith("@seller.example>") for e in entries
    )


def test_a_page_visit_and_its_events_commit_together_or_not_at_all(engine: Engine) -> None:
    world = World(engine, make_config())
    world.sweep("MAIN")
    with Session(engine) as session:
        run = SweepRun(started_at=world.now + SWEEP_EVERY)
        session.add(run)
        session.flush()
        visit = PageVisit(
            sweep_id=run.id, marketplace="us", keyword=KW, url="u", seen_at=run.started_at, status="search"
        )
        session.add(visit)
        session.flush()
        assert visit.id is not None
        sighting = Sighting(
            visit_id=visit.id, seen_at=run.started_at, marketplace="us", keyword=KW, asin=ASIN,
            unit="grid", verdict="match", variant="PT03",
        )  # fmt: skip
        fired = record_page_events(session, visit, [sighting], alert_settings(world.config), run.started_at)
        assert kinds(fired) == ["main_replaced"]
        session.rollback()  # the sweep failed before committing the page
    with Session(engine) as session:
        assert session.exec(select(Event)).all() == []
        assert session.exec(select(Outbox)).all() == []


def list_outbox_rows(engine: Engine) -> list[Any]:
    with Session(engine) as session:
        return list(list_outbox(session))


def test_constants_name_every_event_kind() -> None:
    assert set(KIND_ORDER) == {
        "main_replaced",
        "main_restored",
        "unknown_image",
        "listing_main_changed",
        "blocked",
        "not_seen",
        "parser_drift",
        "ctr_drop",
        "optout_overdue",
    }


def test_an_unknown_that_compared_nothing_makes_no_alert(engine: Engine) -> None:
    """No gallery yet, or no image bytes: the verdict is unknown, but nothing was compared."""
    config = parse_config(
        '[marketplaces.us]\nbase_url = "https://www.amazon.com"\n'
        '[[products]]\nasin = "B0NOGALLRY"\nmarketplace = "us"\nkeywords = ["kw"]\n',
        Path("/tmp/ismon.toml"),
    )
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with Session(engine) as session:
        visit = PageVisit(marketplace="us", keyword="kw", url="u", seen_at=now, status="search")
        session.add(visit)
        session.flush()
        assert visit.id is not None
        blind = Sighting(
            visit_id=visit.id,
            seen_at=now,
            marketplace="us",
            keyword="kw",
            asin="B0NOGALLRY",
            unit="grid",
            verdict="unknown",
            method="hash",
        )
        session.add(blind)
        assert record_page_events(session, visit, [blind], alert_settings(config), now) == []
        far = Sighting(
            visit_id=visit.id,
            seen_at=now,
            marketplace="us",
            keyword="kw",
            asin="B0NOGALLRY",
            unit="carousel",
            verdict="unknown",
            method="hash",
            runner_up="PT02",
            runner_up_distance=0.41,
        )
        session.add(far)
        assert [e.kind for e in record_page_events(session, visit, [far], alert_settings(config), now)] == [
            "unknown_image"
        ]
