"""Identification decisions on generated listings, the bad inputs a sweep meets, and the hash maths.

Galleries come from ``monitor.storefront.synthetic`` (drawn small to keep the file fast); ads are rendered the
way Amazon serves them (218/320 px JPEG, padded or cropped, a badge).
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Callable

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw

from monitor.errors import ImageError
from monitor.imaging.fingerprint import (
    MAX_PIXELS,
    Fingerprint,
    dhash_bits,
    fingerprint_ad_image,
    fingerprint_gallery_image,
    load_image,
    phash_bits,
    small_gray,
)
from monitor.imaging.match import (
    AMBIGUITY_MARGIN,
    MATCH_THRESHOLD,
    GalleryEntry,
    GalleryIndex,
    Identification,
    MultiIndex,
    identify,
)
from monitor.storefront import synthetic

SIZE = 500
SEED = 4242  # not a bench seed


def encode(img: Image.Image, fmt: str = "JPEG", **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def ad_bytes(
    img: Image.Image,
    size: int = 218,
    quality: int = 70,
    square: str = "native",
    crop: float = 0.0,
    badge: bool = False,
    grey: float = 1.0,
) -> bytes:
    """An ad rendering: optional centred crop, square pad/crop, thumbnail, the search page's grey
    (the picture multiplied onto it, as Amazon's result tiles blend it), badge, JPEG."""
    w, h = img.size
    if crop:
        dx, dy = round(w * crop / 2), round(h * crop / 2)
        img = img.crop((dx, dy, w - dx, h - dy))
        w, h = img.size
    if square == "pad" and w != h:
        s = max(w, h)
        sq = Image.new("RGB", (s, s), "white")
        sq.paste(img, ((s - w) // 2, (s - h) // 2))
        img = sq
    elif square == "crop" and w != h:
        s = min(w, h)
        img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    img = img.copy()
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    if grey < 1.0:
        img = Image.fromarray((np.asarray(img, np.float32) * grey + 0.5).astype(np.uint8), "RGB")
    if badge:
        ImageDraw.Draw(img).rectangle((0, 0, img.width // 4, img.height // 12), fill=(232, 110, 20))
    return encode(img, "JPEG", quality=quality)


def ad_fp(data: bytes) -> Fingerprint:
    return fingerprint_ad_image(load_image(data))


@pytest.fixture(scope="module")
def gallery() -> list[tuple[str, Image.Image]]:
    return synthetic.draw_gallery(SEED, SIZE)


@pytest.fixture(scope="module")
def index(gallery: list[tuple[str, Image.Image]]) -> GalleryIndex:
    return GalleryIndex(
        [GalleryEntry(v, (f"{v}-hires", f"{v}-large"), fingerprint_gallery_image(im)) for v, im in gallery]
    )


# --- decisions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "render",
    [
        {},
        {"size": 320, "quality": 85},
        {"quality": 60, "square": "pad"},
        {"square": "crop", "badge": True},
        {"crop": 0.05},
        {"size": 320, "crop": 0.05, "square": "pad", "badge": True},
        {"grey": 0.95},
        {"quality": 60, "square": "pad", "grey": 0.93, "badge": True},
    ],
    ids=[
        "218-q70",
        "320-q85",
        "q60-pad",
        "crop-square-badge",
        "crop5",
        "320-crop5-pad-badge",
        "grey-page",
        "q60-pad-grey-badge",
    ],
)
def test_every_gallery_image_is_identified_from_its_ad_rendering(
    gallery: list[tuple[str, Image.Image]], index: GalleryIndex, render: dict[str, object]
) -> None:
    for variant, im in gallery:
        got = identify(index, ad_fp(ad_bytes(im, **render)), None)  # type: ignore[arg-type]
        assert (got.verdict, got.variant, got.method) == ("match", variant, "hash"), got
        assert got.distance is not None and got.distance <= MATCH_THRESHOLD
        assert got.runner_up is not None and got.runner_up != variant
        assert (
            got.runner_up_distance is not None and got.runner_up_distance - got.distance >= AMBIGUITY_MARGIN
        )


def test_near_duplicate_angles_are_told_apart(
    gallery: list[tuple[str, Image.Image]], index: GalleryIndex
) -> None:
    images = dict(gallery)
    assert synthetic.variant_kind("PT01") == "angle"  # PT01 is MAIN slightly rotated and shifted
    for shown, other in (("MAIN", "PT01"), ("PT01", "MAIN")):
        ad = ad_fp(ad_bytes(images[shown], crop=0.05))
        got = identify(index, ad, None)
        assert (got.verdict, got.variant) == ("match", shown)
        d = dict(zip(index.variants, index.distances(ad), strict=True))
        assert d[other] > MATCH_THRESHOLD > d[shown]


@pytest.mark.parametrize(
    "make",
    [
        lambda: synthetic.draw_negative(SEED, "new_scene", SIZE),
        lambda: synthetic.draw_negative(SEED, "new_scene", SIZE, index=1),
        lambda: synthetic.draw_negative(SEED, "unseen_angle", SIZE),
        lambda: synthetic.draw_negative(SEED, "unseen_angle", SIZE, index=1),
        lambda: synthetic.draw_variant(SEED + 1, "MAIN", SIZE),
        lambda: synthetic.draw_variant(SEED + 2, "PT02", SIZE),
        lambda: Image.new("RGB", (300, 300), (255, 255, 255)),  # blank
    ],
    ids=[
        "new-scene",
        "new-scene-2",
        "unseen-angle",
        "unseen-angle-2",
        "other-main",
        "other-lifestyle",
        "blank",
    ],
)
def test_images_not_in_the_gallery_are_unknown(index: GalleryIndex, make: Callable[[], Image.Image]) -> None:
    got = identify(index, ad_fp(ad_bytes(make())), None)
    assert got.verdict == "unknown", got
    assert got.variant is None and got.distance is None
    assert got.runner_up in index.variants  # the nearest, for the record
    assert got.runner_up_distance is not None and got.runner_up_distance > MATCH_THRESHOLD


def test_the_same_picture_in_two_slots_is_ambiguous(gallery: list[tuple[str, Image.Image]]) -> None:
    images = dict(gallery)
    twin = images["MAIN"].copy()
    ImageDraw.Draw(twin).rectangle((0, 0, 6, 6), fill=(250, 250, 250))  # re-uploaded, new id
    idx = GalleryIndex(
        [
            GalleryEntry("MAIN", ("a",), fingerprint_gallery_image(images["MAIN"])),
            GalleryEntry("PT02", ("b",), fingerprint_gallery_image(images["PT02"])),
            GalleryEntry("PT05", ("c",), fingerprint_gallery_image(twin)),
        ]
    )
    got = identify(idx, ad_fp(ad_bytes(images["MAIN"])), None)
    assert got.verdict == "ambiguous"
    assert {got.variant, got.runner_up} == {"MAIN", "PT05"}


def test_image_id_decides_first_and_is_hash_checked(
    gallery: list[tuple[str, Image.Image]], index: GalleryIndex
) -> None:
    images = dict(gallery)
    same = identify(index, ad_fp(ad_bytes(images["PT03"])), "PT03-large")
    assert (same.verdict, same.variant, same.method, same.id_mismatch) == ("match", "PT03", "image_id", False)
    assert same.distance is not None and same.distance <= MATCH_THRESHOLD

    # The id says PT03 but the picture is PT02: the mapping no longer holds, and it is reported.
    stale = identify(index, ad_fp(ad_bytes(images["PT02"])), "PT03-hires")
    assert (stale.verdict, stale.variant, stale.method, stale.id_mismatch) == (
        "match",
        "PT03",
        "image_id",
        True,
    )
    assert stale.runner_up == "PT02"

    blind = identify(index, None, "MAIN-hires")  # no bytes: the id alone decides
    assert (blind.verdict, blind.variant, blind.method, blind.distance) == ("match", "MAIN", "image_id", None)

    nothing = identify(index, None, "not-in-gallery")
    assert (nothing.verdict, nothing.variant, nothing.method) == ("unknown", None, "image_id")

    by_hash = identify(index, ad_fp(ad_bytes(images["PT05"])), "not-in-gallery")
    assert (by_hash.verdict, by_hash.variant, by_hash.method) == ("match", "PT05", "hash")


def test_empty_gallery_and_json_form(gallery: list[tuple[str, Image.Image]], index: GalleryIndex) -> None:
    got = identify(GalleryIndex([]), ad_fp(ad_bytes(gallery[0][1])), None)
    assert (got.verdict, got.variant, got.runner_up) == ("unknown", None, None)

    d = identify(index, ad_fp(ad_bytes(gallery[3][1])), None).as_dict()
    line = json.loads(json.dumps({"image": "x.jpg", **d}))
    assert set(line) >= {"image", "verdict", "variant", "distance", "runner_up", "runner_up_distance"}
    assert line["variant"] == gallery[3][0]
    assert isinstance(line["distance"], float) and line["distance"] == round(line["distance"], 4)


def test_identification_is_a_value() -> None:
    a = Identification("match", "MAIN", 0.01, "PT01", 0.3, "hash")
    assert a == Identification("match", "MAIN", 0.01, "PT01", 0.3, "hash", False)


# --- fingerprints ----------------------------------------------------------------------------


def test_hashes_agree_with_imagehash(gallery: list[tuple[str, Image.Image]]) -> None:
    for _, im in gallery[:5]:
        gray = im.convert("L").resize((256, 256))
        assert np.array_equal(phash_bits(gray), imagehash.phash(gray, hash_size=16).hash)
        assert np.array_equal(dhash_bits(gray), imagehash.dhash(gray, hash_size=16).hash)
        # What a fingerprint stores: both hashes of the 64x64 pre-resize, pHash first.
        gray = gray.resize((100, 100))  # under AD_WORK_SIZE: not reduced first
        small = small_gray(gray)
        ref = np.concatenate(
            [imagehash.phash(small, 16).hash.ravel(), imagehash.dhash(small, 16).hash.ravel()]
        )
        fp = fingerprint_ad_image(gray)
        assert fp.renderings[0] == "as_is"
        got = np.unpackbits(np.frombuffer(fp.hashes[:64], np.uint8)).astype(bool)
        assert np.array_equal(got, ref)


def test_fingerprint_round_trips_compactly(gallery: list[tuple[str, Image.Image]]) -> None:
    fp = fingerprint_gallery_image(gallery[0][1])
    data = fp.to_bytes()
    assert len(data) <= 1600  # 6 renderings: 384 bytes of hashes, 1,152 of colour grids
    assert Fingerprint.from_bytes(data) == fp and fp.has_colour
    wide = fingerprint_gallery_image(
        Image.new("RGB", (400, 250), (10, 120, 200)).rotate(10, fillcolor="white")
    )
    assert Fingerprint.from_bytes(wide.to_bytes()) == wide
    assert 1 <= len(fingerprint_ad_image(gallery[0][1])) <= 10
    for bad in (b"", b"F", b"X\x01\x00", data[:-1], data + b"\x00", b"F\x09" + data[2:]):
        with pytest.raises(ImageError):
            Fingerprint.from_bytes(bad)


def test_fingerprint_accepts_any_mode(gallery: list[tuple[str, Image.Image]], index: GalleryIndex) -> None:
    main = gallery[0][1]
    rgba = main.convert("RGBA")
    assert fingerprint_ad_image(rgba) == fingerprint_ad_image(main)
    gray = fingerprint_ad_image(main.convert("L"))
    assert gray.hashes == fingerprint_ad_image(main).hashes
    # A gray copy of a coloured product is not the gallery's picture: its colours are gone.
    got = identify(index, gray, None)
    assert (got.verdict, got.runner_up) == ("unknown", "MAIN")


# --- bad input -------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size (for bomb checks) with a tiny, useless body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html><body>Robot check</body></html>", "not an image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "not an image"),
        (png_header_only(1, 1), "too small"),
        (png_header_only(7000, 7000), "pixel limit"),  # 49 Mpx: over ismon's own limit
        (png_header_only(10_000, 10_000), "decompression bomb"),  # Pillow warns: must not escape
        (png_header_only(20_000, 20_000), "decompression bomb"),  # Pillow refuses
    ],
    ids=["empty", "html", "jpeg-junk", "1x1", "49Mpx", "100Mpx", "400Mpx"],
)
def test_bad_bytes_raise_a_clear_image_error(data: bytes, message: str) -> None:
    assert MAX_PIXELS < 7000 * 7000
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_truncated_jpeg_is_an_image_error(gallery: list[tuple[str, Image.Image]]) -> None:
    data = encode(gallery[2][1], "JPEG", quality=80)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])


