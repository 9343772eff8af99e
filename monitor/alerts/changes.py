"""Change detection: what the ads displayed over time -> events. Pure.

Where it sits: after the store has written a page's sightings and before the outbox. ``monitor/outbox.py``
loads the history it needs from the database, turns rows into the plain values below and asks these
functions which events the newest observations make. Nothing here reads a clock, a file or a database.

The model. For one *ad key* (marketplace, ASIN, keyword, ad unit) every sweep contributes at most one
observation: the *state* the ad displayed (a gallery variant such as ``MAIN`` or ``PT03``, or
``unknown`` when the image is none of the gallery). A state becomes *confirmed* once it was observed
``confirm_after`` sweeps in a row; an event is made when the confirmed state changes:

- nothing or MAIN -> another variant: ``main_replaced``
- another variant or unknown -> MAIN: ``main_restored``
- anything else -> unknown: ``unknown_image``

Blocked and failed visits never yield observations (DESIGN rule 4): they neither count towards nor
break a run. Ambiguous identifications and pages without our ad are skipped the same way: they say
nothing about which image the ad shows. A cooldown per kind, ASIN and keyword keeps one story from
being told twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

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
OPTOUT_OVERDUE = "optout_overdue"  # monitor/optouts.py: an opt-out not in effect after its grace

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

# A search page with no organic results is suspicious only where the same page used to have many.
DRIFT_MIN_ORGANIC = 8
DRIFT_BASELINE_PAGES = 5


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
class Observation:
    """What one ad key displayed in one sweep.

    ``group`` names the sweep (or the page visit, outside a sweep): several sightings of one key in one
    sweep (page 1 and page 2) count as one observation, the earliest.
    """

    group: str
    seen_at: datetime
    state: str  # a variant name, or UNKNOWN
    sighting_id: int | None = None


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


@dataclass(frozen=True)
class Step:
    """The confirmed state around one observation of a replay."""

    before: str | None
    after: str | None
    since: int  # index of the first observation of the run that made ``after`` the confirmed state

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Transition:
    """The newest observation confirmed a new state."""

    previous: str | None
    state: str
    first_seen_at: datetime
    in_a_row: int


def state_of(verdict: str, variant: str | None) -> str | None:
    """The image state a sighting shows, or None when it tells nothing (ambiguous, incomplete)."""
    if verdict == "match" and variant:
        return variant
    if verdict == "unknown":
        return UNKNOWN
    return None


def collapse(observations: Iterable[Observation]) -> list[Observation]:
    """Oldest first, one observation per sweep (its earliest)."""
    ordered = sorted(observations, key=lambda o: (o.seen_at, o.sighting_id or 0))
    seen: set[str] = set()
    out: list[Observation] = []
    for obs in ordered:
        if obs.group not in seen:
            seen.add(obs.group)
            out.append(obs)
    return out


def replay(states: Sequence[str], confirm_after: int, *, start: str | None = None) -> list[Step]:
    """Walk the states oldest first and say, after each, which state is confirmed."""
    confirmed = start
    since = 0
    candidate: str | None = None
    count = 0
    candidate_start = 0
    steps: list[Step] = []
    for i, state in enumerate(states):
        before = confirmed
        if state == confirmed:
            candidate, count = None, 0
        else:
            if state == candidate:
                count += 1
            else:
                candidate, count, candidate_start = state, 1, i
            if count >= confirm_after:
                confirmed, since = state, candidate_start
                candidate, count = None, 0
        steps.append(Step(before=before, after=confirmed, since=since))
    return steps


def image_transition(
    history: Sequence[Observation],
    current: Observation,
    confirm_after: int,
    *,
    truncated: bool = False,
) -> Transition | None:
    """Did ``current`` confirm a new state after ``history`` (earlier observations of the same key)?

    ``truncated`` says that ``history`` is only the newest part of a longer past: its oldest
    observation then seeds the confirmed state instead of "nothing seen yet".
    """
    if any(o.group == current.group for o in history):
        return None  # this sweep already spoke for this key (an earlier page)
    past = collapse(history)
    observations = [*past, current]
    start = past[0].state if truncated and past else None
    steps = replay([o.state for o in observations], confirm_after, start=start)
    last = steps[-1]
    if not last.changed or last.after is None:
        return None
    return Transition(
        previous=last.before,
        state=last.after,
        first_seen_at=observations[last.since].seen_at,
        in_a_row=len(observations) - last.since,
    )


def run_start(history: Iterable[Observation]) -> Observation | None:
    """The first observation of the newest run of one state: when what the ad shows now was first seen."""
    observations = collapse(history)
    if not observations:
        return None
    first = observations[-1]
    for obs in reversed(observations):
        if obs.state != first.state:
            break
        first = obs
    return first


def image_event_kind(previous: str | None, state: str) -> str | None:
    """The event a change of the confirmed state makes, if any."""
    if state == previous:
        return None
    if state == UNKNOWN:
        return UNKNOWN_IMAGE
    if state == MAIN:
        return MAIN_RESTORED if previous is not None else None
    return MAIN_REPLACED if previous in (None, MAIN) else None


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def detect_image_event(
    marketplace: str,
    asin: str,
    keyword: str,
    unit: str,
    history: Sequence[Observation],
    current: Observation,
    settings: Settings,
    *,
    truncated: bool = False,
) -> Detected | None:
    """The image event (replaced, restored, unknown) the newest observation of an ad key makes."""
    transition = image_transition(history, current, settings.confirm_after, truncated=truncated)
    if transition is None:
        return None
    kind = image_event_kind(transition.previous, transition.state)
    if kind is None:
        return None
    times = "once" if transition.in_a_row == 1 else f"{transition.in_a_row} sweeps in a row"
    since = _when(transition.first_seen_at)
    if kind == MAIN_REPLACED:
        detail = (
            f"The {unit} ad for “{keyword}” showed {transition.state} instead of the MAIN image "
            f"({times}, first seen {since})."
        )
    elif kind == UNKNOWN_IMAGE:
        detail = (
            f"The {unit} ad for “{keyword}” showed an image that is not in the listing's gallery "
            f"({times}, first seen {since}). It may be generated, or the gallery may need a refresh."
        )
    else:
        was = "an image not in the gallery" if transition.previous == UNKNOWN else transition.previous
        detail = f"The {unit} ad for “{keyword}” shows the MAIN image again (it showed {was}; since {since})."
    return Detected(
        kind=kind,
        marketplace=marketplace,
        asin=asin,
        keyword=keyword,
        unit=unit,
        variant=None if transition.state == UNKNOWN else transition.state,
        previous_variant=None if transition.previous in (None, UNKNOWN) else transition.previous,
        sighting_id=current.sighting_id,
        first_seen_at=transition.first_seen_at,
        detail=detail,
    )


def detect_listing_main_change(
    marketplace: str, asin: str, old_ids: Iterable[str], new_ids: Iterable[str]
) -> Detected | None:
    """The listing's own MAIN changed when old and new MAIN share no image id (one picture, many ids)."""
    old, new = {i for i in old_ids if i}, {i for i in new_ids if i}
    if not old or not new or old & new:
        return None
    return Detected(
        kind=LISTING_MAIN_CHANGED,
        marketplace=marketplace,
        asin=asin,
        variant=MAIN,
        detail=(
            f"The listing's MAIN image changed (was {', '.join(sorted(old))}; "
            f"now {', '.join(sorted(new))}). Ads are now compared with the new gallery."
        ),
    )


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
            f"{'were captcha pages' if count != 1 else 'was a captcha page'} since {_when(began)}. "
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
            f"(last seen {_when(last_seen_at)}). The campaign may be paused, out of budget or outbid."
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
