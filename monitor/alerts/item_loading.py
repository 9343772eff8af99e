"""What an alert email shows about its events, loaded from the store: ``load_alert_items``.

Where it sits: between the outbox and the rendering. ``monitor/alerts/mailer.py`` (send and preview)
loads the events an outbox row carries and hands them here; each becomes an ``AlertItem``
(``monitor/alerts/items.py``) with its product, the listing's MAIN and the ad's image from the blob
store, the ad's screenshot, since when the ad shows what it shows, how often each variant was shown
lately and (``monitor/alerts/ctr_drop.py``) the keyword's CTR numbers and chart. The pure
``monitor/alerts/render.py`` turns the items into an email.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.alerts.changes import run_start, state_of
from monitor.alerts.items import AlertItem, Picture, Share
from monitor.alerts.kinds import BLOCKED, LISTING_MAIN_CHANGED, MAIN, NOT_SEEN, PARSER_DRIFT
from monitor.alerts.observations import key_history
from monitor.store.files import BlobStore
from monitor.store.models import Event, GalleryImage, Marketplace, Product, Sighting


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


def _listing_change(blobs: BlobStore, mains: Sequence[GalleryImage], asin: str) -> tuple[Picture, Picture]:
    """The previous and the new MAIN of a ``listing_main_changed`` event."""
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
    return main, shown


def _main_pictures(
    blobs: BlobStore, event: Event, mains: Sequence[GalleryImage]
) -> tuple[Picture | None, Picture | None]:
    """The listing's MAIN an email compares the ad with (and, for a listing change, the new MAIN)."""
    asin = event.asin or ""
    if event.kind == LISTING_MAIN_CHANGED:
        return _listing_change(blobs, mains, asin)
    if event.asin and event.kind not in (BLOCKED, PARSER_DRIFT):
        gallery_main = _valid_at(mains, event.created_at)
        main = _blob_picture(
            blobs,
            "images",
            gallery_main.sha256 if gallery_main else None,
            f"{asin}-MAIN",
            "the listing's MAIN image (run `ismon gallery refresh`)",
        )
        return main, None
    return None, None


def _sighting_pictures(
    session: Session, blobs: BlobStore, event: Event, sighting: Sighting, product_id: int | None
) -> tuple[Picture, Picture, datetime]:
    """The ad's image, its screenshot and since when the ad shows what it shows now."""
    asin = event.asin or ""
    variant = event.variant or "ad"
    shown = _blob_picture(blobs, "images", sighting.image_sha256, f"{asin}-{variant}-ad", "the ad image")
    if not shown.usable and event.variant:
        copy = _valid_at(_gallery(session, product_id, event.variant), event.created_at)
        if copy is not None and copy.sha256 and blobs.get("images", copy.sha256) is not None:
            shown = Picture(label=f"{asin}-{event.variant}-gallery", data=blobs.get("images", copy.sha256))
    screenshot = _blob_picture(
        blobs,
        "screenshots",
        sighting.screenshot_sha256,
        f"{asin}-ad-screenshot",
        "the ad's screenshot",
    )
    history, _ = key_history(
        session,
        sighting.marketplace,
        sighting.asin,
        sighting.keyword,
        sighting.unit,
        until=sighting.seen_at,
    )
    start = run_start(history)
    return shown, screenshot, start.seen_at if start is not None else sighting.seen_at


def _last_seen(session: Session, event: Event) -> datetime | None:
    """When our ad was last seen before a ``not_seen`` event."""
    return session.exec(
        select(sa.func.max(Sighting.seen_at)).where(
            Sighting.marketplace == event.marketplace,
            Sighting.asin == event.asin,
            Sighting.keyword == event.keyword,
            col(Sighting.seen_at) <= event.created_at,
        )
    ).first()


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
        screenshot: Picture | None = None
        first_seen: datetime | None = None
        last_seen: datetime | None = None
        shares: tuple[Share, ...] = ()
        main, shown = _main_pictures(blobs, event, _gallery(session, product_id, MAIN))
        if sighting is not None:
            shown, screenshot, first_seen = _sighting_pictures(session, blobs, event, sighting, product_id)
        if event.kind == NOT_SEEN:
            last_seen = _last_seen(session, event)
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
