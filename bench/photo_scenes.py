"""Backgrounds for ``bench/photos.py``: wood, marble, bokeh, fabric, seamless paper, sky and ground,
a coloured wall; each with a warm or cool cast and a vignette.

Where it sits: outside the product, under the bench's second generator of listing photos.
"""

from __future__ import annotations

import colorsys

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
F32 = NDArray[np.float32]
SCENES = ("wood", "marble", "bokeh", "fabric", "paper", "outdoor", "wall")


def hls(h: float, light: float, sat: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, light, sat)
    return (int(r * 255), int(g * 255), int(b * 255))


# --------------------------------------------------------------------------------------------
# Scenes
# --------------------------------------------------------------------------------------------


def noise(r: np.random.Generator, w: int, h: int, cell: int) -> F32:
    g = r.normal(0, 1, (max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    return np.asarray(Image.fromarray(g, "F").resize((w, h), Image.Resampling.BICUBIC), np.float32)


def scene(r: np.random.Generator, kind: str, w: int, h: int) -> tuple[Image.Image, float]:
    hue = float(r.random())
    base = np.array(hls(hue, float(r.uniform(0.45, 0.85)), float(r.uniform(0.05, 0.5))), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    floor = float(r.uniform(0.55, 0.8))
    a = np.empty((h, w, 3), np.float32)
    a[:] = base
    if kind == "wood":
        grain = np.sin(yy / h * 90 + 4 * noise(r, w, h, 60)) * 0.12 + noise(r, w, h, 8) * 0.05
        wood = np.array(hls(float(r.uniform(0.05, 0.1)), float(r.uniform(0.3, 0.6)), 0.5), np.float32)
        a[int(floor * h) :] = (wood * (1 + grain[..., None]))[int(floor * h) :]
    elif kind == "marble":
        veins = np.abs(np.sin(xx / w * 8 + 5 * noise(r, w, h, 90))) ** 0.2
        a = np.full((h, w, 3), 235, np.float32) * (0.85 + 0.15 * veins[..., None])
    elif kind == "bokeh":
        img = Image.fromarray(np.clip(a * 0.6, 0, 255).astype(np.uint8), "RGB")
        dr = ImageDraw.Draw(img)
        for _ in range(25):
            cx, cy, rr = (
                float(r.uniform(0, w)),
                float(r.uniform(0, h * floor)),
                float(r.uniform(0.02, 0.09)) * w,
            )
            dr.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=hls(float(r.random()), 0.75, 0.6))
        a = np.asarray(img.filter(ImageFilter.GaussianBlur(w / 60)), np.float32)
    elif kind == "fabric":
        a *= (1 + 0.08 * np.sin(xx * 0.9) * np.sin(yy * 0.9) + 0.06 * noise(r, w, h, 20))[..., None]
    elif kind == "paper":
        a = base + (255 - base) * (1 - yy / h)[..., None] * 0.6
    elif kind == "outdoor":
        sky = np.array(hls(0.57, float(r.uniform(0.6, 0.85)), 0.6), np.float32)
        a[:] = sky
        g = int(floor * h)
        grass = np.array(hls(float(r.uniform(0.2, 0.33)), 0.35, 0.5), np.float32)
        a[g:] = grass * (1 + 0.2 * noise(r, w, h - g, 5))[..., None]
    else:  # wall: a coloured wall and a skirting board
        g = int(floor * h)
        a[g:] = base * 0.7
        a[g : g + max(3, h // 40)] = 245
    # Lighting of the scene: a warm or cool cast and a vignette.
    cast = np.array([1 + float(r.uniform(-0.08, 0.08)), 1.0, 1 + float(r.uniform(-0.08, 0.08))], np.float32)
    vig = 1 - float(r.uniform(0.0, 0.35)) * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
    a = a * cast * vig[..., None]
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB"), floor
