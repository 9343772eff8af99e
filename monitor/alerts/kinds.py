"""The vocabulary of change detection: event kinds and their order, image states, page statuses,
the ``Detected`` value every detector returns, and the cooldown that applies to every kind. Pure.

Where it sits: under the detectors. ``monitor/alerts/changes.py`` (image changes),
``monitor/alerts/sweep_checks.py`` (blocked, not seen, parser drift), ``monitor/alerts/optouts.py`` and
``monitor.impact.events`` (``ctr_drop``) return ``Detected`` values of these kinds; the outbox
(``monitor/alerts/outbox.py``) drops what ``apply_cooldown`` says was told lately and stores the rest;
rendering orders a digest by ``sort_key``. Nothing here reads a clock, a file or a database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.config import Alerts

log = logging.getLogger(__name__)

MAIN = "MAIN"
UNKNOWN = "unknown"  # the state of an ad whose image is none of the listing's gallery

MAIN_REPLACED = "main_replaced"
MAIN_RESTORED = "main_restored"
UNKNOWN_IMAGE = "unknown_image"
LISTING_MAIN_CHANGED = "listing_main_changed"
BLOCKED = "blocked"
NOT_SEEN = "not_seen"
PARSER_DRIFT = "parser_drift"
CTR_DROP = "ctr_drop"  # monitor/impact: a variant's CTR change interval lies below zero
OPTOUT_OVERDUE = "optout_overdue"  # monitor/alerts/optouts.py: an opt-out not in effect after its grace

IMAGE_KINDS = frozenset({MAIN_REPLACED, MAIN_RESTORED, UNKNOWN_IMAGE})
SYSTEM_KINDS = frozenset({BLOCKED, PARSER_DRIFT})  # about a marketplace, not about one product

# Most important first: the subject of a digest tells the first story in this order.
KIND_ORDER: tuple[str, ...] = (
    CTR_DROP,
    MAIN_REPLACED,
    OPTOUT_OVERDUE,
    UNKNOWN_IMAGE,
    LISTING_MAIN_CHANGED,
    MAIN_RESTORED,
    NOT_SEEN,
    BLOCKED,
    PARSER_DRIFT,
)

# Page statuses (page kinds, or "error"). Only a search page can tell which image an ad shows; a loaded
# page of any known kind proves the marketplace is not blocking us.
IMAGE_STATUSES = frozenset({"search"})
LOADED_STATUSES = frozenset({"search", "no_results", "product"})
ABSENCE_STATUSES = frozenset({"search", "no_results"})  # pages that can prove our ad is absent
CAPTCHA = "captcha"


@dataclass(frozen=True)
class Settings:
    """The alert settings change detection needs, as plain values."""

    confirm_after: int = 1
    cooldown: timedelta = timedelta(hours=24)
    not_seen_after: int = 6
    blocked_after: int = 3

    @classmethod
    def from_alerts(cls, alerts: Alerts) -> Settings:
        return cls(
            confirm_after=alerts.confirm_after,
            cooldown=timedelta(hours=alerts.cooldown_hours),
            not_seen_after=alerts.not_seen_after,
            blocked_after=alerts.blocked_after,
        )


@dataclass(frozen=True)
class Detected:
    """An event change detection decided on, before it becomes an ``Event`` row."""

    kind: str
    marketplace: str
    asin: str | None = None
    keyword: str | None = None
    unit: str | None = None
    variant: str | None = None
    previous_variant: str | None = None
    sighting_id: int | None = None
    first_seen_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class PastEvent:
    """An event already stored, as far as the cooldown cares."""

    kind: str
    marketplace: str
    asin: str | None
    keyword: str | None
    created_at: datetime


def when(moment: datetime) -> str:
    """A moment as event details write it: ``2026-11-02 10:00 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _cooldown_key(kind: str, marketplace: str, asin: str | None, keyword: str | None) -> tuple[str, ...]:
    return (kind, marketplace, asin or "", keyword or "")


def apply_cooldown(
    candidates: Iterable[Detected], recent: Iterable[PastEvent], now: datetime, cooldown: timedelta
) -> list[Detected]:
    """Drop candidates whose kind was already reported for the same ASIN and keyword within ``cooldown``.

    Candidates of one batch count against each other too (two ad units flipping at once is one story).
    """
    last: dict[tuple[str, ...], datetime] = {}
    for event in recent:
        key = _cooldown_key(event.kind, event.marketplace, event.asin, event.keyword)
        if key not in last or event.created_at > last[key]:
            last[key] = event.created_at
    kept: list[Detected] = []
    for candidate in candidates:
        key = _cooldown_key(candidate.kind, candidate.marketplace, candidate.asin, candidate.keyword)
        previous = last.get(key)
        if previous is not None and now - previous < cooldown:
            log.info(
                "%s for %s %r suppressed: cooldown since %s",
                candidate.kind,
                candidate.asin or candidate.marketplace,
                candidate.keyword,
                previous.isoformat(),
            )
            continue
        last[key] = now
        kept.append(candidate)
    return kept


def sort_key(kind: str) -> int:
    """Order of importance of an event kind (most important first)."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
