"""A second, independent generator of listing photos, drawn unlike ``monitor.storefront.synthetic``.

Where it sits: outside the product, beside ``bench/identify.py``. ismon is measured on pictures drawn
by generators it was not tuned on; the bench tunes its thresholds on ``monitor.storefront.synthetic`` only and
reports this generator's galleries as an unseen one. What differs from ``monitor.storefront.synthetic``:

- shapes: revolved profiles (vases, jars, tumblers), rounded slabs (cases, cushions, speakers), garments,
  balls, smooth random outlines, bags with handles; each with its own proportions;
- surfaces: plain, grain noise, checks, diagonal stripes, knit waves, speckle, a two-part body, a
  logo patch; matte or glossy;
- lighting: a key light from a random direction (round shading and a highlight on revolved shapes and
  balls, a gradient on flat ones), warm or cool casts and vignettes on scenes, soft shadows;
- backgrounds (``bench/photo_scenes.py``): wood, marble, bokeh, fabric, seamless paper, sky and
  ground, a coloured wall.

The API mirrors ``monitor.storefront.synthetic``: ``draw_variant(seed, variant, size, colourway)``,
``draw_gallery(seed, size)`` and ``draw_negative(seed, kind, size, index)`` with the kinds
``NEGATIVE_KINDS``. Every picture is a pure function of its arguments.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from photo_scenes import SCENES, hls, scene  # bench/ is on sys.path, as for bench/identify.py
from PIL import Image, ImageDraw, ImageFilter, ImageFont

RGB = tuple[int, int, int]
F32 = NDArray[np.float32]

VARIANTS: tuple[str, ...] = ("MAIN", "PT01", "PT02", "PT03", "PT04", "PT05", "PT06", "PT07", "PT08")
NEGATIVE_KINDS: tuple[str, ...] = ("new_scene", "unseen_angle", "colour_variant", "sibling")
SHAPES = ("lathe", "slab", "garment", "ball", "blob", "bag")
SURFACES = ("plain", "grain", "checks", "stripes", "knit", "speckle", "two_part")
_WORDS = ("ORRA", "KINO", "VALE", "BRIX", "ZUMA", "OKTA", "LYRA", "MOSS", "PIKA", "TOVA", "RUNE")


def _rng(seed: int, *salt: str | int) -> np.random.Generator:
    key = [seed & 0xFFFFFFFF, 0x50484F54]  # "PHOT": streams apart from monitor.storefront.synthetic's
    key += [zlib.crc32(s.encode()) if isinstance(s, str) else int(s) & 0xFFFFFFFF for s in salt]
    return np.random.default_rng(key)


@dataclass(frozen=True)
class Design:
    """One product: its shape and surface (shared by its colourways) and its colours."""

    seed: int
    shape: str
    surface: str
    profile: tuple[float, ...]  # shape parameters in 0..1
    aspect: float  # width / height of the object
    gloss: float
    colours: tuple[RGB, RGB, RGB]  # body, second (parts, pattern), logo
    brand: str


@lru_cache(maxsize=512)
def design_for_seed(seed: int, colourway: int = 0) -> Design:
    r = _rng(seed, "design")
    shape = SHAPES[int(r.integers(0, len(SHAPES)))]
    surface = SURFACES[int(r.integers(0, len(SURFACES)))]
    profile = tuple(float(x) for x in r.random(8))
    aspect = float(r.uniform(0.45, 1.1)) if shape != "ball" else 1.0
    gloss = float(r.uniform(0.0, 1.0)) ** 2
    c = _rng(seed, "colours", colourway) if colourway else r
    hue = float(c.random())
    body = hls(hue, float(c.uniform(0.15, 0.8)), float(c.uniform(0.0, 0.95)))
    second = hls(hue + float(c.uniform(0.1, 0.9)), float(c.uniform(0.2, 0.85)), float(c.uniform(0.2, 1.0)))
    logo = hls(float(c.random()), float(c.choice([0.1, 0.92])), float(c.uniform(0.0, 0.5)))
    return Design(seed, shape, surface, profile, aspect, gloss, (body, second, logo), str(r.choice(_WORDS)))


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


# --------------------------------------------------------------------------------------------
# The object: mask, surface, light
# --------------------------------------------------------------------------------------------


def _outline(d: Design, s: int, view: float) -> tuple[Image.Image, F32]:
    """The object's mask (L) on an s x s canvas, and its half-width per row (for round shading)."""
    p = d.profile
    mask = Image.new("L", (s, s), 0)
    dr = ImageDraw.Draw(mask)
    half = np.zeros(s, np.float32)
    w = s * 0.45 * d.aspect * (1 - 0.25 * abs(view))
    top, bottom = 0.04 * s, 0.98 * s
    ys = np.arange(s, dtype=np.float32)
    if d.shape in ("lathe", "bag"):
        t = np.clip((ys - top) / (bottom - top), 0, 1)
        # A radius profile: a neck, a shoulder, a belly, a foot, from the design's parameters.
        neck = 0.25 + 0.35 * p[0]
        belly = 0.55 + 0.45 * p[1]
        swell = np.clip(np.sin(np.pi * np.clip(t * (0.8 + 0.6 * p[2]), 0, 1)), 0, 1)  # float32 sin(pi) < 0
        rad = neck + (belly - neck) * swell ** (0.5 + p[3])
        if d.shape == "bag":
            rad = 0.7 + 0.3 * t  # a trapezoid, wider at the bottom
            top = 0.3 * s
        half = np.where((ys >= top) & (ys <= bottom), rad * w, 0).astype(np.float32)
        for y in range(int(top), int(bottom)):
            dr.line(((s / 2 - half[y], y), (s / 2 + half[y], y)), fill=255)
        if d.shape == "bag":  # a handle
            hw = w * (0.35 + 0.3 * p[4])
            dr.arc((s / 2 - hw, 0.05 * s, s / 2 + hw, 0.55 * s), 180, 360, fill=255, width=int(0.035 * s))
    elif d.shape == "slab":
        h0 = s * (0.5 + 0.45 * p[0])
        dr.rounded_rectangle(
            (s / 2 - w, bottom - h0, s / 2 + w, bottom), radius=s * 0.02 + s * 0.15 * p[1], fill=255
        )
        half[int(bottom - h0) : int(bottom)] = w
    elif d.shape == "garment":
        sl = 0.15 + 0.2 * p[0]  # sleeve length
        pts = [
            (0.35, 0.08),
            (0.45, 0.12),
            (0.55, 0.12),
            (0.65, 0.08),
            (0.95, 0.25 + sl * 0.3),
            (0.85, 0.4 + sl * 0.2),
            (0.75, 0.32),
            (0.74, 0.96),
            (0.26, 0.96),
            (0.25, 0.32),
            (0.15, 0.4 + sl * 0.2),
            (0.05, 0.25 + sl * 0.3),
        ]
        k = 0.6 + 0.4 * d.aspect
        dr.polygon([(s / 2 + (x - 0.5) * s * k * (1 - 0.2 * abs(view)), y * s) for x, y in pts], fill=255)
    elif d.shape == "ball":
        rr = s * 0.46
        dr.ellipse((s / 2 - rr, s / 2 - rr, s / 2 + rr, s / 2 + rr), fill=255)
        half = np.sqrt(np.clip(rr**2 - (ys - s / 2) ** 2, 0, None)).astype(np.float32)
    else:  # blob: a smooth random outline (a Fourier series of the radius)
        ang = np.linspace(0, 2 * math.pi, 90, endpoint=False)
        rad = np.ones_like(ang) + sum(
            0.12 * (p[i] - 0.5) * np.cos((i + 2) * ang + 6 * p[i + 3]) for i in range(3)
        )
        pts = [
            (
                s / 2 + math.cos(a) * s * 0.44 * rv * d.aspect * (1 - 0.2 * abs(view)),
                s / 2 + math.sin(a) * s * 0.44 * rv,
            )
            for a, rv in zip(ang, rad, strict=True)
        ]
        dr.polygon(pts, fill=255)
    if not half.any():  # shapes drawn as polygons: measure their half-width per row
        m = np.asarray(mask) > 0
        cols = np.where(m.any(axis=1), (m.shape[1] - np.argmax(m[:, ::-1], axis=1)) - np.argmax(m, axis=1), 0)
        half = (cols / 2).astype(np.float32)
    return mask, half


