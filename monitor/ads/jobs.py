"""The reports asked of the Amazon Ads API, remembered in ``ads_report_job`` so none is asked twice.

Where it sits: the bookkeeping of ``ismon ads pull`` (``monitor.ads.pull``). A report id is written (and
committed) as soon as Amazon hands it out, so a pull that is interrupted, or a daemon that restarts
while Amazon is still preparing its reports (minutes to hours), collects those reports next time instead
of asking again. The reports of one window (marketplace, last day) form a batch that is stored as one.
Also what ``ismon check`` says about the pulls: the last one and the days covered per marketplace.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.ads.reporting import ReportType, Window
from monitor.store.models import AdsDay, AdsReportJob

BatchKey = tuple[str, date]  # marketplace, last day of the window


def pending_batches(session: Session, marketplaces: set[str]) -> dict[BatchKey, list[AdsReportJob]]:
    """The reports still pending for ``marketplaces``, by batch, oldest window first."""
    rows = session.exec(
        select(AdsReportJob)
        .where(col(AdsReportJob.status) == "pending", col(AdsReportJob.marketplace).in_(marketplaces))
        .order_by(col(AdsReportJob.end_day), col(AdsReportJob.id))
    ).all()
    batches: dict[BatchKey, list[AdsReportJob]] = defaultdict(list)
    for row in rows:
        batches[(row.marketplace, row.end_day)].append(row)
    return dict(batches)


def last_stored_day(session: Session, marketplace: str) -> date | None:
    """The last day of the newest report stored for ``marketplace`` (None: never pulled)."""
    return session.exec(
        select(sa.func.max(AdsReportJob.end_day)).where(
            col(AdsReportJob.marketplace) == marketplace, col(AdsReportJob.status) == "stored"
        )
    ).one()


def remember(
    session: Session,
    *,
    marketplace: str,
    profile_id: str,
    report_type: ReportType,
    window: Window,
    report_id: str,
    now: datetime,
) -> AdsReportJob:
    """Record (and commit) a report id Amazon handed out; an id seen before (a 425) is pending again."""
    job = session.exec(select(AdsReportJob).where(col(AdsReportJob.report_id) == report_id)).first()
    if job is None:
        job = AdsReportJob(
            marketplace=marketplace,
            profile_id=profile_id,
            report_type=report_type.type_id,
            start_day=window.start,
            end_day=window.end,
            report_id=report_id,
            requested_at=now,
            updated_at=now,
        )
    job.status, job.error, job.updated_at = "pending", "", now
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def finish(session: Session, jobs: list[AdsReportJob], status: str, now: datetime, error: str = "") -> None:
    """Mark ``jobs`` stored or failed (in the caller's transaction: the caller commits)."""
    for job in jobs:
        job.status, job.error, job.updated_at = status, error[:500], now
        session.add(job)


@dataclass(frozen=True)
class Coverage:
    """The ads days stored for one marketplace."""

    marketplace: str
    first: date
    last: date
    days: int


def coverage(session: Session) -> list[Coverage]:
    """Per marketplace: first and last stored ads day and how many distinct days (file or API)."""
    rows = session.exec(
        select(
            AdsDay.marketplace,
            sa.func.min(AdsDay.day),
            sa.func.max(AdsDay.day),
            sa.func.count(sa.distinct(col(AdsDay.day))),
        )
        .group_by(col(AdsDay.marketplace))
        .order_by(col(AdsDay.marketplace))
    ).all()
    return [Coverage(m, first, last, n) for m, first, last, n in rows]


def last_pull(session: Session) -> AdsReportJob | None:
    """The most recently stored or failed report of any pull."""
    return session.exec(
        select(AdsReportJob)
        .where(col(AdsReportJob.status).in_(("stored", "failed")))
        .order_by(col(AdsReportJob.updated_at).desc())
    ).first()
