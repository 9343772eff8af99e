"""A seller's history with ads data, in a real SQLite database: for the report, alert and opt-out tests.

``World`` (tests/test_changes.py) makes the marketplace, the product, its gallery images and plays sweeps
through the real sweep-side code; ``load_account`` adds a simulated account's past (sightings on search
pages with the ad images and a screenshot, and its ads days, through ``store_history``) with known
per-variant CTR effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import sqlalchemy as sa

from monitor.demo import free_port
from monitor.impact.simulate import Account, simulate
from monitor.store.models import Sighting
from monitor.storefront.history import store_history
from tests.test_alerts import Inbox, Server
from tests.test_changes import ASIN, KW, T0, World

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# The simulated past ends the day before the World's first sweep.
START = (T0 - timedelta(days=60)).date()


@pytest.fixture
def smtp() -> Iterator[Server]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1, started by the test."""
    srv = Server(port=free_port(), inbox=Inbox())
    yield srv
    srv.stop()


def account(**changes: object) -> Account:
    base: dict[str, object] = {
        "asin": ASIN,
        "keyword": KW,
        "start": START,
        "days": 59,
        "impressions": 1500.0,
        "ctr": 0.01,
        "effects": {"PT01": 1.4, "PT03": 0.5},
        "days_without_sightings": 0.0,
    }
    base.update(changes)
    return Account(**base)  # type: ignore[arg-type]


def load_account(world: World, acct: Account, seed: int = 7) -> tuple[int, int]:
    """Store ``acct``'s simulated sightings (with the ad images and a screenshot as evidence) and its
    ads days; returns (sightings, ads days)."""
    sightings, ads = simulate(acct, np.random.default_rng(seed), LOS_ANGELES)
    table = Sighting.__table__  # type: ignore[attr-defined]
    with world.engine.begin() as conn:
        store_history(conn, sightings, ads, loaded_at=datetime(2026, 11, 2, tzinfo=UTC))
        for variant, sha in world.images.items():
            conn.execute(sa.update(table).where(table.c.variant == variant).values(image_sha256=sha))
        conn.execute(sa.update(table).values(screenshot_sha256=world.screenshot, placement="sp_atf"))
    return len(sightings), len(ads)
