"""Content-addressed files under data_dir: ad images, gallery images and ad screenshots.

The sweep writes bytes here and stores only their sha256 in the database; alerts and the report read
them back. The same bytes are stored once, so a repeated ad costs no disk.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Literal

from monitor.imaging.formats import sniff_extension

Kind = Literal["images", "screenshots"]


def content_id(data: bytes) -> str:
    """The name bytes are stored under: their sha256."""
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Files named by the sha256 of their bytes: ``root/<kind>/<sha[:2]>/<sha>.<ext>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, kind: Kind, data: bytes) -> str:
        """Store ``data`` (once) and return its sha256."""
        sha = content_id(data)
        target = self._path(kind, sha, sniff_extension(data))
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(tmp).replace(target)
        return sha

    def path(self, kind: Kind, sha: str) -> Path | None:
        """The file that holds ``sha``, or None when it is not (or no longer) there."""
        folder = self.root / kind / sha[:2]
        if not folder.is_dir():
            return None
        for candidate in folder.glob(f"{sha}.*"):
            return candidate
        return None

    def get(self, kind: Kind, sha: str) -> bytes | None:
        found = self.path(kind, sha)
        return found.read_bytes() if found else None

    def _path(self, kind: Kind, sha: str, ext: str) -> Path:
        return self.root / kind / sha[:2] / f"{sha}.{ext}"
