"""Delivery: outbox rows -> SMTP, retried with backoff until a server accepts them. The mail edge.

Where it sits: the last step of the alert flow, after ``monitor/outbox.py`` wrote rows in the sweep's
transaction. ``flush_outbox`` renders each due row once (``monitor/alerts.py``) and stores the bytes on
the row, so every attempt sends the same message with the same Message-ID; it marks a row ``sent`` only
after the server accepted it, in its own commit. A crash between the two causes at most one repeat of
the same Message-ID, which mail clients fold together (DESIGN rule 5).

Before sending, a row is *claimed* by pushing its ``next_attempt_at`` a few minutes ahead in a commit of
its own: a second flush running at the same time (daemon and ``ismon alerts flush``) skips it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts import build_message, message_bytes, render_html, subject_for
from monitor.config import Config, Email
from monitor.errors import AuthenticationError, ConfigError, DeliveryError, MonitorError
from monitor.files import BlobStore
from monitor.impact.zones import Zones
from monitor.models import Event, Outbox
from monitor.outbox import (
    FAILED,
    PENDING,
    SENT,
    OutboxEntry,
    events_of,
    list_outbox,
    load_alert_items,
    promote_stale_digests,
    retry_failed,
)

__all__ = [
    "FlushResult",
    "OutboxEntry",
    "check_smtp",
    "flush_outbox",
    "list_outbox",
    "preview_latest",
    "retry_failed",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 20
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
CLAIM_LEASE = timedelta(minutes=10)  # a claimed row is retried after this if its flush died


@dataclass
class FlushResult:
    """What one flush did: rows sent and given up now, rows still pending, and why."""

    sent: int = 0
    failed: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, ... minutes, at most 6 hours."""
    if attempts <= 0:
        return timedelta(0)
    return min(BACKOFF_BASE * (1 << min(attempts - 1, 30)), BACKOFF_MAX)


def _where(email: Email) -> str:
    return f"{email.smtp_host}:{email.smtp_port} ({email.security})"


def _tls_context(email: Email) -> ssl.SSLContext:
    """Certificates are always verified: against ``email.ca_file`` when set, else the system's CAs."""
    try:
        return ssl.create_default_context(cafile=str(email.ca_file) if email.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"email.ca_file {email.ca_file}: {exc}") from None


def connect(email: Email, password: str) -> smtplib.SMTP:
    """An SMTP connection ready to send: TLS as configured, logged in when a username is set.

    Raises ``AuthenticationError`` when the server rejects the login (retrying will not help) and
    ``DeliveryError`` when it cannot be reached or refuses to talk.
    """
    timeout = email.timeout_seconds
    try:
        if email.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                email.smtp_host, email.smtp_port, timeout=timeout, context=_tls_context(email)
            )
        else:
            smtp = smtplib.SMTP(email.smtp_host, email.smtp_port, timeout=timeout)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"cannot reach SMTP server {_where(email)}: {_reason(exc)}") from None
    try:
        smtp.ehlo()
        if email.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise DeliveryError(
                    f"SMTP server {_where(email)} does not offer STARTTLS; "
                    'set email.security to "ssl" or "none" if that is intended'
                )
            smtp.starttls(context=_tls_context(email))
            smtp.ehlo()
        elif email.username and email.security == "none":
            log.warning(
                "logging in to %s without TLS: the password crosses the network in clear", _where(email)
            )
        if email.username:
            _login(smtp, email, password)
    except MonitorError:
        smtp.close()
        raise
    except (smtplib.SMTPException, OSError) as exc:
        smtp.close()
        raise DeliveryError(f"SMTP server {_where(email)} failed: {_reason(exc)}") from None
    return smtp


