"""Colour signatures: a coarse grid of mean colours per rendering, and the distance between two.

Where it sits: imaging, the colour half of "which gallery variant is this?". ``fingerprint.py`` calls
``colour_grids`` for every rendering it hashes (the same box of the same working image) and stores the
grids next to the hashes; ``match.py`` turns a gallery's grids into ``gallery_lab`` arrays once, an
ad's into ``AdColours`` once, and compares pairs of renderings with ``colour_distance``. Grey-level
hashes see the shape of a picture but hardly its colours: the same design in another colour (a sibling
ASIN's picture) hashes almost the same. The grid sees it.

A grid is ``GRID`` x ``GRID`` cells, each the mean sRGB colour of its part of the rendering (a box
filter over the cell), stored as 8-bit RGB as the image had it. It is compared in CIELAB (Pillow's
littleCMS, sRGB to Lab), where a distance is a perceived colour difference (CIE76), with lightness at
``LIGHTNESS_WEIGHT`` (CIE94/CIEDE2000's k_L = 2, as for textiles: exposure and JPEG move lightness more
than hue; a product's colourway moves hue and chroma).

What an ad rendering does to the colours of the right picture, and what the distance allows for:

- the search page multiplies the picture onto its tile's light grey, and a re-encode may move levels a
  few percent: every sRGB value times one factor. A pair is compared under the factor of ``GAINS``
  (those such a page and re-encode can apply) its own cells point to (the median ratio of their
  lightness), the ad's grid divided by it: a picture without any white (a scene, a close-up) is
  balanced as well as one on white, and a badge does not move it;
- a crop the gallery's zooms do not match exactly, and resampling, move cell edges by a fraction of a
  cell: each ad cell may be the gallery cell mixed with up to ``SHIFT`` of one of its four neighbours;
- a badge stamped on a corner spoils a cell or three: the distance is the ``ROBUST_RANK``-th largest
  cell difference. Another colour of the product changes every cell the product covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageCms

GRID = 8  # cells per side: 64 cells, 192 bytes per rendering
CELLS = GRID * GRID
GRID_BYTES = CELLS * 3
Box = tuple[float, float, float, float]
# Side of the box-filtered copy grids are cut from: 8 of its pixels per cell.
BASE = 64
# CIE94/CIEDE2000's parametric k_L: 2 for textiles (lightness matters half as much as hue and chroma).
LIGHTNESS_WEIGHT = 0.5
# Cells ignored at the top of the ranking: the distance is the ROBUST_RANK-th largest cell difference.
# A corner badge (a quarter to a third of the width, a twelfth of the height) covers 3 cells. On TUNE,
# ignoring 4 or 5 let 5.4 % and 7.1 % of colour variants through (the bound is 5 %), 3 let 1.7 %.
ROBUST_RANK = 4
# Factors an ad's sRGB values may have been multiplied by: the result tile's grey (Amazon's is
# #F7F7F7 = 0.97; 0.92 allowed) times a level change of up to 4 % either way. Steps of 0.02 (about
# 1 Lab unit of lightness on white).
GAINS: tuple[float, ...] = (0.88, 0.90, 0.92, 0.94, 0.96, 0.98, 1.0, 1.02, 1.04)
_UNIT = GAINS.index(1.0)
# How far (in cells) an ad cell's content may have slid towards a neighbour: 0.4 cell is 5 % of the
# picture's side, the most a 5 % crop moves an edge cell (when the gallery has no zoom near it) and
# more than the half-step (1.5 %) between the gallery's zooms plus resampling and JPEG blur (~1 %).
# bench/identify.py, TUNE seeds: 0.4 kept more cropped ads than 0.25 for the same colour look-alikes.
SHIFT = 0.4


@lru_cache(maxsize=1)
def _to_lab() -> ImageCms.ImageCmsTransform:
    srgb = ImageCms.createProfile("sRGB")
    lab = ImageCms.createProfile("LAB", colorTemp=6500)
    return ImageCms.buildTransform(srgb, lab, "RGB", "LAB")


def colour_grids(rgb: Image.Image, boxes: Sequence[Box | None]) -> list[bytes]:
    """The sRGB grid of each box (None: all) of ``rgb``: ``GRID_BYTES`` bytes, row by row.

    The cells are the means of their boxes over a ``BASE`` x ``BASE`` box-filtered copy, read off
    its summed-area table: one pass over the pixels for all boxes. The table is interpolated at cell
    edges that fall between its pixels (exact for the copy's piecewise constant pixels), so a cell
    covers exactly its part of the rendering however the box falls.
    """
    w, h = rgb.size
    small = np.asarray(rgb.resize((BASE, BASE), Image.Resampling.BOX), dtype=np.float64)
    table = np.zeros((BASE + 1, BASE + 1, 3))
    table[1:, 1:] = small.cumsum(axis=0).cumsum(axis=1)
    scale = np.array([BASE / w, BASE / h, BASE / w, BASE / h])
    frame = np.array([(0.0, 0.0, w, h) if b is None else b for b in boxes]) * scale
    steps = np.linspace(0.0, 1.0, GRID + 1)
    xs = np.clip(frame[:, 0:1] + (frame[:, 2:3] - frame[:, 0:1]) * steps, 0, BASE)  # (boxes, GRID + 1)
    ys = np.clip(frame[:, 1:2] + (frame[:, 3:4] - frame[:, 1:2]) * steps, 0, BASE)
    x0, y0 = np.minimum(xs.astype(np.int64), BASE - 1), np.minimum(ys.astype(np.int64), BASE - 1)
    fx, fy = (xs - x0)[:, None, :, None], (ys - y0)[:, :, None, None]
    yi, xi = y0[:, :, None], x0[:, None, :]
    corners = (
        table[yi, xi] * (1 - fy) * (1 - fx)
        + table[yi, xi + 1] * (1 - fy) * fx
        + table[yi + 1, xi] * fy * (1 - fx)
        + table[yi + 1, xi + 1] * fy * fx
    )  # (boxes, GRID + 1, GRID + 1, 3): the table at every cell corner
    sums = corners[:, 1:, 1:] - corners[:, :-1, 1:] - corners[:, 1:, :-1] + corners[:, :-1, :-1]
    area = np.diff(ys, axis=1)[:, :, None] * np.diff(xs, axis=1)[:, None, :]
    cells = sums / np.maximum(area, 1e-9)[..., None]
    data = np.clip(cells + 0.5, 0, 255).astype(np.uint8).tobytes()
    return [data[i * GRID_BYTES : (i + 1) * GRID_BYTES] for i in range(len(boxes))]


def _lab(rgb: NDArray[np.float64]) -> NDArray[np.float32]:
    """sRGB values (..., 3) in 0..255 as L*, a*, b* (L* weighted by ``LIGHTNESS_WEIGHT``)."""
    shape = rgb.shape
    px = np.clip(rgb.reshape(-1, GRID, 3) + 0.5, 0, 255).astype(np.uint8)
    lab = ImageCms.applyTransform(Image.fromarray(px, "RGB"), _to_lab())
    assert lab is not None  # applyTransform returns None only with inPlace=True
    raw = np.frombuffer(lab.tobytes(), dtype=np.uint8).reshape(shape)
    out = np.empty(shape, dtype=np.float32)
    out[..., 0] = raw[..., 0] * (100.0 / 255.0 * LIGHTNESS_WEIGHT)
    out[..., 1:] = raw[..., 1:].view(np.int8)
    return out


def _grids(data: bytes) -> NDArray[np.float64]:
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, CELLS, 3).astype(np.float64)


def gallery_lab(data: bytes) -> NDArray[np.float32]:
    """Stored grids (n x GRID_BYTES) as an (n, cells, 3) array of weighted L*, a*, b*."""
    return _lab(_grids(data))


@dataclass(frozen=True)
class Steps:
    """Per gallery rendering and cell, the step to each of its four neighbours (0 at the grid's
    edge), channel by channel: ``delta`` (n, 3, 4, cells); and its squared length (n, 4, cells)."""

    delta: NDArray[np.float32]
    norm: NDArray[np.float32]

    @classmethod
    def of(cls, gallery: NDArray[np.float32]) -> Steps:
        """The steps of ``gallery_lab`` grids (n, cells, 3)."""
        g = np.moveaxis(gallery, -1, 1).reshape(len(gallery), 3, GRID, GRID)
        out = np.zeros((len(gallery), 3, 4, GRID, GRID), dtype=np.float32)
        out[:, :, 0, 1:, :] = g[:, :, :-1, :] - g[:, :, 1:, :]  # towards the cell above
        out[:, :, 1, :-1, :] = g[:, :, 1:, :] - g[:, :, :-1, :]  # below
        out[:, :, 2, :, 1:] = g[:, :, :, :-1] - g[:, :, :, 1:]  # left
        out[:, :, 3, :, :-1] = g[:, :, :, 1:] - g[:, :, :, :-1]  # right
        delta = out.reshape(len(gallery), 3, 4, CELLS)
        return cls(delta, np.maximum((delta * delta).sum(axis=1), 1e-6))


@dataclass(frozen=True)
class AdColours:
    """An ad's grids, as stored (sRGB, (n, cells, 3)) and in weighted Lab as they are."""

    rgb: NDArray[np.float64]
    lab: NDArray[np.float32]

    @classmethod
    def of(cls, data: bytes) -> AdColours:
        rgb = _grids(data)
        return cls(rgb, _lab(rgb))

    def under(self, rendering: NDArray[np.intp], gain: NDArray[np.intp]) -> NDArray[np.float32]:
        """Lab grids of the given renderings as they were before the page multiplied them by
        ``GAINS[gain]``: (len(rendering), cells, 3), each (rendering, gain) converted once."""
        key = rendering * len(GAINS) + gain
        unique, back = np.unique(key, return_inverse=True)
        r, g = np.divmod(unique, len(GAINS))
        lab = np.empty((len(unique), CELLS, 3), dtype=np.float32)
        unit = g == _UNIT
        lab[unit] = self.lab[r[unit]]
        if not unit.all():
            lab[~unit] = _lab(self.rgb[r[~unit]] / np.array(GAINS)[g[~unit], None, None])
        return np.asarray(lab[back.reshape(-1)], dtype=np.float32)


def colour_distance(
    ad: AdColours,
    gallery: NDArray[np.float32],
    steps: Steps,
    pairs: tuple[NDArray[np.intp], NDArray[np.intp]],
) -> NDArray[np.float32]:
    """Colour distance (Lab units) of pairs of grids: the ad's, ``gallery`` (gallery renderings,
    cells, 3) from ``gallery_lab`` and ``steps`` its ``Steps``; ``pairs`` the (ad rendering, gallery
    rendering) index arrays to compare.

    Each pair is compared under the gain its own cells point to: the median ratio of their lightness
    (L* + 16 goes as the cube root of luminance, luminance as the sRGB factor to the power ~2.2),
    snapped to ``GAINS``. A cell's difference is the distance from the ad's cell to the gallery cell
    slid up to ``SHIFT`` towards any neighbour; the pair's distance is the ``ROBUST_RANK``-th largest.
    """
    ia, ir = pairs
    g = gallery[ir]  # (n, cells, 3)
    ratio = (ad.lab[ia, :, 0] / LIGHTNESS_WEIGHT + 16.0) / (g[..., 0] / LIGHTNESS_WEIGHT + 16.0)
    median = np.partition(ratio, CELLS // 2, axis=-1)[:, CELLS // 2]
    gain = np.power(np.maximum(median, 1e-3), 3.0 / 2.2)
    off = np.moveaxis(ad.under(ia, np.abs(gain[:, None] - np.array(GAINS)).argmin(axis=1)) - g, -1, 0)
    delta = steps.delta[ir]  # (n, 3, 4, cells); channel by channel: sums over 3 without reductions
    along = delta[:, 0] * off[0][:, None] + delta[:, 1] * off[1][:, None] + delta[:, 2] * off[2][:, None]
    t = np.clip(along / steps.norm[ir], 0.0, SHIFT)  # (n, 4, cells)
    square = np.zeros_like(t)
    for j in range(3):
        rest = off[j][:, None] - t * delta[:, j]
        square += rest * rest
    per_cell = np.sqrt(square.min(axis=1))
    kth = CELLS - ROBUST_RANK
    return np.asarray(np.partition(per_cell, kth, axis=-1)[..., kth], dtype=np.float32)
