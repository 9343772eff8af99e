"""Deterministic synthetic "product photography" for the bench, the tests and the simulated storefront.

Where it sits: outside the sweep's data flow. It stands in for Amazon's listing galleries wherever
ismon must not touch the internet: ``bench/identify.py`` measures the imaging matcher on it, the
simulated storefront (``monitor/storefront``) serves its galleries and ad images, and the tests build
decisions on it.

A gallery looks like a real listing: MAIN is the product on pure white; other slots are near-duplicate
angles of the same object on white, lifestyle scenes (the object in a room, outdoors, in a studio or
a kitchen), an infographic with text and arrows, a comparison table, a close-up and a dimensions
drawing. Products differ by seed (shape family, colours, proportions, surface design, brand text).
Lifestyle scenes are sometimes 4:5 or 5:4; every other image is square (the long side is ``size``).
``draw_negative`` makes images of a product that its gallery lacks, for measuring false accepts.

Everything is a pure function of its arguments: ``draw_variant(seed, variant, size)`` gives the same
pixels as the same slot of ``draw_gallery(seed, size)``, whatever was drawn before, with the same
Pillow and numpy (numpy's PCG64 streams and Pillow's embedded font, no system fonts). About 40 ms
for a 1000 px image; drawings of the product are cached per process.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

DEFAULT_VARIANTS: tuple[str, ...] = (
    "MAIN",
    "PT01",
    "PT02",
    "PT03",
    "PT04",
    "PT05",
    "PT06",
    "PT07",
    "PT08",
)

# What each of Amazon's slot names shows. Real listings vary; this order is a common one.
VARIANT_KINDS: dict[str, str] = {
    "MAIN": "main",
    "PT01": "angle",  # near-duplicate of MAIN: same object slightly rotated, shifted, rescaled
    "PT02": "lifestyle",
    "PT03": "infographic",
    "PT04": "side",  # the other side of the object
    "PT05": "lifestyle",
    "PT06": "comparison",
    "PT07": "detail",
    "PT08": "dimensions",
    "FRNT": "front",
    "SIDE": "side",
    "LEFT": "left",
    "BACK": "back",
}
_FALLBACK_KINDS = ("lifestyle", "angle", "infographic", "detail", "comparison")

NEGATIVE_KINDS: tuple[str, ...] = ("new_scene", "unseen_angle", "colour_variant", "sibling")

FAMILIES: tuple[str, ...] = (
    "bottle",
    "box",
    "mug",
    "chair",
    "lamp",
    "backpack",
    "headphones",
    "sneaker",
)

_WORDS = (
    "AERO", "NOVA", "TERRA", "PEAK", "LUMA", "KORA", "VELO", "ORBI", "ZEST", "FJORD",
    "AXIS", "MIRA", "HALO", "RIDGE", "EMBER", "POLAR", "SOLA", "VANTA", "ECHO", "NIMBUS",
)  # fmt: skip
_FEATURES = (
    "LEAK-PROOF LID", "BPA FREE", "24H COLD", "ERGONOMIC GRIP", "WATERPROOF", "LIGHTWEIGHT",
    "2 YEAR WARRANTY", "DISHWASHER SAFE", "RECYCLED FABRIC", "NOISE CANCELLING", "FOLDABLE",
    "EXTRA DURABLE", "SOFT TOUCH", "QUICK DRY", "EASY CLEAN", "NON-SLIP BASE", "USB-C CHARGING",
    "MEMORY FOAM", "STEEL FRAME", "ECO FRIENDLY",
)  # fmt: skip
_SCENES = ("outdoor", "room", "studio", "kitchen")


@dataclass(frozen=True)
class Product:
    """The object a seed stands for: family, colours, proportions and brand text."""

    seed: int
    family: str
    body: RGB
    accent: RGB
    label: RGB
    slim: float  # 0.8..1.2: how wide the object is for its family
    brand: str
    features: tuple[str, ...]
    main_view: float  # the yaw of the MAIN photo, -1 (left side) .. 1 (right side)
    stretch: tuple[float, float]  # width and height factors: products of one family differ in shape
    taper: float  # -0.15..0.15: narrower (or wider) at the top
    detail: float  # 0..1: where bands and labels sit
    fill: float  # how much of the MAIN frame the product fills
    bulge: float  # -0.18..0.25: barrel-shaped (or waisted) outline
    pattern: int  # which surface design: stripes, bands, dots, a diagonal, two-tone
    colourway: int  # 0 for the listing's own colours; others are the same design recoloured


def _rng(seed: int, *salt: str | int) -> np.random.Generator:
    """An independent, reproducible stream for (seed, salt...)."""
    key = [seed & 0xFFFFFFFF]
    for s in salt:
        key.append(zlib.crc32(s.encode()) if isinstance(s, str) else int(s) & 0xFFFFFFFF)
    return np.random.default_rng(key)


def _hsv(h: float, s: float, v: float) -> RGB:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return (int(r * 255), int(g * 255), int(b * 255))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        int(a[0] + (b[0] - a[0]) * t),
        int(a[1] + (b[1] - a[1]) * t),
        int(a[2] + (b[2] - a[2]) * t),
    )


@lru_cache(maxsize=256)
def product_for_seed(seed: int, colourway: int = 0) -> Product:
    """The product a seed stands for: its shape family, colours, proportions and texts.

    ``colourway`` > 0 gives the same design in other colours (a sibling variation's listing).
    """
    r = _rng(seed, "product")
    family = FAMILIES[int(r.integers(0, len(FAMILIES)))]
    colours = r.random(7)  # drawn even for other colourways, so the design stays the same
    if colourway:
        colours = _rng(seed, "colourway", colourway).random(7)
    hue = float(colours[0])
    body = _hsv(hue, 0.35 + 0.55 * float(colours[1]), 0.3 + 0.6 * float(colours[2]))
    accent = _hsv((hue + 0.3 + 0.4 * float(colours[3])) % 1.0, 0.5 + 0.5 * float(colours[4]), 0.35)
    label = _hsv(float(colours[5]), 0.3 * float(colours[6]), 0.85 + 0.15 * float(colours[6]))
    brand = str(r.choice(_WORDS))
    picks = r.choice(len(_FEATURES), size=6, replace=False)
    return Product(
        seed=seed,
        family=family,
        body=body,
        accent=accent,
        label=label,
        slim=float(r.uniform(0.8, 1.2)),
        brand=brand,
        features=tuple(_FEATURES[int(i)] for i in picks),
        main_view=float(r.uniform(0.2, 0.5)) * (1 if r.random() < 0.5 else -1),
        stretch=(float(r.uniform(0.7, 1.15)), float(r.uniform(0.78, 1.0))),
        taper=float(r.uniform(-0.15, 0.15)),
        detail=float(r.random()),
        fill=float(r.uniform(0.74, 0.92)),
        bulge=float(r.uniform(-0.18, 0.25)),
        pattern=int(r.integers(0, 6)),
        colourway=colourway,
    )


@lru_cache(maxsize=64)
def _font(size: int) -> Font:
    # Pillow's embedded FreeType font: the same glyphs on every machine, no system fonts needed.
    return ImageFont.load_default(size=max(8, size))


# --------------------------------------------------------------------------------------------
# The object itself, as an RGBA sprite
# --------------------------------------------------------------------------------------------


def _draw_family(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """Draw ``p`` flat-coloured into an ``s`` x ``s`` canvas, seen from yaw ``view``."""
    cx = s / 2
    dark = _mix(p.body, (0, 0, 0), 0.45)
    light = _mix(p.body, (255, 255, 255), 0.35)
    font = _font(int(s * 0.06))
    if p.family == "bottle":
        w = 0.3 * s * p.slim
        d.rounded_rectangle((cx - w / 2, 0.3 * s, cx + w / 2, 0.95 * s), radius=w * 0.2, fill=p.body)
        d.polygon(
            [(cx - w / 2, 0.33 * s), (cx - w / 5, 0.17 * s), (cx + w / 5, 0.17 * s),
             (cx + w / 2, 0.33 * s)],
            fill=p.body,
        )  # fmt: skip
        d.rectangle((cx - w / 5, 0.09 * s, cx + w / 5, 0.18 * s), fill=p.accent)
        d.ellipse((cx - w / 5, 0.07 * s, cx + w / 5, 0.11 * s), fill=_mix(p.accent, (255,) * 3, 0.3))
        off = view * w * 0.3
        lx0, lx1 = max(cx - w / 2, cx - w * 0.4 + off), min(cx + w / 2, cx + w * 0.4 + off)
        if view * p.main_view >= 0:  # the front label
            ly = (0.42 + 0.14 * p.detail) * s
            d.rectangle((lx0, ly, lx1, ly + 0.28 * s), fill=p.label)
            d.text(((lx0 + lx1) / 2, ly + 0.1 * s), p.brand, fill=p.accent, font=font, anchor="mm")
            d.rectangle((lx0, ly + 0.2 * s, lx1, ly + 0.23 * s), fill=p.accent)
        else:  # the back label: small print and a barcode
            d.rectangle((lx0, 0.42 * s, lx1, 0.88 * s), fill=(245, 245, 240))
            for i in range(7):
                y = 0.46 * s + i * 0.035 * s
                d.line(((lx0 + 6, y), (lx1 - 6 - (i % 3) * 0.03 * s, y)), fill=(90, 90, 90), width=3)
            for i in range(12):
                x = lx0 + 8 + i * (lx1 - lx0 - 16) / 12
                d.line(((x, 0.75 * s), (x, 0.85 * s)), fill=(20, 20, 20), width=1 + i % 3)
    elif p.family == "box":
        fw = 0.52 * s * p.slim * (1 - 0.35 * abs(view))
        sw = 0.05 * s + 0.3 * s * abs(view)
        dep = 0.08 * s
        x0 = cx - (fw + sw) / 2
        x1 = x0 + fw
        y0, y1 = 0.2 * s, 0.92 * s
        if view >= 0:
            fx0, fx1, side = x0, x1, [(x1, y0), (x1 + sw, y0 - dep), (x1 + sw, y1 - dep), (x1, y1)]
            top = [(x0, y0), (x0 + sw, y0 - dep), (x1 + sw, y0 - dep), (x1, y0)]
        else:
            fx0, fx1 = x0 + sw, x1 + sw
            side = [(fx0, y0), (fx0 - sw, y0 - dep), (fx0 - sw, y1 - dep), (fx0, y1)]
            top = [(fx0, y0), (fx0 - sw, y0 - dep), (fx1 - sw, y0 - dep), (fx1, y0)]
        d.polygon(side, fill=dark)
        d.polygon(top, fill=light)
        d.rectangle((fx0, y0, fx1, y1), fill=p.body)
        by = (0.45 + 0.35 * p.detail) * s
        d.rectangle((fx0, by, fx1, by + 0.08 * s), fill=p.accent)
        r = 0.09 * s
        d.ellipse(((fx0 + fx1) / 2 - r, 0.3 * s, (fx0 + fx1) / 2 + r, 0.3 * s + 2 * r), fill=p.label)
        d.text(((fx0 + fx1) / 2, 0.54 * s), p.brand, fill=p.label, font=font, anchor="mm")
    elif p.family == "mug":
        w = 0.48 * s * p.slim
        y0, y1 = 0.3 * s, 0.85 * s
        hx = cx + w / 2 * math.cos(view * 1.2)  # the handle swings round as the yaw changes
        handle = (hx - 0.05 * s, 0.4 * s, hx + 0.17 * s * math.cos(view), 0.72 * s)
        behind = view < -0.6
        if behind:
            d.ellipse(handle, outline=dark, width=int(0.045 * s))
        d.rectangle((cx - w / 2, y0, cx + w / 2, y1), fill=p.body)
        d.ellipse((cx - w / 2, y1 - 0.06 * s, cx + w / 2, y1 + 0.06 * s), fill=p.body)
        d.ellipse((cx - w / 2, y0 - 0.06 * s, cx + w / 2, y0 + 0.06 * s), fill=light)
        d.ellipse((cx - w / 2 + 8, y0 - 0.045 * s, cx + w / 2 - 8, y0 + 0.045 * s), fill=dark)
        by = (0.4 + 0.35 * p.detail) * s
        d.rectangle((cx - w / 2, by, cx + w / 2, by + 0.05 * s), fill=p.accent)
        if not behind:
            d.ellipse(handle, outline=p.body, width=int(0.045 * s))
        d.text((cx - view * w * 0.2, 0.5 * s), p.brand, fill=p.label, font=font, anchor="mm")
    elif p.family == "chair":
        sk = view * 0.14 * s
        w = 0.5 * s * p.slim
        leg = int(0.025 * s)
        for a, b in (((cx - w / 2, 0.95 * s), (cx + w / 2 + sk, 0.55 * s)),
                     ((cx + w / 2, 0.95 * s), (cx - w / 2 + sk, 0.55 * s)),
                     ((cx - w / 2 + sk, 0.15 * s), (cx - w / 2, 0.95 * s)),
                     ((cx + w / 2 + sk, 0.15 * s), (cx + w / 2, 0.95 * s))):  # fmt: skip
            d.line((a, b), fill=p.accent, width=leg)
        d.polygon(
            [(cx - w / 2 + sk, 0.15 * s), (cx + w / 2 + sk, 0.15 * s), (cx + w / 2 + sk * 0.6, 0.6 * s),
             (cx - w / 2 + sk * 0.6, 0.6 * s)],
            fill=p.body,
        )  # fmt: skip
        d.polygon(
            [(cx - w / 2 + sk * 0.6, 0.6 * s), (cx + w / 2 + sk * 0.6, 0.6 * s),
             (cx + w / 2 - sk * 0.3, 0.7 * s), (cx - w / 2 - sk * 0.3, 0.7 * s)],
            fill=dark,
        )  # fmt: skip
        for sgn in (-1, 1):
            d.line(
                ((cx + sgn * w / 2 + sk * 0.7, 0.45 * s), (cx + sgn * (w / 2 + 0.07 * s), 0.5 * s)),
                fill=p.accent,
                width=leg,
            )
        d.rectangle((cx - w / 4 + sk * 0.8, 0.25 * s, cx + w / 4 + sk * 0.8, 0.33 * s), fill=p.label)
        d.text((cx + sk * 0.8, 0.29 * s), p.brand, fill=p.accent, font=font, anchor="mm")
    elif p.family == "lamp":
        sk = view * 0.22 * s  # an angled arm: it leans towards the camera side
        bx = cx - sk * 0.5
        d.ellipse((bx - 0.18 * s, 0.86 * s, bx + 0.18 * s, 0.95 * s), fill=p.accent)
        d.line(((bx, 0.9 * s), (bx, 0.6 * s), (cx + sk, 0.4 * s)), fill=p.accent, width=int(0.03 * s))
        w0, w1 = 0.18 * s * p.slim, 0.38 * s * p.slim
        t = view * 0.06 * s
        d.polygon(
            [(cx + sk - w0, 0.08 * s - t), (cx + sk + w0, 0.08 * s + t),
             (cx + sk * 1.3 + w1, 0.45 * s + t), (cx + sk * 1.3 - w1, 0.45 * s - t)],
            fill=p.body,
        )  # fmt: skip
        d.ellipse(
            (cx + sk * 1.3 - w1, 0.42 * s, cx + sk * 1.3 + w1, 0.48 * s), fill=_mix(p.label, p.body, 0.2)
        )
        d.rectangle((cx + sk - w0, 0.2 * s, cx + sk + w0, 0.24 * s), fill=p.accent)
    elif p.family == "backpack":
        w = 0.5 * s * p.slim
        strap = 0.04 * s + 0.08 * s * abs(view)
        sx = cx + (w / 2 if view > 0 else -w / 2 - strap)
        d.rounded_rectangle((sx, 0.3 * s, sx + strap, 0.85 * s), radius=strap / 2, fill=dark)
        d.arc((cx - 0.1 * s, 0.06 * s, cx + 0.1 * s, 0.26 * s), 180, 360, fill=p.accent,
              width=int(0.025 * s))  # fmt: skip
        d.rounded_rectangle((cx - w / 2, 0.15 * s, cx + w / 2, 0.93 * s), radius=0.12 * s, fill=p.body)
        ox = view * 0.05 * s
        d.rounded_rectangle(
            (cx - w * 0.38 + ox, 0.55 * s, cx + w * 0.38 + ox, 0.88 * s), radius=0.06 * s, fill=p.accent
        )
        d.line(((cx - w * 0.38 + ox, 0.62 * s), (cx + w * 0.38 + ox, 0.62 * s)), fill=p.label, width=4)
        d.text((cx + ox, 0.4 * s), p.brand, fill=p.label, font=font, anchor="mm")
    elif p.family == "headphones":
        near = 1 + 0.25 * view
        far = 1 - 0.25 * view
        d.arc((0.18 * s, 0.08 * s, 0.82 * s, 0.8 * s), 180, 360, fill=p.body, width=int(0.05 * s))
        d.arc((0.2 * s, 0.1 * s, 0.8 * s, 0.78 * s), 200, 340, fill=p.accent, width=int(0.02 * s))
        turn = 0.1 * s * view  # the far cup slides behind the band as the yaw grows
        for x, k in ((0.22 * s + max(turn, 0), far), (0.78 * s + min(turn, 0), near)):
            rw, rh = 0.1 * s * k * p.slim, 0.17 * s * k
            d.rounded_rectangle((x - rw, 0.45 * s - rh, x + rw, 0.45 * s + rh), radius=rw * 0.8,
                                fill=p.body)  # fmt: skip
            d.ellipse((x - rw * 0.6, 0.45 * s - rh * 0.7, x + rw * 0.6, 0.45 * s + rh * 0.7),
                      fill=p.accent)  # fmt: skip
        d.text((cx, 0.2 * s), p.brand, fill=p.accent, font=font, anchor="mm")
    else:  # sneaker, side view; the yaw decides which shoe (mirror) and how long it looks
        k = 0.75 + 0.25 * abs(view)
        pts = [(0.08, 0.78), (0.1, 0.55), (0.3, 0.5), (0.45, 0.32), (0.62, 0.28), (0.72, 0.4),
               (0.92, 0.55), (0.95, 0.78)]  # fmt: skip
        m = 1.0 if view >= 0 else -1.0

        def tx(x: float) -> float:
            return cx + m * (x - 0.5) * s * k

        d.polygon([(tx(x), y * s) for x, y in pts], fill=p.body)
        d.rectangle((min(tx(0.06), tx(0.97)), 0.78 * s, max(tx(0.06), tx(0.97)), 0.86 * s), fill=p.label)
        d.line(((tx(0.1), 0.82 * s), (tx(0.95), 0.82 * s)), fill=p.accent, width=int(0.015 * s))
        for i in range(5):
            x = 0.5 + i * 0.06
            d.line(((tx(x), 0.33 * s + i * 0.04 * s), (tx(x + 0.05), 0.4 * s + i * 0.04 * s)),
                   fill=p.label, width=int(0.012 * s))  # fmt: skip
        d.polygon([(tx(0.2), 0.72 * s), (tx(0.45), 0.5 * s), (tx(0.55), 0.52 * s), (tx(0.3), 0.74 * s)],
                  fill=p.accent)  # fmt: skip


def _decorate(img: Image.Image, p: Product) -> None:
    """Paint this product's surface design (stripes, bands, dots, ...) onto its body, in place.

    Products of one family differ in more than colour: the design changes what a grayscale hash sees.
    """
    s = img.size[0]
    r = _rng(p.seed, "pattern")
    lum = 0.3 * p.body[0] + 0.59 * p.body[1] + 0.11 * p.body[2]
    ink = _mix(p.body, (0, 0, 0), 0.6) if lum > 110 else _mix(p.label, p.body, 0.15)
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
    _draw_family(ImageDraw.Draw(img), p, view, s)
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


def _place(
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


# --------------------------------------------------------------------------------------------
# Backgrounds
# --------------------------------------------------------------------------------------------


def _noise(r: np.random.Generator, w: int, h: int, cell: int, amp: float) -> NDArray[np.float32]:
    """Smooth value noise: random values on a coarse grid, upsampled bilinearly."""
    gw, gh = max(2, w // cell + 2), max(2, h // cell + 2)
    g = r.normal(0.0, 1.0, (gh, gw)).astype(np.float32)
    img = Image.fromarray(g, "F").resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32) * amp


def _vgrad(w: int, h: int, top: RGB, bottom: RGB) -> NDArray[np.float32]:
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    a = np.array(top, np.float32)[None, None, :]
    b = np.array(bottom, np.float32)[None, None, :]
    return np.broadcast_to(a + (b - a) * t, (h, w, 3)).copy()


def _to_img(a: NDArray[np.float32]) -> Image.Image:
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")


def _scene(r: np.random.Generator, kind: str, w: int, h: int) -> tuple[Image.Image, float]:
    """A background of ``kind``; returns it and the floor line (fraction of height)."""
    hue = float(r.random())
    if kind == "outdoor":
        floor = float(r.uniform(0.6, 0.75))
        a = _vgrad(w, h, _hsv(0.58, float(r.uniform(0.3, 0.6)), 0.95), (235, 240, 250))
        gy = int(floor * h)
        ground = _vgrad(w, h - gy, _hsv(float(r.uniform(0.2, 0.35)), 0.55, 0.6), (70, 90, 40))
        a[gy:] = ground + _noise(r, w, h - gy, 6, 14)[..., None]
        img = _to_img(a)
        d = ImageDraw.Draw(img)
        sr = float(r.uniform(0.04, 0.08)) * w
        sx, sy = float(r.uniform(0.1, 0.9)) * w, float(r.uniform(0.08, 0.25)) * h
        d.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=(255, 236, 170))
        for layer in range(2):
            xs = np.linspace(0, w, 9)
            ys = floor * h - np.abs(r.normal(0.0, 1.0, 9)).cumsum() % (0.3 * h) - layer * 0.05 * h
            col = _hsv(0.6 - 0.1 * layer, 0.25, 0.55 + 0.15 * layer)
            d.polygon([(0, gy), *zip(xs.tolist(), ys.tolist(), strict=True), (w, gy)], fill=col)
        for _ in range(int(r.integers(2, 6))):
            tx, th = float(r.uniform(0, 1)) * w, float(r.uniform(0.12, 0.3)) * h
            d.rectangle((tx - 0.01 * w, gy - 0.3 * th, tx + 0.01 * w, gy), fill=(90, 60, 30))
            d.polygon([(tx - 0.06 * w, gy - 0.25 * th), (tx, gy - th), (tx + 0.06 * w, gy - 0.25 * th)],
                      fill=_hsv(float(r.uniform(0.25, 0.4)), 0.6, 0.35))  # fmt: skip
        return img, floor
    if kind == "room":
        floor = float(r.uniform(0.62, 0.78))
        wall = _hsv(hue, float(r.uniform(0.05, 0.3)), float(r.uniform(0.75, 0.95)))
        a = _vgrad(w, h, wall, _mix(wall, (0, 0, 0), 0.15))
        a += _noise(r, w, h, 40, 5)[..., None]
        gy = int(floor * h)
        wood = _hsv(float(r.uniform(0.05, 0.1)), float(r.uniform(0.4, 0.7)), float(r.uniform(0.4, 0.75)))
        a[gy:] = np.array(wood, np.float32)
        plank = max(6, h // 25)
        for i, y in enumerate(range(gy, h, plank)):
            a[y : y + plank] *= 0.85 + 0.3 * ((i * 7919 + int(r.integers(0, 5))) % 5) / 5
        a[gy:] += _noise(r, w, h - gy, 3, 6)[..., None]
        img = _to_img(a)
        d = ImageDraw.Draw(img)
        wx, wy = float(r.uniform(0.05, 0.55)) * w, float(r.uniform(0.08, 0.2)) * h
        ww, wh = float(r.uniform(0.25, 0.4)) * w, float(r.uniform(0.25, 0.35)) * h
        d.rectangle((wx, wy, wx + ww, wy + wh), fill=(190, 215, 240), outline=(250, 250, 250),
                    width=max(3, w // 80))  # fmt: skip
        d.line(((wx + ww / 2, wy), (wx + ww / 2, wy + wh)), fill=(250, 250, 250), width=max(3, w // 120))
        px = float(r.uniform(0.7, 0.92)) * w
        d.rectangle((px - 0.04 * w, gy - 0.1 * h, px + 0.04 * w, gy), fill=(170, 90, 60))
        for _ in range(6):
            lx, ly = px + float(r.normal(0, 0.04)) * w, gy - 0.1 * h - float(r.uniform(0.02, 0.2)) * h
            d.ellipse((lx - 0.03 * w, ly - 0.05 * h, lx + 0.03 * w, ly + 0.05 * h), fill=(60, 130, 60))
        return img, floor
    if kind == "kitchen":
        floor = float(r.uniform(0.6, 0.72))
        tile = _hsv(hue, float(r.uniform(0.0, 0.25)), float(r.uniform(0.8, 0.97)))
        a = np.empty((h, w, 3), np.float32)
        a[:] = np.array(tile, np.float32)
        step = max(8, w // int(r.integers(8, 16)))
        a[::step] *= 0.8
        a[:, ::step] *= 0.8
        gy = int(floor * h)
        stone = _hsv(float(r.random()), 0.08, float(r.uniform(0.55, 0.9)))
        a[gy:] = np.array(stone, np.float32) + _noise(r, w, h - gy, 12, 12)[..., None]
        a[gy : gy + max(3, h // 100)] *= 1.1
        img = _to_img(a)
        d = ImageDraw.Draw(img)
        cx = float(r.uniform(0.05, 0.3)) * w
        d.rectangle((cx, gy - 0.18 * h, cx + 0.12 * w, gy), fill=_hsv(float(r.random()), 0.3, 0.6))
        d.rectangle((0, 0, w, 0.12 * h), fill=_hsv(hue, 0.15, 0.45))
        return img, floor
    # studio: a coloured paper sweep with a podium and a few shapes
    floor = float(r.uniform(0.72, 0.85))
    c1 = _hsv(hue, float(r.uniform(0.2, 0.5)), float(r.uniform(0.75, 0.95)))
    a = _vgrad(w, h, c1, _mix(c1, (255, 255, 255), 0.4))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vig = 1.0 - 0.25 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
    img = _to_img(a * vig[..., None])
    d = ImageDraw.Draw(img)
    for _ in range(int(r.integers(2, 5))):
        rr = float(r.uniform(0.05, 0.15)) * w
        ox, oy = float(r.uniform(0, 1)) * w, float(r.uniform(0, 0.6)) * h
        d.ellipse((ox - rr, oy - rr, ox + rr, oy + rr), fill=_hsv((hue + 0.5) % 1, 0.35, 0.9))
    pw = float(r.uniform(0.3, 0.45)) * w
    fy = floor * h
    d.rectangle((w / 2 - pw, fy, w / 2 + pw, h), fill=_mix(c1, (255, 255, 255), 0.6))
    d.ellipse((w / 2 - pw, fy - 0.04 * h, w / 2 + pw, fy + 0.04 * h), fill=_mix(c1, (255, 255, 255), 0.8))
    return img, floor


def _lifestyle(p: Product, r: np.random.Generator, size: int, view: float) -> Image.Image:
    shape = [(1.0, 1.0), (1.0, 1.0), (1.0, 0.8), (0.8, 1.0)][int(r.integers(0, 4))]
    w, h = int(size * shape[0]), int(size * shape[1])
    kind = _SCENES[int(r.integers(0, len(_SCENES)))]
    img, floor = _scene(r, kind, w, h)
    _place(
        img,
        p,
        # The views the gallery's studio shots use (drawings are cached per view): MAIN's or the side.
        view if r.random() < 0.6 else _side_view(view),
        height=float(r.uniform(0.35, 0.6)),
        cx=float(r.uniform(0.3, 0.7)),
        bottom=floor + float(r.uniform(0.02, 0.12)),
        angle=float(r.uniform(-4, 4)),
        shadow=0.35,
    )
    return img


# --------------------------------------------------------------------------------------------
# Slides: infographic, comparison, dimensions
# --------------------------------------------------------------------------------------------


def _arrow(d: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], col: RGB, w: int) -> None:
    d.line((a, b), fill=col, width=w)
    ang = math.atan2(b[1] - a[1], b[0] - a[0])
    L = w * 4.0
    left = (b[0] - L * math.cos(ang - 0.45), b[1] - L * math.sin(ang - 0.45))
    right = (b[0] - L * math.cos(ang + 0.45), b[1] - L * math.sin(ang + 0.45))
    d.polygon([b, left, right], fill=col)


def _infographic(p: Product, r: np.random.Generator, size: int) -> Image.Image:
    bg = _mix(p.body, (255, 255, 255), float(r.uniform(0.8, 0.95)))
    img = Image.new("RGB", (size, size), bg)
    d = ImageDraw.Draw(img)
    band = int(size * 0.14)
    d.rectangle((0, 0, size, band), fill=p.accent)
    d.text((size / 2, band / 2), f"{p.brand} {p.family.upper()}", fill=(255, 255, 255),
           font=_font(int(band * 0.5)), anchor="mm")  # fmt: skip
    left = r.random() < 0.5
    box = _place(img, p, p.main_view, height=0.62, cx=0.3 if left else 0.7, bottom=0.92)
    n = int(r.integers(3, 5))
    tx = 0.58 * size if left else 0.05 * size
    for i in range(n):
        y = band + (i + 0.6) * (size - band) / (n + 0.3)
        col = _mix(p.body, (0, 0, 0), 0.2)
        rr = size * 0.035
        d.ellipse((tx, y - rr, tx + 2 * rr, y + rr), fill=col)
        d.text((tx + rr, y), str(i + 1), fill=(255, 255, 255), font=_font(int(rr)), anchor="mm")
        d.text((tx + 2.6 * rr, y - rr * 0.5), p.features[i], fill=(30, 30, 30),
               font=_font(int(size * 0.032)), anchor="lm")  # fmt: skip
        d.text((tx + 2.6 * rr, y + rr * 0.6), "for everyday use", fill=(90, 90, 90),
               font=_font(int(size * 0.022)), anchor="lm")  # fmt: skip
        target = (
            box[0] + (box[2] - box[0]) * float(r.uniform(0.3, 0.7)),
            box[1] + (box[3] - box[1]) * float(r.uniform(0.15, 0.85)),
        )
        start = (tx - 0.01 * size, y) if left else (tx + 0.4 * size, y)
        _arrow(d, start, target, col, max(2, size // 250))
    return img


def _comparison(p: Product, r: np.random.Generator, size: int) -> Image.Image:
    img = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(img)
    title = ("WHY CHOOSE US", "COMPARE", f"{p.brand} VS OTHERS", "THE DIFFERENCE")[int(r.integers(0, 4))]
    if r.random() < 0.5:  # a coloured title band instead of coloured text
        d.rectangle((0, 0, size, size * 0.12), fill=p.accent)
        d.text((size / 2, size * 0.06), title, fill=(255, 255, 255), font=_font(int(size * 0.05)),
               anchor="mm")  # fmt: skip
    else:
        d.text((size / 2, size * 0.07), title, fill=p.accent, font=_font(int(size * 0.06)), anchor="mm")
    cols = int(r.integers(3, 5))
    x0, x1 = size * float(r.uniform(0.03, 0.08)), size * float(r.uniform(0.92, 0.97))
    first = (x1 - x0) * float(r.uniform(0.28, 0.4))
    cw = (x1 - x0 - first) / cols
    y_head, y_rows = size * 0.14, size * 0.42
    rows = int(r.integers(4, 7))
    rh = (size * 0.95 - y_rows) / rows
    hl = _mix(p.body, (255, 255, 255), 0.75)
    d.rectangle((x0 + first, y_head, x0 + first + cw, size * 0.95), fill=hl)
    _place(img, p, p.main_view, height=0.24, cx=(x0 + first + cw / 2) / size, bottom=0.39, shadow=0)
    for c in range(1, cols):
        cx = x0 + first + cw * (c + 0.5)
        gray = int(150 + 20 * c)
        d.rounded_rectangle((cx - cw * 0.25, y_head + 0.03 * size, cx + cw * 0.25, y_rows - 0.05 * size),
                            radius=cw * 0.1, fill=(gray, gray, gray))  # fmt: skip
        d.text((cx, y_rows - 0.02 * size), "OTHERS", fill=(110, 110, 110),
               font=_font(int(size * 0.025)), anchor="mm")  # fmt: skip
    f = _font(int(min(rh * 0.35, size * 0.03)))
    for i in range(rows):
        y = y_rows + i * rh
        if i % 2:
            d.rectangle((x0, y, x1, y + rh), fill=(242, 242, 242))
            d.rectangle((x0 + first, y, x0 + first + cw, y + rh), fill=_mix(hl, (0, 0, 0), 0.05))
        d.text((x0 + 8, y + rh / 2), p.features[i % len(p.features)], fill=(40, 40, 40), font=f, anchor="lm")
        for c in range(cols):
            cx, cy, k = x0 + first + cw * (c + 0.5), y + rh / 2, rh * 0.22
            if c == 0 or r.random() < 0.3:
                d.line(((cx - k, cy), (cx - k / 3, cy + k), (cx + k, cy - k)), fill=(30, 150, 60),
                       width=max(2, size // 200))  # fmt: skip
            else:
                w = max(2, size // 220)
                d.line(((cx - k, cy - k), (cx + k, cy + k)), fill=(200, 50, 50), width=w)
                d.line(((cx - k, cy + k), (cx + k, cy - k)), fill=(200, 50, 50), width=w)
    for c in range(cols + 1):
        x = x0 + first + cw * c
        d.line(((x, y_head), (x, size * 0.95)), fill=(200, 200, 200), width=1)
    return img


def _dimensions(p: Product, r: np.random.Generator, size: int) -> Image.Image:
    img = Image.new("RGB", (size, size), (255, 255, 255))
    view = _side_view(p.main_view)
    box = _place(img, p, view, height=0.7, cx=0.45, bottom=0.85, shadow=0)
    d = ImageDraw.Draw(img)
    col = (60, 60, 60)
    w = max(2, size // 300)
    y = box[3] + 0.05 * size
    _arrow(d, ((box[0] + box[2]) / 2, y), (box[0], y), col, w)
    _arrow(d, ((box[0] + box[2]) / 2, y), (box[2], y), col, w)
    unit = "in" if r.random() < 0.5 else "cm"
    f = _font(int(size * 0.04))
    d.text(((box[0] + box[2]) / 2, y + 0.04 * size), f"{float(r.uniform(4, 30)):.1f} {unit}", fill=col,
           font=f, anchor="mm")  # fmt: skip
    x = box[2] + 0.06 * size
    _arrow(d, (x, (box[1] + box[3]) / 2), (x, box[1]), col, w)
    _arrow(d, (x, (box[1] + box[3]) / 2), (x, box[3]), col, w)
    d.text((x + 0.02 * size, (box[1] + box[3]) / 2), f"{float(r.uniform(6, 40)):.1f} {unit}", fill=col,
           font=f, anchor="lm")  # fmt: skip
    return img


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _side_view(main_view: float) -> float:
    """The yaw of the "side" shot: the other side of the object from MAIN."""
    return max(-1.0, min(1.0, -main_view * 2.2))


def variant_kind(variant: str) -> str:
    """What a slot shows: main, angle, side, front, left, back, lifestyle, infographic, ..."""
    kind = VARIANT_KINDS.get(variant.upper())
    if kind is None:
        kind = _FALLBACK_KINDS[zlib.crc32(variant.encode()) % len(_FALLBACK_KINDS)]
    return kind


def _on_white(
    p: Product, size: int, view: float, *, height: float, cx: float, bottom: float, angle: float
) -> Image.Image:
    img = Image.new("RGB", (size, size), (255, 255, 255))
    _place(img, p, view, height=height, cx=cx, bottom=bottom, angle=angle)
    return img


def draw_variant(seed: int, variant: str, size: int = 1000, colourway: int = 0) -> Image.Image:
    """One gallery image of product ``seed`` (RGB; the long side is ``size`` pixels).

    ``colourway`` > 0: the same picture with the product in other colours (a sibling ASIN's copy
    of this slot: same scene, same slide, another colour of the product and of what follows it).
    """
    p = product_for_seed(seed, colourway)
    kind = variant_kind(variant)
    r = _rng(seed, "variant", variant.upper())
    v = p.main_view
    if kind == "main":
        return _on_white(p, size, v, height=p.fill, cx=0.5, bottom=0.5 + p.fill / 2 + 0.02, angle=0.0)
    if kind == "angle":
        # Near-duplicate of MAIN: a second shot from almost the same place.
        sign = 1 if r.random() < 0.5 else -1
        return _on_white(
            p,
            size,
            v + 0.1 * sign,
            height=float(r.uniform(0.74, 0.82)),
            cx=0.5 + float(r.uniform(0.03, 0.07)) * (1 if r.random() < 0.5 else -1),
            bottom=float(r.uniform(0.88, 0.94)),
            angle=float(r.uniform(6, 10)) * sign,
        )
    if kind in ("side", "left", "front", "back"):
        view = {"side": _side_view(v), "left": -0.9, "front": 0.0, "back": v * 2.5}[kind]
        return _on_white(p, size, max(-1.0, min(1.0, view)), height=0.84, cx=0.5, bottom=0.94, angle=0.0)
    if kind == "detail":
        img = Image.new("RGB", (size, size), (250, 250, 250))
        _place(img, p, v, height=2.1, cx=float(r.uniform(0.4, 0.6)), bottom=float(r.uniform(1.5, 1.8)),
               shadow=0)  # fmt: skip
        return img
    if kind == "infographic":
        return _infographic(p, r, size)
    if kind == "comparison":
        return _comparison(p, r, size)
    if kind == "dimensions":
        return _dimensions(p, r, size)
    return _lifestyle(p, r, size, v)


def draw_gallery(
    seed: int, size: int = 1000, variants: Sequence[str] = DEFAULT_VARIANTS
) -> list[tuple[str, Image.Image]]:
    """The listing of product ``seed``: ``(variant, RGB image)`` in gallery order."""
    return [(v, draw_variant(seed, v, size)) for v in variants]


def draw_negative(seed: int, kind: str, size: int = 1000, index: int = 0) -> Image.Image:
    """An image of product ``seed`` that is NOT in its gallery, for measuring false accepts.

    ``new_scene``: the object in a lifestyle scene the gallery does not have. ``unseen_angle``: the
    object on white from a yaw and tilt no gallery slot uses. ``colour_variant``: one of the gallery's
    pictures with the product in other colours (grayscale hashes can hardly tell these apart).
    ``sibling``: the sibling ASIN's own studio shot: the same design in other colours, photographed
    in its own session (a slightly other yaw, size and place than MAIN).
    ``index`` draws further examples.
    Other products are simply other seeds' galleries.
    """
    p = product_for_seed(seed)
    r = _rng(seed, "negative", kind, index)
    if kind == "new_scene":
        return _lifestyle(p, r, size, p.main_view)
    if kind == "unseen_angle":
        # Tilted against PT01's direction and turned towards the front: a photo the gallery lacks.
        pt01 = _rng(seed, "variant", "PT01")
        sign = -1 if pt01.random() < 0.5 else 1
        view = p.main_view * float(r.uniform(-0.3, 0.3)) + 0.35 * (1 if r.random() < 0.5 else -1)
        return _on_white(
            p,
            size,
            max(-1.0, min(1.0, view)),
            height=float(r.uniform(0.6, 0.75)),
            cx=0.5 + float(r.uniform(-0.08, 0.08)),
            bottom=float(r.uniform(0.85, 0.93)),
            angle=float(r.uniform(18, 30)) * sign,
        )
    if kind == "colour_variant":
        # One of the gallery's own pictures with the product in other colours: a sibling listing's.
        slot = DEFAULT_VARIANTS[int(r.integers(0, len(DEFAULT_VARIANTS)))]
        return draw_variant(seed, slot, size, colourway=1 + index)
    if kind == "sibling":
        q = product_for_seed(seed, colourway=101 + index)
        height = q.fill * float(r.uniform(0.93, 1.05))
        return _on_white(
            q,
            size,
            q.main_view + float(r.uniform(-0.06, 0.06)),
            height=height,
            cx=0.5 + float(r.uniform(-0.03, 0.03)),
            bottom=0.5 + height / 2 + float(r.uniform(0.0, 0.04)),
            angle=float(r.uniform(-2, 2)),
        )
    raise ValueError(f"unknown negative kind {kind!r}; expected one of {NEGATIVE_KINDS}")
