"""Shopper sessions and marketplace health during one sweep: who may go on, who is retired or given up.

Where it sits: inside the sweep (``monitor.sweep.runner``), between a page load's outcome and what the sweep
does next. No IO of its own: the sweep opens the browser contexts and tells this module what happened;
this module says what that means. A ``Lane`` is one sweep worker's context with the session it stands
for; closing it (the context's own ``close``) retires the session.

A ``Session`` is one shopper identity (a browser context: its cookies, its proxy's turn, its user
agent). Its verbs say what happened to it: ``mark_good`` (a page loaded), ``mark_challenged`` (Amazon
asked for a captcha: the session is retired, as a shopper whose cookies are flagged would start
afresh), ``retire``. A challenge costs its session, not the sweep: the page is tried again later with
a fresh session, and the other keywords go on.

``Health`` keeps, per marketplace, what happened in a row, and backs a marketplace off for the rest of
the sweep only when it is clearly unusable, with the reason its remaining pages are skipped:

- ``blocked_after`` fresh sessions in a row were challenged (the ``blocked`` event follows from the
  stored captcha pages);
- ``give_up_after_timeouts`` page loads in a row got no answer (timed out, or the connection failed):
  a hung marketplace then costs a few timeouts, not three per keyword.

Anything that loaded resets both runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

# Chromium's network errors that mean the marketplace did not answer (rather than the browser failing).
NO_ANSWER = (
    "ERR_CONNECTION_REFUSED",
    "ERR_CONNECTION_RESET",
    "ERR_CONNECTION_CLOSED",
    "ERR_CONNECTION_TIMED_OUT",
    "ERR_TIMED_OUT",
    "ERR_EMPTY_RESPONSE",
    "ERR_NAME_NOT_RESOLVED",
    "ERR_ADDRESS_UNREACHABLE",
)


def no_answer(message: str) -> bool:
    """Whether a failed page load's message says the marketplace did not answer (counted like a timeout)."""
    return any(code in message for code in NO_ANSWER)


@dataclass(frozen=True, slots=True)
class HealthLimits:
    """The named limits of ``Health`` (from ``[alerts] blocked_after`` and ``[sweep]``)."""

    blocked_after: int = 3  # sessions challenged in a row before the marketplace is backed off
    give_up_after_timeouts: int = 3  # page loads without an answer in a row before it is given up
    challenge_retries: int = 2  # a challenged page is tried again this often, each time in a new session


@dataclass(slots=True)
class Session:
    """One shopper identity in one marketplace, from its first page until it is retired."""

    number: int
    marketplace: str
    pages: int = 0  # pages it loaded
    challenged: bool = False
    retired: bool = False

    def mark_good(self) -> None:
        """A page loaded in this session."""
        self.pages += 1

    def mark_challenged(self) -> None:
        """Amazon challenged this session: it is retired (its cookies and context are not used again)."""
        self.challenged = True
        self.retire()

    def retire(self) -> None:
        self.retired = True


class Closable(Protocol):
    async def close(self) -> None: ...


ContextT = TypeVar("ContextT", bound=Closable)


@dataclass(slots=True)
class Lane(Generic[ContextT]):
    """A sweep worker's browser context and the session it stands for: closing the one retires the
    other (a new context is a new session)."""

    context: ContextT | None = None
    session: Session | None = None

    @property
    def marketplace(self) -> str:
        return self.session.marketplace if self.session is not None else ""

    def open(self, context: ContextT, session: Session) -> None:
        self.context, self.session = context, session

    async def close(self) -> None:
        context, session = self.context, self.session
        self.context = self.session = None
        if session is not None:
            session.retire()
        if context is not None:
            await context.close()


@dataclass(slots=True)
class MarketHealth:
    """What happened in a row in one marketplace, and why it was given up (empty: it was not)."""

    challenged_in_a_row: int = 0
    unanswered_in_a_row: int = 0
    sessions: int = 0
    challenges: int = 0
    given_up: str = ""


@dataclass(slots=True)
class Health:
    """Every marketplace's health during one sweep."""

    limits: HealthLimits = field(default_factory=HealthLimits)
    markets: dict[str, MarketHealth] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def market(self, marketplace: str) -> MarketHealth:
        return self.markets.setdefault(marketplace, MarketHealth())

    def new_session(self, marketplace: str) -> Session:
        self.market(marketplace).sessions += 1
        return Session(next(self._numbers), marketplace)

    def given_up(self) -> dict[str, str]:
        """Marketplace -> why it was given up in this sweep (without the "skipped: " of its pages)."""
        return {m: h.given_up.removeprefix("skipped: ") for m, h in self.markets.items() if h.given_up}

    def skip_reason(self, marketplace: str) -> str:
        """Why the marketplace's remaining pages are skipped in this sweep ("" while it is not)."""
        return self.market(marketplace).given_up

    def loaded(self, session: Session) -> None:
        """A page loaded (whatever it showed, short of a challenge): the runs start again."""
        session.mark_good()
        market = self.market(session.marketplace)
        market.challenged_in_a_row = 0
        market.unanswered_in_a_row = 0

    def challenged(self, session: Session) -> bool:
        """Amazon challenged ``session``, which is retired. True when the marketplace is now backed off."""
        session.mark_challenged()
        market = self.market(session.marketplace)
        market.challenges += 1
        market.unanswered_in_a_row = 0
        market.challenged_in_a_row += 1
        count = market.challenged_in_a_row
        return self._give_up(
            market,
            count >= self.limits.blocked_after,
            f"{count} fresh sessions in a row were challenged (captcha); the marketplace is backed off "
            "for the rest of this sweep",
        )

    def retry_challenged(self, challenges_so_far: int) -> bool:
        """Whether a page that was challenged this often is tried again with a fresh session."""
        return challenges_so_far < self.limits.challenge_retries

    def unanswered(self, marketplace: str) -> bool:
        """A page load got no answer (timeout, connection failed). True when the marketplace is now
        given up for the rest of the sweep."""
        market = self.market(marketplace)
        market.unanswered_in_a_row += 1
        count = market.unanswered_in_a_row
        return self._give_up(
            market,
            count >= self.limits.give_up_after_timeouts,
            f"the marketplace did not answer ({count} page loads in a row timed out or failed to "
            "connect); given up for the rest of this sweep",
        )

    @staticmethod
    def _give_up(market: MarketHealth, reached: bool, why: str) -> bool:
        if reached and not market.given_up:
            market.given_up = f"skipped: {why}"
        return bool(market.given_up)