def _surface(d: Design, s: int, view: float) -> F32:
    """Surface colours (s, s, 3) before light: body, pattern in the second colour, a logo patch."""
    body, second, logo = (np.array(c, np.float32) for c in d.colours)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    u = xx + 0.25 * view  # the pattern slides as the object turns
    img = np.empty((s, s, 3), np.float32)
    img[:] = body
    r = _rng(d.seed, "surface")
    if d.surface == "grain":
        g = np.asarray(
            Image.fromarray(r.normal(0, 1, (s // 4, s // 4)).astype(np.float32), "F").resize((s, s))
        )
        img *= (1 + 0.12 * g)[..., None]
    elif d.surface == "checks":
        k = 6 + int(8 * d.profile[5])
        on = ((np.floor(u * k) + np.floor(yy * k)) % 2).astype(bool)
        img[on] = 0.6 * body + 0.4 * second
    elif d.surface == "stripes":
        on = np.sin((u + yy) * math.pi * (8 + 14 * d.profile[5])) > 0.3
        img[on] = second
    elif d.surface == "knit":
        wave = np.sin(u * math.pi * 60) * np.sin(yy * math.pi * 40)
        img *= (1 + 0.1 * wave)[..., None]
    elif d.surface == "speckle":
        dots = r.random((s, s)) < 0.02
        img[dots] = second
    elif d.surface == "two_part":
        img[yy < 0.2 + 0.3 * d.profile[6]] = second
    if view * (d.profile[7] - 0.5) >= -0.05:  # the logo is on the front
        lx, ly = 0.5 + 0.3 * view, 0.45 + 0.2 * d.profile[6]
        patch = (np.abs(xx - lx) < 0.14) & (np.abs(yy - ly) < 0.07)
        img[patch] = second if d.surface in ("plain", "grain", "knit") else logo
    return img


def _light(d: Design, s: int, half: F32, key: float) -> tuple[F32, F32]:
    """Diffuse shade and specular highlight per pixel, from a normal per pixel: round across each row
    (a revolved shape's or a ball's), nearly flat for slabs and garments (their half-width is wide)."""
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    nx = np.clip((xx - s / 2) / np.maximum(half[:, None], 1), -1, 1)
    ball = d.shape == "ball"
    ny = np.clip((yy - s / 2) / (s * 0.46), -1, 1) if ball else np.full_like(nx, -0.2)
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    lx, ly = math.sin(key) * 0.7, -0.4
    lz = math.sqrt(max(0.0, 1 - lx * lx - ly * ly))
    if d.shape in ("slab", "garment", "blob"):
        nx = nx * 0.3  # flat faces: a gentle gradient, not a cylinder
        nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    diffuse = np.clip(nx * lx + ny * ly + nz * lz, 0, 1)
    return (0.45 + 0.65 * diffuse).astype(np.float32), (d.gloss * diffuse**40).astype(np.float32)


@lru_cache(maxsize=48)
def _sprite(d: Design, view: float, s: int, key: float) -> Image.Image:
    mask, half = _outline(d, s, view)
    shade, spec = _light(d, s, half, key)
    rgb = _surface(d, s, view) * shade[..., None] + (spec * 200)[..., None]
    ImageDraw.Draw(img := Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")).text(
        (s * (0.5 + 0.3 * view), s * (0.45 + 0.2 * d.profile[6])),
        d.brand,
        fill=d.colours[2],
        font=_font(int(s * 0.06)),
        anchor="mm",
    )
    out = img.convert("RGBA")
    out.putalpha(mask.filter(ImageFilter.GaussianBlur(0.6)))
    return out


def _place(
    canvas: Image.Image,
    d: Design,
    view: float,
    *,
    height: float,
    cx: float,
    bottom: float,
    angle: float = 0.0,
    key: float = 0.6,
    shadow: float = 0.3,
) -> tuple[int, int, int, int]:
    W, H = canvas.size
    side = max(8, int(height * H))
    spr = _sprite(d, round(view, 2), 384, round(key, 1)).resize((side, side), Image.Resampling.BILINEAR)
    if angle:
        spr = spr.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    spr = spr.crop(spr.getbbox() or (0, 0, side, side))
    w, h = spr.size
    x, y = int(cx * W - w / 2), int(bottom * H - h)
    if shadow:
        sh = Image.new("L", (W, H), 0)
        off = int(-math.sin(key) * 0.15 * w)
        ImageDraw.Draw(sh).ellipse(
            (x + off, y + h - 0.06 * h, x + w + off, y + h + 0.05 * h), fill=int(255 * shadow)
        )
        canvas.paste((30, 30, 30), (0, 0), sh.filter(ImageFilter.GaussianBlur(max(2, w // 25))))
    canvas.paste(spr, (x, y), spr)
    return (x, y, x + w, y + h)


# --------------------------------------------------------------------------------------------
# Gallery slots
# --------------------------------------------------------------------------------------------


def _white(size: int, grey: int = 255) -> Image.Image:
    return Image.new("RGB", (size, size), (grey, grey, grey))


def _lifestyle(d: Design, r: np.random.Generator, size: int, kind: str | None = None) -> Image.Image:
    shape = [(1.0, 1.0), (1.0, 0.8), (0.8, 1.0)][int(r.integers(0, 3))]
    w, h = int(size * shape[0]), int(size * shape[1])
    kind = kind or SCENES[int(r.integers(0, len(SCENES)))]
    img, floor = scene(r, kind, w, h)
    _place(
        img,
        d,
        float(r.uniform(-0.3, 0.3)),
        height=float(r.uniform(0.3, 0.65)),
        cx=float(r.uniform(0.3, 0.7)),
        bottom=floor + float(r.uniform(0.03, 0.12)),
        angle=float(r.uniform(-5, 5)),
        key=float(r.uniform(-1, 1)),
        shadow=0.4,
    )
    return img


def _infographic(d: Design, r: np.random.Generator, size: int) -> Image.Image:
    tint = tuple(int(255 - (255 - c) * 0.15) for c in d.colours[0])
    img = Image.new("RGB", (size, size), tint)
    _place(img, d, 0.1, height=0.6, cx=0.32, bottom=0.85, shadow=0.2)
    dr = ImageDraw.Draw(img)
    for i in range(int(r.integers(3, 5))):
        y = size * (0.2 + 0.18 * i)
        dr.rounded_rectangle(
            (0.6 * size, y, 0.95 * size, y + 0.12 * size), radius=0.04 * size, fill=d.colours[1]
        )
        dr.ellipse((0.62 * size, y + 0.02 * size, 0.7 * size, y + 0.1 * size), fill=(255, 255, 255))
        dr.text(
            (0.72 * size, y + 0.06 * size),
            f"FEATURE {i + 1}",
            fill=(255, 255, 255),
            font=_font(int(size * 0.03)),
            anchor="lm",
        )
    dr.text((size / 2, 0.07 * size), d.brand, fill=d.colours[1], font=_font(int(size * 0.07)), anchor="mm")
    return img


def _multipack(d: Design, r: np.random.Generator, size: int) -> Image.Image:
    img = _white(size)
    n = int(r.integers(2, 5))
    for i in range(n):
        _place(
            img,
            d,
            -0.2 + 0.4 * i / max(1, n - 1),
            height=0.55 - 0.05 * (i % 2),
            cx=(i + 0.5) / n,
            bottom=0.8 + 0.06 * (i % 2),
            shadow=0.15,
        )
    return img


def _detail(d: Design, r: np.random.Generator, size: int) -> Image.Image:
    img = _white(size * 2)
    _place(img, d, 0.0, height=0.95, cx=0.5, bottom=0.98, shadow=0)
    x, y = float(r.uniform(0.25, 0.45)) * size * 2, float(r.uniform(0.25, 0.45)) * size * 2
    out = img.crop((int(x), int(y), int(x) + size, int(y) + size))
    dr = ImageDraw.Draw(out)
    dr.ellipse(
        (0.62 * size, 0.62 * size, 0.95 * size, 0.95 * size), outline=(255, 255, 255), width=size // 80
    )
    return out


def _size_chart(d: Design, r: np.random.Generator, size: int) -> Image.Image:
    img = _white(size)
    box = _place(img, d, -0.15, height=0.7, cx=0.42, bottom=0.85, shadow=0)
    dr = ImageDraw.Draw(img)
    col = (70, 70, 70)
    dr.line(((box[0], 0.92 * size), (box[2], 0.92 * size)), fill=col, width=max(2, size // 250))
    dr.line(
        ((box[2] + 0.05 * size, box[1]), (box[2] + 0.05 * size, box[3])), fill=col, width=max(2, size // 250)
    )
    f = _font(int(size * 0.035))
    dr.text(
        ((box[0] + box[2]) / 2, 0.96 * size),
        f"{float(r.uniform(5, 40)):.1f} cm",
        fill=col,
        font=f,
        anchor="mm",
    )
    dr.text(
        (box[2] + 0.07 * size, (box[1] + box[3]) / 2),
        f"{float(r.uniform(5, 40)):.1f} cm",
        fill=col,
        font=f,
        anchor="lm",
    )
    return img


def _main_view(d: Design) -> float:
    return 0.15 + 0.3 * d.profile[4]


def draw_variant(seed: int, variant: str, size: int = 1000, colourway: int = 0) -> Image.Image:
    """One gallery image (RGB, long side ``size``); ``colourway`` > 0 recolours the product."""
    d = design_for_seed(seed, colourway)
    r = _rng(seed, "slot", variant)
    v = _main_view(d)
    fill = 0.7 + 0.2 * d.profile[5]
    if variant == "MAIN":
        img = _white(size)
        _place(img, d, v, height=fill, cx=0.5, bottom=0.5 + fill / 2, shadow=0.15)
        return img
    if variant == "PT01":  # another angle, on white
        img = _white(size)
        _place(
            img,
            d,
            v + float(r.choice([-1, 1])) * float(r.uniform(0.25, 0.4)),
            height=0.75,
            cx=0.5,
            bottom=0.9,
            angle=float(r.uniform(-8, 8)),
            key=-0.4,
        )
        return img
    if variant == "PT04":  # the back, on light grey
        img = _white(size, 240)
        _place(img, d, -v, height=0.82, cx=0.5, bottom=0.93, key=-0.8)
        return img
    if variant in ("PT02", "PT05"):
        return _lifestyle(d, r, size)
    return {"PT03": _infographic, "PT06": _multipack, "PT07": _detail}.get(variant, _size_chart)(d, r, size)


def draw_gallery(seed: int, size: int = 1000) -> list[tuple[str, Image.Image]]:
    return [(v, draw_variant(seed, v, size)) for v in VARIANTS]


def draw_negative(seed: int, kind: str, size: int = 1000, index: int = 0) -> Image.Image:
    """A picture of product ``seed`` (or its sibling) that its gallery does not hold; see the kinds."""
    d = design_for_seed(seed)
    r = _rng(seed, "negative", kind, index)
    if kind == "new_scene":
        return _lifestyle(d, r, size)
    if kind == "unseen_angle":
        img = _white(size)
        _place(
            img,
            d,
            float(r.uniform(-0.9, 0.9)),
            height=float(r.uniform(0.55, 0.75)),
            cx=0.5,
            bottom=0.9,
            angle=float(r.choice([-1, 1])) * float(r.uniform(15, 35)),
            key=0.2,
        )
        return img
    if kind == "colour_variant":
        return draw_variant(seed, VARIANTS[int(r.integers(0, len(VARIANTS)))], size, colourway=1 + index)
    if kind == "sibling":  # the sibling ASIN's own MAIN: its own studio session
        q = design_for_seed(seed, 101 + index)
        img = _white(size)
        fill = (0.7 + 0.2 * q.profile[5]) * float(r.uniform(0.93, 1.05))
        _place(
            img,
            q,
            _main_view(q) + float(r.uniform(-0.06, 0.06)),
            height=fill,
            cx=0.5 + float(r.uniform(-0.03, 0.03)),
            bottom=0.5 + fill / 2 + float(r.uniform(0, 0.04)),
            angle=float(r.uniform(-2, 2)),
            shadow=0.15,
        )
        return img
    raise ValueError(f"unknown negative kind {kind!r}; expected one of {NEGATIVE_KINDS}")
