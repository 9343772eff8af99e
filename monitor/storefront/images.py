"""The storefront's image CDN: ``/images/I/<ID>.<modifiers>.<ext>`` drawn, resized and encoded.

Where it sits: inside the simulated storefront, behind the request handler. An image id resolves
(through the ``Catalog``) to a picture of ``storefront.synthetic``; the picture is drawn once and kept as
a high-quality JPEG, and every rendition (size, quality, format) is cached in an LRU because browsers
ask for the same few again and again.

Modifier tokens follow Amazon's (STRUCTURE.md 1e): ``UL``/``US``/``SL``/``SS`` longest side,
``UY``/``SY`` height, ``UX``/``SX`` width, ``SRw,h`` fit into a box padded with white, ``CRx,y,w,h``
crop, ``QLn`` quality, ``FMwebp``/``FMpng``/``FMjpg``/``FMavif`` format. Unknown tokens (``AC``,
``CB…``, ``PK…``) are ignored. Pictures are never enlarged: ``_SL1500_`` of a 1000 px original gives
1000 px, like a CDN that has nothing bigger.
"""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PIL import Image, features

from monitor.errors import ImageError
from monitor.storefront.catalog import ImageRef, Picture

K = TypeVar("K")
V = TypeVar("V")

Drawer = Callable[[Picture], Image.Image]

_NAME_RE = re.compile(r"^(?P<id>[0-9A-Za-z+\-]{11})(?:\.(?P<block>[^/]*?))?\.(?P<ext>jpg|jpeg|png|gif|webp)$")
_TOKEN_RE = re.compile(r"^(?P<op>[A-Z]{2})(?P<args>\d+(?:,-?\d+)*)?$")
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "AVIF": "image/avif"}


@dataclass(frozen=True)
class Modifiers:
    """The parsed modifier block of an image URL."""

    long: int | None = None
    width: int | None = None
    height: int | None = None
    box: tuple[int, int] | None = None
    crop: tuple[int, int, int, int] | None = None
    quality: int | None = None
    fmt: str | None = None


def parse_image_name(name: str) -> tuple[str, str, str] | None:
    """``"81VblA9U2IL._AC_UL320_.jpg"`` -> ``("81VblA9U2IL", "_AC_UL320_", "jpg")``; None if not one."""
    m = _NAME_RE.match(name)
    if m is None:
        return None
    return m.group("id"), m.group("block") or "", m.group("ext")


def parse_modifiers(block: str) -> Modifiers:
    """Read Amazon's ``_AC_UL480_FMwebp_QL65_`` style block; unknown tokens are ignored."""
    long = width = height = quality = None
    box: tuple[int, int] | None = None
    crop: tuple[int, int, int, int] | None = None
    fmt: str | None = None
    for tok in block.split("_"):
        if tok.startswith("FM") and tok[2:].isalpha():
            fmt = tok[2:].lower()
            continue
        m = _TOKEN_RE.match(tok)
        if m is None or m.group("args") is None:
            continue
        op = m.group("op")
        args = [int(a) for a in m.group("args").split(",")]
        if op in ("UL", "US", "SL", "SS") and len(args) == 1:
            long = args[0]
        elif op in ("UY", "SY") and len(args) == 1:
            height = args[0]
        elif op in ("UX", "SX") and len(args) == 1:
            width = args[0]
        elif op == "SR" and len(args) == 2:
            box = (args[0], args[1])
        elif op == "CR" and len(args) == 4:
            crop = (args[0], args[1], args[2], args[3])
        elif op == "QL" and len(args) == 1:
            quality = max(1, min(100, args[0]))
    return Modifiers(long, width, height, box, crop, quality, fmt)


def target_size(w: int, h: int, mods: Modifiers) -> tuple[int, int]:
    """The picture's size after the modifiers (never larger than ``w`` x ``h``)."""
    scale = 1.0
    if mods.long:
        scale = min(scale, mods.long / max(w, h))
    if mods.width:
        scale = min(scale, mods.width / w)
    if mods.height:
        scale = min(scale, mods.height / h)
    if mods.box:
        scale = min(scale, mods.box[0] / w, mods.box[1] / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _encode(img: Image.Image, mods: Modifiers, ext: str) -> tuple[bytes, str]:
    fmt = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}.get(
        mods.fmt or ext, "JPEG"
    )
    if fmt == "AVIF" and not features.check("avif"):
        fmt = "WEBP"
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=mods.quality or 82, optimize=False)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=mods.quality or 80, method=0)
    elif fmt == "AVIF":
        img.save(buf, "AVIF", quality=mods.quality or 70, speed=10)
    else:
        img.save(buf, "PNG", compress_level=3)
    return buf.getvalue(), _CONTENT_TYPES[fmt]


