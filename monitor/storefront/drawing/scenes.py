"""Lifestyle pictures: backgrounds (outdoors, a room, a studio sweep, a kitchen) with the product
placed on their floor.

Where it sits: inside the synthetic drawings (``monitor.storefront.drawing``), above ``sprite``;
``monitor.storefront.synthetic`` uses ``lifestyle`` for the gallery's lifestyle slots and for the
``new_scene`` negatives.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from monitor.storefront.drawing.product import RGB, Product, hsv, mix, side_view
from monitor.storefront.drawing.sprite import place

_SCENES = ("outdoor", "room", "studio", "kitchen")


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
        a = _vgrad(w, h, hsv(0.58, float(r.uniform(0.3, 0.6)), 0.95), (235, 240, 250))
        gy = int(floor * h)
        ground = _vgrad(w, h - gy, hsv(float(r.uniform(0.2, 0.35)), 0.55, 0.6), (70, 90, 40))
        a[gy:] = ground + _noise(r, w, h - gy, 6, 14)[..., None]
        img = _to_img(a)
        d = ImageDraw.Draw(img)
        sr = float(r.uniform(0.04, 0.08)) * w
        sx, sy = float(r.uniform(0.1, 0.9)) * w, float(r.uniform(0.08, 0.25)) * h
        d.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=(255, 236, 170))
        for layer in range(2):
            xs = np.linspace(0, w, 9)
            ys = floor * h - np.abs(r.normal(0.0, 1.0, 9)).cumsum() % (0.3 * h) - layer * 0.05 * h
            col = hsv(0.6 - 0.1 * layer, 0.25, 0.55 + 0.15 * layer)
            d.polygon([(0, gy), *zip(xs.tolist(), ys.tolist(), strict=True), (w, gy)], fill=col)
        for _ in range(int(r.integers(2, 6))):
            tx, th = float(r.uniform(0, 1)) * w, float(r.uniform(0.12, 0.3)) * h
            d.rectangle((tx - 0.01 * w, gy - 0.3 * th, tx + 0.01 * w, gy), fill=(90, 60, 30))
            d.polygon([(tx - 0.06 * w, gy - 0.25 * th), (tx, gy - th), (tx + 0.06 * w, gy - 0.25 * th)],
                      fill=hsv(float(r.uniform(0.25, 0.4)), 0.6, 0.35))  # fmt: skip
        return img, floor
    if kind == "room":
        floor = float(r.uniform(0.62, 0.78))
        wall = hsv(hue, float(r.uniform(0.05, 0.3)), float(r.uniform(0.75, 0.95)))
        a = _vgrad(w, h, wall, mix(wall, (0, 0, 0), 0.15))
        a += _noise(r, w, h, 40, 5)[..., None]
        gy = int(floor * h)
        wood = hsv(float(r.uniform(0.05, 0.1)), float(r.uniform(0.4, 0.7)), float(r.uniform(0.4, 0.75)))
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
        tile = hsv(hue, float(r.uniform(0.0, 0.25)), float(r.uniform(0.8, 0.97)))
        a = np.empty((h, w, 3), np.float32)
        a[:] = np.array(tile, np.float32)
        step = max(8, w // int(r.integers(8, 16)))
        a[::step] *= 0.8
        a[:, ::step] *= 0.8
        gy = int(floor * h)
        stone = hsv(float(r.random()), 0.08, float(r.uniform(0.55, 0.9)))
        a[gy:] = np.array(stone, np.float32) + _noise(r, w, h - gy, 12, 12)[..., None]
        a[gy : gy + max(3, h // 100)] *= 1.1
        img = _to_img(a)
        d = ImageDraw.Draw(img)
        cx = float(r.uniform(0.05, 0.3)) * w
        d.rectangle((cx, gy - 0.18 * h, cx + 0.12 * w, gy), fill=hsv(float(r.random()), 0.3, 0.6))
        d.rectangle((0, 0, w, 0.12 * h), fill=hsv(hue, 0.15, 0.45))
        return img, floor
    # studio: a coloured paper sweep with a podium and a few shapes
    floor = float(r.uniform(0.72, 0.85))
    c1 = hsv(hue, float(r.uniform(0.2, 0.5)), float(r.uniform(0.75, 0.95)))
    a = _vgrad(w, h, c1, mix(c1, (255, 255, 255), 0.4))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vig = 1.0 - 0.25 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
    img = _to_img(a * vig[..., None])
    d = ImageDraw.Draw(img)
    for _ in range(int(r.integers(2, 5))):
        rr = float(r.uniform(0.05, 0.15)) * w
        ox, oy = float(r.uniform(0, 1)) * w, float(r.uniform(0, 0.6)) * h
        d.ellipse((ox - rr, oy - rr, ox + rr, oy + rr), fill=hsv((hue + 0.5) % 1, 0.35, 0.9))
    pw = float(r.uniform(0.3, 0.45)) * w
    fy = floor * h
    d.rectangle((w / 2 - pw, fy, w / 2 + pw, h), fill=mix(c1, (255, 255, 255), 0.6))
    d.ellipse((w / 2 - pw, fy - 0.04 * h, w / 2 + pw, fy + 0.04 * h), fill=mix(c1, (255, 255, 255), 0.8))
    return img, floor


def lifestyle(p: Product, r: np.random.Generator, size: int, view: float) -> Image.Image:
    """The product in a scene (outdoor, room, studio or kitchen), sometimes 4:5 or 5:4."""
    shape = [(1.0, 1.0), (1.0, 1.0), (1.0, 0.8), (0.8, 1.0)][int(r.integers(0, 4))]
    w, h = int(size * shape[0]), int(size * shape[1])
    kind = _SCENES[int(r.integers(0, len(_SCENES)))]
    img, floor = _scene(r, kind, w, h)
    place(
        img,
        p,
        # The views the gallery's studio shots use (drawings are cached per view): MAIN's or the side.
        view if r.random() < 0.6 else side_view(view),
        height=float(r.uniform(0.35, 0.6)),
        cx=float(r.uniform(0.3, 0.7)),
        bottom=floor + float(r.uniform(0.02, 0.12)),
        angle=float(r.uniform(-4, 4)),
        shadow=0.35,
    )
    return img
