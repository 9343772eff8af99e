"""The folders ismon writes to: ``data_dir``, the SQLite database's folder, the report's folder.

Where it sits: at the edge, before any stage writes. Commands call ``ensure_folder`` on the folders they
are about to write in, so a path that cannot work (a regular file where a folder should be, a folder
ismon may not write in, a read-only file system) is one clear error naming the path, the config key or
option, and what to do, instead of a traceback from deep inside SQLite or the report. ``ismon check``
asks ``folder_problem`` the same question without creating anything.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

from monitor.errors import ConfigError, MonitorError


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _blocker(path: Path) -> Path | None:
    """The first part of ``path`` (itself or a parent) that exists and is not a folder."""
    for part in [*reversed(path.parents), path]:
        if part.exists() and not part.is_dir():
            return part
        if not part.exists():
            return None
    return None


def folder_problem(path: Path, key: str) -> str | None:
    """Why ismon could not write in folder ``path`` (named ``key`` to the user), or None when it can.

    Creates nothing that stays: the write test is a temporary file in the nearest existing folder.
    """
    blocker = _blocker(path)
    if blocker is not None:
        where = "is a file" if blocker == path else f"is under {blocker}, which is a file"
        return f"{key} {path} {where}, not a folder: set {key} to a folder (or move that file away)"
    existing = _nearest_existing(path)
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".ismon-write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.EROFS:
            reason = "read-only file system"
        return (
            f"{key} {path}: cannot write in {existing} ({reason}): give the user running ismon "
            f"write access there, or set {key} to another folder"
        )
    return None


def ensure_folder(path: Path, key: str, error: type[MonitorError] = ConfigError) -> Path:
    """Make ``path`` (and its parents) a folder ismon can write in, or raise ``error`` saying why.

    ``key`` names where the path came from (``data_dir``, ``database_url``, ``--out``); ``error`` is
    ``ConfigError`` for config keys and ``UsageError`` for command-line options (both exit code 2).
    """
    problem = folder_problem(path, key)
    if problem is not None:
        raise error(problem)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(
            f"{key} {path}: cannot create it ({exc.strerror or exc}): "
            f"create it by hand, or set {key} to another folder"
        ) from None
    return path
