"""Every tile gets its own picture: a multi-brand Sponsored Brands footer in real Chromium.

The storefront serves the footer as Amazon's 2026 page does (tests/fixtures/sb_brand_footer_two_brands.html
describes the markup): one card per brand, products named only in the cards' links, and the first
brand's picture id holds a "+", written as %2B in the srcset the browser loads from.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote

from PIL import Image, ImageChops, ImageStat
from sqlmodel import Session, select

from monitor.run.settings import sweep_settings
from monitor.store import models
from monitor.store.db import open_database
from monitor.store.files import BlobStore
from monitor.storefront import Scenario, Storefront, StoreProduct
from monitor.storefront.catalog import Catalog
from monitor.storefront.tiles import tile_image
from monitor.sweep.gallery import refresh_galleries
from monitor.sweep.planning import SweepOptions
from monitor.sweep.runner import run_sweep
from tests.test_sweep import CHAIR, TABLE, clock, write_config

KEYWORD = "camp table"  # a keyword of the configured products (tests.test_sweep.write_config)


def _listing(asin: str, title: str, brand: str, *, plus: bool) -> tuple[StoreProduct, str]:
    """A product whose footer picture id holds a "+" (or not), and that id."""
    for seed in range(1, 5000):
        product = StoreProduct(asin, title, brand, seed=seed)
        listing = Catalog(Scenario(products=[product])).listing(asin)
        assert listing is not None
        image_id = tile_image(listing, listing.main, "footer")
        if ("+" in image_id) == plus:
            return product, image_id
    raise AssertionError("no seed gives such an id")


def _difference(shot: Image.Image, picture: Image.Image) -> float:
    picture = picture.convert("RGB").resize(shot.size)
    return sum(ImageStat.Stat(ImageChops.difference(shot, picture)).mean) / 3


def test_each_brand_of_a_footer_is_paired_with_its_own_card_and_photographed_there(
    tmp_path: Path, chromium_path: str
) -> None:
    first, first_id = _listing(CHAIR, "Lumera tinted balm", "Lumera", plus=True)
    second, second_id = _listing(TABLE, "Verdana plant serum", "Verdana", plus=False)
    with Storefront(Scenario(products=[first, second], brand_footer={KEYWORD: [CHAIR, TABLE]})) as store:
        config = write_config(tmp_path, store.base_url, chromium_path, concurrency=1)
        engine = open_database(config.database_url)
        refresh_galleries(sweep_settings(config), engine, clock=clock)
        store.clear_requests()
        assert (
            run_sweep(
                sweep_settings(config),
                engine,
                clock=clock,
                options=SweepOptions(keywords=frozenset({KEYWORD})),
            ).status
            == "ok"
        )
        requests = store.requests

    with Session(engine) as session:
        seen = {s.asin: s for s in session.exec(select(models.Sighting)).all()}
    assert {a: (s.unit, s.placement, s.image_id, s.verdict, s.variant) for a, s in seen.items()} == {
        CHAIR: ("brand", "loom-desktop-brand-footer-slot", first_id, "match", "MAIN"),
        TABLE: ("brand", "loom-desktop-brand-footer-slot", second_id, "match", "MAIN"),
    }
    # each picture came once, to the browser, and was read back from it (the "+" one as %2B)
    for image_id in (first_id, second_id):
        assert len([r for r in requests if f"/images/I/{image_id}." in unquote(r.path)]) == 1, image_id

    blobs = BlobStore(config.data_dir)

    def picture(data: bytes | None) -> Image.Image:
        assert data is not None
        return Image.open(io.BytesIO(data)).convert("RGB")

    pictures = {a: picture(blobs.get("images", s.image_sha256 or "")) for a, s in seen.items()}
    for asin, other in ((CHAIR, TABLE), (TABLE, CHAIR)):
        shot = picture(blobs.get("screenshots", seen[asin].screenshot_sha256 or ""))
        assert _difference(shot, pictures[asin]) < _difference(shot, pictures[other]) / 2, asin
