"""``ismon check``: try each part a sweep needs and say, in one line each, what works and what does not.

An edge module: it tries the folders ismon writes to, opens the database, starts the browser once and
greets the SMTP server (with the password from the variable the config names).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from monitor.alerts.pending import FAILED, RUNNING, describe_counts, outbox_counts
from monitor.config import Config
from monitor.errors import MonitorError
from monitor.secrets import Secrets
from monitor.store import models, queries
from monitor.store.lock import sweep_running

CheckResult = tuple[str, bool, str]


def next_run(schedule: list[str], now: datetime) -> datetime | None:
    """The next time any of the cron expressions fires after ``now``."""
    times = [
        CronTrigger.from_crontab(expr, timezone="UTC").get_next_fire_time(None, now) for expr in schedule
    ]
    found = [t for t in times if t is not None]
    return min(found) if found else None


def check_folders(config: Config) -> list[CheckResult]:
    """data_dir, the SQLite database's folder and the report folder: can ismon write there?"""
    from monitor.store.folders import folder_problem

    folders = [
        ("data_dir", config.data_dir, "data_dir"),
        ("report folder", config.data_dir / "report", "data_dir"),
    ]
    url = config.database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folders.append(("database folder", Path(url.removeprefix("sqlite:///")).parent, "database_url"))
    results: list[CheckResult] = []
    for name, path, key in folders:
        problem = folder_problem(path, key)
        results.append((name, problem is None, problem or f"{path} (writable)"))
    return results


def _sweep_line(config: Config, last: models.SweepRun) -> CheckResult:
    detail = (
        f"#{last.id} {last.status} at {last.started_at:%Y-%m-%d %H:%M} UTC, {last.pages} pages, "
        f"{last.failures} failures"
    )
    if last.status != RUNNING:
        return ("last sweep", last.status == "ok", detail)
    if sweep_running(config.data_dir):
        return ("last sweep", True, detail + " (running now)")
    return (
        "last sweep",
        False,
        detail + ": no process holds the sweep lock, so it was killed; the next sweep records it as "
        "interrupted and sends its alerts",
    )


def check_database(config: Config, now: datetime) -> list[CheckResult]:
    from monitor.store.db import current_revision, open_database

    try:
        engine = open_database(config.database_url)
    except MonitorError as exc:
        return [("database", False, str(exc))]
    results: list[CheckResult] = [("database", True, f"revision {current_revision(engine)}")]
    with Session(engine) as session:
        last = queries.last_sweep(session)
        counts = outbox_counts(session)
        beat = session.get(models.Heartbeat, "daemon")
    results.append(("last sweep", True, "none yet") if last is None else _sweep_line(config, last))
    nxt = next_run(config.sweep.schedule, now)
    results.append(("next sweep", True, f"{nxt:%Y-%m-%d %H:%M} UTC (daemon schedule)" if nxt else "never"))
    results.append(("alerts", not counts.get(FAILED), describe_counts(counts) + " (`ismon alerts list`)"))
    if beat is not None:
        age = (now - beat.beat_at).total_seconds()
        alive = age < 180
        results.append(
            (
                "daemon",
                alive,
                f"pid {beat.pid}, last heartbeat {age:.0f} s ago, state {beat.state or '-'}"
                + ("" if alive else " (not running?)"),
            )
        )
    engine.dispose()
    return results


def check_browser(config: Config) -> CheckResult:
    from playwright.async_api import async_playwright

    from monitor.acquire.launch import find_chromium, launch

    try:
        path = find_chromium(config.browser.executable)
    except MonitorError as exc:
        return ("browser", False, str(exc))

    async def start() -> str:
        async with async_playwright() as playwright:
            browser = await launch(playwright, str(path), headless=True)
            version = browser.version
            await browser.close()
            return version

    try:
        version = asyncio.run(start())
    except MonitorError as exc:
        return ("browser", False, str(exc))
    return ("browser", True, f"{path} (Chromium {version})")


def check_smtp(config: Config, env: Mapping[str, str]) -> CheckResult:
    from monitor.alerts.mailer import check_smtp as greet

    email = config.email
    if email is None:
        return ("smtp", True, "no [email] section: alerts stay in the outbox")
    where = f"{email.smtp_host}:{email.smtp_port} ({email.security})"
    try:
        greet(email, Secrets(env, config.path).smtp_password(config.email))
    except MonitorError as exc:
        return ("smtp", False, str(exc))
    return (
        "smtp",
        True,
        f"{where} reachable" + (f", logged in as {email.username}" if email.username else ""),
    )


def check_ads(config: Config, env: Mapping[str, str], now: datetime) -> list[CheckResult]:
    """The Amazon Ads API setup: credentials present, token refresh, last pull, days covered."""
    import httpx

    from monitor.ads import jobs
    from monitor.ads.api import AdsClient, credentials_from
    from monitor.store.db import open_database

    results: list[CheckResult] = []
    ads = config.ads
    profiles = {k: m.ads_profile_id for k, m in config.marketplaces.items() if m.ads_profile_id}
    if ads is None or not profiles:
        why = "no [ads] section" if ads is None else "no marketplace has an ads_profile_id"
        results.append(("ads api", True, f"{why}: ads data only from console files (`ismon ads import`)"))
    else:
        try:
            credentials = credentials_from(ads, Secrets(env, config.path))
        except MonitorError as exc:
            results.append(("ads credentials", False, str(exc)))
        else:
            results.append(
                (
                    "ads credentials",
                    True,
                    f"client id {ads.client_id}, secret from ${ads.client_secret_env}, refresh token from "
                    f"${ads.refresh_token_env}; profiles "
                    + ", ".join(f"{k} {p}" for k, p in sorted(profiles.items())),
                )
            )
            try:
                with httpx.Client(timeout=30) as http:
                    client = AdsClient(
                        http,
                        api_url=ads.api_base,
                        token_url=ads.token_endpoint,
                        credentials=credentials,
                        clock=lambda: now,
                    )
                    client.refresh()
                results.append(("ads token", True, f"{ads.token_endpoint} issued an access token"))
            except MonitorError as exc:
                results.append(("ads token", False, str(exc)))
    try:
        engine = open_database(config.database_url)
    except MonitorError:
        return results  # the database line already says why
    with Session(engine) as session:
        last = jobs.last_pull(session)
        covered = jobs.coverage(session)
    engine.dispose()
    if last is not None:
        results.append(
            (
                "ads last pull",
                last.status == "stored",
                f"{last.updated_at:%Y-%m-%d %H:%M} UTC: {last.marketplace} {last.start_day}..{last.end_day} "
                f"{last.status}" + (f" ({last.error})" if last.error else ""),
            )
        )
    elif ads is not None and profiles:
        results.append(("ads last pull", True, "none yet (`ismon ads pull`)"))
    for c in covered:
        results.append(("ads days", True, f"{c.marketplace}: {c.days} days stored, {c.first}..{c.last}"))
    return results


def run_checks(config: Config, env: Mapping[str, str], now: datetime) -> list[CheckResult]:
    results: list[CheckResult] = [
        (
            "config",
            True,
            f"{config.path}: {len(config.products)} products, "
            f"{sum(len(p.keywords) for p in config.products)} keywords, "
            f"{len(config.marketplaces)} marketplaces",
        )
    ]
    results.extend(check_folders(config))
    results.extend(check_database(config, now))
    results.append(check_browser(config))
    results.append(check_smtp(config, env))
    results.extend(check_ads(config, env, now))
    return results
