"""Synthetic sweep history for the report bench: a realistic database of a million sightings.

Where it sits: outside the data flow, standing in for months of sweeps. It writes what the sweep would
have written (marketplaces, products, keywords, galleries with their image files, sweep runs, page
visits incl. captchas and errors, sightings, events) straight into a migrated SQLite file, with Core
``executemany`` in chunks, so `bench/report.py` can time the report and the history queries on it.

The shape: N products x 4 keywords x 2 result pages, 6 sweeps a day. On each page the product shows up
in some of the ad units (grid, carousel, brand, video), sometimes a sibling product too. Per (product,
keyword, unit) ImageSmith has a dominant gallery variant that drifts every week or two; most sightings
show it, some show another one, a few are ambiguous or unknown. About 4 % of visits are blocked or fail.
"""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageDraw
from sqlalchemy.engine import Engine

from monitor.config import Config
from monitor.config import Marketplace as MarketplaceConfig
from monitor.config import Product as ProductConfig
from monitor.store.db import open_database
from monitor.store.files import BlobStore
from monitor.store.models import (
    Event,
    GalleryImage,
    Keyword,
    Marketplace,
    PageVisit,
    Product,
    Sighting,
    SweepRun,
)

log = logging.getLogger(__name__)

VARIANTS = ("MAIN", "PT01", "PT02", "PT03", "PT04", "PT05", "PT06", "PT07", "PT08")
NOUNS = ("camping chair", "water bottle", "desk lamp", "backpack", "yoga mat", "coffee mug", "headphones")
ADJECTIVES = ("lightweight", "folding", "insulated", "portable", "ergonomic", "premium", "compact")
START = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
SWEEP_HOURS = (0, 4, 8, 12, 16, 20)
CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class Bench:
    """What a generated database holds, for the bench to query it."""

    db_path: Path
    data_dir: Path
    config: Config
    sightings: int
    last_seen: datetime
    sample_asin: str
    sample_keyword: str


def bench_config(db_path: Path, data_dir: Path, products: int) -> Config:
    """The config the generated data was swept with (deterministic)."""
    items = []
    for i in range(products):
        noun = NOUNS[i % len(NOUNS)]
        keywords = [
            f"{noun} {i}",
            f"{ADJECTIVES[i % len(ADJECTIVES)]} {noun} {i}",
            f"best {noun} {i}",
            f'{noun} for "travel" & home {i}',
        ]
        items.append(
            ProductConfig(
                asin=f"B0BENCH{i:03d}",
                marketplace="de" if i % 10 == 9 else "us",
                name=f"{ADJECTIVES[(i * 3) % len(ADJECTIVES)].title()} {noun} <No. {i}>",
                keywords=keywords,
            )
        )
    return Config(
        database_url=f"sqlite:///{db_path}",
        data_dir=data_dir,
        marketplaces={
            "us": MarketplaceConfig(base_url="https://www.amazon.com"),
            "de": MarketplaceConfig(base_url="https://www.amazon.de"),
        },
        products=items,
    )


def _png(size: tuple[int, int], colour: tuple[int, int, int], label: str) -> bytes:
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).text((6, 6), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(30, 220), rng.randrange(30, 220), rng.randrange(30, 220))


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM sighting")).scalar_one())


def _bench_from_db(engine: Engine, db_path: Path, data_dir: Path, config: Config) -> Bench:
    with engine.connect() as conn:
        total = int(conn.execute(sa.text("SELECT count(*) FROM sighting")).scalar_one())
        last = conn.execute(sa.select(sa.func.max(Sighting.seen_at))).scalar_one()
    product = config.products[0]
    return Bench(
        db_path=db_path,
        data_dir=data_dir,
        config=config,
        sightings=total,
        last_seen=last,
        sample_asin=product.asin,
        sample_keyword=product.keywords[0],
    )


