"""A relay that needs a login, and an outbox after an outage, as the operator meets them on the command
line: which commands need the password variable, what ``alerts list`` says, what ``alerts flush`` does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session

from monitor.demo import free_port
from monitor.store.db import open_database
from monitor.store.models import Outbox

VARIABLE = "ISMON_TEST_RELAY_PASSWORD"


class Relay:
    """An SMTP server that wants the login seller / right-password."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"seller", b"right-password")
        self.logins.append("ok" if ok else "rejected")
        return AuthResult(success=ok)


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler, port = Relay(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=handler.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def config(tmp_path: Path, relay: tuple[Relay, int]) -> Path:
    """A config whose relay needs a login, and an alert that failed an hour ago (retry in an hour)."""
    path = tmp_path / "ismon.toml"
    path.write_text(
        f"""
database_url = "sqlite:///ismon.db"
data_dir = "data"
[email]
smtp_host = "127.0.0.1"
smtp_port = {relay[1]}
security = "none"
username = "seller"
password_env = "{VARIABLE}"
sender = "ismon@seller.example"
recipients = ["seller@seller.example"]
timeout_seconds = 10
"""
    )
    engine = open_database(f"sqlite:///{tmp_path / 'ismon.db'}")
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(
            Outbox(
                message_id="<ismon.outage@seller.example>",
                created_at=now - timedelta(hours=1),
                subject="[ismon] B0CTEST001: main image replaced by PT03",
                attempts=9,
                next_attempt_at=now + timedelta(minutes=61),
                last_error="cannot reach SMTP server 127.0.0.1:25 (none): connection refused",
                message=b"Subject: [ismon] outage\r\nMessage-ID: <ismon.outage@seller.example>\r\n\r\nhi\r\n",
            )
        )
        session.commit()
    engine.dispose()
    return path


def ismon(config: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    if password is not None:
        env[VARIABLE] = password
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "COLUMNS": "250"},
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("history",), 0),
        (("report",), 0),
        (("alerts", "list"), 0),
        (("db", "upgrade"), 0),
        (("alerts", "preview"), 1),  # the alert carries no events: nothing to preview, said plainly
        (("gallery", "show", "B0CTEST001"), 2),  # no such product yet, said plainly
    ],
)
def test_commands_that_send_nothing_never_need_the_password(
    config: Path, args: tuple[str, ...], code: int
) -> None:
    result = ismon(config, *args)
    assert result.returncode == code, result.stdout + result.stderr
    assert VARIABLE not in result.stderr and "Traceback" not in result.stderr


def test_sending_without_the_password_variable_says_which_variable_and_exits_2(
    config: Path, relay: tuple[Relay, int]
) -> None:
    flush = ismon(config, "alerts", "flush")
    assert flush.returncode == 2
    message = " ".join(flush.stderr.split())
    assert f"email.password_env: environment variable {VARIABLE} is not set" in message
    assert "Traceback" not in flush.stderr
    check = ismon(config, "check")
    assert check.returncode == 1
    smtp_line = next(line for line in check.stdout.splitlines() if "smtp:" in line)
    assert "FAIL" in smtp_line and VARIABLE in smtp_line
    assert relay[0].messages == [] and relay[0].logins == []


def test_alerts_list_shows_the_next_try_and_a_manual_flush_does_not_wait_for_it(
    config: Path, relay: tuple[Relay, int]
) -> None:
    listed = ismon(config, "alerts", "list")
    assert listed.returncode == 0
    row = next(line for line in listed.stdout.splitlines() if "outage" in line or "PT03" in line)
    assert "pending" in row and "(in 61 min)" in row and "connection refused" in row
    assert "1 waiting to be sent" in listed.stdout

    flushed = ismon(config, "alerts", "flush", password="right-password")
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    assert "1 sent, 0 pending" in flushed.stdout
    assert relay[0].logins == ["ok"] and len(relay[0].messages) == 1

    after = ismon(config, "alerts", "list")
    row = next(line for line in after.stdout.splitlines() if "PT03" in line)
    assert " sent " in row and "connection refused" not in row
    assert "0 waiting to be sent" in after.stdout and "1 sent" in after.stdout


def test_the_sweep_and_the_daemon_name_the_missing_variable_and_exit_2(config: Path) -> None:
    sweep = ismon(config, "sweep")  # nothing to search: the sweep itself works, then it must send
    assert sweep.returncode == 2, sweep.stdout + sweep.stderr
    assert "sweep 1 ok" in sweep.stdout
    assert f"alerts kept in the outbox: {config}: email.password_env: environment variable {VARIABLE}" in (
        " ".join(sweep.stderr.split())
    )
    daemon = ismon(config, "daemon")
    assert daemon.returncode == 2
    assert f"environment variable {VARIABLE} is not set" in " ".join(daemon.stderr.split())
    assert "Traceback" not in sweep.stderr + daemon.stderr
