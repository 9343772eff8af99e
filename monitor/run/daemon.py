"""``ismon daemon``: the schedule that drives sweeps, gallery refreshes and outbox flushes.

APScheduler 3.x in a background thread pool, the main thread waiting for SIGTERM or SIGINT. One job
for all sweep cron expressions (an OrTrigger), so two sweeps never run at once; sweeps and gallery
refreshes also take the same file lock as ``ismon sweep`` from cron. On a signal the sweep in hand
finishes its page, is recorded as interrupted, and the process exits within 15 seconds.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.pending import interrupt_running_sweeps
from monitor.config import Config
from monitor.errors import LockedError, MonitorError
from monitor.run.signals import STOP_WITHIN_S, GracefulStop
from monitor.secrets import Secrets
from monitor.store import models
from monitor.store.lock import sweep_lock

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
HEARTBEAT_EVERY_S = 30


class Daemon:
    def __init__(self, config: Config, engine: Engine, *, clock: Clock, secrets: Secrets) -> None:
        self.config = config
        self.engine = engine
        self.clock = clock
        self.secrets = secrets
        self.stop = threading.Event()
        self.idle = threading.Event()  # no sweep or gallery refresh running
        self.idle.set()
        self.not_sending = threading.Event()  # no outbox flush running
        self.not_sending.set()
        self.started_at = clock()
        self.state = "starting"
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            # sweep or gallery refresh, the ads pull (it may wait hours for Amazon), flush and heartbeat
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 15 * 60},
        )

    # --- jobs ---------------------------------------------------------------------------------

    def sweep_job(self) -> None:
        from monitor.run.settings import sweep_settings
        from monitor.sweep.planning import SweepOptions
        from monitor.sweep.runner import run_sweep

        self._exclusive(
            "sweep",
            lambda: run_sweep(
                sweep_settings(self.config),
                self.engine,
                clock=self.clock,
                options=SweepOptions(trigger="daemon"),
                stop=self.stop,
            ),
        )
        self.flush_job()

    def gallery_job(self) -> None:
        from monitor.run.settings import sweep_settings
        from monitor.sweep.gallery import refresh_galleries

        self._exclusive(
            "gallery refresh",
            lambda: refresh_galleries(
                sweep_settings(self.config), self.engine, clock=self.clock, stop=self.stop
            ),
        )

    def _exclusive(self, name: str, work: Callable[[], object]) -> None:
        if self.stop.is_set():
            return
        self.idle.clear()
        self.state = name
        self.beat()
        try:
            with sweep_lock(self.config.data_dir):
                result = work()
                log.info("%s done: %s", name, getattr(result, "status", result))
        except LockedError as exc:
            log.warning("%s skipped: %s", name, exc)
        except MonitorError as exc:
            log.error("%s failed: %s", name, exc)
        except Exception:  # the daemon never dies of one bad run
            log.exception("%s crashed", name)
        finally:
            self.state = "idle"
            self.idle.set()
            self.beat()

    def ads_job(self) -> None:
        """The daily Amazon Ads pull; on SIGTERM it stops waiting and its report ids stay pending."""
        from monitor.ads.pull import pull_configured
        from monitor.run.settings import ads_pull_settings

        if self.stop.is_set():
            return
        try:
            result = pull_configured(
                ads_pull_settings(self.config), self.engine, self.secrets, clock=self.clock, stop=self.stop
            )
            log.info(
                "ads pull: %d windows stored (%d rows), %d failed, %d reports still pending",
                len(result.stored),
                result.rows,
                len(result.failed),
                result.pending,
            )
            for line in result.failed:
                log.error("ads pull: %s", line)
        except MonitorError as exc:
            log.error("ads pull failed: %s", exc)
        except Exception:  # the daemon never dies of one bad pull
            log.exception("ads pull crashed")

    def _ads_pending(self) -> bool:
        from monitor.ads.jobs import pending_batches

        with Session(self.engine) as session:
            return bool(pending_batches(session, set(self.config.marketplaces)))

    def flush_job(self) -> None:
        if self.config.email is None or self.stop.is_set():
            return
        from monitor.alerts.mailer import flush_configured
        from monitor.run.settings import alert_settings

        self.not_sending.clear()
        try:
            # ``stop`` ends the SMTP conversation at once: a dripping server cannot hold the daemon
            result = flush_configured(
                self.engine,
                alert_settings(self.config),
                self.secrets.smtp_password(self.config.email),
                self.clock(),
                stop=self.stop,
            )
            if result.sent or result.errors:
                log.info("outbox: %d sent, %d pending, %s", result.sent, result.pending, result.errors[:3])
        except MonitorError as exc:
            log.error("outbox flush failed: %s", exc)
        except Exception:
            log.exception("outbox flush crashed")
        finally:
            self.not_sending.set()

    def next_sweep(self) -> datetime | None:
        job: Job | None = self.scheduler.get_job("sweep")
        when = getattr(job, "next_run_time", None) if job else None
        return when.astimezone(UTC) if isinstance(when, datetime) else None

    def beat(self) -> None:
        now = self.clock()
        try:
            with Session(self.engine) as session:
                row = session.get(models.Heartbeat, "daemon") or models.Heartbeat(
                    name="daemon", pid=os.getpid(), started_at=self.started_at, beat_at=now
                )
                row.pid = os.getpid()
                row.started_at = self.started_at
                row.beat_at = now
                row.next_sweep_at = self.next_sweep()
                row.state = self.state
                session.add(row)
                session.commit()
        except Exception:
            log.exception("heartbeat not written")

    # --- life cycle ---------------------------------------------------------------------------

    def schedule(self, run_now: bool) -> None:
        sweep = self.config.sweep
        triggers = [CronTrigger.from_crontab(expr, timezone=UTC) for expr in sweep.schedule]
        self.scheduler.add_job(
            self.sweep_job,
            OrTrigger(triggers, jitter=sweep.jitter_seconds or None),
            id="sweep",
            name="sweep",
            # next_run_time=None would add the job paused (APScheduler 3): leave it out instead
            **({"next_run_time": self.clock()} if run_now else {}),
        )
        self.scheduler.add_job(
            self.gallery_job,
            CronTrigger.from_crontab(sweep.gallery_refresh, timezone=UTC),
            id="gallery",
            name="gallery refresh",
        )
        ads = self.config.ads
        if ads is not None and any(m.ads_profile_id for m in self.config.marketplaces.values()):
            # Reports asked for before a restart are collected now, not at the next scheduled pull.
            self.scheduler.add_job(
                self.ads_job,
                CronTrigger.from_crontab(ads.schedule, timezone=UTC),
                id="ads",
                name="ads pull",
                **({"next_run_time": self.clock()} if self._ads_pending() else {}),
            )
        self.scheduler.add_job(self.flush_job, IntervalTrigger(minutes=1), id="flush", name="outbox flush")
        self.scheduler.add_job(self.beat, IntervalTrigger(seconds=HEARTBEAT_EVERY_S), id="heartbeat")

    def run(self, run_now: bool = False) -> int:
        stopping = GracefulStop(
            stop=self.stop,
            what="finishing the page in hand",
            on_overdue=lambda: interrupt_running_sweeps(self.engine, self.clock()),
        )
        with stopping:
            self.schedule(run_now)
            self.scheduler.start()
            self.state = "idle" if not run_now else "sweep"
            self.beat()
            log.info("daemon started; next sweep %s", self.next_sweep())
            while not self.stop.wait(1.0):
                pass
            deadline = STOP_WITHIN_S - 2
            self.scheduler.shutdown(wait=False)
            finished = self.idle.wait(deadline) and self.not_sending.wait(
                max(0.0, (stopping.left() or 0.0) - 2)
            )
            if not finished:
                log.error("the running job did not stop in %.0f s; recording it as interrupted", deadline)
                interrupt_running_sweeps(self.engine, self.clock())
            self.state = "stopped"
            self.beat()
            self.engine.dispose()
            if not finished:
                os._exit(1)  # a thread is stuck in the browser; leave without waiting for it
        return 0


def run_daemon(
    config: Config,
    engine: Engine,
    config_path: Path,
    *,
    clock: Clock,
    secrets: Secrets,
    run_now: bool = False,
) -> int:
    """Run the schedule until SIGTERM or SIGINT. The SMTP password must be there: the daemon sends."""
    log.info("ismon daemon with %s", config_path)
    secrets.smtp_password(config.email)  # MissingSecretError (exit 2) now, not a failed flush every minute
    return Daemon(config, engine, clock=clock, secrets=secrets).run(run_now)
