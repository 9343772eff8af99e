"""What waits in the outbox and why: states, counts, next tries, and sweeps that died holding a digest.

Where it sits: beside the outbox (``monitor/alerts/outbox.py`` writes rows,
``monitor/alerts/mailer.py`` sends them). ``ismon alerts list`` and ``ismon check`` both describe the
outbox through ``outbox_counts`` and ``describe_counts`` here, so they always agree about what is
pending.

A sweep row stays ``running`` when its process was killed (``kill -9``, an OOM kill, a power cut), and
its digest stays ``collecting``. ``close_dead_sweeps`` is called by the next sweep, which holds the sweep
lock and therefore knows no other sweep runs: it marks the dead ones ``interrupted`` and makes their
digests pending, so their alerts are delivered, once. ``promote_stale_digests`` is the fallback for a
digest whose sweep was closed without releasing it, or that has been "running" for 12 hours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.store.models import Event, Outbox, SweepRun

log = logging.getLogger(__name__)

COLLECTING = "collecting"
PENDING = "pending"
SENT = "sent"
FAILED = "failed"

RUNNING = "running"
INTERRUPTED = "interrupted"
STALE_DIGEST = timedelta(hours=12)  # a sweep "running" longer than this has died


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row for ``ismon alerts list``."""

    id: int
    message_id: str
    created_at: datetime
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    sent_at: datetime | None
    events: int
    claimed_until: datetime | None = None
    sweep_id: int | None = None  # the sweep whose digest this is (collecting rows)


def promote_stale_digests(session: Session, now: datetime) -> int:
    """Make digests whose sweep ended (or died) without closing them ready to send; returns how many."""
    promoted = 0
    for row in session.exec(select(Outbox).where(Outbox.status == COLLECTING)).all():
        sweep_ids = set(session.exec(select(Event.sweep_id).where(Event.outbox_id == row.id)).all())
        alive = False
        for sweep_id in sweep_ids:
            sweep = session.get(SweepRun, sweep_id) if sweep_id is not None else None
            if sweep is not None and sweep.status == RUNNING and now - sweep.started_at < STALE_DIGEST:
                alive = True
        if not alive:
            log.warning("digest %s was left collecting by a sweep that did not close it: sending it", row.id)
            row.status = PENDING
            session.add(row)
            promoted += 1
    if promoted:
        session.flush()
    return promoted


def close_dead_sweeps(
    session: Session,
    now: datetime,
    *,
    by: int | None = None,
    cause: str = "the process ended without closing this sweep (killed?)",
) -> list[int]:
    """Mark every ``running`` sweep (other than ``by``) interrupted and release its digest.

    Only a caller that holds the sweep lock may call this: then no other sweep is alive, so a row still
    ``running`` belongs to a process that died. Adds to ``session`` without committing; returns the ids.
    """
    stmt = select(SweepRun).where(SweepRun.status == RUNNING)
    if by is not None:
        stmt = stmt.where(col(SweepRun.id) != by)
    closed: list[int] = []
    for run in session.exec(stmt).all():
        run.status = INTERRUPTED
        run.finished_at = now
        run.note = (f"{cause}; closed by sweep #{by}" if by is not None else cause) + (
            f"; {run.note}" if run.note else ""
        )
        session.add(run)
        assert run.id is not None
        closed.append(run.id)
        log.warning("sweep %s was left running by a process that died: recorded as interrupted", run.id)
    if closed:
        session.flush()
        promote_stale_digests(session, now)
    return closed


def interrupt_running_sweeps(engine: Engine, now: datetime) -> int:
    """``close_dead_sweeps`` in a commit of its own, for a process that must leave now (its sweep is
    stuck in the browser) and for the daemon's stop; returns how many sweeps were closed."""
    with Session(engine) as session:
        closed = close_dead_sweeps(session, now, cause="stopped while a page was stuck; the process left")
        session.commit()
        return len(closed)


def retry_failed(session: Session, now: datetime) -> int:
    """Give rows that ran out of attempts another round (``ismon alerts flush --retry-failed``)."""
    rows = session.exec(select(Outbox).where(Outbox.status == FAILED)).all()
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = PENDING, 0, now
        session.add(row)
    session.flush()
    return len(rows)


def outbox_counts(session: Session) -> dict[str, int]:
    """Rows per status (``collecting``, ``pending``, ``sent``, ``failed``)."""
    rows = session.exec(select(Outbox.status, sa.func.count(col(Outbox.id))).group_by(col(Outbox.status)))
    return {status: int(count) for status, count in rows.all()}


def describe_counts(counts: dict[str, int]) -> str:
    """One line about what is not delivered yet, the same in ``alerts list`` and ``check``."""
    waiting = counts.get(PENDING, 0) + counts.get(COLLECTING, 0)
    parts = [f"{waiting} waiting to be sent"]
    if counts.get(COLLECTING):
        parts[0] += f" ({counts[COLLECTING]} collecting: a sweep's digest, sent when that sweep ends)"
    if counts.get(FAILED):
        parts.append(f"{counts[FAILED]} failed (given up: `ismon alerts flush --retry-failed`)")
    parts.append(f"{counts.get(SENT, 0)} sent")
    return ", ".join(parts)


def next_try(entry: OutboxEntry, now: datetime) -> str:
    """When the row will be tried next, for people."""
    if entry.status == SENT:
        return "-"
    if entry.status == FAILED:
        return "never (gave up; --retry-failed)"
    if entry.status == COLLECTING:
        return f"when sweep #{entry.sweep_id} ends" if entry.sweep_id else "when its sweep ends"
    if entry.claimed_until is not None and entry.claimed_until > now:
        return "being sent now"
    if entry.next_attempt_at is None or entry.next_attempt_at <= now:
        return "next flush"
    minutes = max(1, round((entry.next_attempt_at - now).total_seconds() / 60))
    return f"{entry.next_attempt_at:%Y-%m-%d %H:%M} UTC (in {minutes} min)"


def list_outbox(session: Session, *, limit: int | None = None) -> list[OutboxEntry]:
    """Outbox rows, newest first, for ``ismon alerts list``."""
    counts: dict[int | None, int] = {}
    sweeps: dict[int | None, int | None] = {}
    for outbox_id, sweep_id, count in session.exec(
        select(Event.outbox_id, sa.func.max(Event.sweep_id), sa.func.count(col(Event.id)))
        .where(col(Event.outbox_id).is_not(None))
        .group_by(col(Event.outbox_id))
    ).all():
        counts[outbox_id] = count
        sweeps[outbox_id] = sweep_id
    stmt = select(Outbox).order_by(col(Outbox.created_at).desc(), col(Outbox.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        OutboxEntry(
            id=row.id or 0,
            message_id=row.message_id,
            created_at=row.created_at,
            subject=row.subject,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            sent_at=row.sent_at,
            events=counts.get(row.id, 0),
            claimed_until=row.claimed_until,
            sweep_id=sweeps.get(row.id),
        )
        for row in session.exec(stmt).all()
    ]
