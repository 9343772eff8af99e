"""One SMTP conversation with an overall deadline: the mail edge under ``monitor/alerts/mailer.py``.

Where it sits: the outbox flush (``monitor/alerts/mailer.py``) and ``ismon check`` open a ``Conversation``,
which connects, secures (STARTTLS or implicit TLS, certificates always verified), logs in and sends.

``[email] timeout_seconds`` bounds the whole conversation, not each read: smtplib's socket timeout
restarts with every byte, so a server that accepts and then drips one byte a second would hold ismon
for ever. A watcher thread shuts the socket down when the time is up, or at once when ``stop`` is set
(the daemon or a sweep received SIGTERM), and whatever smtplib was waiting for fails with
``ConversationLostError`` saying why.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import socket
import ssl
import threading
import time
from types import TracebackType

from monitor.config import Email
from monitor.errors import AuthenticationError, ConversationLostError, DeliveryError, MonitorError

log = logging.getLogger(__name__)

WATCH_STEP_S = 0.2  # how often the watcher looks at the stop event


def where(email: Email) -> str:
    return f"{email.smtp_host}:{email.smtp_port} ({email.security})"


def reason(exc: BaseException) -> str:
    """A short reason for people from an smtplib or socket error."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def _tls_context(email: Email) -> ssl.SSLContext:
    """Certificates are always verified: against ``email.ca_file`` when set, else the system's CAs."""
    try:
        return ssl.create_default_context(cafile=str(email.ca_file) if email.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"email.ca_file {email.ca_file}: {exc}") from None


class Conversation:
    """``with Conversation(email, stop=...) as smtp: smtp.open(password); smtp.send(...)``.

    Every failure is a ``DeliveryError``: ``AuthenticationError`` when the login is rejected (retrying
    will not help), ``ConversationLostError`` when the connection is gone (dropped, out of time,
    stopping), a plain ``DeliveryError`` when the server cannot be reached or refuses one message.
    """

    def __init__(
        self, email: Email, *, stop: threading.Event | None = None, time_limit: float | None = None
    ) -> None:
        self.email = email
        self.stop = stop
        # the whole conversation: email.timeout_seconds, or less when the caller has less time left
        self.seconds = email.timeout_seconds if time_limit is None else min(email.timeout_seconds, time_limit)
        self.smtp: smtplib.SMTP | None = None
        self.ended: str = ""  # why the watcher ended the conversation, "" while it runs
        self._started = 0.0
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="ismon-smtp-deadline", daemon=True)

    def __enter__(self) -> Conversation:
        self._started = time.monotonic()
        self._watcher.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        if self.smtp is not None:
            if self.ended or exc is not None:
                self.smtp.close()
            else:
                try:
                    self.smtp.quit()
                except (smtplib.SMTPException, OSError):
                    self.smtp.close()
        self._watcher.join()

    # --- the deadline -------------------------------------------------------------------------

    def _left(self) -> float:
        return self.seconds - (time.monotonic() - self._started)

    def _watch(self) -> None:
        while not self._done.wait(max(0.0, min(WATCH_STEP_S, self._left()))):
            if self.stop is not None and self.stop.is_set():
                self.ended = "ismon is stopping"
            elif self._left() <= 0:
                self.ended = (
                    f"not done within {self.seconds:g} s (email.timeout_seconds = "
                    f"{self.email.timeout_seconds:g}): the server is too slow or not answering"
                )
            else:
                continue
            sock = self.smtp.sock if self.smtp is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)
            return

    def _lost(self, exc: BaseException, doing: str) -> MonitorError:
        if self.ended:
            return ConversationLostError(
                f"SMTP server {where(self.email)}: gave up while {doing}: {self.ended}"
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
            return ConversationLostError(
                f"SMTP server {where(self.email)} dropped the connection while {doing}: {reason(exc)}"
            )
        return DeliveryError(f"SMTP server {where(self.email)} failed while {doing}: {reason(exc)}")

    # --- the conversation ---------------------------------------------------------------------

    def open(self, password: str) -> None:
        """Connect, secure and log in (when a username is set)."""
        email = self.email
        timeout = max(self._left(), 0.1)
        try:
            if email.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(timeout=timeout, context=_tls_context(email))
            else:
                self.smtp = smtplib.SMTP(timeout=timeout)
            # Connected here rather than in the constructor, so the watcher can already cut a greeting
            # that drips; smtplib's constructor would also have recorded the host name TLS checks.
            self.smtp._host = email.smtp_host  # type: ignore[attr-defined]
            self.smtp.connect(email.smtp_host, email.smtp_port)
        except (smtplib.SMTPException, OSError) as exc:
            if self.ended:
                raise self._lost(exc, "connecting") from None
            raise DeliveryError(f"cannot reach SMTP server {where(email)}: {reason(exc)}") from None
        try:
            self.smtp.ehlo()
            if email.security == "starttls":
                if not self.smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"SMTP server {where(email)} does not offer STARTTLS; "
                        'set email.security to "ssl" or "none" if that is intended'
                    )
                self.smtp.starttls(context=_tls_context(email))
                self.smtp.ehlo()
            elif email.username and email.security == "none":
                log.warning(
                    "logging in to %s without TLS: the password crosses the network in clear", where(email)
                )
            if email.username:
                self._login(password)
        except MonitorError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._lost(exc, "greeting") from None

    def _login(self, password: str) -> None:
        email = self.email
        assert self.smtp is not None
        try:
            self.smtp.login(email.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthenticationError(
                f"SMTP server {where(email)} rejected the login of {email.username!r}: {reason(exc)}. "
                f"Check email.username and the password in ${email.password_env}; alerts stay in the outbox."
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise AuthenticationError(
                f"SMTP server {where(email)} does not accept a login (no AUTH offered"
                + (" before STARTTLS" if email.security == "none" else "")
                + "); check email.security, or leave email.username empty if no login is needed"
            ) from None

    def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, tuple[int, bytes]]:
        """Send one message; returns the recipients the server refused (the others accepted it)."""
        assert self.smtp is not None, "open() first"
        if self.ended:
            raise ConversationLostError(f"SMTP server {where(self.email)}: {self.ended}")
        try:
            return self.smtp.sendmail(sender, recipients, message)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise self._lost(exc, "sending") from None
        except smtplib.SMTPException as exc:
            if self.ended:
                raise self._lost(exc, "sending") from None
            raise DeliveryError(
                f"SMTP server {where(self.email)} refused the message: {reason(exc)}"
            ) from None


def check_smtp(email: Email, password: str) -> None:
    """Connect, log in and quit, for ``ismon check``; raises like ``Conversation.open``."""
    with Conversation(email) as smtp:
        smtp.open(password)
