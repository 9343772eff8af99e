"""``ismon identify``: identify image files against a gallery folder, outside any sweep.

A thin IO layer over ``monitor.imaging``: it reads files named after their variant (``MAIN.jpg``,
``PT01.png``, ...), builds the gallery index once, and yields one contract-shaped dict per image.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from monitor.errors import ImageError, UsageError
from monitor.imaging import (
    GalleryEntry,
    GalleryIndex,
    fingerprint_ad_image,
    fingerprint_gallery_image,
    identify,
    load_image,
)
from monitor.imaging.ids import image_id_from_url

VARIANT_RE = re.compile(r"^(MAIN|PT\d{2}|LEFT|RGHT|RIGHT|FRNT|SIDE|BACK|TOPP|BOTT|SWCH|EGGS|CHRT)$", re.I)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif", ".bmp", ".tif", ".tiff"}


def load_gallery_dir(folder: Path) -> GalleryIndex:
    """The index of a folder whose image files are named by variant; raises UsageError when unusable."""
    if not folder.is_dir():
        raise UsageError(f"--gallery {folder}: not a folder")
    entries: list[GalleryEntry] = []
    problems: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            continue
        variant = path.stem.split(".")[0]
        if not VARIANT_RE.match(variant):
            problems.append(f"{path.name}: not named after a variant (MAIN, PT01, ...); ignored")
            continue
        try:
            fingerprint = fingerprint_gallery_image(load_image(path.read_bytes()))
        except ImageError as exc:
            raise UsageError(f"--gallery {path}: {exc}") from None
        entries.append(GalleryEntry(variant=variant.upper(), image_ids=(), fingerprint=fingerprint))
    if not entries:
        detail = "; ".join(problems) if problems else "no image files"
        raise UsageError(
            f"--gallery {folder}: no gallery images (name them MAIN.jpg, PT01.png, ...): {detail}"
        )
    return GalleryIndex(entries)


def identify_files(index: GalleryIndex, images: Sequence[Path]) -> Iterator[dict[str, object]]:
    """One dict per image, in the shape of ``ismon identify --json``; unreadable images carry ``error``."""
    for path in images:
        line: dict[str, object] = {
            "image": str(path),
            "verdict": "unknown",
            "variant": None,
            "distance": None,
            "runner_up": None,
            "runner_up_distance": None,
        }
        try:
            data = path.read_bytes()
            fingerprint = fingerprint_ad_image(load_image(data))
        except (OSError, ImageError) as exc:
            line["error"] = getattr(exc, "strerror", None) or str(exc)
            yield line
            continue
        found = identify(index, fingerprint, image_id_from_url(path.name))
        line.update(
            verdict=found.verdict,
            variant=found.variant,
            distance=found.distance,
            runner_up=found.runner_up,
            runner_up_distance=found.runner_up_distance,
        )
        yield line