def test_decodes_cmyk_alpha_palette_gif_webp_avif(
    gallery: list[tuple[str, Image.Image]], index: GalleryIndex
) -> None:
    main = gallery[0][1].copy()
    main.thumbnail((320, 320))

    cmyk = load_image(encode(main.convert("CMYK"), "JPEG", quality=85))
    assert cmyk.mode == "RGB"
    assert identify(index, fingerprint_ad_image(cmyk), None).variant == "MAIN"

    # Alpha: a product cut out on transparency is what Amazon shows on its white page.
    rgba = main.convert("RGBA")
    a = np.asarray(rgba).copy()
    white = (a[..., :3] > 245).all(axis=2)
    a[white, 3] = 0
    a[white, :3] = 0  # black under the transparency: must not show through
    cut = Image.fromarray(a, "RGBA")
    got = load_image(encode(cut, "PNG"))
    assert got.mode == "RGB" and got.getpixel((0, 0)) == (255, 255, 255)
    assert identify(index, fingerprint_ad_image(got), None).variant == "MAIN"
    assert load_image(encode(cut.convert("LA"), "PNG")).getpixel((0, 0)) == (255, 255, 255)
    pal = cut.convert("P", palette=Image.Palette.ADAPTIVE)
    assert load_image(encode(pal, "PNG", transparency=0)).mode == "RGB"

    frames = [main.convert("P"), gallery[2][1].resize(main.size).convert("P")]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert identify(index, fingerprint_ad_image(load_image(gif)), None).variant == "MAIN"

    for fmt in ("WEBP", "AVIF"):
        img = load_image(encode(main, fmt, quality=70))
        assert img.mode == "RGB"
        assert identify(index, fingerprint_ad_image(img), None).variant == "MAIN", fmt

    # A corrupt EXIF block makes Pillow warn; the warning must not escape (pytest makes it an error).
    bad_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06"
    assert load_image(encode(main, "JPEG", exif=bad_exif)).size == main.size

    sixteen = Image.fromarray(np.asarray(main.convert("L"), np.uint16) * 257)
    assert sixteen.mode.startswith("I;16")
    assert load_image(encode(sixteen, "PNG")).mode == "RGB"


