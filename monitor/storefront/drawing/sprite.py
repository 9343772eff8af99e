"""The product as a shaded RGBA sprite, and ``place`` to put it on a canvas with a soft shadow.

Where it sits: inside the synthetic drawings (``monitor.storefront.drawing``), above ``shapes`` (the
silhouette) and ``product``; every picture of the product (on white, in a scene, on a slide) goes
through ``place``. Sprites are cached per (product, view, size); pixels never depend on what was drawn
before.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from monitor.storefront.drawing.product import Product, mix, rng
from monitor.storefront.drawing.shapes import draw_family


def _decorate(img: Image.Image, p: Product) -> None:
    """Paint this product's surface design (stripes, bands, dots, ...) onto its body, in place.

    Products of one family differ in more than colour: the design changes what a grayscale hash sees.
    """
    s = img.size[0]
    r = rng(p.seed, "pattern")
    lum = 0.3 * p.body[0] + 0.59 * p.body[1] + 0.11 * p.body[2]
    ink = mix(p.body, (0, 0, 0), 0.6) if lum > 110 else mix(p.label, p.body, 0.15)
    layer = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    k = p.pattern
    if k == 0:  # horizontal stripes
        for _ in range(int(r.integers(2, 5))):
            y, t = float(r.uniform(0.2, 0.9)) * s, float(r.uniform(0.015, 0.05)) * s
            d.rectangle((0, y, s, y + t), fill=ink)
    elif k == 1:  # vertical stripes
        step = float(r.uniform(0.05, 0.12)) * s
        for i in range(int(s / step) + 1):
            if i % 2:
                d.rectangle((i * step, 0, i * step + step * 0.45, s), fill=ink)
    elif k == 2:  # dots
        step = float(r.uniform(0.06, 0.11)) * s
        rad = step * float(r.uniform(0.15, 0.3))
        for yi in range(int(s / step) + 1):
            for xi in range(int(s / step) + 1):
                x, y = (xi + 0.5 * (yi % 2)) * step, yi * step
                d.ellipse((x - rad, y - rad, x + rad, y + rad), fill=ink)
    elif k == 3:  # a diagonal band
        y0, t = float(r.uniform(0.3, 0.7)) * s, float(r.uniform(0.08, 0.18)) * s
        slope = float(r.uniform(-0.5, 0.5)) * s
        d.polygon([(0, y0), (s, y0 + slope), (s, y0 + slope + t), (0, y0 + t)], fill=ink)
    elif k == 4:  # two-tone: the lower part in another shade
        d.rectangle((0, float(r.uniform(0.55, 0.8)) * s, s, s), fill=ink)
    else:  # a big emblem
        cx, cy, rad = float(r.uniform(0.4, 0.6)) * s, float(r.uniform(0.4, 0.7)) * s, 0.12 * s
        d.regular_polygon((cx, cy, rad), int(r.integers(3, 7)), rotation=float(r.uniform(0, 90)), fill=ink)
    # Only where the product is: the layer's alpha times the product's.
    mask = np.minimum(np.asarray(layer.getchannel("A")), np.asarray(img.getchannel("A")))
    img.paste(layer.convert("RGB"), (0, 0), Image.fromarray(mask, "L"))


_SHADE_CACHE: dict[tuple[int, int], NDArray[np.float32]] = {}


def _shade(s: int, view: float) -> NDArray[np.float32]:
    """A horizontal light falloff with a soft highlight, as a studio light gives a round object."""
    key = (s, round(view * 20))
    got = _SHADE_CACHE.get(key)
    if got is None:
        # Computed from the cache key alone, so pixels never depend on what was drawn before.
        x = np.linspace(0.0, 1.0, s, dtype=np.float32)
        c = 0.38 - 0.12 * key[1] / 20
        g = 0.8 + 0.25 * np.cos((x - c) * math.pi * 1.1) + 0.22 * np.exp(-(((x - c) / 0.04) ** 2))
        y = np.linspace(0.0, 1.0, s, dtype=np.float32)
        got = (g[None, :] * (1.05 - 0.12 * y[:, None])).astype(np.float32)
        if len(_SHADE_CACHE) > 256:
            _SHADE_CACHE.clear()
        _SHADE_CACHE[key] = got
    return got


@lru_cache(maxsize=32)
def _sprite(p: Product, view: float, s: int) -> Image.Image:
    """The product as an RGBA sprite of ``s`` x ``s`` pixels, shaded, background transparent."""
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw_family(ImageDraw.Draw(img), p, view, s)
    _decorate(img, p)
    # This product's own proportions: stretched, and tapered towards the top.
    t = p.taper * s
    w, h = max(1, int(s * p.stretch[0])), max(1, int(s * p.stretch[1]))
    quad = img.transform(
        (w, h), Image.Transform.QUAD, (t, 0, 0, s, s, s, s - t, 0), Image.Resampling.BILINEAR
    )
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    img.paste(quad, ((s - w) // 2, s - h))
    a = np.asarray(img)
    if p.bulge:  # widen (or narrow) each row about the centre, most at mid-height
        y = np.arange(s, dtype=np.float32)[:, None]
        x = np.arange(s, dtype=np.float32)[None, :]
        f = 1.0 + p.bulge * np.sin(np.pi * np.clip((y - (s - h)) / max(h, 1), 0.0, 1.0))
        src = np.clip((s / 2 + (x - s / 2) / f).astype(np.int32), 0, s - 1)
        a = a[np.arange(s)[:, None], src]
    rgb = a[..., :3].astype(np.float32) * _shade(s, view)[..., None]
    out = np.dstack([np.clip(rgb, 0, 255).astype(np.uint8), a[..., 3]])
    return Image.fromarray(out, "RGBA")


def place(
    canvas: Image.Image,
    p: Product,
    view: float,
    *,
    height: float,
    cx: float,
    bottom: float,
    angle: float = 0.0,
    shadow: float = 0.22,
) -> tuple[int, int, int, int]:
    """Put the product on ``canvas``: ``height`` and positions are fractions of the canvas.

    Returns the pasted box (for arrows and callouts that point at the object).
    """
    W, H = canvas.size
    side = max(8, int(height * H))
    # One drawing per (product, view) at about the image's resolution, cached, then resized: a
    # gallery reuses the same view in several slots.
    spr = _sprite(p, round(view, 2), min(768, max(256, W, H)))
    if spr.size[0] != side:
        spr = spr.resize((side, side), Image.Resampling.BILINEAR)
    if angle:
        spr = spr.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    bbox = spr.getbbox() or (0, 0, spr.size[0], spr.size[1])
    spr = spr.crop(bbox)
    w, h = spr.size
    x = int(cx * W - w / 2)
    y = int(bottom * H - h)
    if shadow > 0:
        sw, sh = int(w * 1.1), max(4, int(h * 0.08))
        pad = max(4, sh)
        sh_img = Image.new("L", (sw + 2 * pad, sh + 2 * pad), 0)
        ImageDraw.Draw(sh_img).ellipse((pad, pad, pad + sw, pad + sh), fill=int(255 * shadow))
        sh_img = sh_img.filter(ImageFilter.BoxBlur(pad / 2))
        canvas.paste((40, 40, 40), (x + w // 2 - sw // 2 - pad, y + h - sh // 2 - pad), sh_img)
    canvas.paste(spr, (x, y), spr)
    return (x, y, x + w, y + h)