def render(source: bytes, original_size: int, mods: Modifiers, ext: str) -> tuple[bytes, str]:
    """One rendition of a picture whose upload has ``original_size`` as its long side."""
    try:
        src = Image.open(io.BytesIO(source))
        sw, sh = src.size
        im: Image.Image
        base = min(1.0, original_size / max(sw, sh))
        ow, oh = max(1, round(sw * base)), max(1, round(sh * base))
        if mods.crop:
            im = src.convert("RGB")
            if (ow, oh) != (sw, sh):
                im = im.resize((ow, oh), Image.Resampling.LANCZOS)
            x, y, cw, ch = mods.crop
            x, y = max(0, min(x, ow - 1)), max(0, min(y, oh - 1))
            im = im.crop((x, y, min(ow, x + max(1, cw)), min(oh, y + max(1, ch))))
            size = target_size(im.width, im.height, mods)
        else:
            size = target_size(ow, oh, mods)
            src.draft("RGB", size)  # JPEG DCT scaling: decode at 1/2, 1/4 or 1/8 when that suffices
            im = src.convert("RGB")
        if im.size != size:
            im = im.resize(size, Image.Resampling.LANCZOS)
        if mods.box:
            canvas = Image.new("RGB", mods.box, (255, 255, 255))
            canvas.paste(im, ((mods.box[0] - im.width) // 2, (mods.box[1] - im.height) // 2))
            im = canvas
        return _encode(im, mods, ext)
    except (OSError, ValueError) as exc:
        raise ImageError(f"cannot render storefront image: {exc}") from exc


class LRU(Generic[K, V]):
    """A thread-safe LRU bounded by item count and by total size (``sizeof`` of the values)."""

    def __init__(self, max_items: int, max_bytes: int, sizeof: Callable[[V], int]) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._sizeof = sizeof
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= self._sizeof(old)
            self._data[key] = value
            self._bytes += self._sizeof(value)
            while self._data and (len(self._data) > self._max_items or self._bytes > self._max_bytes):
                _, dropped = self._data.popitem(last=False)
                self._bytes -= self._sizeof(dropped)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


def default_drawer(picture: Picture) -> Image.Image:
    """Draw a picture with monitor.storefront.synthetic (imported on first use, not at import time)."""
    from monitor.storefront import synthetic

    if picture.draw == "variant":
        return synthetic.draw_variant(picture.seed, picture.variant, picture.size)
    return synthetic.draw_negative(picture.seed, picture.draw, picture.size, picture.index)


class ImageStore:
    """Draws pictures once, renders each (id, modifiers) once, and keeps both in LRUs."""

    def __init__(self, drawer: Drawer | None = None) -> None:
        self._drawer = drawer or default_drawer
        self._sources: LRU[Picture, bytes] = LRU(512, 160 * 2**20, len)
        self._renders: LRU[tuple[Picture, str, str, str], tuple[bytes, str]] = LRU(
            8192, 192 * 2**20, lambda v: len(v[0])
        )
        self._locks: dict[Picture, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @property
    def renders(self) -> LRU[tuple[Picture, str, str, str], tuple[bytes, str]]:
        """The rendition cache (tests read its hit counters)."""
        return self._renders

    def source(self, picture: Picture) -> bytes:
        """The picture as a quality-95 JPEG, drawn on first use (one thread draws, others wait)."""
        data = self._sources.get(picture)
        if data is not None:
            return data
        with self._locks_guard:
            lock = self._locks.setdefault(picture, threading.Lock())
        with lock:
            data = self._sources.get(picture)
            if data is None:
                img = self._drawer(picture).convert("RGB")
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=95)
                data = buf.getvalue()
                self._sources.put(picture, data)
        with self._locks_guard:
            self._locks.pop(picture, None)
        return data

    def get(self, ref: ImageRef, block: str, ext: str) -> tuple[bytes, str]:
        """The bytes and content type of one rendition of an image id."""
        key = (ref.picture, ref.kind, block, ext)
        hit = self._renders.get(key)
        if hit is not None:
            return hit
        out = render(self.source(ref.picture), ref.original_size, parse_modifiers(block), ext)
        self._renders.put(key, out)
        return out