def generate(
    db_path: Path,
    data_dir: Path,
    *,
    sightings: int = 1_000_000,
    products: int = 50,
    seed: int = 20261124,
) -> Bench:
    """Write (or reuse, when it already holds exactly ``sightings``) the bench database."""
    config = bench_config(db_path, data_dir, products)
    if db_path.exists():
        engine = open_database(f"sqlite:///{db_path}")
        try:
            if _count(engine) == sightings:
                log.info("reusing %s (%d sightings)", db_path, sightings)
                return _bench_from_db(engine, db_path, data_dir, config)
        finally:
            engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    engine = open_database(f"sqlite:///{db_path}")
    try:
        _fill(engine, BlobStore(data_dir), config, sightings, random.Random(seed))
        return _bench_from_db(engine, db_path, data_dir, config)
    finally:
        engine.dispose()


@dataclass(slots=True)
class _Ref:
    index: int
    product_id: int
    marketplace: str
    asin: str
    keywords: list[str]
    gallery_sha: dict[str, str]
    unknown_sha: str
    shots: dict[str, str]


def _fill(engine: Engine, blobs: BlobStore, config: Config, target: int, rng: random.Random) -> None:
    refs = _catalogue(engine, blobs, config, rng)
    # Another product of the same seller in the same marketplace shows up on some pages too.
    siblings = [
        next(refs[(i + j) % len(refs)] for j in range(1, len(refs) + 1)
             if refs[(i + j) % len(refs)].marketplace == ref.marketplace)
        for i, ref in enumerate(refs)
    ]  # fmt: skip
    dominant: dict[tuple[int, int, str], str] = {}
    captchas_in_row: dict[tuple[int, int], int] = {}
    tables = (SweepRun, PageVisit, Sighting, Event)
    buffers: dict[Any, list[dict[str, Any]]] = {t: [] for t in tables}
    visit_id = sighting_id = event_id = 0
    written = 0

    def flush() -> None:
        with engine.begin() as conn:
            for table in tables:
                rows = buffers[table]
                if rows:
                    conn.execute(sa.insert(table), rows)
                    rows.clear()

    for sweep_id, when in enumerate(_sweep_times(), start=1):
        if written >= target:
            break
        sweep_sightings = 0
        for pi, ref in enumerate(refs):
            for ki, keyword in enumerate(ref.keywords):
                for page in (1, 2):
                    visit_id += 1
                    at = when + timedelta(seconds=pi * 40 + ki * 9 + page * 3)
                    roll = rng.random()
                    status, error = "search", ""
                    if roll < 0.03:
                        status = "captcha"
                    elif roll < 0.04:
                        status, error = "error", "Timeout 30000ms exceeded while loading the page"
                    elif roll < 0.045:
                        status = "unknown"
                    elif roll < 0.05:
                        status = "no_results"
                    units: list[tuple[str, _Ref]] = (
                        [(u, ref) for u in _units(rng, page)] if status == "search" else []
                    )
                    sibling = siblings[pi]
                    if status == "search" and rng.random() < (0.5 if page == 1 else 0.4):
                        units.append(("grid", sibling))
                    buffers[PageVisit].append(
                        {
                            "id": visit_id,
                            "sweep_id": sweep_id,
                            "marketplace": ref.marketplace,
                            "keyword": keyword,
                            "page": page,
                            "url": f"https://www.amazon.com/s?k={keyword}&page={page}",
                            "seen_at": at,
                            "status": status,
                            "error": error,
                            "duration_ms": rng.randrange(800, 4000),
                            "bytes": rng.randrange(300_000, 700_000),
                            "ads": 8 + len(units),
                            "own_ads": len(units),
                            "organic": 48,
                            "attempts": 1 if status != "error" else 3,
                        }
                    )
                    key2 = (pi, ki)
                    if status == "captcha":
                        captchas_in_row[key2] = captchas_in_row.get(key2, 0) + 1
                        if captchas_in_row[key2] == 3:
                            event_id += 1
                            buffers[Event].append(
                                _event(
                                    event_id, "blocked", at, ref, None, keyword, None, None, None, sweep_id
                                )
                            )
                    else:
                        captchas_in_row[key2] = 0
                    for position, (unit, owner) in enumerate(units, start=1):
                        if written >= target:
                            break
                        sighting_id += 1
                        written += 1
                        sweep_sightings += 1
                        key3 = (owner.index, ki, unit)
                        before = dominant.get(key3)
                        if before is None or rng.random() < 1 / 60:
                            dominant[key3] = _drift(rng, before)
                        verdict, variant = _identify(rng, dominant[key3])
                        row = {
                            "id": sighting_id,
                            "visit_id": visit_id,
                            "product_id": owner.product_id,
                            "seen_at": at,
                            "marketplace": ref.marketplace,
                            "keyword": keyword,
                            "asin": owner.asin,
                            "unit": unit,
                            "placement": _placement(unit, page),
                            "position": position,
                            "page": page,
                            "image_url": None,
                            "image_id": None,
                            "image_sha256": owner.unknown_sha,
                            "screenshot_sha256": owner.shots["unknown"],
                            "verdict": verdict,
                            "variant": variant,
                            "method": "hash",
                            "distance": round(rng.uniform(0.2, 0.4), 3),
                            "runner_up": None,
                            "runner_up_distance": None,
                            "id_mismatch": False,
                        }
                        if variant is not None:
                            image_id = f"{owner.asin}{variant}L"
                            row["image_id"] = image_id
                            row["image_url"] = (
                                f"https://m.media-amazon.com/images/I/{image_id}._AC_UL320_.jpg"
                            )
                            row["image_sha256"] = owner.gallery_sha[variant]
                            row["screenshot_sha256"] = owner.shots[variant]
                            exact = rng.random() < 0.7
                            row["method"] = "image_id" if exact else "hash"
                            row["distance"] = 0.0 if exact else round(rng.uniform(0.0, 0.12), 3)
                        buffers[Sighting].append(row)
                        now_shown = dominant[key3]
                        # What the change detection would report: the grid ad's usual image left or
                        # came back to MAIN.
                        if (
                            unit == "grid"
                            and before
                            and before != now_shown
                            and "MAIN" in (before, now_shown)
                        ):
                            event_id += 1
                            kind = "main_restored" if now_shown == "MAIN" else "main_replaced"
                            buffers[Event].append(
                                _event(
                                    event_id,
                                    kind,
                                    at,
                                    owner,
                                    owner.asin,
                                    keyword,
                                    unit,
                                    now_shown,
                                    before,
                                    sweep_id,
                                    sighting_id,
                                )
                            )
        buffers[SweepRun].append(
            {
                "id": sweep_id,
                "started_at": when,
                "finished_at": when + timedelta(minutes=40),
                "trigger": "daemon",
                "status": "ok",
                "pages": len(refs) * 8,
                "failures": 0,
                "sightings": sweep_sightings,
                "events": 0,
                "note": "",
            }
        )
        if len(buffers[Sighting]) >= CHUNK:
            flush()
            log.info("generated %d of %d sightings", written, target)
    flush()


