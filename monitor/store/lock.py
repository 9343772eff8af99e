"""The sweep lock: at most one sweep at a time per data_dir, whoever starts it (cron, daemon, a person).
``exclusive`` is the same for other jobs (the ads pull).

An OS-level file lock (filelock): the kernel drops it when its process dies, so a killed run leaves no
stale lock behind. The file also records who holds it, for the message the second run prints.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from monitor.errors import LockedError
from monitor.store.folders import ensure_folder

LOCK_NAME = "sweep.lock"


def sweep_running(data_dir: Path) -> bool:
    """Whether a sweep holds the lock of ``data_dir`` right now (for ``ismon check``)."""
    if not (data_dir / LOCK_NAME).is_file():
        return False
    lock = FileLock(str(data_dir / LOCK_NAME), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


@contextmanager
def sweep_lock(data_dir: Path) -> Iterator[None]:
    """Hold the sweep lock, or raise ``LockedError`` at once if another sweep holds it."""
    with exclusive(data_dir, LOCK_NAME, "sweep"):
        yield


@contextmanager
def exclusive(data_dir: Path, name: str, what: str) -> Iterator[None]:
    """Hold the lock file ``name`` in ``data_dir``, or raise ``LockedError`` naming ``what`` holds it."""
    ensure_folder(data_dir, "data_dir")
    lock_path = data_dir / name
    info_path = data_dir / (name + ".owner")
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        owner = info_path.read_text().strip() if info_path.exists() else "another process"
        raise LockedError(f"another {what} is running ({owner}); lock {lock_path}") from None
    try:
        info_path.write_text(
            f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n"
        )
        yield
    finally:
        info_path.unlink(missing_ok=True)
        lock.release()
