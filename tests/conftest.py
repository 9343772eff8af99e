"""Shared test fixtures: where the saved real Amazon pages live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
AMAZON = SHARED / "fixtures" / "amazon"


@pytest.fixture(scope="session")
def amazon_dir() -> Path:
    """The saved real Amazon pages (../shared/fixtures/amazon), or a skip that says why."""
    if not AMAZON.is_dir():
        pytest.skip(f"saved Amazon pages not found at {AMAZON} (../shared/ is absent in this checkout)")
    return AMAZON
