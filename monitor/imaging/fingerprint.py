"""Safe image decoding and perceptual fingerprints of gallery and ad images.

Where it sits: imaging, the hash half of "which gallery variant is this?". The gallery refresh decodes
each listing image with ``load_image``, fingerprints it with ``fingerprint_gallery_image`` and stores
``Fingerprint.to_bytes()``; the sweep decodes the ad image bytes the browser received and calls
``fingerprint_ad_image``; ``monitor.imaging.match`` compares the two.

A fingerprint is a few renderings of one image, each hashed by imagehash with a 256-bit pHash and a
256-bit dHash (hash size 16), both computed on the rendering pre-resized once to 64x64 grayscale, and
each given a colour signature (``colour.py``: an 8x8 grid of mean colours of the same box), so
one ad costs about 2 ms.
The gallery side keeps several renderings because Amazon's thumbnails pad, crop and zoom; the ad side
is hashed as it is, trimmed to its content, and shifted a little (for crops that are not centred).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import imagehash
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from monitor.errors import ImageError
from monitor.imaging.colour import GRID_BYTES, colour_grids

log = logging.getLogger(__name__)

HASH_SIZE = 16  # bits per side of both hashes: 256-bit pHash + 256-bit dHash per rendering
_PHASH_INPUT = HASH_SIZE * 4  # imagehash's highfreq_factor=4: pHash is the DCT of a 64x64 image
HASH_BYTES = 2 * HASH_SIZE * HASH_SIZE // 8  # 64 bytes per rendering: pHash then dHash
HASH_BITS = HASH_BYTES * 8

# Long side of the grayscale working image a gallery image's renderings are cut from: a whole-factor
# box reduction keeps it between this and twice this. Hashes look at 64x64: more only costs time.
WORK_SIZE = 128
# The same for ads, which have ten renderings and must cost ~1 ms (a 320 px ad becomes 160 px).
AD_WORK_SIZE = 128
# The pre-resize of each rendering to 64x64. Bilinear (a triangle filter when shrinking) is ~3x faster
# than Lanczos here; bench/identify.py's numbers are measured with it. imagehash's steps follow it.
_PRE_RESIZE = Image.Resampling.BILINEAR
# Off-centre crops: the ad side also cuts this fraction off one side, or two adjacent sides, so a
# crop Amazon did not centre lines up with a centred gallery zoom (a 1.25 % shift alone costs ~0.15).
AD_SHIFT = 0.03

# Gray levels below white that still count as background when trimming. JPEG at quality 60 rings
# up to ~15 levels next to edges; 24 keeps that out of the content box without eating pale products.
TRIM_TOLERANCE = 24

# Centre crops added on the gallery side, as the fraction cut off each dimension in total.
# Amazon's thumbnails zoom a few percent; bench/identify.py found a 1 % scale mismatch costs ~0.035
# of distance (p90), so steps of 3 % keep any crop up to 13.5 % within ~0.06 of a stored rendering.
GALLERY_ZOOMS: tuple[float, ...] = (0.03, 0.06, 0.09, 0.12)

# Decoding limits. Amazon's largest gallery images are ~3000x3000 (9 Mpx); beyond 40 Mpx is a bomb.
MAX_PIXELS = 40_000_000
MIN_SIDE = 16  # a 1x1 tracking pixel or a 10 px icon is not a product photo

_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP", "TIFF")  # JPEG covers MPO

# Rendering names and their one-byte codes in ``Fingerprint.to_bytes``. Append only: stored data.
RENDERINGS: tuple[str, ...] = (
    "as_is", "pad", "crop", "trim", "zoom3", "zoom6", "zoom9", "zoom12", "crop_zoom6",
    "shift_l", "shift_r", "shift_t", "shift_b", "shift_lt", "shift_rt", "shift_lb", "shift_rb",
)  # fmt: skip
_CODE = {name: i for i, name in enumerate(RENDERINGS)}
# Version 1: hashes only (stored before colour counted). Version 2: hashes, then one white-balanced
# CIELAB grid per rendering (its colours are not comparable with version 3's, so they are dropped on
# reading). Both are still read, matched by hashes alone, and replaced by the next gallery refresh.
# Version 3: hashes, then one sRGB grid per rendering (``colour.py``).
_FORMAT_VERSION = 3
_READS = (1, 2, 3)
_MAGIC = b"F"


@dataclass(frozen=True)
class Fingerprint:
    """Hashes of one image's renderings: 64 bytes each (pHash-256 then dHash-256), in order; and
    their colour grids (``GRID_BYTES`` each, in the same order), or no colours (b"") for a
    fingerprint stored by an ismon that did not keep them."""

    renderings: tuple[str, ...]
    hashes: bytes
    colours: bytes = b""

    def __post_init__(self) -> None:
        if len(self.hashes) != HASH_BYTES * len(self.renderings):
            raise ImageError(
                f"fingerprint has {len(self.hashes)} hash bytes for {len(self.renderings)} renderings"
            )
        if self.colours and len(self.colours) != GRID_BYTES * len(self.renderings):
            raise ImageError(
                f"fingerprint has {len(self.colours)} colour bytes for {len(self.renderings)} renderings"
            )
        unknown = [r for r in self.renderings if r not in _CODE]
        if unknown:
            raise ImageError(f"fingerprint names unknown renderings {unknown}")

    def __len__(self) -> int:
        return len(self.renderings)

    def words(self) -> NDArray[np.uint64]:
        """The hashes as an (n, 8) array of 64-bit words: words 0-3 pHash, 4-7 dHash."""
        return np.frombuffer(self.hashes, dtype="<u8").reshape(-1, HASH_BYTES // 8)

    @property
    def has_colour(self) -> bool:
        return bool(self.colours) or not self.renderings

    def to_bytes(self) -> bytes:
        """Compact storage form: b"F", version, count, one code per rendering, the hashes, the
        colour grids (version 3; a fingerprint without colours is written as version 1)."""
        version = _FORMAT_VERSION if self.colours else 1
        head = bytes([version, len(self.renderings)])
        codes = bytes(_CODE[r] for r in self.renderings)
        return _MAGIC + head + codes + self.hashes + self.colours

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Inverse of ``to_bytes`` (any version it reads; a version 2 fingerprint comes back without
        its colours); raises ImageError for data it did not write."""
        if len(data) < 3 or data[:1] != _MAGIC:
            raise ImageError("not a stored fingerprint (bad header)")
        version = data[1]
        if version not in _READS:
            raise ImageError(f"stored fingerprint has version {version}, this ismon reads {_READS}")
        n = data[2]
        size = 3 + n + n * HASH_BYTES + (n * GRID_BYTES if version > 1 else 0)
        if len(data) != size:
            raise ImageError(f"stored fingerprint is {len(data)} bytes, expected {size}")
        codes = data[3 : 3 + n]
        if any(c >= len(RENDERINGS) for c in codes):
            raise ImageError("stored fingerprint names an unknown rendering")
        end = 3 + n + n * HASH_BYTES
        colours = bytes(data[end:]) if version == _FORMAT_VERSION else b""
        return cls(tuple(RENDERINGS[c] for c in codes), bytes(data[3 + n : end]), colours)


