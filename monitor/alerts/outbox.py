"""The outbox: events and the emails that carry them, written in the sweep's own transaction.

Where it sits: between the store and delivery. The sweep adds a page visit and its sightings to a
session and, before it commits, calls ``record_page_events``: this loads the history of the ad keys
on the page (``monitor/alerts/observations.py``), asks the pure ``monitor/alerts/changes.py`` what
changed, and adds ``Event`` rows and the ``Outbox`` row that will carry them, so the sighting and its
alert commit together or not at all (DESIGN rule 5). At its end the sweep calls ``close_sweep_events``
(blocked, not seen, parser drift from ``monitor/alerts/sweep_checks.py``, overdue opt-outs from
``monitor/alerts/optouts.py``, CTR drops from ``monitor/alerts/ctr_drop.py``; the sweep's digest
becomes ready), and the gallery refresh calls ``record_gallery_change``. What they read of the
configuration is an ``AlertSettings`` (``monitor/alerts/settings.py``).

An outbox row lives ``collecting`` (a digest still being filled by its sweep) -> ``pending`` -> ``sent``
(an SMTP server accepted it) or ``failed`` (gave up after many attempts). A digest left collecting by a
sweep that died is made pending by the next sweep (``monitor/alerts/pending.py``), so nothing is lost.
Each row gets its Message-ID when it is created; ``monitor/alerts/mailer.py`` renders it once (what it
shows is loaded by ``monitor/alerts/item_loading.py``) and sends it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.alerts.changes import detect_image_event, detect_listing_main_change, state_of
from monitor.alerts.kinds import (
    ABSENCE_STATUSES,
    BLOCKED,
    IMAGE_STATUSES,
    NOT_SEEN,
    Detected,
    PastEvent,
    Settings,
    apply_cooldown,
)
from monitor.alerts.observations import key_history, observation
from monitor.alerts.optouts import mark_told, overdue_optouts
from monitor.alerts.pending import COLLECTING, PENDING, promote_stale_digests
from monitor.alerts.render import subject_for
from monitor.alerts.settings import DEFAULT_DOMAIN, AlertSettings
from monitor.alerts.sweep_checks import (
    DRIFT_BASELINE_PAGES,
    detect_blocked,
    detect_not_seen,
    detect_parser_drift,
    drift_reason,
)
from monitor.errors import MonitorError
from monitor.store.models import Event, Marketplace, Outbox, PageVisit, Product, Sighting, SweepRun

log = logging.getLogger(__name__)

BLOCKED_WINDOW = 500  # newest visits of a marketplace looked at for a run of captchas


def new_message_id(domain: str = "ismon.local") -> str:
    """A Message-ID made once per outbox row: a resend after a crash carries the same id."""
    return f"<ismon.{uuid.uuid4().hex}@{domain}>"


def _domain(settings: AlertSettings | None) -> str:
    return settings.domain if settings is not None else DEFAULT_DOMAIN


def _recent_events(session: Session, marketplaces: Iterable[str], since: datetime) -> list[PastEvent]:
    rows = session.exec(
        select(Event).where(col(Event.marketplace).in_(set(marketplaces)), col(Event.created_at) >= since)
    ).all()
    return [PastEvent(e.kind, e.marketplace, e.asin, e.keyword, e.created_at) for e in rows]


def _event_row(detected: Detected, sweep_id: int | None, now: datetime) -> Event:
    return Event(
        kind=detected.kind,
        created_at=now,
        marketplace=detected.marketplace,
        asin=detected.asin,
        keyword=detected.keyword,
        unit=detected.unit,
        variant=detected.variant,
        previous_variant=detected.previous_variant,
        sighting_id=detected.sighting_id,
        sweep_id=sweep_id,
        detail=detected.detail,
    )


def _collecting_row(session: Session, sweep_id: int) -> Outbox | None:
    return session.exec(
        select(Outbox)
        .join(Event, col(Event.outbox_id) == col(Outbox.id))
        .where(Event.sweep_id == sweep_id, Outbox.status == COLLECTING)
        .order_by(col(Outbox.id))
    ).first()


def _events_of(session: Session, outbox_id: int | None) -> list[Event]:
    return list(session.exec(select(Event).where(Event.outbox_id == outbox_id).order_by(col(Event.id))).all())


def _new_row(events: Sequence[Event], status: str, now: datetime, domain: str) -> Outbox:
    return Outbox(
        message_id=new_message_id(domain),
        created_at=now,
        subject=subject_for(events),
        status=status,
    )


def _attach(
    session: Session, events: list[Event], mode: str, sweep_id: int | None, now: datetime, domain: str
) -> None:
    """Add the events and the outbox row(s) that carry them."""
    if not events:
        return
    if mode == "immediate":
        for event in events:
            row = _new_row([event], PENDING, now, domain)
            session.add(row)
            session.flush()
            event.outbox_id = row.id
            session.add(event)
        session.flush()
        return
    if sweep_id is None:  # a page outside any sweep: its events are their own digest
        row = _new_row(events, PENDING, now, domain)
    else:
        found = _collecting_row(session, sweep_id)
        row = found if found is not None else _new_row(events, COLLECTING, now, domain)
    session.add(row)
    session.flush()
    for event in events:
        event.outbox_id = row.id
        session.add(event)
    session.flush()
    row.subject = subject_for(_events_of(session, row.id))
    session.add(row)
    session.flush()


def _store(
    session: Session,
    detected: Sequence[Detected],
    settings: AlertSettings,
    sweep_id: int | None,
    now: datetime,
) -> list[Event]:
    if not detected:
        return []
    detection = Settings.from_alerts(settings.alerts)
    recent = _recent_events(session, {d.marketplace for d in detected}, now - detection.cooldown)
    kept = apply_cooldown(detected, recent, now, detection.cooldown)
    events = [_event_row(d, sweep_id, now) for d in kept]
    _attach(session, events, settings.alerts.mode, sweep_id, now, _domain(settings))
    for event in events:
        log.info("event %s: %s", event.kind, event.detail)
    return events


def _uncompared(sighting: Sighting) -> bool:
    return sighting.verdict == "unknown" and sighting.runner_up_distance is None


def record_page_events(
    session: Session, visit: PageVisit, sightings: Sequence[Sighting], settings: AlertSettings, now: datetime
) -> list[Event]:
    """Image events of one stored page visit, added with their outbox row to ``session`` (not committed).

    Only a loaded search page can make image events: a captcha, an error or an unknown page returns []
    (DESIGN rule 4) and leaves the history as if it had not been visited.
    """
    if visit.status not in IMAGE_STATUSES or not sightings:
        return []
    session.add(visit)
    for sighting in sightings:
        session.add(sighting)
    session.flush()
    detection = Settings.from_alerts(settings.alerts)
    by_key: dict[tuple[str, str, str, str], list[Sighting]] = defaultdict(list)
    for sighting in sightings:
        by_key[(sighting.marketplace, sighting.asin, sighting.keyword, sighting.unit)].append(sighting)
    detected: list[Detected] = []
    for (marketplace, asin, keyword, unit), rows in by_key.items():
        # An "unknown" that compared nothing (no gallery yet, or no image bytes and no id match) says
        # nothing about the ad: it must not become an unknown_image alert.
        informative = [(s, state_of(s.verdict, s.variant)) for s in rows if not _uncompared(s)]
        candidates = [(s, state) for s, state in informative if state is not None]
        if not candidates:
            continue  # ambiguous only: says nothing about which image the ad shows
        sighting, state = min(candidates, key=lambda c: (c[0].seen_at, c[0].id or 0))
        assert state is not None
        current = observation(sighting.seen_at, sighting.id, state, visit.sweep_id, visit.id)
        history, truncated = key_history(
            session, marketplace, asin, keyword, unit, until=sighting.seen_at, exclude_visit=visit.id
        )
        found = detect_image_event(
            marketplace, asin, keyword, unit, history, current, detection, truncated=truncated
        )
        if found is not None:
            detected.append(found)
    return _store(session, detected, settings, visit.sweep_id, now)


def _blocked(session: Session, marketplace: str, detection: Settings) -> Detected | None:
    visits = session.exec(
        select(PageVisit.status, PageVisit.seen_at)
        .where(PageVisit.marketplace == marketplace)
        .order_by(col(PageVisit.seen_at).desc(), col(PageVisit.id).desc())
        .limit(BLOCKED_WINDOW)
    ).all()
    last_blocked = session.exec(
        select(sa.func.max(Event.created_at)).where(Event.kind == BLOCKED, Event.marketplace == marketplace)
    ).first()
    return detect_blocked(marketplace, [(s, t) for s, t in visits], last_blocked, detection)


def _drift(session: Session, marketplace: str, visits: Sequence[PageVisit], sweep_id: int) -> Detected | None:
    findings: list[tuple[str, int, str]] = []
    for visit in visits:
        if visit.marketplace != marketplace or visit.status not in ("unknown", "search"):
            continue
        previous: list[int] = []
        if visit.status == "search" and visit.organic == 0:
            previous = list(
                session.exec(
                    select(PageVisit.organic)
                    .where(
                        PageVisit.marketplace == marketplace,
                        PageVisit.keyword == visit.keyword,
                        PageVisit.page == visit.page,
                        PageVisit.status == "search",
                        col(PageVisit.seen_at) < visit.seen_at,
                        sa.or_(col(PageVisit.sweep_id).is_(None), col(PageVisit.sweep_id) != sweep_id),
                    )
                    .order_by(col(PageVisit.seen_at).desc())
                    .limit(DRIFT_BASELINE_PAGES)
                ).all()
            )
        reason = drift_reason(visit.status, visit.organic, previous)
        if reason is not None:
            findings.append((visit.keyword, visit.page, reason))
    return detect_parser_drift(marketplace, findings)


def _not_seen(
    session: Session, marketplace: str, asin: str, keyword: str, detection: Settings
) -> Detected | None:
    last = session.exec(
        select(Sighting.seen_at, PageVisit.sweep_id)
        .join(PageVisit, col(Sighting.visit_id) == col(PageVisit.id))
        .where(Sighting.marketplace == marketplace, Sighting.asin == asin, Sighting.keyword == keyword)
        .order_by(col(Sighting.seen_at).desc())
        .limit(1)
    ).first()
    if last is None:
        return None  # never seen: nothing to miss
    last_seen_at, last_sweep = last
    absent_stmt = select(sa.func.count(sa.distinct(col(PageVisit.sweep_id)))).where(
        PageVisit.marketplace == marketplace,
        PageVisit.keyword == keyword,
        col(PageVisit.status).in_(ABSENCE_STATUSES),
        col(PageVisit.seen_at) > last_seen_at,
        col(PageVisit.sweep_id).is_not(None),
    )
    if last_sweep is not None:
        absent_stmt = absent_stmt.where(col(PageVisit.sweep_id) != last_sweep)
    absent = session.exec(absent_stmt).one()
    reported = session.exec(
        select(Event.id).where(
            Event.kind == NOT_SEEN,
            Event.marketplace == marketplace,
            Event.asin == asin,
            Event.keyword == keyword,
            col(Event.created_at) > last_seen_at,
        )
    ).first()
    return detect_not_seen(marketplace, asin, keyword, last_seen_at, absent, reported is not None, detection)


def close_sweep_events(
    session: Session, sweep: SweepRun, settings: AlertSettings, now: datetime
) -> list[Event]:
    """At the end of a sweep: ``blocked``, ``not_seen`` and ``parser_drift`` events; the digest becomes ready.

    Adds to ``session`` without committing; returns the events made here (image events were returned
    by ``record_page_events`` already).
    """
    session.add(sweep)
    session.flush()
    assert sweep.id is not None
    detection = Settings.from_alerts(settings.alerts)
    visits = list(
        session.exec(select(PageVisit).where(PageVisit.sweep_id == sweep.id).order_by(col(PageVisit.seen_at)))
    )
    detected: list[Detected] = []
    for marketplace in sorted({v.marketplace for v in visits}):
        for found in (
            _blocked(session, marketplace, detection),
            _drift(session, marketplace, visits, sweep.id),
        ):
            if found is not None:
                detected.append(found)
    loaded = {(v.marketplace, v.keyword) for v in visits if v.status in ABSENCE_STATUSES}
    for product in settings.products:
        for keyword in product.keywords:
            if (product.marketplace, keyword) in loaded:
                found = _not_seen(session, product.marketplace, product.asin, keyword, detection)
                if found is not None:
                    detected.append(found)
    overdue = overdue_optouts(session, now, timedelta(hours=settings.alerts.optout_grace_hours))
    detected += [found for _row, found in overdue]
    from monitor.alerts.ctr_drop import ctr_drop_candidates  # numpy and statsmodels: only when needed

    detected += ctr_drop_candidates(session, settings.zones(), now)
    events = _store(session, detected, settings, sweep.id, now)
    mark_told(overdue, events)
    for row in session.exec(
        select(Outbox)
        .join(Event, col(Event.outbox_id) == col(Outbox.id))
        .where(Event.sweep_id == sweep.id, Outbox.status == COLLECTING)
    ).unique():
        row.status = PENDING
        session.add(row)
    promote_stale_digests(session, now)
    session.flush()
    return events


def _ids(value: Iterable[str] | str) -> list[str]:
    return value.split() if isinstance(value, str) else [v for item in value for v in item.split()]


def record_gallery_change(
    session: Session,
    product_id: int,
    old_main_ids: Iterable[str] | str,
    new_main_ids: Iterable[str] | str,
    now: datetime,
    *,
    settings: AlertSettings | None = None,
) -> Event | None:
    """``listing_main_changed`` when the listing's MAIN is another picture, with its own email.

    ``old_main_ids`` and ``new_main_ids`` are the image ids of the MAIN slot before and after the refresh
    (a list, or ``GalleryImage.image_ids`` as stored); the first import (no old ids) is no change.
    Adds to ``session`` without committing.
    """
    product = session.get(Product, product_id)
    if product is None:
        raise MonitorError(f"no product with id {product_id} in the database")
    marketplace = session.get(Marketplace, product.marketplace_id)
    key = marketplace.key if marketplace is not None else "?"
    found = detect_listing_main_change(key, product.asin, _ids(old_main_ids), _ids(new_main_ids))
    if found is None:
        return None
    event = _event_row(found, None, now)
    _attach(session, [event], "immediate", None, now, _domain(settings))
    log.info("event %s: %s", event.kind, event.detail)
    return event


def events_of(session: Session, row: Outbox) -> list[Event]:
    """The events an outbox row carries."""
    return _events_of(session, row.id)
