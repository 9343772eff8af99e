"""What a seed stands for: the product's family, colours, proportions and brand text, and the small
colour, random-stream and font helpers every drawing uses.

Where it sits: at the bottom of the synthetic drawings (``monitor.storefront.drawing``); the shapes,
sprites, scenes and slides build on it, and ``monitor.storefront.synthetic`` draws galleries from it.
Everything is a pure function of its arguments (numpy's PCG64 streams, Pillow's embedded font).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import ImageFont

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

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


def rng(seed: int, *salt: str | int) -> np.random.Generator:
    """An independent, reproducible stream for (seed, salt...)."""
    key = [seed & 0xFFFFFFFF]
    for s in salt:
        key.append(zlib.crc32(s.encode()) if isinstance(s, str) else int(s) & 0xFFFFFFFF)
    return np.random.default_rng(key)


def hsv(h: float, s: float, v: float) -> RGB:
    """An RGB colour from hue, saturation and value in 0..1."""
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return (int(r * 255), int(g * 255), int(b * 255))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour ``t`` of the way from ``a`` to ``b``."""
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
    r = rng(seed, "product")
    family = FAMILIES[int(r.integers(0, len(FAMILIES)))]
    colours = r.random(7)  # drawn even for other colourways, so the design stays the same
    if colourway:
        colours = rng(seed, "colourway", colourway).random(7)
    hue = float(colours[0])
    body = hsv(hue, 0.35 + 0.55 * float(colours[1]), 0.3 + 0.6 * float(colours[2]))
    accent = hsv((hue + 0.3 + 0.4 * float(colours[3])) % 1.0, 0.5 + 0.5 * float(colours[4]), 0.35)
    label = hsv(float(colours[5]), 0.3 * float(colours[6]), 0.85 + 0.15 * float(colours[6]))
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
def load_font(size: int) -> Font:
    """Pillow's embedded font at ``size`` pixels (at least 8)."""
    # Pillow's embedded FreeType font: the same glyphs on every machine, no system fonts needed.
    return ImageFont.load_default(size=max(8, size))


def side_view(main_view: float) -> float:
    """The yaw of the "side" shot: the other side of the object from MAIN."""
    return max(-1.0, min(1.0, -main_view * 2.2))
