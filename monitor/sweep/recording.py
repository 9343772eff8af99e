"""Recording a sweep: its row, its summary, the visits that yielded no page, and its closing events.

Where it sits: the sweep's side of the store. ``start_sweep`` opens the ``sweep_run`` row (closing those a
killed process left ``running``); ``PageWrites`` hands each page's store to the sweep's one store thread;
``SweepRecords`` writes the visits that yielded no page (an error after every retry, or a skip);
``finish_sweep`` closes the row and makes the sweep-level events (blocked, not_seen, digest) with
``monitor.alerts.outbox``. ``SweepSummary`` is what a sweep did, as ``ismon sweep`` prints it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts import outbox, pending
from monitor.store import models
from monitor.sweep.planning import Task, search_url
from monitor.sweep.settings import Clock, SweepSettings


@dataclass(slots=True)
class SweepSummary:
    sweep_id: int
    status: str = "running"  # ok | failed | interrupted
    pages: int = 0
    failures: int = 0
    skipped: int = 0
    sightings: int = 0
    screenshots: int = 0  # taken by this sweep; the other sightings share an earlier one
    events: int = 0
    bytes: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    challenges: int = 0  # captcha pages met, including those a fresh session then loaded
    given_up: dict[str, str] = field(default_factory=dict)  # marketplace -> why its pages were skipped
    galleries_refreshed: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1


class PageWrites:
    """A worker's page stores, each run in the sweep's one store thread while its browser context
    loads the next page. One is pending at a time: the next waits for it, and its error surfaces there.
    The thread is the only writer of the sweep's pages and of its summary."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._pending: asyncio.Future[None] | None = None

    async def add(self, store_page: Callable[[], None]) -> None:
        await self.drain()
        self._pending = asyncio.get_running_loop().run_in_executor(self._pool, store_page)

    async def drain(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending


class SweepRecords:
    """The visits that yielded no page, written in the store thread like the pages."""

    def __init__(self, settings: SweepSettings, engine: Engine, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock

    def error(self, task: Task, summary: SweepSummary, message: str) -> None:
        self._plain_visit(task, "error", message, summary)
        summary.pages += 1
        summary.failures += 1
        summary.errors.append(f"{task.marketplace} {task.keyword!r} page {task.page}: {message}")

    def skip(self, task: Task, summary: SweepSummary, reason: str) -> None:
        self._plain_visit(task, "skipped", reason, summary)
        summary.skipped += 1

    def _plain_visit(self, task: Task, status: str, error: str, summary: SweepSummary) -> None:
        """A visit that yielded no page: an error after every retry, or a skip."""
        market = self.settings.marketplaces[task.marketplace]
        with Session(self.engine) as session:
            session.add(
                models.PageVisit(
                    sweep_id=summary.sweep_id,
                    marketplace=task.marketplace,
                    keyword=task.keyword,
                    page=task.page,
                    url=search_url(market.base_url, task.keyword, task.page),
                    seen_at=self.clock(),
                    status=status,
                    error=error[:500],
                )
            )
            session.commit()
        summary.kinds[status] += 1


def start_sweep(engine: Engine, trigger: str, now: datetime) -> int:
    """The new sweep's row; sweeps left ``running`` by a killed process are closed in the same commit.

    Callers hold the sweep lock (``monitor/run/lock.py``), so no other sweep of this data_dir is alive.
    """
    with Session(engine) as session:
        run = models.SweepRun(started_at=now, trigger=trigger)
        session.add(run)
        session.flush()
        assert run.id is not None
        pending.close_dead_sweeps(session, now, by=run.id)
        session.commit()
        return run.id


def finish_sweep(
    engine: Engine, settings: SweepSettings, summary: SweepSummary, now: datetime, interrupted: bool
) -> None:
    """Close the sweep row and make the sweep-level events (blocked, not_seen, digest) in one transaction."""
    with Session(engine) as session:
        run = session.get(models.SweepRun, summary.sweep_id)
        assert run is not None
        if interrupted:
            summary.status = "interrupted"
        else:
            summary.status = "failed" if summary.failures else "ok"
        run.finished_at = now
        run.status = summary.status
        run.pages = summary.pages
        run.failures = summary.failures
        run.sightings = summary.sightings
        events = outbox.close_sweep_events(session, run, settings.events, now)
        summary.events += len(events)
        run.events = summary.events
        run.note = "; ".join(summary.errors[:5])[:1000]
        session.add(run)
        session.commit()
