"""The unattended modes: the daemon in a subprocess, and cron-style sweeps that must not pile up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from monitor.store import models
from monitor.store.db import open_database
from monitor.storefront import Scenario, Storefront, StoreProduct

pytestmark = pytest.mark.browser

ASIN = "B0DAEMON01"
KEYWORDS = ["camp stove", "gas stove", "backpacking stove", "stove"]


@pytest.fixture
def store() -> Iterator[Storefront]:
    scenario = Scenario(
        products=[StoreProduct(ASIN, "Trailhead camp stove", "Trailhead", seed=5)],
        sponsored={k: [ASIN] for k in KEYWORDS},
        organic_count=8,
    )
    with Storefront(scenario) as running:
        yield running


def write_config(folder: Path, base_url: str, chromium: str) -> Path:
    keywords = ", ".join(f'"{k}"' for k in KEYWORDS)
    path = folder / "ismon.toml"
    path.write_text(
        f"""
database_url = "sqlite:///ismon.db"
data_dir = "data"
[marketplaces.us]
base_url = "{base_url}"
[[products]]
asin = "{ASIN}"
marketplace = "us"
keywords = [{keywords}]
[sweep]
schedule = ["0 0 1 1 *"]
concurrency = 1
delay_seconds = [0, 0]
timeout_seconds = 20
[browser]
executable = "{chromium}"
"""
    )
    return path


def ismon(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


@contextmanager
def running(config: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``ismon ARGS`` in the background; killed at the end if it is still running."""
    process = ismon(config, *args)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def slow(store: Storefront, seconds: float) -> None:
    """Every search of the store answers after ``seconds``."""
    store.set_scenario(replace(store.scenario, slow_keywords={k: seconds for k in KEYWORDS}))


def stop_and_time(daemon: subprocess.Popen[str]) -> float:
    daemon.send_signal(signal.SIGTERM)
    started = time.monotonic()
    daemon.wait(timeout=20)
    return time.monotonic() - started


def wait_for(predicate: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not true within {seconds} s")


def sweeps(config: Path) -> list[models.SweepRun]:
    """The sweep rows so far ([] while the daemon has not created its database yet)."""
    if not (config.parent / "ismon.db").exists():
        return []
    engine = open_database(f"sqlite:///{config.parent / 'ismon.db'}", migrate=False)
    try:
        with Session(engine) as session:
            return list(session.exec(select(models.SweepRun).order_by(col(models.SweepRun.id))).all())
    except OperationalError:  # tables not migrated yet
        return []
    finally:
        engine.dispose()


def visits(config: Path) -> int:
    if not (config.parent / "ismon.db").exists():
        return 0
    engine = open_database(f"sqlite:///{config.parent / 'ismon.db'}", migrate=False)
    try:
        with Session(engine) as session:
            return len(session.exec(select(models.PageVisit)).all())
    except OperationalError:
        return 0
    finally:
        engine.dispose()


def test_the_daemon_sweeps_on_schedule_reports_its_heartbeat_and_stops_cleanly(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path)
    with running(config, "daemon", "--now") as daemon:
        wait_for(lambda: any(s.status == "ok" for s in sweeps(config)), 90)
        assert [s.trigger for s in sweeps(config)] == ["daemon"]
        assert visits(config) == len(KEYWORDS)

        check = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "check"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
            check=False,
        )
        assert "last sweep: #1 ok" in check.stdout
        assert "daemon: pid" in check.stdout
        assert "next sweep: " in check.stdout
        assert check.returncode == 0, check.stdout + check.stderr

        assert stop_and_time(daemon) < 15
        assert daemon.returncode == 0


def test_sigterm_during_a_sweep_records_it_as_interrupted(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path)
    slow(store, 2.0)
    with running(config, "daemon", "--now") as daemon:
        wait_for(lambda: visits(config) >= 1, 90)
        assert stop_and_time(daemon) < 15
        assert daemon.returncode == 0
        assert [r.status for r in sweeps(config)] == ["interrupted"]
        assert 1 <= visits(config) < len(KEYWORDS)


def test_a_second_sweep_exits_at_once_and_a_killed_one_leaves_no_stale_lock(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path)
    slow(store, 3.0)
    with running(config, "sweep") as first:
        wait_for(lambda: (tmp_path / "data" / "sweep.lock.owner").exists(), 60)
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "sweep"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert time.monotonic() - started < 10
        assert second.returncode == 1
        assert "another sweep is running (pid" in second.stderr
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

    slow(store, 0.0)
    third = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "sweep", "--keyword", "camp stove"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert third.returncode == 0, third.stderr
    assert "sweep 2 ok" in third.stdout
