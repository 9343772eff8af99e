"""Slides of a listing: the infographic (features with arrows), the comparison table and the
dimensions drawing.

Where it sits: inside the synthetic drawings (``monitor.storefront.drawing``), above ``sprite``;
``monitor.storefront.synthetic`` draws the gallery's infographic, comparison and dimensions slots here.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from monitor.storefront.drawing.product import RGB, Product, load_font, mix, side_view
from monitor.storefront.drawing.sprite import place


def _arrow(d: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], col: RGB, w: int) -> None:
    d.line((a, b), fill=col, width=w)
    ang = math.atan2(b[1] - a[1], b[0] - a[0])
    L = w * 4.0
    left = (b[0] - L * math.cos(ang - 0.45), b[1] - L * math.sin(ang - 0.45))
    right = (b[0] - L * math.cos(ang + 0.45), b[1] - L * math.sin(ang + 0.45))
    d.polygon([b, left, right], fill=col)


def infographic(p: Product, r: np.random.Generator, size: int) -> Image.Image:
    """A features slide: the product, numbered features and arrows pointing at it."""
    bg = mix(p.body, (255, 255, 255), float(r.uniform(0.8, 0.95)))
    img = Image.new("RGB", (size, size), bg)
    d = ImageDraw.Draw(img)
    band = int(size * 0.14)
    d.rectangle((0, 0, size, band), fill=p.accent)
    d.text((size / 2, band / 2), f"{p.brand} {p.family.upper()}", fill=(255, 255, 255),
           font=load_font(int(band * 0.5)), anchor="mm")  # fmt: skip
    left = r.random() < 0.5
    box = place(img, p, p.main_view, height=0.62, cx=0.3 if left else 0.7, bottom=0.92)
    n = int(r.integers(3, 5))
    tx = 0.58 * size if left else 0.05 * size
    for i in range(n):
        y = band + (i + 0.6) * (size - band) / (n + 0.3)
        col = mix(p.body, (0, 0, 0), 0.2)
        rr = size * 0.035
        d.ellipse((tx, y - rr, tx + 2 * rr, y + rr), fill=col)
        d.text((tx + rr, y), str(i + 1), fill=(255, 255, 255), font=load_font(int(rr)), anchor="mm")
        d.text((tx + 2.6 * rr, y - rr * 0.5), p.features[i], fill=(30, 30, 30),
               font=load_font(int(size * 0.032)), anchor="lm")  # fmt: skip
        d.text((tx + 2.6 * rr, y + rr * 0.6), "for everyday use", fill=(90, 90, 90),
               font=load_font(int(size * 0.022)), anchor="lm")  # fmt: skip
        target = (
            box[0] + (box[2] - box[0]) * float(r.uniform(0.3, 0.7)),
            box[1] + (box[3] - box[1]) * float(r.uniform(0.15, 0.85)),
        )
        start = (tx - 0.01 * size, y) if left else (tx + 0.4 * size, y)
        _arrow(d, start, target, col, max(2, size // 250))
    return img


def comparison(p: Product, r: np.random.Generator, size: int) -> Image.Image:
    """A "why choose us" table: the product against greyed-out others, ticks and crosses."""
    img = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(img)
    title = ("WHY CHOOSE US", "COMPARE", f"{p.brand} VS OTHERS", "THE DIFFERENCE")[int(r.integers(0, 4))]
    if r.random() < 0.5:  # a coloured title band instead of coloured text
        d.rectangle((0, 0, size, size * 0.12), fill=p.accent)
        d.text((size / 2, size * 0.06), title, fill=(255, 255, 255), font=load_font(int(size * 0.05)),
               anchor="mm")  # fmt: skip
    else:
        d.text((size / 2, size * 0.07), title, fill=p.accent, font=load_font(int(size * 0.06)), anchor="mm")
    cols = int(r.integers(3, 5))
    x0, x1 = size * float(r.uniform(0.03, 0.08)), size * float(r.uniform(0.92, 0.97))
    first = (x1 - x0) * float(r.uniform(0.28, 0.4))
    cw = (x1 - x0 - first) / cols
    y_head, y_rows = size * 0.14, size * 0.42
    rows = int(r.integers(4, 7))
    rh = (size * 0.95 - y_rows) / rows
    hl = mix(p.body, (255, 255, 255), 0.75)
    d.rectangle((x0 + first, y_head, x0 + first + cw, size * 0.95), fill=hl)
    place(img, p, p.main_view, height=0.24, cx=(x0 + first + cw / 2) / size, bottom=0.39, shadow=0)
    for c in range(1, cols):
        cx = x0 + first + cw * (c + 0.5)
        gray = int(150 + 20 * c)
        d.rounded_rectangle((cx - cw * 0.25, y_head + 0.03 * size, cx + cw * 0.25, y_rows - 0.05 * size),
                            radius=cw * 0.1, fill=(gray, gray, gray))  # fmt: skip
        d.text((cx, y_rows - 0.02 * size), "OTHERS", fill=(110, 110, 110),
               font=load_font(int(size * 0.025)), anchor="mm")  # fmt: skip
    f = load_font(int(min(rh * 0.35, size * 0.03)))
    for i in range(rows):
        y = y_rows + i * rh
        if i % 2:
            d.rectangle((x0, y, x1, y + rh), fill=(242, 242, 242))
            d.rectangle((x0 + first, y, x0 + first + cw, y + rh), fill=mix(hl, (0, 0, 0), 0.05))
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


def dimensions(p: Product, r: np.random.Generator, size: int) -> Image.Image:
    """The product from the side, its width and height marked with arrows."""
    img = Image.new("RGB", (size, size), (255, 255, 255))
    view = side_view(p.main_view)
    box = place(img, p, view, height=0.7, cx=0.45, bottom=0.85, shadow=0)
    d = ImageDraw.Draw(img)
    col = (60, 60, 60)
    w = max(2, size // 300)
    y = box[3] + 0.05 * size
    _arrow(d, ((box[0] + box[2]) / 2, y), (box[0], y), col, w)
    _arrow(d, ((box[0] + box[2]) / 2, y), (box[2], y), col, w)
    unit = "in" if r.random() < 0.5 else "cm"
    f = load_font(int(size * 0.04))
    d.text(((box[0] + box[2]) / 2, y + 0.04 * size), f"{float(r.uniform(4, 30)):.1f} {unit}", fill=col,
           font=f, anchor="mm")  # fmt: skip
    x = box[2] + 0.06 * size
    _arrow(d, (x, (box[1] + box[3]) / 2), (x, box[1]), col, w)
    _arrow(d, (x, (box[1] + box[3]) / 2), (x, box[3]), col, w)
    d.text((x + 0.02 * size, (box[1] + box[3]) / 2), f"{float(r.uniform(6, 40)):.1f} {unit}", fill=col,
           font=f, anchor="lm")  # fmt: skip
    return img
