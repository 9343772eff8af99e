"""History: what `ismon history` lists, how it filters, and the exact JSON of DESIGN.md.

``build_world`` (also used by tests/test_report.py) stores a small, hostile-texted history through the
models: two marketplaces, three products, sightings over three days, a captcha, an error and an unknown
page, normal visits without own ads, events, and gallery images in a BlobStore.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.cli.common import parse_since
from monitor.config import Config
from monitor.config import Marketplace as MarketplaceConfig
from monitor.config import Product as ProductConfig
from monitor.errors import UsageError
from monitor.store.files import BlobStore
from monitor.store.history import HISTORY_COLUMNS, history_json, query_history
from monitor.store.models import (
    Event,
    GalleryImage,
    Keyword,
    Marketplace,
    PageVisit,
    Product,
    Sighting,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOSTILE_NAME = "<script>alert(1)</script> \"Trail\" chair & 'co'"
HOSTILE_KEYWORD = '"folding" <b>chair</b>'
HOSTILE_PLACEMENT = 'sp_atf"><img src=x onerror=alert(2)>'
HOSTILE_ERROR = "<img src=x onerror=alert(3)> net::ERR_TIMED_OUT"
A, B = "B0AAAAAAAA", "B0BBBBBBBB"
COLOURS = {"MAIN": (240, 240, 240), "PT01": (200, 40, 40), "PT02": (40, 160, 60), "PT03": (30, 60, 200)}


def png(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    config: Config
    blobs: BlobStore
    gallery: dict[str, str] = field(default_factory=dict)  # variant -> sha of product A's gallery
    sightings: int = 0
    blocked: int = 0  # captcha/error/unknown visits
    stray_sha: str = ""  # a blob nothing references


def _id(row: Marketplace | Product | PageVisit | Sighting) -> int:
    assert row.id is not None
    return row.id


def build_world(engine: Engine, data_dir: Path) -> World:
    blobs = BlobStore(data_dir)
    config = Config(
        marketplaces={
            "us": MarketplaceConfig(base_url="https://www.amazon.com"),
            "de": MarketplaceConfig(base_url="https://www.amazon.de"),
        },
        products=[
            ProductConfig(
                asin=A, marketplace="us", name=HOSTILE_NAME, keywords=["camping chair", HOSTILE_KEYWORD]
            ),
            ProductConfig(asin=B, marketplace="us", name="Desk lamp", keywords=["desk lamp"]),
            ProductConfig(asin=A, marketplace="de", name="Campingstuhl", keywords=["campingstuhl"]),
        ],
    )
    world = World(config=config, blobs=blobs)
    day1, day2, day3 = (NOW - timedelta(days=d, hours=2) for d in (3, 2, 1))
    fetched = day1 - timedelta(days=10)
    with Session(engine) as s:
        us = Marketplace(key="us", base_url="https://www.amazon.com")
        de = Marketplace(key="de", base_url="https://www.amazon.de")
        s.add_all([us, de])
        s.flush()
        pa = Product(marketplace_id=_id(us), asin=A, name=HOSTILE_NAME)
        pb = Product(marketplace_id=_id(us), asin=B, name="Desk lamp")
        pde = Product(marketplace_id=_id(de), asin=A, name="Campingstuhl")
        s.add_all([pa, pb, pde])
        s.flush()
        for product, text in (
            (pa, "camping chair"),
            (pa, HOSTILE_KEYWORD),
            (pb, "desk lamp"),
            (pde, "campingstuhl"),
        ):
            s.add(Keyword(product_id=_id(product), text=text))
        for slot, (variant, colour) in enumerate(COLOURS.items()):
            world.gallery[variant] = sha = blobs.put("images", png(colour))
            s.add(
                GalleryImage(
                    product_id=_id(pa),
                    variant=variant,
                    slot=slot,
                    image_ids=f"id{variant}",
                    sha256=sha,
                    fetched_at=fetched,
                )
            )
        lamp = blobs.put("images", png((250, 250, 0)))
        s.add(
            GalleryImage(
                product_id=_id(pb), variant="MAIN", slot=0, image_ids="lamp", sha256=lamp, fetched_at=fetched
            )
        )
        world.stray_sha = blobs.put("images", png((1, 2, 3)))

        def visit(
            market: str, keyword: str, at: datetime, status: str = "search", error: str = ""
        ) -> PageVisit:
            v = PageVisit(
                marketplace=market,
                keyword=keyword,
                url=f"https://x/s?k={keyword}",
                seen_at=at,
                status=status,
                error=error,
                attempts=3 if error else 1,
            )
            s.add(v)
            s.flush()
            if status not in ("search", "no_results", "product"):
                world.blocked += 1
            return v

        def sight(
            v: PageVisit,
            product: Product,
            unit: str,
            verdict: str,
            variant: str | None,
            placement: str = "sp_atf",
            position: int = 1,
            method: str = "image_id",
            distance: float = 0.0,
        ) -> Sighting:
            image = png((5, 5, 5)) if variant is None else png(COLOURS[variant])
            shot = png(COLOURS.get(variant or "", (9, 9, 9)), size=(120, 50))
            row = Sighting(
                visit_id=_id(v),
                product_id=product.id,
                seen_at=v.seen_at,
                marketplace=v.marketplace,
                keyword=v.keyword,
                asin=product.asin,
                unit=unit,
                placement=placement,
                position=position,
                page=v.page,
                verdict=verdict,
                variant=variant,
                method=method,
                distance=distance,
                image_id=f"id{variant}" if variant else None,
                image_sha256=blobs.put("images", image),
                screenshot_sha256=blobs.put("screenshots", shot),
            )
            s.add(row)
            s.flush()
            world.sightings += 1
            return row

        v1 = visit("us", "camping chair", day1)
        sight(v1, pa, "grid", "match", "MAIN")
        sight(v1, pa, "carousel", "match", "MAIN", placement="sp_search_thematic", position=3)
        sight(v1, pb, "grid", "match", "MAIN", position=7)  # the seller's other product on this page
        v2 = visit("us", "camping chair", day2)
        replaced = sight(v2, pa, "grid", "match", "PT02", method="hash", distance=0.04)
        sight(v2, pa, "carousel", "match", "MAIN", placement="sp_search_thematic", position=2)
        visit("us", "camping chair", day2 + timedelta(hours=4), "captcha")
        v4 = visit("us", "camping chair", day3)
        sight(v4, pa, "grid", "match", "PT02", method="hash", distance=0.05)
        sight(v4, pa, "brand", "unknown", None, placement="sb_top", method="hash", distance=0.41)
        v5 = visit("us", HOSTILE_KEYWORD, day3)
        sight(v5, pa, "grid", "match", "PT01", placement=HOSTILE_PLACEMENT)
        sight(v5, pa, "video", "ambiguous", "PT03", placement="sb_video", method="hash", distance=0.2)
        v6 = visit("us", "desk lamp", day3)
        sight(v6, pb, "grid", "match", "MAIN")
        visit("us", "desk lamp", day3 + timedelta(hours=1), "error", error=HOSTILE_ERROR)
        lamp_page2 = visit("us", "desk lamp", day3 + timedelta(hours=2))  # no own ads: a normal result
        lamp_page2.page = 2
        visit("us", "camping chair", day3 + timedelta(hours=3), "no_results")  # normal too
        visit("de", "campingstuhl", day3 + timedelta(hours=1), "unknown")
        visit("de", "desk lamp", day3 + timedelta(hours=1), "captcha")  # not a keyword of B in de
        s.add(
            Event(
                kind="main_replaced",
                created_at=day2,
                marketplace="us",
                asin=A,
                keyword="camping chair",
                unit="grid",
                variant="PT02",
                previous_variant="MAIN",
                sighting_id=_id(replaced),
                detail=f"{HOSTILE_NAME}: ads for 'camping chair' show PT02 instead of MAIN",
            )
        )
        s.add(
            Event(
                kind="blocked",
                created_at=day2 + timedelta(hours=4),
                marketplace="us",
                keyword="camping chair",
                detail="3 captchas in a row",
            )
        )
        s.commit()
    return world


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


def test_history_lists_sightings_and_blocked_visits_newest_first(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        rows = query_history(session)
    assert len(rows) == world.sightings + world.blocked == 10 + 4
    assert [r.seen_at for r in rows] == sorted((r.seen_at for r in rows), reverse=True)
    statuses = {r.status for r in rows}
    assert statuses == {"search", "captcha", "unknown", f"error: {HOSTILE_ERROR}"}
    assert not any(r.status == "no_results" for r in rows)  # normal visits without own ads stay out


def test_history_json_has_exactly_the_design_keys(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        items = history_json(query_history(session, keyword="camping chair"))
    assert json.loads(json.dumps(items)) == items
    expected = [
        "seen_at",
        "marketplace",
        "keyword",
        "asin",
        "unit",
        "placement",
        "position",
        "page",
        "verdict",
        "variant",
        "method",
        "distance",
        "image_id",
        "status",
    ]
    assert list(HISTORY_COLUMNS) == expected
    assert all(list(item) == expected for item in items)
    captcha = next(i for i in items if i["status"] == "captcha")
    assert captcha == {
        "seen_at": "2026-11-22T14:00:00Z",
        "marketplace": "us",
        "keyword": "camping chair",
        "asin": None,
        "unit": None,
        "placement": None,
        "position": None,
        "page": 1,
        "verdict": None,
        "variant": None,
        "method": None,
        "distance": None,
        "image_id": None,
        "status": "captcha",
    }
    replaced = next(i for i in items if i["variant"] == "PT02" and i["seen_at"] == "2026-11-22T10:00:00Z")
    assert replaced == {
        "seen_at": "2026-11-22T10:00:00Z",
        "marketplace": "us",
        "keyword": "camping chair",
        "asin": A,
        "unit": "grid",
        "placement": "sp_atf",
        "position": 1,
        "page": 1,
        "verdict": "match",
        "variant": "PT02",
        "method": "hash",
        "distance": 0.04,
        "image_id": "idPT02",
        "status": "search",
    }


def test_asin_filter_keeps_the_blocked_visits_of_its_keywords(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        rows = query_history(session, asin=A.lower())
        us_only = query_history(session, asin=A, marketplace="us")
        lamp = query_history(session, asin=B)
    assert {r.asin for r in rows} == {A, None}
    blocked = [(r.marketplace, r.keyword, r.status) for r in rows if not r.is_sighting]
    assert sorted(blocked) == [("de", "campingstuhl", "unknown"), ("us", "camping chair", "captcha")]
    assert len(rows) == 8 + 2
    assert [r.status for r in us_only if not r.is_sighting] == ["captcha"]
    # B's own error visit is listed, the captcha on "desk lamp" in de (not B's marketplace) is not.
    assert [(r.marketplace, r.status) for r in lamp if not r.is_sighting] == [
        ("us", f"error: {HOSTILE_ERROR}")
    ]
    assert sum(r.is_sighting for r in lamp) == 2  # incl. the sighting on A's keyword page


def test_keyword_since_and_limit_filters(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        rows = query_history(
            session, asin=A, keyword=" camping   chair ", since=NOW - timedelta(days=2, hours=5)
        )
        recent = query_history(session, since=NOW - timedelta(days=1, hours=2))
        everything = query_history(session)
        latest = query_history(session, limit=3)
        hostile = query_history(session, keyword=HOSTILE_KEYWORD)
    assert [(r.unit, r.variant, r.status) for r in rows] == [
        ("grid", "PT02", "search"),
        ("brand", None, "search"),
        (None, None, "captcha"),
        ("grid", "PT02", "search"),
        ("carousel", "MAIN", "search"),
    ]
    assert min(r.seen_at for r in recent) == NOW - timedelta(days=1, hours=2)  # inclusive
    assert len(recent) == 5 + 3  # the day-3 sightings, then the error, unknown and de captcha visits
    assert latest == everything[:3]
    assert {r.placement for r in hostile} == {HOSTILE_PLACEMENT, "sb_video"}
    with Session(engine) as session, pytest.raises(UsageError, match="limit"):
        query_history(session, limit=0)
    with Session(engine) as session, pytest.raises(UsageError, match="timezone"):
        query_history(session, since=datetime(2026, 11, 1))


def test_filtered_history_uses_the_asin_keyword_index(engine: Engine, world: World) -> None:
    from sqlalchemy.dialects import sqlite

    from monitor.store.history import _blocked_select, _filters, _sightings_select

    f = _filters(A, "camping chair", NOW - timedelta(days=7), None)
    with engine.connect() as conn:
        for stmt, index in (
            (_sightings_select(f), "ix_sighting_asin_keyword_seen"),
            (_blocked_select(f), "ix_page_visit_keyword_seen"),
        ):
            sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row[-1]) for row in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
            assert index in plan, plan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2w", NOW - timedelta(weeks=2)),
        ("2026-11-20T08:30:00Z", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
        ("2026-11-20T09:30:00+01:00", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
        ("2026-11-20T08:30", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    parsed = parse_since(text, NOW)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-3d", "2026-13-01", "", "d7"])
def test_parse_since_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(UsageError, match="since"):
        parse_since(text, NOW)
