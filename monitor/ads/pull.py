"""``ismon ads pull``: the seller's Sponsored Products reports through the Amazon Ads API, stored.

Where it sits: the API way into the ads stage (console files are the other). For every marketplace with
an ``ads_profile_id`` it works out the days to ask for (``monitor.ads.reporting``), asks Amazon for the
advertised product, targeting and search term reports of each window of at most 31 days, remembers
the report ids (``monitor.ads.jobs``), polls them with growing pauses until Amazon has them ready, and
downloads and stores the three reports of a window in ONE transaction (``monitor.ads.store``): a day is
wholly the old data or wholly the new. Windows are stored oldest first, so a late old report never
overwrites a newer one. A pull that runs out of time leaves its report ids pending; the next pull (or
the daemon after a restart) collects them instead of asking again.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from monitor.ads import jobs
from monitor.ads.api import AdsClient, UrlExpiredError, credentials_from, hide_url_queries
from monitor.ads.reporting import (
    BY_TYPE_ID,
    REPORT_TYPES,
    ReportType,
    Window,
    clip,
    plan_windows,
    report_from_rows,
    request_body,
    wanted_range,
)
from monitor.ads.store import store_report
from monitor.config import Ads
from monitor.errors import AdsApiError, AdsAuthError, ConfigError, StoreError
from monitor.secrets import Secrets
from monitor.store.lock import exclusive
from monitor.store.models import AdsReportJob

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Say = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """A marketplace to pull: its Ads profile and the zone its report days are in."""

    marketplace: str
    profile_id: str
    timezone: ZoneInfo


@dataclass(frozen=True)
class PullOptions:
    """What to ask for and how long to wait for Amazon."""

    since: date | None = None
    until: date | None = None
    lookback_days: int = 14
    first_poll_s: float = 2.0  # the first pause before asking for a report's status again
    poll_factor: float = 1.6
    max_poll_s: float = 120.0
    max_wait_s: float = 4 * 3600.0  # Amazon: "report generation can take up to three hours"


@dataclass
class PullResult:
    """What a pull did: one line per stored or failed window, and the reports still pending."""

    stored: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pending: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and self.pending == 0


@dataclass
class _Batch:
    """The reports of one window of one marketplace, stored together."""

    target: Target
    jobs: list[AdsReportJob]
    ready: dict[str, str] = field(default_factory=dict)  # report id -> download URL
    retried: set[str] = field(default_factory=set)  # report types asked again after FAILED
    error: str = ""

    @property
    def window(self) -> Window:
        return Window(min(j.start_day for j in self.jobs), max(j.end_day for j in self.jobs))


@dataclass(frozen=True)
class PullSettings:
    """What a configured pull uses: the ``[ads]`` section, the profiles to pull, the seller's ASINs."""

    ads: Ads | None
    targets: tuple[Target, ...]  # the marketplaces with an ads_profile_id, by key
    own_asins: Mapping[str, frozenset[str]]  # marketplace -> the configured ASINs
    data_dir: Path  # where ``ads.lock`` is taken
    where: str  # the config file, for errors


def pull_configured(
    settings: PullSettings,
    engine: Engine,
    secrets: Secrets,
    *,
    clock: Clock,
    options: PullOptions | None = None,
    stop: threading.Event | None = None,
    say: Say = lambda _line: None,
    timeout_s: float = 60.0,
) -> PullResult:
    """``run_pull`` with everything taken from the settings (the CLI, the daemon and the demo use it).

    The secrets are read from ``secrets`` here, when pulling, never when the config is parsed. One pull at
    a time per data_dir (``ads.lock``): a second one raises ``LockedError``."""
    ads, where, targets = settings.ads, settings.where, list(settings.targets)
    if ads is None:
        raise ConfigError(f"{where}: no [ads] section: `ismon ads pull` needs the Amazon Ads API client id")
    if not targets:
        raise ConfigError(f"{where}: no marketplace has an ads_profile_id, so there is nothing to pull")
    credentials = credentials_from(ads, secrets)
    own = settings.own_asins
    options = options or PullOptions(lookback_days=ads.lookback_days)
    hide_url_queries()
    with (
        exclusive(settings.data_dir, "ads.lock", "ads pull"),
        httpx.Client(timeout=timeout_s, headers={"User-Agent": "ismon"}) as http,
    ):
        client = AdsClient(
            http,
            api_url=ads.api_base,
            token_url=ads.token_endpoint,
            credentials=credentials,
            clock=clock,
            sleep=(stop or threading.Event()).wait,
        )
        return run_pull(
            engine,
            client,
            targets,
            own,
            clock=clock,
            options=options,
            stop=stop,
            say=say,
        )


