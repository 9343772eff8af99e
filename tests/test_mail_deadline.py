"""SMTP servers that accept and then stall: ``[email] timeout_seconds`` bounds the whole conversation.

A real socket server on 127.0.0.1 that greets one byte at a time, answers the message one byte at a
time, or says nothing at all; then the outbox (a flush, ``ismon alerts flush``) and the daemon on SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.alerts.mailer import flush_outbox
from monitor.config import Email
from monitor.store.db import open_database
from monitor.store.files import BlobStore
from monitor.store.models import Outbox
from tests.test_daemon import ismon
from tests.test_stopping import with_email

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
DRIP_EVERY_S = 0.2  # far below any per-read timeout: only an overall deadline ends the wait


class StallingSmtp:
    """``greeting``: drips its 220 line for ever. ``reply``: a normal server until the message is sent,
    then drips the reply to it. ``silent``: accepts and never says a word."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.connections = 0
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # so the accept loop sees ``stopping``
        self.port: int = self.listener.getsockname()[1]
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> StallingSmtp:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _drip(self, conn: socket.socket, line: bytes) -> None:
        while not self.stopping.is_set():
            for byte in line:
                if self.stopping.wait(DRIP_EVERY_S):
                    return
                conn.sendall(bytes([byte]))

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            if self.mode == "silent":
                self.stopping.wait()
            elif self.mode == "greeting":
                self._drip(conn, b"220-smtp.example.com is warming up\r\n")
            else:
                self._converse(conn)

    def _converse(self, conn: socket.socket) -> None:
        conn.sendall(b"220 smtp.example.com ready\r\n")
        reader = conn.makefile("rb")
        while (line := reader.readline()) and not self.stopping.is_set():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 smtp.example.com\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                while reader.readline() not in (b".\r\n", b""):
                    pass
                self._drip(conn, b"250-still thinking about it\r\n")
                return
            else:
                conn.sendall(b"250 OK\r\n")


def email_to(server: StallingSmtp, timeout: float) -> Email:
    return Email(
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        security="none",
        sender="ismon@seller.example",
        recipients=["seller@seller.example"],
        timeout_seconds=timeout,
    )


def add_pending_alert(engine: Engine) -> None:
    """One pending alert, already rendered (as a flush stores it before its first attempt)."""
    with Session(engine) as session:
        session.add(
            Outbox(
                message_id="<ismon.test@seller.example>",
                created_at=NOW,
                subject="[ismon] B0CTEST001: main image replaced by PT03",
                message=b"Subject: [ismon] test\r\nMessage-ID: <ismon.test@seller.example>\r\n\r\nhello\r\n",
            )
        )
        session.commit()


def the_row(engine: Engine) -> Outbox:
    with Session(engine) as session:
        return session.exec(select(Outbox)).one()


@pytest.fixture
def pending(engine: Engine) -> Engine:
    add_pending_alert(engine)
    return engine


@pytest.mark.parametrize("mode", ["greeting", "reply", "silent"])
def test_a_stalling_server_is_given_up_after_timeout_seconds_overall(
    pending: Engine, tmp_path: Path, mode: str
) -> None:
    with StallingSmtp(mode) as server:
        started = time.monotonic()
        result = flush_outbox(pending, email_to(server, 2), "", BlobStore(tmp_path), NOW)
        took = time.monotonic() - started
    assert took < 3.5, f"{mode}: {took:.1f} s"
    assert server.connections == 1
    assert (result.sent, result.pending) == (0, 1)
    row = the_row(pending)
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at is not None
    assert "not done within 2 s" in row.last_error and "127.0.0.1" in row.last_error
    assert result.errors and "not done within 2 s" in result.errors[0]


def write_config(folder: Path, port: int, timeout: float) -> Path:
    path = folder / "ismon.toml"
    path.write_text(
        """
database_url = "sqlite:///ismon.db"
data_dir = "data"
[sweep]
schedule = ["0 0 1 1 *"]
"""
    )
    with_email(path, port, timeout)
    engine = open_database(f"sqlite:///{folder / 'ismon.db'}")
    add_pending_alert(engine)
    engine.dispose()
    return path


@pytest.fixture
def dripping() -> Iterator[StallingSmtp]:
    with StallingSmtp("reply") as server:
        yield server


def test_alerts_flush_gives_up_on_a_dripping_server_and_keeps_the_alert(
    tmp_path: Path, dripping: StallingSmtp
) -> None:
    config = write_config(tmp_path, dripping.port, 3)
    started = time.monotonic()
    flush = ismon(config, "alerts", "flush")
    stdout, stderr = flush.communicate(timeout=60)
    assert time.monotonic() - started < 3 + 5  # the deadline plus starting Python
    assert flush.returncode == 1
    assert "0 sent, 1 pending" in stdout
    assert "not done within 3 s" in stderr and "Traceback" not in stderr
    listed = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "alerts", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
        check=True,
    )
    assert "pending" in listed.stdout and "not done within 3 s" in listed.stdout


def test_the_daemon_stops_within_15_s_on_sigterm_during_a_dripping_flush(
    tmp_path: Path, dripping: StallingSmtp
) -> None:
    config = write_config(tmp_path, dripping.port, 120)  # per conversation: longer than systemd waits
    daemon = ismon(config, "daemon", "--now")  # no products: the sweep is empty, then the flush
    try:
        deadline = time.monotonic() + 60
        while dripping.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert dripping.connections == 1, "the daemon never started its flush"
        time.sleep(1.0)  # the message is sent; the server drips its reply
        daemon.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, stderr = daemon.communicate(timeout=30)
        took = time.monotonic() - started
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert took < 15, f"took {took:.1f} s"
    assert daemon.returncode == 0, stderr
    assert "Traceback" not in stderr
    engine = open_database(f"sqlite:///{tmp_path / 'ismon.db'}", migrate=False)
    row = the_row(engine)
    engine.dispose()
    assert row.status == "pending"
    assert "ismon is stopping" in row.last_error
