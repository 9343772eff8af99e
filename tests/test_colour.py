"""Identification counts colour: the same design in another colour is not the gallery's picture.

Galleries come from ``monitor.storefront.synthetic`` (drawn small); ads are rendered as Amazon serves them
(``tests.test_imaging.ad_bytes``: 218/320 px JPEG, padded, the search page's grey, a badge). The
last test refreshes galleries from the simulated storefront in real Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.config import Config
from monitor.imaging import (
    Fingerprint,
    GalleryEntry,
    GalleryIndex,
    fingerprint_ad_image,
    fingerprint_gallery_image,
    fingerprint_is_current,
    identify,
    load_image,
)
from monitor.run.settings import sweep_settings
from monitor.store import models
from monitor.store.db import open_database
from monitor.storefront import Storefront, synthetic
from monitor.sweep.gallery import refresh_galleries
from tests.test_imaging import SEED, SIZE, ad_bytes
from tests.test_sweep import clock, scenario, write_config


def recolour(img: Image.Image, hue_turn: float = 0.0, value: float = 1.0) -> Image.Image:
    """The same picture with everything that is not white background turned round the hue circle
    by ``hue_turn`` (0..1) and its brightness scaled by ``value``: the design in another colour."""
    hsv = np.asarray(img.convert("HSV")).astype(np.float32)
    product = np.asarray(img.convert("L")) < 240
    hsv[..., 0] = np.where(product, (hsv[..., 0] + 255 * hue_turn) % 256, hsv[..., 0])
    hsv[..., 2] = np.where(product, hsv[..., 2] * value, hsv[..., 2])
    return Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")


def fp(data: bytes) -> Fingerprint:
    return fingerprint_ad_image(load_image(data))


@pytest.fixture(scope="module")
def gallery() -> list[tuple[str, Image.Image]]:
    return synthetic.draw_gallery(SEED, SIZE)


@pytest.fixture(scope="module")
def index(gallery: list[tuple[str, Image.Image]]) -> GalleryIndex:
    return GalleryIndex([GalleryEntry(v, (), fingerprint_gallery_image(im)) for v, im in gallery])


@pytest.mark.parametrize(
    ("variant", "hue_turn", "value"),
    [
        ("MAIN", 1 / 3, 1.0),
        ("MAIN", 1 / 2, 1.0),
        ("MAIN", 0.0, 0.55),  # a darker shade of the same colour
        ("PT04", 1 / 4, 1.0),
        ("PT07", 1 / 3, 1.0),  # the close-up
    ],
    ids=["main-third-turn", "main-half-turn", "main-darker", "side-quarter-turn", "detail-third-turn"],
)
def test_the_same_picture_in_another_colour_is_unknown(
    gallery: list[tuple[str, Image.Image]], index: GalleryIndex, variant: str, hue_turn: float, value: float
) -> None:
    other = recolour(dict(gallery)[variant], hue_turn, value)
    ad = fp(ad_bytes(other, size=320, quality=75))
    got = identify(index, ad, None)
    assert got.verdict == "unknown", got
    assert got.runner_up == variant  # the nearest, for the record: the design the ad copies
    # Grey-level hashes alone would have taken it for the gallery's picture: colour decides.
    grey_only = identify(index, Fingerprint(ad.renderings, ad.hashes), None)
    assert (grey_only.verdict, grey_only.variant) == ("match", variant)


def test_a_sibling_listings_own_photo_is_unknown(index: GalleryIndex) -> None:
    for k in range(3):
        got = identify(index, fp(ad_bytes(synthetic.draw_negative(SEED, "sibling", SIZE, index=k))), None)
        assert got.verdict == "unknown", (k, got)


def test_two_gallery_colours_close_together_are_ambiguous_far_apart_the_right_one_matches(
    gallery: list[tuple[str, Image.Image]],
) -> None:
    main = dict(gallery)["MAIN"]
    ad = fp(ad_bytes(main, quality=70))
    for other, expected in ((recolour(main, 0.006), "ambiguous"), (recolour(main, 0.25), "match")):
        idx = GalleryIndex(
            [
                GalleryEntry("MAIN", (), fingerprint_gallery_image(main)),
                GalleryEntry("PT05", (), fingerprint_gallery_image(other)),  # the same design recoloured
                GalleryEntry("PT02", (), fingerprint_gallery_image(dict(gallery)["PT02"])),
            ]
        )
        got = identify(idx, ad, None)
        assert got.verdict == expected, got
        assert {got.variant, got.runner_up} == {"MAIN", "PT05"}
        if expected == "match":
            assert got.variant == "MAIN"


@pytest.mark.parametrize(
    "render",
    [
        {"quality": 60},
        {"size": 320, "quality": 85, "square": "pad"},
        {"grey": 0.93},
        {"grey": 0.96, "square": "pad", "badge": True},
        {"badge": True, "crop": 0.05},
        {"grey": 0.92, "badge": True, "crop": 0.05, "size": 320},
        {"grey": 0.95, "crop": 0.05, "square": "pad", "quality": 60},
    ],
    ids=[
        "q60",
        "320-pad",
        "grey-page",
        "grey-pad-badge",
        "badge-crop5",
        "grey-badge-crop5",
        "grey-pad-crop5",
    ],
)
def test_colour_survives_what_amazon_does_to_the_picture(
    gallery: list[tuple[str, Image.Image]], index: GalleryIndex, render: dict[str, object]
) -> None:
    for variant, im in gallery:
        got = identify(index, fp(ad_bytes(im, **render)), None)  # type: ignore[arg-type]
        assert (got.verdict, got.variant) == ("match", variant), (variant, got)


@pytest.mark.parametrize(
    "render",
    [{"grey": 0.92}, {"grey": 0.92, "badge": True}, {"grey": 0.95, "crop": 0.05}, {"badge": True}],
    ids=["grey-page", "grey-badge", "grey-crop5", "badge"],
)
def test_a_picture_without_any_white_matches_on_the_grey_page(
    gallery: list[tuple[str, Image.Image]], render: dict[str, object]
) -> None:
    # A dim scene and a close-up: nothing in them is white, so nothing tells the page's grey apart
    # from the picture's own levels but the comparison with the gallery's picture.
    images = {
        v: ImageEnhance.Brightness(im).enhance(0.75) for v, im in gallery if v in ("PT02", "PT05", "PT07")
    }
    idx = GalleryIndex([GalleryEntry(v, (), fingerprint_gallery_image(im)) for v, im in images.items()])
    for variant, im in images.items():
        got = identify(idx, fp(ad_bytes(im, **render)), None)  # type: ignore[arg-type]
        assert (got.verdict, got.variant) == ("match", variant), (variant, got)
        # ... while the same scene with its product in another colour is not the gallery's picture.
        other = identify(idx, fp(ad_bytes(recolour(im, 1 / 3), **render)), None)  # type: ignore[arg-type]
        assert other.verdict == "unknown", (variant, other)


def test_fingerprints_stored_before_colour_are_read_and_matched_by_hashes(
    gallery: list[tuple[str, Image.Image]],
) -> None:
    main = dict(gallery)["MAIN"]
    new = fingerprint_gallery_image(main)
    old = Fingerprint(new.renderings, new.hashes)  # what an ismon before colour stored
    stored = old.to_bytes()
    assert stored[1] == 1 and not fingerprint_is_current(stored)
    assert fingerprint_is_current(new.to_bytes())
    back = Fingerprint.from_bytes(stored)
    assert back == old and not back.has_colour
    idx = GalleryIndex([GalleryEntry("MAIN", (), back), GalleryEntry("PT02", (), new)])
    assert identify(idx, fp(ad_bytes(main)), None).variant == "MAIN"
    # Without its colours, MAIN cannot see a recoloured copy: that is why a refresh recomputes it.
    assert identify(idx, fp(ad_bytes(recolour(main, 1 / 3))), None).verdict == "match"


def test_fingerprints_of_the_first_colour_format_are_read_without_their_colours(
    gallery: list[tuple[str, Image.Image]],
) -> None:
    main = dict(gallery)["MAIN"]
    new = fingerprint_gallery_image(main)
    n = len(new)
    # Version 2 kept white-balanced CIELAB grids, not comparable with today's: hashes are kept.
    v2 = b"F" + bytes([2, n]) + new.to_bytes()[3 : 3 + n] + new.hashes + bytes(len(new.colours))
    back = Fingerprint.from_bytes(v2)
    assert back == Fingerprint(new.renderings, new.hashes) and not back.has_colour
    assert not fingerprint_is_current(v2)
    idx = GalleryIndex([GalleryEntry("MAIN", (), back)])
    assert identify(idx, fp(ad_bytes(main)), None).variant == "MAIN"


# --- a gallery refresh replaces old fingerprints ------------------------------------------------


@pytest.fixture
def store() -> Iterator[Storefront]:
    with Storefront(scenario()) as running:
        yield running


def gallery_rows(engine: Engine) -> list[models.GalleryImage]:
    with Session(engine) as session:
        return list(session.exec(select(models.GalleryImage).order_by(col(models.GalleryImage.id))).all())


@pytest.mark.browser
def test_a_refresh_recomputes_fingerprints_stored_before_colour_counted(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config: Config = write_config(tmp_path, store.base_url, chromium_path)
    engine = open_database(config.database_url)
    refresh_galleries(sweep_settings(config), engine, clock=clock)
    rows = gallery_rows(engine)
    assert rows and all(r.fingerprint and fingerprint_is_current(r.fingerprint) for r in rows)

    refresh_galleries(sweep_settings(config), engine, clock=clock)  # nothing changed: nothing rewritten
    assert [r.id for r in gallery_rows(engine)] == [r.id for r in rows]

    with Session(engine) as session:  # as an older ismon left them: hashes only
        for row in session.exec(select(models.GalleryImage)).all():
            assert row.fingerprint is not None
            f = Fingerprint.from_bytes(row.fingerprint)
            row.fingerprint = Fingerprint(f.renderings, f.hashes).to_bytes()
            session.add(row)
        session.commit()
    refresh_galleries(sweep_settings(config), engine, clock=clock)
    current = [r for r in gallery_rows(engine) if r.retired_at is None]
    assert len(current) == len(rows)
    assert all(r.fingerprint and fingerprint_is_current(r.fingerprint) for r in current)
