"""Stopping and killing ``ismon sweep`` as systemd, ``timeout``, a person at a terminal or the OOM killer
would: a real subprocess against the simulated storefront, then what the seller sees afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, col, select

from monitor.demo import free_port
from monitor.store import models
from monitor.store.db import open_database
from monitor.storefront import Storefront
from tests.test_daemon import ASIN, KEYWORDS, running, slow, store, sweeps, visits, wait_for, write_config

pytestmark = pytest.mark.browser

__all__ = ["store"]  # the storefront fixture of test_daemon, used here too

NOISE = ("Traceback", "Future exception was never retrieved", "Task exception was never retrieved")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def with_email(config: Path, port: int, timeout: float = 5) -> Path:
    """``config`` with an ``[email]`` section for an SMTP server on 127.0.0.1:``port``."""
    config.write_text(
        config.read_text()
        + f"""
[email]
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "none"
sender = "ismon@seller.example"
recipients = ["seller@seller.example"]
timeout_seconds = {timeout}
"""
    )
    return config


def ismon_run(config: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def visit_statuses(config: Path) -> list[tuple[str, str]]:
    engine = open_database(f"sqlite:///{config.parent / 'ismon.db'}", migrate=False)
    try:
        with Session(engine) as session:
            rows = session.exec(select(models.PageVisit).order_by(col(models.PageVisit.id))).all()
            return [(v.keyword, v.status) for v in rows]
    finally:
        engine.dispose()


def outbox_statuses(config: Path) -> list[str]:
    engine = open_database(f"sqlite:///{config.parent / 'ismon.db'}", migrate=False)
    try:
        with Session(engine) as session:
            return list(session.exec(select(models.Outbox.status).order_by(col(models.Outbox.id))).all())
    finally:
        engine.dispose()


def stop_sweep(
    config: Path, store: Storefront, how: str, *, hang_after_first: bool = False
) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Start ``ismon sweep``, wait for its first stored page, signal it, and time its exit.

    Returns the seconds it took to exit, the pages stored when the signal was sent, and the result."""
    slow(store, 2.0)
    # a terminal sends Ctrl-C to the whole foreground process group; `timeout` signals its own group
    started_group = how in ("ctrl-c", "timeout")
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "sweep"],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        start_new_session=started_group,
    )
    try:
        wait_for(lambda: visits(config) >= 1, 120)
        if hang_after_first:  # the page in hand (the one after the page loading now) never answers
            slow(store, 120.0)
            wait_for(lambda: visits(config) >= 2, 30)
            time.sleep(1.0)
        began = time.monotonic()
        at_signal = visits(config)
        if started_group:
            os.killpg(process.pid, signal.SIGINT if how == "ctrl-c" else signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
        took = time.monotonic() - began
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    slow(store, 0.0)
    return took, at_signal, subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c", "timeout"])
def test_a_stopped_sweep_finishes_its_page_records_interrupted_and_exits_in_time(
    tmp_path: Path, store: Storefront, chromium_path: str, how: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path)
    took, at_signal, result = stop_sweep(config, store, how)

    assert took < 15, f"took {took:.1f} s"
    assert result.returncode == 1, result.stdout + result.stderr
    name = "SIGINT" if how == "ctrl-c" else "SIGTERM"
    assert f"{name} received" in result.stderr
    assert f"{name}: sweep 1 recorded as interrupted" in result.stderr
    assert "sweep 1 interrupted" in result.stdout
    for noise in NOISE:
        assert noise not in result.stdout + result.stderr
    assert [s.status for s in sweeps(config)] == ["interrupted"]
    statuses = visit_statuses(config)
    if how == "timeout":  # the browser was closed by Playwright's driver, which got the signal too
        assert at_signal <= len(statuses) <= at_signal + 1
    else:
        assert len(statuses) == at_signal + 1 < len(KEYWORDS)  # the page in hand was finished and stored
    assert {status for _, status in statuses} == {"search"}  # no keyword blamed for the stop
    assert "browser went away" not in result.stderr

    again = ismon_run(config, "sweep", "--keyword", KEYWORDS[-1])  # the browser state is not harmed
    assert again.returncode == 0, again.stderr
    assert "sweep 2 ok" in again.stdout


def test_a_page_that_never_answers_is_abandoned_and_not_blamed_on_its_keyword(
    tmp_path: Path, store: Storefront, chromium_path: str
) -> None:
    config = write_config(tmp_path, store.base_url, chromium_path)
    took, _, result = stop_sweep(config, store, "sigterm", hang_after_first=True)

    assert took < 15, f"took {took:.1f} s"
    assert result.returncode == 1
    assert "abandoned" in result.stderr
    for noise in NOISE:
        assert noise not in result.stdout + result.stderr
    assert [s.status for s in sweeps(config)] == ["interrupted"]
    assert {status for _, status in visit_statuses(config)} == {"search"}


def test_a_killed_sweep_is_closed_by_the_next_one_which_delivers_its_digest_once(
    tmp_path: Path, store: Storefront, chromium_path: str, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    config = with_email(write_config(tmp_path, store.base_url, chromium_path), port)
    first = ismon_run(config, "sweep")
    assert first.returncode == 0, first.stderr  # the ad showed MAIN everywhere: no alert

    # ImageSmith swaps the picture; the sweep that sees it is killed before it could close
    store.set_scenario(replace(store.scenario, ad_images={(ASIN, k): "PT02" for k in KEYWORDS}))
    slow(store, 2.0)
    with running(config, "sweep") as doomed:
        wait_for(lambda: visits(config) >= len(KEYWORDS) + 1, 120)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    slow(store, 0.0)
    assert [s.status for s in sweeps(config)] == ["ok", "running"]
    assert outbox_statuses(config) == ["collecting"]

    check = ismon_run(config, "check")
    assert "last sweep: #2 running" in check.stdout and "was killed" in check.stdout
    listed = ismon_run(config, "alerts", "list")
    waiting = "1 waiting to be sent (1 collecting"
    assert waiting in check.stdout and waiting in listed.stdout, check.stdout + listed.stdout
    assert "when sweep #2 ends" in listed.stdout
    assert box.messages == []

    third = ismon_run(config, "sweep", "--keyword", KEYWORDS[0])
    assert third.returncode == 0, third.stderr
    runs = sweeps(config)
    assert [s.status for s in runs] == ["ok", "interrupted", "ok"]
    assert "killed" in runs[1].note and runs[1].finished_at is not None
    assert outbox_statuses(config) == ["sent"]
    assert len(box.messages) == 1
    assert "PT02" in str(box.messages[0]["Subject"])

    assert ismon_run(config, "alerts", "flush").returncode == 0
    assert ismon_run(config, "sweep", "--keyword", KEYWORDS[0]).returncode == 0
    assert len(box.messages) == 1  # once
    check = ismon_run(config, "check")
    listed = ismon_run(config, "alerts", "list")
    assert "0 waiting to be sent" in check.stdout and "0 waiting to be sent" in listed.stdout


def test_a_stopped_sweep_still_sends_the_alerts_it_found_before_it_exits(
    tmp_path: Path, store: Storefront, chromium_path: str, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    config = with_email(write_config(tmp_path, store.base_url, chromium_path), port)
    assert ismon_run(config, "sweep").returncode == 0
    store.set_scenario(replace(store.scenario, ad_images={(ASIN, k): "PT02" for k in KEYWORDS}))
    slow(store, 2.0)
    with running(config, "sweep") as stopped:
        wait_for(lambda: visits(config) >= len(KEYWORDS) + 1, 120)  # the swap is seen: an alert
        stopped.send_signal(signal.SIGTERM)
        began = time.monotonic()
        stopped.wait(timeout=30)
        took = time.monotonic() - began
        assert stopped.stderr is not None
        stderr = stopped.stderr.read()
    assert took < 15, f"took {took:.1f} s"
    assert stopped.returncode == 1
    assert [s.status for s in sweeps(config)] == ["ok", "interrupted"]
    assert "alerts: 1 sent" in stderr
    assert outbox_statuses(config) == ["sent"]
    assert len(box.messages) == 1 and "PT02" in str(box.messages[0]["Subject"])
