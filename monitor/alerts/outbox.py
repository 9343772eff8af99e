"""The outbox: events and the emails that carry them, written in the sweep's own transaction.

Where it sits: between the store and delivery. The sweep adds a page visit and its sightings to a
session and, before it commits, calls ``record_page_events``: this loads the history of the ad keys
on the page, asks the pure ``monitor/changes.py`` what changed, and adds ``Event`` rows and the
``Outbox`` row that will carry them, so the sighting and its alert commit together or not at all
(DESIGN rule 5). At its end the sweep calls ``close_sweep_events`` (blocked, not seen, parser drift,
overdue opt-outs from ``monitor/optouts.py``; the sweep's digest becomes ready), and the gallery
refresh calls ``record_gallery_change``.

An outbox row lives ``collecting`` (a digest still being filled by its sweep) -> ``pending`` -> ``sent``
(an SMTP server accepted it) or ``failed`` (gave up after many attempts). A digest left collecting by a
sweep that died is made pending by the next sweep (``monitor/pending.py``), so nothing is lost. Each row gets
its Message-ID when it is created; ``monitor/mailer.py`` renders it once and sends it.

This module also loads what an email shows about its events (``load_alert_items``).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.alerts.changes import (
    Observation,
    detect_image_event,
    detect_listing_main_change,
    run_start,
    state_of,
)
from monitor.alerts.kinds import (
    ABSENCE_STATUSES,
    BLOCKED,
    IMAGE_STATUSES,
    LISTING_MAIN_CHANGED,
    MAIN,
    NOT_SEEN,
    PARSER_DRIFT,
    Detected,
    PastEvent,
    Settings,
    apply_cooldown,
)
from monitor.alerts.optouts import mark_told, overdue_optouts
from monitor.alerts.pending import (
    COLLECTING,
    PENDING,
    promote_stale_digests,
)
from monitor.alerts.render import AlertItem, Picture, Share, subject_for
from monitor.alerts.sweep_checks import (
    DRIFT_BASELINE_PAGES,
    detect_blocked,
    detect_not_seen,
    detect_parser_drift,
    drift_reason,
)
from monitor.config import Config
from monitor.errors import MonitorError
from monitor.impact.zones import Zones
from monitor.store.files import BlobStore
from monitor.store.models import (
    Event,
    GalleryImage,
    Marketplace,
    Outbox,
    PageVisit,
    Product,
    Sighting,
    SweepRun,
)

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200  # sightings of one ad key replayed to know its confirmed state
BLOCKED_WINDOW = 500  # newest visits of a marketplace looked at for a run of captchas


def new_message_id(domain: str = "ismon.local") -> str:
    """A Message-ID made once per outbox row: a resend after a crash carries the same id."""
    return f"<ismon.{uuid.uuid4().hex}@{domain}>"


def _domain(config: Config | None) -> str:
    if config is not None and config.email is not None:
        return config.email.sender.rpartition("@")[2] or "ismon.local"
    return "ismon.local"


def _group(sweep_id: int | None, visit_id: int | None) -> str:
    return f"sweep:{sweep_id}" if sweep_id is not None else f"visit:{visit_id}"


def _observation(
    seen_at: datetime, sighting_id: int | None, state: str, sweep_id: int | None, visit_id: int | None
) -> Observation:
    return Observation(
        group=_group(sweep_id, visit_id), seen_at=seen_at, state=state, sighting_id=sighting_id
    )


def _history(
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
            out.append(_observation(sighting.seen_at, sighting.id, state, sweep_id, sighting.visit_id))
    return out, len(rows) >= limit


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
    session: Session, detected: Sequence[Detected], config: Config, sweep_id: int | None, now: datetime
) -> list[Event]:
    if not detected:
        return []
    settings = Settings.from_alerts(config.alerts)
    recent = _recent_events(session, {d.marketplace for d in detected}, now - settings.cooldown)
    kept = apply_cooldown(detected, recent, now, settings.cooldown)
    events = [_event_row(d, sweep_id, now) for d in kept]
    _attach(session, events, config.alerts.mode, sweep_id, now, _domain(config))
    for event in events:
        log.info("event %s: %s", event.kind, event.detail)
    return events


def _uncompared(sighting: Sighting) -> bool:
    return sighting.verdict == "unknown" and sighting.runner_up_distance is None


def record_page_events(
    session: Session, visit: PageVisit, sightings: Sequence[Sighting], config: Config, now: datetime
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
    settings = Settings.from_alerts(config.alerts)
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
        current = _observation(sighting.seen_at, sighting.id, state, visit.sweep_id, visit.id)
        history, truncated = _history(
            session, marketplace, asin, keyword, unit, until=sighting.seen_at, exclude_visit=visit.id
        )
        found = detect_image_event(
            marketplace, asin, keyword, unit, history, current, settings, truncated=truncated
        )
        if found is not None:
            detected.append(found)
    return _store(session, detected, config, visit.sweep_id, now)


def _blocked(session: Session, marketplace: str, settings: Settings) -> Detected | None:
    visits = session.exec(
        select(PageVisit.status, PageVisit.seen_at)
        .where(PageVisit.marketplace == marketplace)
        .order_by(col(PageVisit.seen_at).desc(), col(PageVisit.id).desc())
        .limit(BLOCKED_WINDOW)
    ).all()
    last_blocked = session.exec(
        select(sa.func.max(Event.created_at)).where(Event.kind == BLOCKED, Event.marketplace == marketplace)
    ).first()
    return detect_blocked(marketplace, [(s, t) for s, t in visits], last_blocked, settings)


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
    session: Session, marketplace: str, asin: str, keyword: str, settings: Settings
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
    return detect_not_seen(marketplace, asin, keyword, last_seen_at, absent, reported is not None, settings)


def close_sweep_events(session: Session, sweep: SweepRun, config: Config, now: datetime) -> list[Event]:
    """At the end of a sweep: ``blocked``, ``not_seen`` and ``parser_drift`` events; the digest becomes ready.

    Adds to ``session`` without committing; returns the events made here (image events were returned
    by ``record_page_events`` already).
    """
    session.add(sweep)
    session.flush()
    assert sweep.id is not None
    settings = Settings.from_alerts(config.alerts)
    visits = list(
        session.exec(select(PageVisit).where(PageVisit.sweep_id == sweep.id).order_by(col(PageVisit.seen_at)))
    )
    detected: list[Detected] = []
    for marketplace in sorted({v.marketplace for v in visits}):
        for found in (
            _blocked(session, marketplace, settings),
            _drift(session, marketplace, visits, sweep.id),
        ):
            if found is not None:
                detected.append(found)
    loaded = {(v.marketplace, v.keyword) for v in visits if v.status in ABSENCE_STATUSES}
    for product in config.products:
        for keyword in product.keywords:
            if (product.marketplace, keyword) in loaded:
                found = _not_seen(session, product.marketplace, product.asin, keyword, settings)
                if found is not None:
                    detected.append(found)
    overdue = overdue_optouts(session, now, timedelta(hours=config.alerts.optout_grace_hours))
    detected += [found for _row, found in overdue]
    from monitor.alerts.ctr_drop import ctr_drop_candidates  # numpy and statsmodels: only when needed

    detected += ctr_drop_candidates(session, Zones(config.timezone), now)
    events = _store(session, detected, config, sweep.id, now)
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
    config: Config | None = None,
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
    _attach(session, [event], "immediate", None, now, _domain(config))
    log.info("event %s: %s", event.kind, event.detail)
    return event


# ---------------------------------------------------------------- what an email shows about its events


def _product(session: Session, marketplace: str, asin: str | None) -> Product | None:
    if not asin:
        return None
    return session.exec(
        select(Product)
        .join(Marketplace, col(Marketplace.id) == col(Product.marketplace_id))
        .where(Marketplace.key == marketplace, Product.asin == asin)
    ).first()


def _gallery(session: Session, product_id: int | None, variant: str) -> list[GalleryImage]:
    if product_id is None:
        return []
    return list(
        session.exec(
            select(GalleryImage)
            .where(GalleryImage.product_id == product_id, GalleryImage.variant == variant)
            .order_by(col(GalleryImage.fetched_at).desc(), col(GalleryImage.id).desc())
        ).all()
    )


def _valid_at(images: Sequence[GalleryImage], moment: datetime) -> GalleryImage | None:
    for image in images:
        if image.fetched_at <= moment and (image.retired_at is None or image.retired_at > moment):
            return image
    current = [i for i in images if i.retired_at is None]
    return current[0] if current else (images[0] if images else None)


def _blob_picture(blobs: BlobStore, kind: str, sha: str | None, label: str, what: str) -> Picture:
    if not sha:
        return Picture(label=label, note=f"ismon kept no file of {what}.")
    data = blobs.get("images" if kind == "images" else "screenshots", sha)
    if data is None:
        return Picture(
            label=label, note=f"The file of {what} is gone from the data folder (sha256 {sha[:12]}…)."
        )
    return Picture(label=label, data=data)


def _shares(session: Session, event: Event, since: datetime, until: datetime) -> tuple[Share, ...]:
    rows = session.exec(
        select(Sighting.verdict, Sighting.variant, sa.func.count(col(Sighting.id)))
        .where(
            Sighting.marketplace == event.marketplace,
            Sighting.asin == event.asin,
            Sighting.keyword == event.keyword,
            col(Sighting.seen_at) >= since,
            col(Sighting.seen_at) <= until,
        )
        .group_by(col(Sighting.verdict), col(Sighting.variant))
    ).all()
    counts: dict[str, int] = defaultdict(int)
    for verdict, variant, count in rows:
        counts[state_of(verdict, variant) or "ambiguous"] += count
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] != MAIN, kv[0]))
    return tuple(Share(state, n, round(100 * n / total)) for state, n in ranked) if total else ()


def load_alert_items(
    session: Session,
    events: Sequence[Event],
    blobs: BlobStore,
    *,
    recent_days: int = 14,
    zones: Mapping[str, tzinfo] | None = None,
) -> list[AlertItem]:
    """Everything the email shows about ``events``: product, images, screenshot, recent variants, and
    (``ctr_drop``, ``main_replaced``, ``optout_overdue`` with ads data) the keyword's CTR and its chart.

    ``zones`` are the marketplaces' reporting time zones (``Config.timezone``; default: the usual ones).
    """
    from monitor.alerts.ctr_drop import default_zones, impact_facts  # numpy and statsmodels: when rendering

    zones = zones if zones is not None else default_zones()
    items: list[AlertItem] = []
    for event in events:
        product = _product(session, event.marketplace, event.asin)
        product_id = product.id if product is not None else None
        sighting = session.get(Sighting, event.sighting_id) if event.sighting_id is not None else None
        asin = event.asin or ""
        main: Picture | None = None
        shown: Picture | None = None
        screenshot: Picture | None = None
        first_seen: datetime | None = None
        last_seen: datetime | None = None
        shares: tuple[Share, ...] = ()
        mains = _gallery(session, product_id, MAIN)
        if event.kind == LISTING_MAIN_CHANGED:
            new = next((m for m in mains if m.retired_at is None), mains[0] if mains else None)
            new_ids = set(new.image_ids.split()) if new else set()
            old = next((m for m in mains if m is not new and not set(m.image_ids.split()) & new_ids), None)
            main = _blob_picture(
                blobs,
                "images",
                old.sha256 if old else None,
                f"{asin}-previous-MAIN",
                "the previous MAIN image",
            )
            shown = _blob_picture(
                blobs, "images", new.sha256 if new else None, f"{asin}-new-MAIN", "the new MAIN image"
            )
        elif event.asin and event.kind not in (BLOCKED, PARSER_DRIFT):
            gallery_main = _valid_at(mains, event.created_at)
            main = _blob_picture(
                blobs,
                "images",
                gallery_main.sha256 if gallery_main else None,
                f"{asin}-MAIN",
                "the listing's MAIN image (run `ismon gallery refresh`)",
            )
        if sighting is not None:
            variant = event.variant or "ad"
            shown = _blob_picture(
                blobs, "images", sighting.image_sha256, f"{asin}-{variant}-ad", "the ad image"
            )
            if not shown.usable and event.variant:
                copy = _valid_at(_gallery(session, product_id, event.variant), event.created_at)
                if copy is not None and copy.sha256 and blobs.get("images", copy.sha256) is not None:
                    shown = Picture(
                        label=f"{asin}-{event.variant}-gallery", data=blobs.get("images", copy.sha256)
                    )
            screenshot = _blob_picture(
                blobs,
                "screenshots",
                sighting.screenshot_sha256,
                f"{asin}-ad-screenshot",
                "the ad's screenshot",
            )
            history, _ = _history(
                session,
                sighting.marketplace,
                sighting.asin,
                sighting.keyword,
                sighting.unit,
                until=sighting.seen_at,
            )
            start = run_start(history)
            first_seen = start.seen_at if start is not None else sighting.seen_at
        if event.kind == NOT_SEEN:
            last = session.exec(
                select(sa.func.max(Sighting.seen_at)).where(
                    Sighting.marketplace == event.marketplace,
                    Sighting.asin == event.asin,
                    Sighting.keyword == event.keyword,
                    col(Sighting.seen_at) <= event.created_at,
                )
            ).first()
            last_seen = last
        if event.asin and event.keyword:
            shares = _shares(session, event, event.created_at - timedelta(days=recent_days), event.created_at)
        impact, chart = impact_facts(session, event, zones, first_seen)
        items.append(
            AlertItem(
                kind=event.kind,
                created_at=event.created_at,
                marketplace=event.marketplace,
                asin=event.asin,
                product_name=product.name if product is not None else "",
                keyword=event.keyword,
                unit=event.unit,
                placement=sighting.placement if sighting else None,
                position=sighting.position if sighting else None,
                page=sighting.page if sighting else None,
                variant=event.variant,
                previous_variant=event.previous_variant,
                detail=event.detail,
                first_seen_at=first_seen,
                last_seen_at=last_seen,
                main=main,
                shown=shown,
                screenshot=screenshot,
                shares=shares,
                recent_days=recent_days,
                impact=impact,
                chart=chart,
            )
        )
    return items


def events_of(session: Session, row: Outbox) -> list[Event]:
    """The events an outbox row carries."""
    return _events_of(session, row.id)
