"""Colour signatures: a coarse grid of mean CIELAB colours per rendering, and the distance between two.

Where it sits: imaging, the colour half of "which gallery variant is this?". ``fingerprint.py`` calls
``colour_grid`` for every rendering it hashes (the same box of the same working image), stores the
grids next to the hashes, and ``match.py`` compares an ad's grids with a gallery image's through
``grid_distances``. Grey-level hashes see the shape of a picture but hardly its colours: the same
design in another colour (a sibling ASIN's picture) hashes almost the same. The grid sees it.

A grid is ``GRID`` x ``GRID`` cells, each the mean colour of its part of the rendering (a box filter
over the cell), converted to CIELAB by Pillow's littleCMS (sRGB to Lab D50, 8 bits per channel:
L in 0..255 for 0..100, a and b as signed bytes). Before the conversion the cells are divided by the
image's own white (a high percentile of its brightest channel), so a page that multiplies the
picture onto light grey (Amazon's result tiles do) cancels out. A picture padded with white bars has
the bars' white, as the gallery's rendering padded the same way has.

The distance between two grids is a CIE76 colour difference (Euclidean in Lab, lightness weighted by
``LIGHTNESS_WEIGHT`` as CIE94/CIEDE2000's k_L does for textiles) per cell, then the ``ROBUST_RANK``-th
largest over the cells: a badge stamped on a corner may spoil a cell or two, while another colour
of the product changes every cell the product covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageCms

GRID = 8  # cells per side: 64 cells, 192 bytes per rendering
GRID_BYTES = GRID * GRID * 3
Box = tuple[float, float, float, float]
# Side of the box-filtered copy grids are cut from: 8 of its pixels per cell.
BASE = 64
# The image's white: this percentile of the brightest channel of its pixels. Below 100 so that a
# badge or a highlight covering up to a few percent of the image does not set it.
WHITE_PERCENTILE = 96.0
# A white darker than this is not a white (a dim scene): the grid is then left as it is. The page's
# grey multiplies white by 0.92-0.97; a dim scene is not lifted to look like a bright one.
MIN_WHITE = 180
# CIE94/CIEDE2000's parametric k_L: 2 for textiles (lightness matters half as much as hue and chroma).
# Exposure and JPEG move lightness more than hue; a product's colourway moves hue and chroma.
LIGHTNESS_WEIGHT = 0.5
# Cells ignored at the top of the ranking: the distance is the ROBUST_RANK-th largest cell difference.
ROBUST_RANK = 4


@lru_cache(maxsize=1)
def _to_lab() -> ImageCms.ImageCmsTransform:
    srgb = ImageCms.createProfile("sRGB")
    lab = ImageCms.createProfile("LAB", colorTemp=6500)
    return ImageCms.buildTransform(srgb, lab, "RGB", "LAB")


def image_white(pixels: NDArray[np.uint8]) -> int:
    """The level (0..255) taken as white in an (h, w, 3) image: a high percentile of its brightest
    channel."""
    brightest = np.maximum(np.maximum(pixels[..., 0], pixels[..., 1]), pixels[..., 2]).ravel()
    k = min(brightest.size - 1, int(brightest.size * WHITE_PERCENTILE / 100.0))
    return int(np.partition(brightest, k)[k])


def colour_grids(rgb: Image.Image, boxes: Sequence[Box | None]) -> list[bytes]:
    """The Lab grid of each box (None: all) of ``rgb``, balanced to the image's white.

    The cells are the means of their boxes over a ``BASE`` x ``BASE`` box-filtered copy, read off
    its summed-area table (cell edges rounded to its pixels): one pass over the pixels for all boxes.
    """
    w, h = rgb.size
    small = np.asarray(rgb.resize((BASE, BASE), Image.Resampling.BOX))
    table = np.zeros((BASE + 1, BASE + 1, 3))
    table[1:, 1:] = small.cumsum(axis=0, dtype=np.float64).cumsum(axis=1)
    scale = np.array([BASE / w, BASE / h, BASE / w, BASE / h])
    frame = np.array([(0.0, 0.0, w, h) if b is None else b for b in boxes]) * scale
    steps = np.linspace(0.0, 1.0, GRID + 1)
    xs = np.rint(frame[:, 0:1] + (frame[:, 2:3] - frame[:, 0:1]) * steps).astype(np.int64)
    ys = np.rint(frame[:, 1:2] + (frame[:, 3:4] - frame[:, 1:2]) * steps).astype(np.int64)
    xs, ys = np.clip(xs, 0, BASE), np.clip(ys, 0, BASE)
    corners = table[ys[:, :, None], xs[:, None, :]]  # (boxes, GRID + 1, GRID + 1, 3)
    sums = corners[:, 1:, 1:] - corners[:, :-1, 1:] - corners[:, 1:, :-1] + corners[:, :-1, :-1]
    area = np.diff(ys, axis=1)[:, :, None] * np.diff(xs, axis=1)[:, None, :]
    cells = sums / np.maximum(area, 1)[..., None]
    white = image_white(small)
    if MIN_WHITE <= white < 255:
        cells *= 255.0 / white
    rgb8 = np.clip(cells + 0.5, 0, 255).astype(np.uint8).reshape(-1, GRID, 3)
    lab = ImageCms.applyTransform(Image.fromarray(rgb8, "RGB"), _to_lab())
    assert lab is not None  # applyTransform returns None only with inPlace=True
    data = lab.tobytes()
    return [data[i * GRID_BYTES : (i + 1) * GRID_BYTES] for i in range(len(boxes))]


def grids_as_lab(data: bytes) -> NDArray[np.float32]:
    """Stored grids (n x GRID_BYTES) as an (n, cells, 3) float array of L*, a*, b* (L* weighted)."""
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, GRID * GRID, 3)
    out = np.empty(raw.shape, dtype=np.float32)
    out[..., 0] = raw[..., 0] * (100.0 / 255.0 * LIGHTNESS_WEIGHT)
    out[..., 1:] = raw[..., 1:].view(np.int8)
    return out


def colour_distance(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    """Colour distance (Lab units) of grids ``a`` and ``b`` (``grids_as_lab`` arrays; leading
    dimensions broadcast): the ``ROBUST_RANK``-th largest cell difference."""
    diff = a - b
    per_cell = np.sqrt(np.sum(diff * diff, axis=-1))
    kth = per_cell.shape[-1] - ROBUST_RANK
    return np.asarray(np.partition(per_cell, kth, axis=-1)[..., kth], dtype=np.float32)