def fingerprint_is_current(data: bytes) -> bool:
    """Whether stored fingerprint bytes are of the current format (a refresh recomputes the others)."""
    return len(data) >= 2 and data[:1] == _MAGIC and data[1] == _FORMAT_VERSION


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------


def load_image(data: bytes) -> Image.Image:
    """Decode untrusted image bytes to an RGB image, or raise ImageError saying what is wrong.

    Reads JPEG, PNG, GIF (first frame), WebP, AVIF, BMP and TIFF. Transparency is composited on
    white, as Amazon's white page shows it; CMYK and 16-bit images are converted; EXIF rotation is
    applied. Refuses empty data, non-images, truncated files, images under ``MIN_SIDE`` pixels and
    images over ``MAX_PIXELS`` (decompression bombs), without letting a warning escape.
    """
    if not data:
        raise ImageError("empty image data")
    try:
        with warnings.catch_warnings(record=True) as caught:
            # Pillow warns (then errors) about bombs while opening: that warning becomes an error.
            # Others (corrupt EXIF, odd palettes) are logged, not let loose on the caller.
            warnings.simplefilter("always")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=_FORMATS)
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError(
                    f"image is {w}x{h} pixels, over the {MAX_PIXELS:,} pixel limit (decompression bomb?)"
                )
            if min(w, h) < MIN_SIDE:
                raise ImageError(f"image is {w}x{h} pixels, too small to identify (minimum {MIN_SIDE} px)")
            img.load()  # the first frame of an animation
            rgb = _to_rgb(img)
        for warning in caught:
            log.debug("decoding an image: %s", warning.message)
        return rgb
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError(f"refusing a decompression bomb: {e}") from e
    except UnidentifiedImageError as e:
        raise ImageError(
            f"not an image, or not a format ismon reads ({', '.join(_FORMATS)}): starts with {data[:8]!r}"
        ) from e
    except (OSError, SyntaxError, EOFError) as e:
        raise ImageError(f"truncated or corrupt image: {e}") from e
    except Exception as e:  # a decoder's own bug must not crash a sweep: report it as a bad image
        raise ImageError(f"could not decode image: {type(e).__name__}: {e}") from e


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any decoded mode to RGB; alpha composited on white."""
    try:
        if img.getexif().get(0x0112, 1) != 1:
            img = ImageOps.exif_transpose(img)
    except Exception as e:  # a broken EXIF block does not make the pixels wrong
        log.debug("ignoring unreadable EXIF: %s", e)
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        a = np.asarray(img, dtype=np.float64)
        top = float(a.max()) if a.size else 0.0
        if top > 255:  # 16-bit samples (or wider): scale the full range down to 8 bits
            a = a * (255.0 / max(top, 65535.0))
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode != "RGB":
        return img.convert("RGB")
    return img


# --------------------------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------------------------


def phash_bits(gray: Image.Image) -> NDArray[np.bool_]:
    """imagehash's pHash at hash size 16, as a 16x16 bool array."""
    return np.asarray(imagehash.phash(gray, hash_size=HASH_SIZE).hash, dtype=bool)