def _login(smtp: smtplib.SMTP, email: Email, password: str) -> None:
    try:
        smtp.login(email.username, password)
    except smtplib.SMTPAuthenticationError as exc:
        raise AuthenticationError(
            f"SMTP server {_where(email)} rejected the login of {email.username!r}: {_reason(exc)}. "
            f"Check email.username and the password in ${email.password_env}; alerts stay in the outbox."
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise AuthenticationError(
            f"SMTP server {_where(email)} does not accept a login (no AUTH offered"
            + (" before STARTTLS" if email.security == "none" else "")
            + "); check email.security, or leave email.username empty if no login is needed"
        ) from None


def _reason(exc: BaseException) -> str:
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


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def check_smtp(email: Email, password: str) -> None:
    """Connect, log in and quit, for ``ismon check``; raises like ``connect``."""
    _quit(connect(email, password))


def _failed_attempt(row: Outbox, error: str, now: datetime, max_attempts: int) -> bool:
    """Count a failed attempt; True when the row has run out of attempts."""
    row.attempts += 1
    row.last_error = error[:1000]
    if row.attempts >= max_attempts:
        row.status = FAILED
        row.next_attempt_at = None
        log.error("giving up on alert %s after %d attempts: %s", row.message_id, row.attempts, error)
        return True
    row.next_attempt_at = now + backoff(row.attempts)
    log.warning(
        "alert %s not sent (attempt %d), next try %s: %s",
        row.message_id,
        row.attempts,
        row.next_attempt_at,
        error,
    )
    return False


def _due(session: Session, now: datetime) -> list[Outbox]:
    return list(
        session.exec(
            select(Outbox)
            .where(
                Outbox.status == PENDING,
                sa.or_(col(Outbox.next_attempt_at).is_(None), col(Outbox.next_attempt_at) <= now),
            )
            .order_by(col(Outbox.created_at), col(Outbox.id))
        ).all()
    )


def _pending_count(session: Session) -> int:
    return session.exec(select(sa.func.count(col(Outbox.id))).where(Outbox.status == PENDING)).one()


def _render(
    session: Session,
    row: Outbox,
    email: Email,
    blobs: BlobStore,
    now: datetime,
    recent_days: int,
    zones: Mapping[str, tzinfo] | None,
) -> None:
    events = events_of(session, row)
    if not events:
        raise MonitorError("the outbox row carries no events")
    items = load_alert_items(session, events, blobs, recent_days=recent_days, zones=zones)
    msg = build_message(
        items, message_id=row.message_id, sender=email.sender, recipients=email.recipients, date=now
    )
    row.subject = str(msg["Subject"])
    row.message = message_bytes(msg)


def _claim(session: Session, row: Outbox, now: datetime) -> bool:
    """Take the row for this flush; False when another flush took it first."""
    result = session.execute(
        sa.update(Outbox)
        .where(
            col(Outbox.id) == row.id,
            col(Outbox.status) == PENDING,
            sa.or_(col(Outbox.next_attempt_at).is_(None), col(Outbox.next_attempt_at) <= now),
        )
        .values(next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(row)
    return bool(getattr(result, "rowcount", 0))


def _mark_sent(session: Session, row: Outbox, now: datetime, refused: dict[str, tuple[int, bytes]]) -> None:
    row.status = SENT
    row.sent_at = now
    row.next_attempt_at = None
    row.attempts += 1
    row.last_error = (
        "refused by " + ", ".join(f"{rcpt} ({code})" for rcpt, (code, _) in refused.items())
        if refused
        else ""
    )
    session.add(row)
    session.commit()


def flush_outbox(
    engine: Engine,
    email: Email,
    password: str,
    blobs: BlobStore,
    now: datetime,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    recent_days: int = 14,
    zones: Mapping[str, tzinfo] | None = None,
) -> FlushResult:
    """Send every due outbox row over one SMTP connection.

    Unreachable server: the rows stay pending with ``last_error`` and a backoff (``errors`` says why).
    Rejected login: ``AuthenticationError`` is raised and the rows stay pending, their attempts unspent.
    ``recent_days`` is the window of "how often each variant was shown" (``config.alerts.recent_days``);
    ``zones`` the marketplaces' reporting time zones for the CTR an email shows (``Config.timezone``).
    """
    result = FlushResult()
    with Session(engine, expire_on_commit=False) as session:
        promote_stale_digests(session, now)
        session.commit()
        due = _due(session, now)
        if due and not email.recipients:
            raise DeliveryError("email.recipients is empty: nobody to send the alerts to")
        ready: list[Outbox] = []
        for row in due:
            if row.message is None:
                try:
                    _render(session, row, email, blobs, now, recent_days, zones)
                except Exception as exc:  # one unrenderable row must not hold back the others
                    log.exception("cannot render alert %s", row.message_id)
                    session.rollback()
                    result.errors.append(f"{row.message_id}: cannot render: {exc}")
                    result.failed += _failed_attempt(row, f"cannot render: {exc}", now, max_attempts)
                    session.add(row)
                    session.commit()
                    continue
                session.add(row)
                session.commit()
            ready.append(row)
        if ready:
            _deliver(session, ready, email, password, now, max_attempts, result)
        result.pending = _pending_count(session)
    log.info("outbox flush: %d sent, %d failed, %d pending", result.sent, result.failed, result.pending)
    return result


def _deliver(
    session: Session,
    rows: list[Outbox],
    email: Email,
    password: str,
    now: datetime,
    max_attempts: int,
    result: FlushResult,
) -> None:
    try:
        smtp = connect(email, password)
    except AuthenticationError as exc:
        for row in rows:
            row.last_error = str(exc)[:1000]
            session.add(row)
        session.commit()
        raise
    except DeliveryError as exc:
        result.errors.append(str(exc))
        for row in rows:
            result.failed += _failed_attempt(row, str(exc), now, max_attempts)
            session.add(row)
        session.commit()
        return
    try:
        for row in rows:
            if not _claim(session, row, now):
                continue
            assert row.message is not None
            try:
                refused = smtp.sendmail(email.sender, list(email.recipients), row.message)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                error = f"SMTP server {_where(email)} dropped the connection: {_reason(exc)}"
                result.errors.append(f"{row.message_id}: {error}")
                result.failed += _failed_attempt(row, error, now, max_attempts)
                session.add(row)
                session.commit()
                break  # the connection is gone; the rest stay due for the next flush
            except smtplib.SMTPException as exc:
                error = f"SMTP server {_where(email)} refused the message: {_reason(exc)}"
                result.errors.append(f"{row.message_id}: {error}")
                result.failed += _failed_attempt(row, error, now, max_attempts)
                session.add(row)
                session.commit()
                continue
            _mark_sent(session, row, now, refused)
            result.sent += 1
            log.info("alert sent: %s %s", row.message_id, row.subject)
    finally:
        _quit(smtp)


def preview_latest(engine: Engine, config: Config, blobs: BlobStore, out: Path, now: datetime) -> Path:
    """Write the newest alert email as one HTML file (images as data: URIs) and return its path.

    ``out`` is a file, or a folder that receives ``ismon-alert-preview.html``. Nothing is sent or marked.
    """
    with Session(engine) as session:
        row = session.exec(
            select(Outbox)
            .join(Event, col(Event.outbox_id) == col(Outbox.id))
            .order_by(col(Outbox.created_at).desc(), col(Outbox.id).desc())
        ).first()
        if row is None:
            raise MonitorError("no alerts yet: nothing to preview (sweeps make alerts when ads change)")
        items = load_alert_items(
            session,
            events_of(session, row),
            blobs,
            recent_days=config.alerts.recent_days,
            zones=Zones(config.timezone),
        )
    html = render_html(items, subject=subject_for(items), embed="data")
    target = out / "ismon-alert-preview.html" if out.is_dir() else out
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    log.info("alert preview of %s written to %s at %s", row.message_id, target, now.isoformat())
    return target


def flush_configured(engine: Engine, config: Config, env: Mapping[str, str], now: datetime) -> FlushResult:
    """``flush_outbox`` with everything taken from the config (the CLI, the daemon and the demo use it)."""
    if config.email is None:
        raise ConfigError(f"{config.path}: email: no [email] section, so alerts cannot be delivered")
    return flush_outbox(
        engine,
        config.email,
        config.smtp_password(env),
        BlobStore(config.data_dir),
        now,
        recent_days=config.alerts.recent_days,
        zones=Zones(config.timezone),
    )
