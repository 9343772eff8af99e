"""The past of one ad key, read back from the store as the observations change detection replays.

Where it sits: between the store and the pure change detection (``monitor/alerts/changes.py``). The
outbox (``record_page_events``) replays an ad key's history to know its confirmed state before the
newest page; the email items (``monitor/alerts/item_loading.py``) replay it to say since when the ad
shows what it shows now. Only loaded search pages count, and only matched or unknown sightings.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from monitor.alerts.changes import Observation, state_of
from monitor.alerts.kinds import IMAGE_STATUSES
from monitor.store.models import PageVisit, Sighting

HISTORY_LIMIT = 200  # sightings of one ad key replayed to know its confirmed state


def _group(sweep_id: int | None, visit_id: int | None) -> str:
    return f"sweep:{sweep_id}" if sweep_id is not None else f"visit:{visit_id}"


def observation(
    seen_at: datetime, sighting_id: int | None, state: str, sweep_id: int | None, visit_id: int | None
) -> Observation:
    """One sighting's state as change detection sees it, grouped by its sweep (or visit)."""
    return Observation(
        group=_group(sweep_id, visit_id), seen_at=seen_at, state=state, sighting_id=sighting_id
    )


def key_history(
    session: Session,
    marketplace: str,
    asin: str,
    keyword: str,
    unit: str | None,
    *,
    until: datetime,
    exclude_visit: int | None = None,
    limit: int = HISTORY_LIMIT,
) -> tuple[list[Observation], bool]:
    """Earlier observations of an ad key (newest ``limit`` sightings from loaded search pages)."""
    stmt = (
        select(Sighting, PageVisit.sweep_id)
        .join(PageVisit, col(Sighting.visit_id) == col(PageVisit.id))
        .where(
            Sighting.marketplace == marketplace,
            Sighting.asin == asin,
            Sighting.keyword == keyword,
            col(Sighting.seen_at) <= until,
            col(PageVisit.status).in_(IMAGE_STATUSES),
            col(Sighting.verdict).in_(("match", "unknown")),
        )
        .order_by(col(Sighting.seen_at).desc(), col(Sighting.id).desc())
        .limit(limit)
    )
    if unit is not None:
        stmt = stmt.where(Sighting.unit == unit)
    if exclude_visit is not None:
        stmt = stmt.where(col(Sighting.visit_id) != exclude_visit)
    rows = session.exec(stmt).all()
    out: list[Observation] = []
    for sighting, sweep_id in rows:
        state = state_of(sighting.verdict, sighting.variant)
        if state is not None:
            out.append(observation(sighting.seen_at, sighting.id, state, sweep_id, sighting.visit_id))
    return out, len(rows) >= limit
