"""The report's files: images copied once under their content-addressed name, atomic writes, the CSV.

Where it sits: at the output end of the last step of the data flow (history -> HTML site and CSV).
``monitor.report.site`` copies the blobs its pages reference from the ``BlobStore`` (``data_dir``) into
``out_dir/img``, writes each page through a temporary file and a rename, and streams the whole history
into ``sightings.csv`` (the columns of `ismon history --json`) through ``write_csv``.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Connection

from monitor.store.files import BlobStore, Kind
from monitor.store.history import HISTORY_COLUMNS, iter_history_records

log = logging.getLogger(__name__)


class SiteImages:
    """Copies the referenced blobs into ``out_dir/img`` once each, under their content-addressed name."""

    def __init__(self, blobs: BlobStore, out_dir: Path) -> None:
        self.blobs = blobs
        self.folder = out_dir / "img"
        self.done: dict[str, str | None] = {}
        self.missing = 0

    def use(self, kind: Kind, sha: str | None) -> str | None:
        if not sha:
            return None
        key = f"{kind}/{sha}"
        if key in self.done:
            return self.done[key]
        source = self.blobs.path(kind, sha)
        if source is None:
            log.warning("report: %s %s is referenced but missing from %s", kind, sha, self.blobs.root)
            self.missing += 1
            self.done[key] = None
            return None
        name = f"{sha}{source.suffix}"
        target = self.folder / name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            self.folder.mkdir(parents=True, exist_ok=True)
            _copy_atomic(source, target)
        self.done[key] = f"img/{name}"
        return self.done[key]

    @property
    def count(self) -> int:
        return sum(1 for v in self.done.values() if v is not None)


# mkstemp makes 0600 files; a report is for reading, maybe by a web server's user.
FILE_MODE = 0o644


def _copy_atomic(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        Path(tmp).chmod(FILE_MODE)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(target: Path, chunks: Iterable[str]) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
        Path(tmp).chmod(FILE_MODE)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(conn: Connection, target: Path) -> int:
    """Stream the whole history into ``target`` (columns of `ismon history --json`); rows written."""
    count = 0
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HISTORY_COLUMNS)
            for rows in iter_history_records(conn):
                writer.writerows(rows)
                count += len(rows)
        Path(tmp).chmod(FILE_MODE)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
