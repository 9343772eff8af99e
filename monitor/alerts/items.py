"""What an alert email shows about one event, as values: ``AlertItem`` and its pictures and numbers.

Where it sits: the hand-off between the outbox and the email rendering.
``monitor/alerts/item_loading.py`` loads each event with its product, images, recent history and
(``monitor/alerts/ctr_drop.py``) its CTR numbers into these values; ``monitor/alerts/render.py`` and
``monitor/alerts/support_text.py`` render them. Pure.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.imaging.formats import sniff_extension

_IMAGE_SUBTYPES = {"jpg": "jpeg", "png": "png", "gif": "gif", "webp": "webp", "avif": "avif"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Picture:
    """An image for the email, or the note that says why it is missing."""

    label: str
    data: bytes | None = None
    note: str = ""

    @property
    def subtype(self) -> str | None:
        return _IMAGE_SUBTYPES.get(sniff_extension(self.data)) if self.data else None

    @property
    def usable(self) -> bool:
        return self.subtype is not None

    @property
    def cid(self) -> str:
        digest = hashlib.sha256(self.data or b"").hexdigest()[:24]
        return f"img-{digest}@ismon"

    @property
    def missing_note(self) -> str:
        if self.usable:
            return ""
        if self.data:
            return self.note or "The stored file is not an image a mail client can show."
        return self.note or "No image was kept for this."


@dataclass(frozen=True)
class Share:
    """How often one state was shown for a keyword in the recent window."""

    state: str  # a variant, "unknown" or "ambiguous"
    count: int
    percent: int


@dataclass(frozen=True)
class ImpactFacts:
    """What the seller's ads data says about an event's keyword (``monitor/alerts/ctr_drop.py``)."""

    keyword: str
    first_day: str
    last_day: str
    days: int  # with both sightings and ads data
    verdict: str
    rows: tuple[dict[str, Any], ...]  # the tracking table, formatted (monitor.impact.text.variant_row)
    focus: str | None = None  # the variant the event is about
    sentence: str = (
        ""  # its CTR change against MAIN, interval and dates, for the opt-out text (not if better)
    )
    before: tuple[float, int, int] | None = None  # CTR, clicks, impressions before a MAIN replacement
    since: tuple[float, int, int] | None = None
    before_period: str = ""
    since_period: str = ""


@dataclass(frozen=True)
class AlertItem:
    """One event with everything an email shows about it."""

    kind: str
    created_at: datetime
    marketplace: str
    asin: str | None = None
    product_name: str = ""
    keyword: str | None = None
    unit: str | None = None
    placement: str | None = None
    position: int | None = None
    page: int | None = None
    variant: str | None = None
    previous_variant: str | None = None
    detail: str = ""
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    main: Picture | None = None
    shown: Picture | None = None
    screenshot: Picture | None = None
    shares: tuple[Share, ...] = field(default=())
    recent_days: int = 14
    impact: ImpactFacts | None = None
    chart: Picture | None = None  # the daily CTR chart over the shown variants (PNG)


def clean_line(text: str) -> str:
    """One line of text safe for a header: no control characters, no line breaks, single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def when(moment: datetime | None) -> str:
    """A moment as emails write it: ``2026-11-02 10:00 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""
