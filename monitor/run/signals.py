"""Stopping on SIGTERM and SIGINT: one mechanism for ``ismon sweep`` and ``ismon daemon``.

Where it sits: the run stage, beside ``run/daemon.py`` and ``store/lock.py``. A signal does not
raise anything: it sets a ``threading.Event`` that the sweep looks at between pages (and that ends an
SMTP conversation), so the page in hand is finished or abandoned, the sweep is recorded as interrupted
and the process leaves on its own. A watchdog makes sure it leaves within ``within_s`` seconds all the
same: when time is up (or a second signal comes) it runs ``on_overdue`` (record what it can) for at most
a second and ends the process.

Chromium runs in a process group of its own and never sees these signals. Playwright's driver is in
ismon's group: it ignores Ctrl-C (the browser is launched with Playwright's SIGINT handling off, see
``monitor/acquire/``), so Ctrl-C never closes the browser under a running page. A SIGTERM sent to
the whole group (``timeout``, systemd's default ``KillMode``) makes the driver close the browser; the
page in hand is then abandoned, never recorded as the keyword's failure.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

log = logging.getLogger(__name__)

STOP_WITHIN_S = 15.0
OVERDUE_MARGIN_S = 1.5  # time kept for on_overdue and the exit itself
HANDLED = (signal.SIGTERM, signal.SIGINT)


class GracefulStop:
    """``with GracefulStop(...) as stopping:`` SIGTERM/SIGINT set ``stopping.stop``; see the module."""

    def __init__(
        self,
        *,
        stop: threading.Event | None = None,
        within_s: float = STOP_WITHIN_S,
        on_overdue: Callable[[], object] | None = None,
        what: str = "finishing the page in hand",
        exit_code: int = 1,
    ) -> None:
        self.stop = stop or threading.Event()
        self.within_s = within_s
        self.on_overdue = on_overdue
        self.what = what
        self.exit_code = exit_code
        self.finished = threading.Event()
        self.received = ""  # the name of the first signal
        self._deadline: float | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> GracefulStop:
        for signum in HANDLED:
            self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.finished.set()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def left(self) -> float | None:
        """Seconds left before the process must be gone; None while no signal came."""
        if self._deadline is None:
            return None
        return self._deadline - time.monotonic()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set() and self._deadline is not None:
            log.warning("%s again: stopping now", name)
            threading.Thread(target=self._give_up, name="ismon-stop-now", daemon=True).start()
            return
        self.received = name
        self._deadline = time.monotonic() + self.within_s
        log.warning("%s received: %s, then stopping (within %.0f s)", name, self.what, self.within_s)
        self.stop.set()
        threading.Thread(target=self._watch, name="ismon-stop-watchdog", daemon=True).start()

    def _watch(self) -> None:
        if self.finished.wait(max(0.0, self.within_s - OVERDUE_MARGIN_S)):
            return
        log.error("not stopped after %.0f s: leaving now", self.within_s - OVERDUE_MARGIN_S)
        self._give_up()

    def _give_up(self) -> None:
        if self.on_overdue is not None:
            recorder = threading.Thread(target=self._record, name="ismon-stop-record", daemon=True)
            recorder.start()
            recorder.join(OVERDUE_MARGIN_S - 0.5)
        logging.shutdown()
        os._exit(self.exit_code)  # a thread is stuck (browser, database): leave without waiting for it

    def _record(self) -> None:
        assert self.on_overdue is not None
        try:
            self.on_overdue()
        except Exception:
            log.exception("could not record the interruption")
