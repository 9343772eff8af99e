"""SMTP over TLS against a real server (aiosmtpd): STARTTLS and implicit TLS, certificates verified."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.alerts.smtp import Conversation, check_smtp
from monitor.config import Email
from monitor.demo import free_port
from monitor.errors import AuthenticationError, DeliveryError


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"right"
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(
    certificate: tuple[Path, Path], tls: Callable[[ssl.SSLContext], dict[str, Any]]
) -> Iterator[int]:
    """An aiosmtpd server on 127.0.0.1 with the test certificate; ``tls`` says how TLS is offered."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    port = free_port()
    controller = Controller(
        Inbox(), hostname="127.0.0.1", port=port, authenticator=authenticator, **tls(context)
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    with smtp_server(
        certificate,
        tls=lambda ctx: {"tls_context": ctx, "require_starttls": True, "auth_require_tls": True},
    ) as port:
        yield port


@pytest.fixture
def ssl_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    with smtp_server(
        certificate,
        tls=lambda ctx: {"ssl_context": ctx, "server_hostname": "127.0.0.1", "auth_require_tls": False},
    ) as port:
        yield port


def email(port: int, security: str, ca_file: Path | None, username: str = "me", timeout: float = 10) -> Email:
    return Email.model_validate(
        {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "security": security,
            "username": username,
            "ca_file": ca_file,
            "sender": "a@example.com",
            "recipients": ["b@example.com"],
            "timeout_seconds": timeout,
        }
    )


def test_starttls_with_a_trusted_certificate_logs_in(
    starttls_server: int, certificate: tuple[Path, Path]
) -> None:
    check_smtp(email(starttls_server, "starttls", certificate[0]), "right")


def test_starttls_refuses_an_untrusted_certificate(starttls_server: int) -> None:
    with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        check_smtp(email(starttls_server, "starttls", None), "right")


def test_starttls_with_a_wrong_password_is_an_authentication_error(
    starttls_server: int, certificate: tuple[Path, Path]
) -> None:
    with pytest.raises(AuthenticationError):
        check_smtp(email(starttls_server, "starttls", certificate[0]), "wrong")


def test_implicit_tls_sends(ssl_server: int, certificate: tuple[Path, Path]) -> None:
    with Conversation(email(ssl_server, "ssl", certificate[0])) as smtp:
        smtp.open("right")
        refused = smtp.send("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nhello\r\n")
    assert refused == {}


def test_plain_smtp_to_a_tls_port_fails_clearly(ssl_server: int) -> None:
    with pytest.raises(DeliveryError):
        check_smtp(email(ssl_server, "none", None, username="", timeout=2), "")
