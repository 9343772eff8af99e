"""Which image format bytes are in, from their magic number. Pure.

Where it sits: under the store (``monitor.store.files`` names stored images by it) and the alert emails
(``monitor.alerts.items`` gives each picture its MIME subtype).
"""

from __future__ import annotations

_EXTENSIONS = {
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG": "png",
    b"GIF8": "gif",
}


def sniff_extension(data: bytes) -> str:
    """A file extension for image bytes, from their magic number (``bin`` when unknown)."""
    for magic, ext in _EXTENSIONS.items():
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "avif"
    return "bin"