# --- many products ---------------------------------------------------------------------------


def test_multi_index_finds_the_product_and_variant(gallery: list[tuple[str, Image.Image]]) -> None:
    real = {
        f"p{s}": [
            GalleryEntry(v, (), fingerprint_gallery_image(im)) for v, im in synthetic.draw_gallery(s, 300)
        ]
        for s in (SEED + 10, SEED + 11)
    }
    real["mine"] = [GalleryEntry(v, (), fingerprint_gallery_image(im)) for v, im in gallery]
    rng = np.random.default_rng(1)
    filler = {
        f"f{i}": [
            GalleryEntry(
                v, (), Fingerprint(("as_is", "zoom6"), rng.integers(0, 256, 128, dtype=np.uint8).tobytes())
            )
            for v in synthetic.DEFAULT_VARIANTS
        ]
        for i in range(400)  # 3,600 variants: more than the coarse pass keeps
    }
    mi = MultiIndex({**filler, **real})
    assert len(mi) > 7000
    for variant, im in gallery[::2]:
        ad = ad_fp(ad_bytes(im, size=320, crop=0.05))
        got = mi.search(ad)
        assert got is not None and (got.key, got.variant) == ("mine", variant)
        assert got == mi.search_exhaustive(ad)
    assert MultiIndex({}).search(ad_fp(ad_bytes(gallery[0][1]))) is None


# --- the synthetic listings themselves -------------------------------------------------------


def test_synthetic_is_deterministic_and_complete() -> None:
    g = synthetic.draw_gallery(7, 256)
    assert [v for v, _ in g] == list(synthetic.DEFAULT_VARIANTS)
    assert all(im.mode == "RGB" and max(im.size) == 256 for _, im in g)
    assert np.array_equal(np.asarray(g[4][1]), np.asarray(synthetic.draw_variant(7, g[4][0], 256)))
    synthetic.draw_gallery(8, 256)  # what was drawn before must not change the pixels
    assert np.array_equal(np.asarray(g[2][1]), np.asarray(synthetic.draw_variant(7, g[2][0], 256)))
    main = np.asarray(g[0][1])
    assert (main[0] == 255).all() and (main[:, 0] == 255).all()  # MAIN on pure white
    assert not np.array_equal(main, np.asarray(synthetic.draw_variant(8, "MAIN", 256)))
    for kind in synthetic.NEGATIVE_KINDS:
        assert synthetic.draw_negative(7, kind, 256).size[0] <= 256
    with pytest.raises(ValueError, match="unknown negative kind"):
        synthetic.draw_negative(7, "nope", 256)
