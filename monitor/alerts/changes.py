"""Image change detection: what the ads displayed over time -> image events. Pure.

Where it sits: after the store has written a page's sightings and before the outbox.
``monitor/alerts/outbox.py`` loads the history it needs from the database, turns rows into the plain
values below and asks these functions which events the newest observations make. Nothing here reads a
clock, a file or a database. The kinds, states and the cooldown are ``monitor/alerts/kinds.py``; the
checks at the end of a sweep (blocked, not seen, parser drift) are ``monitor/alerts/sweep_checks.py``.

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.alerts.kinds import (
    LISTING_MAIN_CHANGED,
    MAIN,
    MAIN_REPLACED,
    MAIN_RESTORED,
    UNKNOWN,
    UNKNOWN_IMAGE,
    Detected,
    Settings,
    when,
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
    since = when(transition.first_seen_at)
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
