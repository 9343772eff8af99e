"""Shared test fixtures: where the saved real Amazon pages live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

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
    from monitor.db import open_database

    eng = open_database(f"sqlite:///{tmp_path / 'ismon.db'}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """A Chromium binary for Playwright's ``executable_path``, or a skip that says how to get one."""
    from monitor.browser import find_chromium

    try:
        return str(find_chromium("auto"))
    except MonitorError as exc:
        pytest.skip(str(exc))
