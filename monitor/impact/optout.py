"""Opt-out verification: did Amazon stop replacing the MAIN image after the seller asked? Pure.

Where it sits: beside the impact estimates, after the store. ``monitor/alerts/optouts.py`` loads an opt-out
request and the Sponsored Products sightings of its ASIN made since the request, turns them into the
values below and asks ``verify`` for the request's state; it stores ``effective_at`` and makes the
``optout_overdue`` event when the state says so.

The rule. A request covers some keywords of an ASIN (or all of them). It is ``effective`` once every
covered keyword (and ad unit) seen since the request shows MAIN at its newest observations: the moment
it took effect is, per keyword and unit, the first MAIN observation after the last other image, and for
the request the latest of those. It is ``overdue`` when, ``grace`` after the request, some covered
keyword's newest observation still shows another image (a gallery variant or an image not in the
gallery); otherwise it is ``pending`` (too early, or no sightings since the request to judge by).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.ads.keywords import normalise_keyword

MAIN = "MAIN"
PENDING = "pending"
EFFECTIVE = "effective"
OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Request:
    """What the seller asked for: ``keywords`` empty means every keyword of the ASIN."""

    marketplace: str
    asin: str
    keywords: tuple[str, ...]
    requested_at: datetime

    def covers(self, keyword: str) -> bool:
        if not self.keywords:
            return True
        return normalise_keyword(keyword) in {normalise_keyword(k) for k in self.keywords}


@dataclass(frozen=True, slots=True)
class Seen:
    """One Sponsored Products sighting of the ASIN on a search page: ``state`` is a variant or unknown."""

    seen_at: datetime
    keyword: str
    state: str
    unit: str = "grid"
    sighting_id: int | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The state of one request at ``now``, with the evidence for it."""

    state: str  # pending | effective | overdue
    effective_at: datetime | None = None
    still_other: tuple[Seen, ...] = ()  # per keyword, the newest sighting not showing MAIN
    observed: int = 0  # covered sightings since the request


def hours_to_effect(request: Request, verdict: Verdict) -> float | None:
    """Hours from the request to the moment it took effect (None unless effective)."""
    if verdict.effective_at is None:
        return None
    return max(0.0, (verdict.effective_at - request.requested_at).total_seconds() / 3600)


def verify(request: Request, sightings: Iterable[Seen], now: datetime, grace: timedelta) -> Verdict:
    """The state of ``request`` at ``now`` from the sightings of its ASIN (any order, any time)."""
    by_keyword: dict[tuple[str, str], list[Seen]] = {}
    for seen in sightings:
        if seen.seen_at < request.requested_at or seen.seen_at > now or not request.covers(seen.keyword):
            continue
        by_keyword.setdefault((normalise_keyword(seen.keyword), seen.unit), []).append(seen)
    observed = sum(len(v) for v in by_keyword.values())
    effects: list[datetime] = []
    other: list[Seen] = []
    for seen_list in by_keyword.values():
        ordered = sorted(seen_list, key=lambda s: (s.seen_at, s.sighting_id or 0))
        effect = _took_effect(ordered)
        if effect is None:
            other.append(next(s for s in reversed(ordered) if s.state != MAIN))
        else:
            effects.append(effect)
    if by_keyword and not other:
        return Verdict(EFFECTIVE, effective_at=max(effects), observed=observed)
    if other and now - request.requested_at >= grace:
        return Verdict(OVERDUE, still_other=tuple(other), observed=observed)
    return Verdict(PENDING, still_other=tuple(other), observed=observed)


def _took_effect(ordered: Sequence[Seen]) -> datetime | None:
    """The first MAIN observation after the last other one, or None when the newest is not MAIN."""
    first_main: datetime | None = None
    for seen in reversed(ordered):
        if seen.state != MAIN:
            break
        first_main = seen.seen_at
    return first_main
