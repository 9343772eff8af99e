"""Checks at the end of a sweep: ``blocked``, ``not_seen`` and ``parser_drift``. Pure.

Where it sits: beside image change detection (``monitor/alerts/changes.py``), after the sweep has
stored its page visits. ``close_sweep_events`` in ``monitor/alerts/outbox.py`` reads the recent visits
and sightings from the database and asks these functions whether the marketplace is blocking us (a run
of captcha pages), whether our ad went missing from a keyword for ``not_seen_after`` sweeps, and whether
pages loaded that the parser no longer understands. Nothing here reads a clock, a file or a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from statistics import median

from monitor.alerts.kinds import (
    BLOCKED,
    CAPTCHA,
    LOADED_STATUSES,
    NOT_SEEN,
    PARSER_DRIFT,
    Detected,
    Settings,
    when,
)

# A search page with no organic results is suspicious only where the same page used to have many.
DRIFT_MIN_ORGANIC = 8
DRIFT_BASELINE_PAGES = 5


def captcha_run(visits_newest_first: Iterable[tuple[str, datetime]]) -> tuple[int, datetime | None]:
    """Captcha pages in a row up to now, and when the run began.

    A loaded page ends the run; errors and unrecognised pages say nothing either way and are skipped.
    """
    count = 0
    began: datetime | None = None
    for status, seen_at in visits_newest_first:
        if status == CAPTCHA:
            count += 1
            began = seen_at
        elif status in LOADED_STATUSES:
            break
    return count, began


def detect_blocked(
    marketplace: str,
    visits_newest_first: Iterable[tuple[str, datetime]],
    last_blocked_at: datetime | None,
    settings: Settings,
) -> Detected | None:
    """``blocked`` once per run of captchas that reached ``blocked_after``."""
    count, began = captcha_run(visits_newest_first)
    if count < settings.blocked_after or began is None:
        return None
    if last_blocked_at is not None and last_blocked_at >= began:
        return None  # this run was already reported
    return Detected(
        kind=BLOCKED,
        marketplace=marketplace,
        detail=(
            f"{count} page{'s' if count != 1 else ''} in a row on {marketplace} "
            f"{'were captcha pages' if count != 1 else 'was a captcha page'} since {when(began)}. "
            "No image alerts are made from blocked pages; consider a slower schedule or another proxy."
        ),
    )


def detect_not_seen(
    marketplace: str,
    asin: str,
    keyword: str,
    last_seen_at: datetime | None,
    absent_sweeps: int,
    reported_since_last_seen: bool,
    settings: Settings,
) -> Detected | None:
    """``not_seen`` once per absence: our ad was seen before, then missing from ``not_seen_after`` sweeps.

    ``absent_sweeps`` counts sweeps since the last sighting whose pages for the keyword loaded; blocked
    and failed visits are not counted.
    """
    if last_seen_at is None or reported_since_last_seen or absent_sweeps < settings.not_seen_after:
        return None
    return Detected(
        kind=NOT_SEEN,
        marketplace=marketplace,
        asin=asin,
        keyword=keyword,
        detail=(
            f"No ad of {asin} for “{keyword}” in the last {absent_sweeps} sweeps "
            f"(last seen {when(last_seen_at)}). The campaign may be paused, out of budget or outbid."
        ),
    )


def drift_reason(status: str, organic: int, previous_organic: Sequence[int]) -> str | None:
    """Why a visit looks like the parser no longer understands the page, or None."""
    if status == "unknown":
        return "the page loaded but is of no kind ismon knows"
    if status == "search" and organic == 0 and previous_organic:
        usual = median(previous_organic)
        if usual >= DRIFT_MIN_ORGANIC:
            return f"a search page with no organic results (usually {usual:g})"
    return None


def detect_parser_drift(marketplace: str, findings: Sequence[tuple[str, int, str]]) -> Detected | None:
    """One ``parser_drift`` per marketplace and sweep from (keyword, page, reason) findings."""
    if not findings:
        return None
    shown = "; ".join(f"“{keyword}” page {page}: {reason}" for keyword, page, reason in findings[:5])
    more = f" and {len(findings) - 5} more" if len(findings) > 5 else ""
    return Detected(
        kind=PARSER_DRIFT,
        marketplace=marketplace,
        detail=(
            f"{len(findings)} page(s) on {marketplace} loaded but yielded nothing recognisable: "
            f"{shown}{more}. Amazon may have changed its markup; check `ismon inspect` on a saved page."
        ),
    )
