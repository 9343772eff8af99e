"""Opt-out requests: recorded by the seller, verified against later sightings. The store side.

Where it sits: beside the outbox. ``ismon optout`` records a request (``record_optouts``); ``ismon
optout list`` and the report read each request with its state (``optout_states``), which the pure
``monitor.impact.optout.verify`` decides from the Sponsored Products sightings of the ASIN made since
the request. At the end of every sweep ``monitor/alerts/outbox.py`` asks ``overdue_optouts`` for requests
still not in effect ``[alerts] optout_grace_hours`` after they were made: each becomes one
``optout_overdue`` event (with the newest sighting that still shows another image as evidence), told
once, in the sweep's own transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.ads.keywords import normalise_keyword
from monitor.alerts.changes import state_of
from monitor.alerts.kinds import IMAGE_STATUSES, OPTOUT_OVERDUE, Detected
from monitor.config import Product as ProductConfig
from monitor.errors import UsageError
from monitor.impact.optout import EFFECTIVE, OVERDUE, Request, Seen, Verdict, hours_to_effect, verify
from monitor.store.models import Event, OptOutRequest, PageVisit, Sighting

log = logging.getLogger(__name__)

SP_UNITS = ("grid", "carousel")


@dataclass(frozen=True, slots=True)
class OptOutStatus:
    """One stored request with its state now."""

    id: int
    marketplace: str
    asin: str
    keywords: tuple[str, ...]
    case_id: str
    requested_at: datetime
    verdict: Verdict
    hours: float | None  # to take effect, when effective

    @property
    def state(self) -> str:
        return self.verdict.state

    @property
    def effective_at(self) -> datetime | None:
        return self.verdict.effective_at

    @property
    def scope(self) -> str:
        return ", ".join(f"“{k}”" for k in self.keywords) if self.keywords else "every keyword"


def _keywords(row: OptOutRequest) -> tuple[str, ...]:
    return tuple(json.loads(row.keywords)) if row.keywords else ()


def _request(row: OptOutRequest) -> Request:
    return Request(row.marketplace, row.asin, _keywords(row), row.requested_at)


def record_optouts(
    session: Session,
    products: Sequence[ProductConfig],
    asins: Sequence[str],
    keywords: Sequence[str],
    case_id: str,
    requested_at: datetime,
    now: datetime,
) -> list[OptOutRequest]:
    """Add one request per configured (marketplace, ASIN) named; not committed.

    An ASIN that is no configured product, or a keyword that none of the named products searches, is a
    usage error: ismon could never verify such a request.
    """
    if requested_at > now + timedelta(minutes=5):
        raise UsageError(f"--at {requested_at.isoformat()} is in the future")
    wanted = [a.strip().upper() for a in asins]
    rows: list[OptOutRequest] = []
    for asin in wanted:
        matches = [p for p in products if p.asin == asin]
        if not matches:
            known = ", ".join(sorted({p.asin for p in products})) or "none"
            raise UsageError(f"{asin} is not a product in the config (products: {known})")
        for product in matches:
            searched = {normalise_keyword(k) for k in product.keywords}
            unknown = [k for k in keywords if normalise_keyword(k) not in searched]
            if unknown:
                raise UsageError(
                    f"{asin} ({product.marketplace}) is not searched for {', '.join(map(repr, unknown))}: "
                    f"its keywords are {', '.join(map(repr, product.keywords))}"
                )
            row = OptOutRequest(
                marketplace=product.marketplace,
                asin=asin,
                keywords=json.dumps(list(dict.fromkeys(keywords)), ensure_ascii=False) if keywords else "",
                case_id=case_id.strip(),
                requested_at=requested_at,
                recorded_at=now,
            )
            session.add(row)
            rows.append(row)
    session.flush()
    return rows


def _seen_since(session: Session, request: Request, now: datetime) -> list[Seen]:
    rows = session.exec(
        select(Sighting)
        .join(PageVisit, col(Sighting.visit_id) == col(PageVisit.id))
        .where(
            Sighting.marketplace == request.marketplace,
            Sighting.asin == request.asin,
            col(Sighting.seen_at) >= request.requested_at,
            col(Sighting.seen_at) <= now,
            col(Sighting.unit).in_(SP_UNITS),
            col(PageVisit.status).in_(IMAGE_STATUSES),
            col(Sighting.verdict).in_(("match", "unknown")),
        )
    ).all()
    out: list[Seen] = []
    for s in rows:
        state = state_of(s.verdict, s.variant)
        if state is not None:
            out.append(Seen(s.seen_at, s.keyword, state, s.unit, s.id))
    return out


def _status(session: Session, row: OptOutRequest, now: datetime, grace: timedelta) -> OptOutStatus:
    request = _request(row)
    verdict = verify(request, _seen_since(session, request, now), now, grace)
    return OptOutStatus(
        id=row.id or 0,
        marketplace=row.marketplace,
        asin=row.asin,
        keywords=request.keywords,
        case_id=row.case_id,
        requested_at=row.requested_at,
        verdict=verdict,
        hours=hours_to_effect(request, verdict),
    )


def optout_states(
    session: Session, now: datetime, grace: timedelta, *, asin: str | None = None
) -> list[OptOutStatus]:
    """Every request (or those of ``asin``), newest first, with its state at ``now``."""
    stmt = select(OptOutRequest).order_by(
        col(OptOutRequest.requested_at).desc(), col(OptOutRequest.id).desc()
    )
    if asin is not None:
        stmt = stmt.where(OptOutRequest.asin == asin)
    return [_status(session, row, now, grace) for row in session.exec(stmt).all()]


def _detail(status: OptOutStatus, grace: timedelta) -> str:
    hours = (status.verdict.still_other[0].seen_at - status.requested_at).total_seconds() / 3600
    shown = "; ".join(
        f"“{s.keyword}” ({s.unit}) showed {s.state} at {s.seen_at:%Y-%m-%d %H:%M UTC}"
        for s in status.verdict.still_other
    )
    case = f" (case {status.case_id})" if status.case_id else ""
    return (
        f"The opt-out requested {status.requested_at:%Y-%m-%d %H:%M UTC}{case} for {status.scope} is not "
        f"in effect after {grace.total_seconds() / 3600:g} hours: {shown}, {hours:.0f} hours after the "
        "request. Add this evidence to the Seller Support case."
    )


def overdue_optouts(
    session: Session, now: datetime, grace: timedelta
) -> list[tuple[OptOutRequest, Detected]]:
    """Requests overdue at ``now`` and not told yet, with the event each makes; stores ``effective_at``.

    Adds to ``session`` without committing. The caller stores the events and calls ``mark_told``.
    """
    rows = session.exec(
        select(OptOutRequest).where(
            sa.or_(col(OptOutRequest.overdue_event_id).is_(None), col(OptOutRequest.effective_at).is_(None))
        )
    ).all()
    found: list[tuple[OptOutRequest, Detected]] = []
    for row in rows:
        status = _status(session, row, now, grace)
        if status.state == EFFECTIVE and row.effective_at != status.effective_at:
            row.effective_at = status.effective_at
            session.add(row)
            log.info("opt-out %s for %s took effect after %.1f hours", row.id, row.asin, status.hours or 0)
        if status.state != OVERDUE or row.overdue_event_id is not None:
            continue
        evidence = status.verdict.still_other[0]
        found.append(
            (
                row,
                Detected(
                    kind=OPTOUT_OVERDUE,
                    marketplace=row.marketplace,
                    asin=row.asin,
                    keyword=status.keywords[0] if len(status.keywords) == 1 else None,
                    unit=evidence.unit,
                    variant=None if evidence.state == "unknown" else evidence.state,
                    sighting_id=evidence.sighting_id,
                    first_seen_at=status.requested_at,
                    detail=_detail(status, grace),
                ),
            )
        )
    session.flush()
    return found


def mark_told(found: Sequence[tuple[OptOutRequest, Detected]], events: Sequence[Event]) -> None:
    """Link each overdue request to the event stored for it, so it is told once."""
    made = {(e.marketplace, e.asin, e.sighting_id): e for e in events if e.kind == OPTOUT_OVERDUE}
    for row, detected in found:
        event = made.get((detected.marketplace, detected.asin, detected.sighting_id))
        if event is not None:
            row.overdue_event_id = event.id
