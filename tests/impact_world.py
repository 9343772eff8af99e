"""A seller's history with ads data, in a real SQLite database: for the report, alert and opt-out tests.

``World`` (tests/test_changes.py) makes the marketplace, the product, its gallery images and plays sweeps
through the real sweep-side code; ``load_account`` adds a simulated account's past (sightings on search
pages with the ad images and a screenshot, and its ads days) with known per-variant CTR effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlmodel import Session

from monitor.demo import free_port
from monitor.impact.simulate import Account, simulate
from monitor.models import AdsDay, PageVisit, Sighting
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
    """Store ``acct``'s simulated sightings and ads days; returns (sightings, ads days)."""
    sightings, ads = simulate(acct, np.random.default_rng(seed), LOS_ANGELES)
    now = datetime(2026, 11, 2, tzinfo=UTC)
    with Session(world.engine) as session:
        for fact in sightings:
            visit = PageVisit(
                marketplace=fact.marketplace,
                keyword=fact.keyword,
                url=f"https://www.amazon.com/s?k={fact.keyword}",
                seen_at=fact.seen_at,
                status="search",
                ads=1,
                own_ads=1,
                organic=20,
            )
            session.add(visit)
            session.flush()
            assert visit.id is not None and fact.asin is not None and fact.unit is not None
            session.add(
                Sighting(
                    visit_id=visit.id,
                    seen_at=fact.seen_at,
                    marketplace=fact.marketplace,
                    keyword=fact.keyword,
                    asin=fact.asin,
                    unit=fact.unit,
                    placement="sp_atf",
                    position=2,
                    image_sha256=world.images.get(fact.variant or ""),
                    screenshot_sha256=world.screenshot,
                    verdict=fact.verdict or "match",
                    variant=fact.variant,
                    method="image_id",
                    distance=0.0,
                )
            )
        for day in ads:
            session.add(
                AdsDay(
                    marketplace=day.marketplace,
                    day=day.day,
                    report="search_term",
                    keyword=day.keyword,
                    keyword_norm=day.keyword,
                    match_type="EXACT",
                    campaign="SP chairs",
                    ad_group="chairs",
                    asin=day.asin,
                    impressions=day.impressions,
                    clicks=day.clicks,
                    cost=day.cost,
                    orders=day.orders,
                    sales=day.sales,
                    currency="USD",
                    source="file",
                    loaded_at=now,
                )
            )
        session.commit()
    return len(sightings), len(ads)