def run_pull(
    engine: Engine,
    client: AdsClient,
    targets: list[Target],
    own_asins: Mapping[str, frozenset[str]],
    *,
    clock: Clock,
    options: PullOptions = PullOptions(),
    stop: threading.Event | None = None,
    say: Say = lambda _line: None,
) -> PullResult:
    """Pull every target's reports; raises ``AdsApiError`` when Amazon cannot be used at all (the
    report ids asked so far stay pending for the next pull)."""
    stop = stop or threading.Event()
    result = PullResult()
    with Session(engine) as session:
        batches = _request(session, client, targets, options, clock, say)
        started = clock()
        pause = options.first_poll_s
        while batches and not stop.is_set():
            _poll(session, client, batches, clock)
            _store_ready(session, client, batches, own_asins, clock, result, say)
            if not batches or (clock() - started).total_seconds() >= options.max_wait_s:
                break
            waiting = sum(len(b.jobs) - len(b.ready) for b in batches)
            log.info("ads: %d reports not ready yet; next look in %.0f s", waiting, pause)
            stop.wait(pause)
            pause = min(pause * options.poll_factor, options.max_poll_s)
        result.pending = sum(len(b.jobs) for b in batches)
    return result


def _request(
    session: Session,
    client: AdsClient,
    targets: list[Target],
    options: PullOptions,
    clock: Clock,
    say: Say,
) -> list[_Batch]:
    """Resume the pending reports and ask for those the wanted days still lack: the batches to wait for."""
    by_market = {t.marketplace: t for t in targets}
    pending = jobs.pending_batches(session, set(by_market))
    batches: dict[jobs.BatchKey, _Batch] = {
        key: _Batch(by_market[key[0]], rows) for key, rows in pending.items()
    }
    if batches:
        say(f"resuming {sum(len(b.jobs) for b in batches.values())} reports asked for earlier")
    for target in targets:
        today = clock().astimezone(target.timezone).date()
        wanted = wanted_range(
            today,
            since=options.since,
            until=options.until,
            lookback_days=options.lookback_days,
            last_stored=jobs.last_stored_day(session, target.marketplace),
        )
        if wanted is None:
            say(f"{target.marketplace}: nothing to pull")
            continue
        if options.since is not None and options.since < wanted.start:
            say(f"{target.marketplace}: Amazon keeps no reports before {wanted.start}; starting there")
        say(f"{target.marketplace}: asking for {wanted} (profile {target.profile_id})")
        for window in plan_windows(wanted):
            batch = batches.setdefault((target.marketplace, window.end), _Batch(target, []))
            for report_type in REPORT_TYPES:
                part = clip(window, report_type, today)
                if part is None or any(
                    j.report_type == report_type.type_id and j.start_day == part.start for j in batch.jobs
                ):
                    continue
                job = _ask(session, client, target.marketplace, target.profile_id, report_type, part, clock)
                if all(j.id != job.id for j in batch.jobs):
                    batch.jobs.append(job)
    return sorted((b for b in batches.values() if b.jobs), key=lambda b: (b.window.end, b.window.start))


def _poll(session: Session, client: AdsClient, batches: list[_Batch], clock: Clock) -> None:
    """Ask Amazon for the status of every report not ready yet; a FAILED one is asked for once more."""
    for batch in batches:
        if batch.error:
            continue
        for job in list(batch.jobs):
            if job.report_id in batch.ready:
                continue
            status = client.report(job.profile_id, job.report_id)
            if status.status == "COMPLETED" and status.url:
                batch.ready[job.report_id] = status.url
            elif status.status == "FAILED":
                _failed_report(session, client, batch, job, status.failure_reason, clock)
                if batch.error:
                    break


def _failed_report(
    session: Session, client: AdsClient, batch: _Batch, job: AdsReportJob, reason: str, clock: Clock
) -> None:
    what = f"{job.report_type} {job.start_day}..{job.end_day} of {job.marketplace}"
    if job.report_type in batch.retried:
        batch.error = f"Amazon failed to prepare the {what} report twice ({reason or 'no reason given'})"
        return
    log.warning("ads: Amazon failed the %s report (%s); asking again", what, reason or "no reason given")
    batch.retried.add(job.report_type)
    report_type = BY_TYPE_ID[job.report_type]
    window = Window(job.start_day, job.end_day)
    jobs.finish(session, [job], "failed", clock(), f"FAILED: {reason}")
    session.commit()
    batch.jobs.remove(job)
    batch.jobs.append(_ask(session, client, job.marketplace, job.profile_id, report_type, window, clock))