def dhash_bits(gray: Image.Image) -> NDArray[np.bool_]:
    """imagehash's dHash at hash size 16, as a 16x16 bool array."""
    return np.asarray(imagehash.dhash(gray, hash_size=HASH_SIZE).hash, dtype=bool)


def small_gray(gray: Image.Image) -> Image.Image:
    """The 64x64 grayscale image both hashes of a rendering are computed from."""
    return gray.resize((_PHASH_INPUT, _PHASH_INPUT), _PRE_RESIZE)


Box = tuple[float, float, float, float]


def _hash(gray: Image.Image, box: Box | None = None) -> bytes:
    # One resize from the rendering (``box``: the region, sub-pixel) to 64x64; imagehash then works on
    # that small image (its pHash resize is a no-op, its dHash one 64 -> 17x16).
    small = gray.resize((_PHASH_INPUT, _PHASH_INPUT), _PRE_RESIZE, box=box)
    return np.packbits(phash_bits(small)).tobytes() + np.packbits(dhash_bits(small)).tobytes()


@dataclass(frozen=True)
class _Work:
    """One image at working size: grayscale (for the hashes) and RGB (for the colours)."""

    gray: Image.Image
    rgb: Image.Image


def _work(img: Image.Image, limit: int) -> _Work:
    """Box-reduced by a whole factor while the long side stays at least ``limit``."""
    if img.mode != "RGB":
        img = _to_rgb(img)
    factor = max(img.size) // limit
    rgb = img.reduce(factor) if factor >= 2 else img
    return _Work(rgb.convert("L"), rgb)