def _event(
    event_id: int,
    kind: str,
    at: datetime,
    ref: _Ref,
    asin: str | None,
    keyword: str,
    unit: str | None,
    variant: str | None,
    previous: str | None,
    sweep_id: int,
    sighting_id: int | None = None,
) -> dict[str, Any]:
    if kind == "blocked":
        detail = f"3 captchas in a row for {keyword!r}"
    elif kind == "main_replaced":
        detail = f"{asin}: ads for {keyword!r} show {variant} instead of MAIN"
    else:
        detail = f"{asin}: ads for {keyword!r} show MAIN again (was {previous})"
    return {
        "id": event_id,
        "kind": kind,
        "created_at": at,
        "marketplace": ref.marketplace,
        "asin": asin,
        "keyword": keyword,
        "unit": unit,
        "variant": variant,
        "previous_variant": previous,
        "sighting_id": sighting_id,
        "sweep_id": sweep_id,
        "detail": detail,
        "outbox_id": None,
    }


def _sweep_times() -> Iterator[datetime]:
    day = START
    while True:
        for hour in SWEEP_HOURS:
            yield day + timedelta(hours=hour)
        day += timedelta(days=1)


def _units(rng: random.Random, page: int) -> list[str]:
    chances = (
        (("grid", 0.95), ("carousel", 0.8), ("brand", 0.6), ("video", 0.15))
        if page == 1
        else (("grid", 0.8),)
    )
    return [unit for unit, p in chances if rng.random() < p]


