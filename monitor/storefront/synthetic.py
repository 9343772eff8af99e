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

This module is the drawing API; the pieces (what a seed stands for, the shapes, the shaded sprite,
the scenes and the slides) are in ``monitor.storefront.drawing``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from PIL import Image

from monitor.storefront.drawing.product import FAMILIES, Product, product_for_seed, rng, side_view
from monitor.storefront.drawing.scenes import lifestyle
from monitor.storefront.drawing.slides import comparison, dimensions, infographic
from monitor.storefront.drawing.sprite import place

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

__all__ = [
    "DEFAULT_VARIANTS",
    "FAMILIES",
    "NEGATIVE_KINDS",
    "VARIANT_KINDS",
    "Product",
    "draw_gallery",
    "draw_negative",
    "draw_variant",
    "product_for_seed",
    "variant_kind",
]


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
    place(img, p, view, height=height, cx=cx, bottom=bottom, angle=angle)
    return img


def draw_variant(seed: int, variant: str, size: int = 1000, colourway: int = 0) -> Image.Image:
    """One gallery image of product ``seed`` (RGB; the long side is ``size`` pixels).

    ``colourway`` > 0: the same picture with the product in other colours (a sibling ASIN's copy
    of this slot: same scene, same slide, another colour of the product and of what follows it).
    """
    p = product_for_seed(seed, colourway)
    kind = variant_kind(variant)
    r = rng(seed, "variant", variant.upper())
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
        view = {"side": side_view(v), "left": -0.9, "front": 0.0, "back": v * 2.5}[kind]
        return _on_white(p, size, max(-1.0, min(1.0, view)), height=0.84, cx=0.5, bottom=0.94, angle=0.0)
    if kind == "detail":
        img = Image.new("RGB", (size, size), (250, 250, 250))
        place(img, p, v, height=2.1, cx=float(r.uniform(0.4, 0.6)), bottom=float(r.uniform(1.5, 1.8)),
               shadow=0)  # fmt: skip
        return img
    if kind == "infographic":
        return infographic(p, r, size)
    if kind == "comparison":
        return comparison(p, r, size)
    if kind == "dimensions":
        return dimensions(p, r, size)
    return lifestyle(p, r, size, v)


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
    r = rng(seed, "negative", kind, index)
    if kind == "new_scene":
        return lifestyle(p, r, size, p.main_view)
    if kind == "unseen_angle":
        # Tilted against PT01's direction and turned towards the front: a photo the gallery lacks.
        pt01 = rng(seed, "variant", "PT01")
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