def _ask(
    session: Session,
    client: AdsClient,
    marketplace: str,
    profile_id: str,
    report_type: ReportType,
    window: Window,
    clock: Clock,
) -> AdsReportJob:
    """Ask Amazon for one report and remember its id at once (committed)."""
    report_id = client.create_report(profile_id, request_body(report_type, window, marketplace))
    return jobs.remember(
        session,
        marketplace=marketplace,
        profile_id=profile_id,
        report_type=report_type,
        window=window,
        report_id=report_id,
        now=clock(),
    )


def _store_ready(
    session: Session,
    client: AdsClient,
    batches: list[_Batch],
    own_asins: Mapping[str, frozenset[str]],
    clock: Clock,
    result: PullResult,
    say: Say,
) -> None:
    """Store (or give up on) every batch that is ready and has no older unfinished batch before it."""
    blocked: set[str] = set()  # marketplaces with an older batch still waiting
    for batch in list(batches):
        market = batch.target.marketplace
        if market in blocked:
            continue
        label = f"{market} {batch.window}"
        if batch.error:
            jobs.finish(session, batch.jobs, "failed", clock(), batch.error)
            session.commit()
            result.failed.append(f"{label}: {batch.error}; the stored days were left as they were")
            batches.remove(batch)
            continue
        if len(batch.ready) < len(batch.jobs):
            blocked.add(market)
            continue
        try:
            line = _store_batch(session, client, batch, own_asins, clock, result)
        except AdsAuthError:
            session.rollback()
            raise
        except AdsApiError as exc:
            session.rollback()
            jobs.finish(session, batch.jobs, "failed", clock(), str(exc))
            session.commit()
            result.failed.append(f"{label}: {exc}; the stored days were left as they were")
        except SQLAlchemyError as exc:
            session.rollback()
            raise StoreError(
                f"storing {label} failed, nothing of it was stored: {getattr(exc, 'orig', None) or exc}"
            ) from None
        else:
            result.stored.append(f"{label}: {line}")
            say(f"stored {label}: {line}")
        batches.remove(batch)


def _store_batch(
    session: Session,
    client: AdsClient,
    batch: _Batch,
    own_asins: Mapping[str, frozenset[str]],
    clock: Clock,
    result: PullResult,
) -> str:
    """Download the batch's reports and store them in one transaction (committed here)."""
    order = {t.type_id: i for i, t in enumerate(REPORT_TYPES)}
    counts = {"rows": 0, "new": 0, "replaced": 0}
    for job in sorted(batch.jobs, key=lambda j: order[j.report_type]):
        report_type = BY_TYPE_ID[job.report_type]
        rows = _rows(_download(client, batch, job), job)
        report = report_from_rows(report_type, job.marketplace, rows)
        loaded = store_report(session, report, own_asins, clock())
        counts["rows"] += loaded.rows
        counts["new"] += loaded.new
        counts["replaced"] += loaded.replaced
    jobs.finish(session, batch.jobs, "stored", clock())
    session.commit()
    result.rows += counts["rows"]
    return (
        f"{len(batch.jobs)} reports, {counts['rows']} rows ({counts['new']} new, "
        f"{counts['replaced']} replaced)"
    )


def _download(client: AdsClient, batch: _Batch, job: AdsReportJob) -> bytes:
    """The report file; an expired link is renewed by asking for the report's status again."""
    try:
        return client.download(batch.ready[job.report_id])
    except UrlExpiredError:
        log.info("ads: the link of report %s expired; asking for a fresh one", job.report_id)
        status = client.report(job.profile_id, job.report_id)
        if status.status != "COMPLETED" or not status.url:
            raise AdsApiError(f"report {job.report_id} is {status.status} after its link expired") from None
        batch.ready[job.report_id] = status.url
        return client.download(status.url)


def _rows(data: bytes, job: AdsReportJob) -> list[dict[str, object]]:
    what = f"{job.report_type} report {job.report_id}"
    try:
        text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        rows = json.loads(text)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise AdsApiError(f"{what}: the download is not gzip JSON ({exc})") from None
    if not isinstance(rows, list):
        raise AdsApiError(f"{what}: the download is not a JSON array of rows")
    return rows