def _placement(unit: str, page: int) -> str:
    if unit == "grid":
        return "sp_atf" if page == 1 else "sp_mtf"
    return {"carousel": "sp_search_thematic", "brand": "sb_top", "video": "sb_video"}[unit]


def _drift(rng: random.Random, current: str | None) -> str:
    if current is None:
        return "MAIN" if rng.random() < 0.6 else rng.choice(VARIANTS[1:6])
    if current != "MAIN" and rng.random() < 0.5:
        return "MAIN"
    return rng.choice([v for v in VARIANTS if v != current])


def _identify(rng: random.Random, dominant: str) -> tuple[str, str | None]:
    roll = rng.random()
    if roll < 0.85:
        return "match", dominant
    if roll < 0.93:
        return "match", rng.choice(VARIANTS)
    if roll < 0.96:
        return "ambiguous", rng.choice(VARIANTS[1:3])
    return "unknown", None


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _catalogue(engine: Engine, blobs: BlobStore, config: Config, rng: random.Random) -> list[_Ref]:
    """Marketplaces, products, keywords and galleries (with tiny image files) as the sync would."""
    refs: list[_Ref] = []
    with engine.begin() as conn:
        market_ids: dict[str, int] = {}
        for key, market in config.marketplaces.items():
            result = conn.execute(
                Marketplace.__table__.insert().values(key=key, base_url=market.base_url)  # type: ignore[attr-defined]
            )
            market_ids[key] = _new_id(result)
        for product in config.products:
            result = conn.execute(
                Product.__table__.insert().values(  # type: ignore[attr-defined]
                    marketplace_id=market_ids[product.marketplace], asin=product.asin, name=product.name
                )
            )
            product_id = _new_id(result)
            conn.execute(
                Keyword.__table__.insert(),  # type: ignore[attr-defined]
                [{"product_id": product_id, "text": k, "active": True} for k in product.keywords],
            )
            gallery: dict[str, str] = {}
            shots: dict[str, str] = {}
            for slot, variant in enumerate(VARIANTS):
                colour = _colour(rng)
                sha = blobs.put("images", _png((120, 120), colour, f"{product.asin}\n{variant}"))
                gallery[variant] = sha
                shots[variant] = blobs.put("screenshots", _png((240, 90), colour, f"Sponsored {variant}"))
                conn.execute(
                    GalleryImage.__table__.insert().values(  # type: ignore[attr-defined]
                        product_id=product_id,
                        variant=variant,
                        slot=slot,
                        image_ids=f"{product.asin}{variant}H {product.asin}{variant}L",
                        url=f"https://m.media-amazon.com/images/I/{product.asin}{variant}L.jpg",
                        sha256=sha,
                        fetched_at=START - timedelta(days=1),
                    )
                )
            unknown = blobs.put("images", _png((120, 120), (0, 0, 0), "AI?"))
            shots["unknown"] = blobs.put("screenshots", _png((240, 90), (0, 0, 0), "Sponsored ?"))
            refs.append(
                _Ref(
                    len(refs),
                    product_id,
                    product.marketplace,
                    product.asin,
                    list(product.keywords),
                    gallery,
                    unknown,
                    shots,
                )
            )
    return refs
