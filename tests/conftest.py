"""Shared test fixtures: where the saved real Amazon pages live."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from monitor.demo import free_port
from monitor.errors import MonitorError

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
AMAZON = SHARED / "fixtures" / "amazon"


@pytest.fixture(scope="session")
def amazon_dir() -> Path:
    """The saved real Amazon pages (../shared/fixtures/amazon), or a skip that says why."""
    if not AMAZON.is_dir():
        pytest.skip(f"saved Amazon pages not found at {AMAZON} (../shared/ is absent in this checkout)")
    return AMAZON


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A real SQLite database in a temporary folder with the Alembic migrations applied."""
    from monitor.store.db import open_database

    eng = open_database(f"sqlite:///{tmp_path / 'ismon.db'}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """A Chromium binary for Playwright's ``executable_path``, or a skip that says how to get one."""
    from monitor.acquire.launch import find_chromium

    try:
        return str(find_chromium("auto"))
    except MonitorError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 (Debian's postgresql package), or a skip."""
    if os.environ.get("ISMON_TEST_POSTGRES_URL"):
        yield os.environ["ISMON_TEST_POSTGRES_URL"]
        return
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if not bins or not (bins[0] / "initdb").exists():
        pytest.skip(
            "no PostgreSQL server binaries (apt-get install postgresql, or set ISMON_TEST_POSTGRES_URL)"
        )
    bindir = bins[0]
    # Not under pytest's tmp folder: that one is private to root and the server runs as postgres.
    data = Path(tempfile.mkdtemp(prefix="ismon-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(data, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "ismon", "--no-sync"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            *prefix,
            str(bindir / "postgres"),
            "-D",
            str(data / "db"),
            "-p",
            str(port),
            "-k",
            str(data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            ready = subprocess.run(
                [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            )
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "ismon", "ismon"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://ismon@127.0.0.1:{port}/ismon"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
