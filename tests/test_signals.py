"""The stop watchdog in a real process: a job that ignores the stop request is still ended in time,
and a second signal ends it at once, after recording what it can."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

STUCK_JOB = """
import sys, threading, time
from pathlib import Path
from monitor.run.signals import GracefulStop

record = Path(sys.argv[1])
with GracefulStop(within_s=float(sys.argv[2]), on_overdue=lambda: record.write_text("interrupted")) as s:
    print("ready", flush=True)
    while True:  # a browser call that never returns, deaf to s.stop
        time.sleep(0.05)
"""


def start(tmp_path: Path, within_s: float) -> tuple[subprocess.Popen[str], Path]:
    record = tmp_path / "record.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK_JOB, str(record), str(within_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process, record


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stuck_job_is_recorded_and_ended_within_the_limit(tmp_path: Path, signum: int) -> None:
    process, record = start(tmp_path, 4.0)
    began = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=20)
    took = time.monotonic() - began
    assert 2.0 < took < 4.0, took  # waited for the job, then left before the limit
    assert process.returncode == 1
    assert record.read_text() == "interrupted"
    assert f"{signal.Signals(signum).name} received" in stderr and "leaving now" in stderr
    assert "Traceback" not in stderr


def test_a_second_signal_ends_the_process_at_once(tmp_path: Path) -> None:
    process, record = start(tmp_path, 60.0)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    began = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)
    assert time.monotonic() - began < 3
    assert process.returncode == 1
    assert record.read_text() == "interrupted"
