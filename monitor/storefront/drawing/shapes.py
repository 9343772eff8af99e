"""The product's silhouette, one drawing function per shape family (bottle, box, mug, chair, lamp,
backpack, headphones, sneaker), flat-coloured and seen from a yaw.

Where it sits: inside the synthetic drawings (``monitor.storefront.drawing``), above ``product`` (what a
seed stands for); ``sprite`` shades, decorates and reshapes what ``draw_family`` draws here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import ImageDraw

from monitor.storefront.drawing.product import Product, load_font, mix


def _bottle(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """A bottle: cap, shoulders, and the front label (or the back label's small print and barcode)."""
    cx = s / 2
    font = load_font(int(s * 0.06))
    w = 0.3 * s * p.slim
    d.rounded_rectangle((cx - w / 2, 0.3 * s, cx + w / 2, 0.95 * s), radius=w * 0.2, fill=p.body)
    d.polygon(
        [(cx - w / 2, 0.33 * s), (cx - w / 5, 0.17 * s), (cx + w / 5, 0.17 * s),
         (cx + w / 2, 0.33 * s)],
        fill=p.body,
    )  # fmt: skip
    d.rectangle((cx - w / 5, 0.09 * s, cx + w / 5, 0.18 * s), fill=p.accent)
    d.ellipse((cx - w / 5, 0.07 * s, cx + w / 5, 0.11 * s), fill=mix(p.accent, (255,) * 3, 0.3))
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


def _box(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """A box: its front face, one side and the top, as the yaw shows them."""
    cx = s / 2
    dark = mix(p.body, (0, 0, 0), 0.45)
    light = mix(p.body, (255, 255, 255), 0.35)
    font = load_font(int(s * 0.06))
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


def _mug(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """A mug: the handle swings round (and behind the mug) as the yaw changes."""
    cx = s / 2
    dark = mix(p.body, (0, 0, 0), 0.45)
    light = mix(p.body, (255, 255, 255), 0.35)
    font = load_font(int(s * 0.06))
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


def _chair(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """A folding chair: crossed legs, back, seat and arm rests, skewed by the yaw."""
    cx = s / 2
    dark = mix(p.body, (0, 0, 0), 0.45)
    font = load_font(int(s * 0.06))
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


def _lamp(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """A desk lamp: a base, an angled arm and a shade."""
    cx = s / 2
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
    d.ellipse((cx + sk * 1.3 - w1, 0.42 * s, cx + sk * 1.3 + w1, 0.48 * s), fill=mix(p.label, p.body, 0.2))
    d.rectangle((cx + sk - w0, 0.2 * s, cx + sk + w0, 0.24 * s), fill=p.accent)


def _backpack(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """A backpack: body, front pocket, top handle and the strap on the side the yaw shows."""
    cx = s / 2
    dark = mix(p.body, (0, 0, 0), 0.45)
    font = load_font(int(s * 0.06))
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


def _headphones(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """Headphones: the band and two cups; the far cup slides behind the band as the yaw grows."""
    cx = s / 2
    font = load_font(int(s * 0.06))
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


def _sneaker(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """A sneaker, sneaker, side view; the yaw decides which shoe (mirror) and how long it looks."""
    cx = s / 2
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


_DRAWERS: dict[str, Callable[[ImageDraw.ImageDraw, Product, float, int], None]] = {
    "bottle": _bottle,
    "box": _box,
    "mug": _mug,
    "chair": _chair,
    "lamp": _lamp,
    "backpack": _backpack,
    "headphones": _headphones,
}


def draw_family(d: ImageDraw.ImageDraw, p: Product, view: float, s: int) -> None:
    """Draw ``p`` flat-coloured into an ``s`` x ``s`` canvas, seen from yaw ``view``."""
    _DRAWERS.get(p.family, _sneaker)(d, p, view, s)