def content_box(gray: Image.Image) -> tuple[int, int, int, int] | None:
    """The box around what is not white background, or None for a blank image."""
    a = np.asarray(gray)
    ink = a < 255 - TRIM_TOLERANCE
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _trim_box(gray: Image.Image) -> Box | None:
    box = content_box(gray)
    if box is None:
        return None
    w, h = gray.size
    bw, bh = box[2] - box[0], box[3] - box[1]
    if bw < 4 or bh < 4 or (bw >= w - 2 and bh >= h - 2):
        return None  # blank, a speck, or no white margin: nothing to trim
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _zoom_box(box: Box, cut: float) -> Box:
    """``box`` with ``cut`` of its width and height taken off, evenly from both sides."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * cut / 2, (y1 - y0) * cut / 2
    return (x0 + dx, y0 + dy, x1 - dx, y1 - dy)


def _square_box(w: int, h: int) -> Box:
    s = min(w, h)
    return ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)


def _square_pad(work: _Work) -> _Work:
    w, h = work.gray.size
    s = max(w, h)
    gray = Image.new("L", (s, s), 255)
    gray.paste(work.gray, ((s - w) // 2, (s - h) // 2))
    rgb = Image.new("RGB", (s, s), (255, 255, 255))
    rgb.paste(work.rgb, ((s - w) // 2, (s - h) // 2))
    return _Work(gray, rgb)


def _fingerprint(parts: Sequence[tuple[str, _Work, Box | None]]) -> Fingerprint:
    names: list[str] = []
    hashes: list[bytes] = []
    kept: list[tuple[_Work, Box | None]] = []
    for name, work, box in parts:
        h = _hash(work.gray, box)
        if h in hashes:  # e.g. a square image padded or cropped to square is itself
            continue
        names.append(name)
        hashes.append(h)
        kept.append((work, box))
    grids: list[bytes] = [b""] * len(kept)
    for work in {id(w): w for w, _ in kept}.values():  # one colour pass per working image (pad: 2)
        at = [i for i, (w, _) in enumerate(kept) if w is work]
        for i, grid in zip(at, colour_grids(work.rgb, [kept[i][1] for i in at]), strict=True):
            grids[i] = grid
    return Fingerprint(tuple(names), b"".join(hashes), b"".join(grids))


def fingerprint_gallery_image(img: Image.Image) -> Fingerprint:
    """Fingerprint a listing image with the renderings Amazon's thumbnails may show of it.

    As it is, padded to a square on white, centre square crop, trimmed to its content, and centre
    zooms (``GALLERY_ZOOMS``) of it as it is (a zoomed image padded to a square is found through
    the ad's trimmed rendering), plus one zoom of the square crop. Renderings that hash the same
    are stored once: a square image has 6, 384 bytes of hashes and 1,152 of colours.
    """
    g = _work(img, WORK_SIZE)
    w, h = g.gray.size
    full: Box = (0.0, 0.0, float(w), float(h))
    parts: list[tuple[str, _Work, Box | None]] = [("as_is", g, None)]
    if w != h:
        parts += [("pad", _square_pad(g), None), ("crop", g, _square_box(w, h))]
    trim = _trim_box(g.gray)
    if trim is not None:
        parts.append(("trim", g, trim))
    for cut in GALLERY_ZOOMS:
        parts.append((f"zoom{round(cut * 100)}", g, _zoom_box(full, cut)))
    if w != h:
        parts.append(("crop_zoom6", g, _zoom_box(_square_box(w, h), 0.06)))
    return _fingerprint(parts)


def fingerprint_ad_image(img: Image.Image) -> Fingerprint:
    """Fingerprint an ad image: as it is, trimmed to its content (when it has a white margin), and
    shifted: ``AD_SHIFT`` cut off one or two adjacent sides, so that a crop Amazon did not centre
    lines up with one of the gallery's centred zooms."""
    g = _work(img, AD_WORK_SIZE)
    w, h = g.gray.size
    parts: list[tuple[str, _Work, Box | None]] = [("as_is", g, None)]
    trim = _trim_box(g.gray)
    if trim is not None:
        parts.append(("trim", g, trim))
    dx, dy = w * AD_SHIFT, h * AD_SHIFT
    for name, (left, top, right, bottom) in _SHIFTS.items():
        parts.append((name, g, (left * dx, top * dy, w - right * dx, h - bottom * dy)))
    return _fingerprint(parts)


# Which sides each shifted rendering cuts (left, top, right, bottom).
_SHIFTS: dict[str, tuple[int, int, int, int]] = {
    "shift_l": (1, 0, 0, 0),
    "shift_r": (0, 0, 1, 0),
    "shift_t": (0, 1, 0, 0),
    "shift_b": (0, 0, 0, 1),
    "shift_lt": (1, 1, 0, 0),
    "shift_rt": (0, 1, 1, 0),
    "shift_lb": (1, 0, 0, 1),
    "shift_rb": (0, 0, 1, 1),
}
