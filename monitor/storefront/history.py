"""A simulated account's history written straight into the database, for tests and benches.

Where it sits: beside the simulated storefront. ``monitor.impact.simulate`` makes the sightings and ads
days of accounts with known image effects; this writes them as the sweep and the ads store would
(one ``PageVisit`` per sighting's page, a ``Sighting``, one ``AdsDay`` per day), without a browser,
so that ``ismon impact`` and the report can be checked (and timed) on a year of history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.ads.keywords import normalise_keyword
from monitor.impact.join import AdsFact, SightingFact
from monitor.store.models import AdsDay, PageVisit, Sighting

_CHUNK = 5_000


def store_history(
    conn: Connection, sightings: Sequence[SightingFact], ads: Sequence[AdsFact], *, loaded_at: datetime
) -> None:
    """Insert ``sightings`` (each with a visit of its own) and ``ads`` (Search term rows, source file)."""
    visits = PageVisit.__table__  # type: ignore[attr-defined]
    first = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(visits.c.id), 0))).scalar_one()) + 1
    visit_rows = []
    sighting_rows = []
    for offset, s in enumerate(sightings):
        visit_id = first + offset
        status = "error" if s.status.startswith("error") else s.status
        visit_rows.append(
            {
                "id": visit_id,
                "marketplace": s.marketplace,
                "keyword": s.keyword,
                "url": f"https://storefront.invalid/s?k={s.keyword}",
                "seen_at": s.seen_at,
                "status": status,
                "own_ads": int(s.asin is not None),
            }
        )
        if s.asin is None:
            continue
        sighting_rows.append(
            {
                "visit_id": visit_id,
                "seen_at": s.seen_at,
                "marketplace": s.marketplace,
                "keyword": s.keyword,
                "asin": s.asin,
                "unit": s.unit or "grid",
                "verdict": s.verdict or "unknown",
                "variant": s.variant,
                "method": "image_id",
            }
        )
    ads_rows = [
        {
            "marketplace": a.marketplace,
            "day": a.day,
            "report": a.report,
            "keyword": a.keyword,
            "keyword_norm": normalise_keyword(a.keyword),
            "match_type": "EXACT",
            "campaign": "simulated",
            "ad_group": a.asin or "shared",
            "asin": a.asin,
            "impressions": a.impressions,
            "clicks": a.clicks,
            "cost": a.cost,
            "orders": a.orders,
            "sales": a.sales,
            "currency": "USD",
            "source": "file",
            "loaded_at": loaded_at,
        }
        for a in ads
    ]
    for table, rows in (
        (visits, visit_rows),
        (Sighting.__table__, sighting_rows),  # type: ignore[attr-defined]
        (AdsDay.__table__, ads_rows),  # type: ignore[attr-defined]
    ):
        for start in range(0, len(rows), _CHUNK):
            conn.execute(sa.insert(table), rows[start : start + _CHUNK])
