"""Delivery: outbox rows -> SMTP, retried with backoff until a server accepts them. The mail edge.

Where it sits: the last step of the alert flow, after ``monitor/alerts/outbox.py`` wrote rows in the
sweep's transaction. ``flush_outbox`` loads what each due row shows (``monitor/alerts/item_loading.py``),
renders it once (``monitor/alerts/render.py``) and stores the bytes on the row, so every attempt sends
the same message with the same Message-ID; it marks a row ``sent`` only after the server accepted it,
in its own commit. A crash between the two causes at most one repeat of the same Message-ID, which
mail clients fold together (DESIGN rule 5).

Before sending, a row is *claimed* (``claimed_until`` a few minutes ahead) in a commit of its own: a
second flush running at the same time (daemon and ``ismon alerts flush``) skips it. A failed attempt
sets ``next_attempt_at`` (backoff), which the scheduled flushes respect and a person's
``ismon alerts flush`` does not. The SMTP conversation itself, with its overall deadline, is
``monitor/alerts/smtp.py``. ``flush_configured`` and ``preview_latest`` take their settings from an
``AlertSettings`` (``monitor/alerts/settings.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.item_loading import load_alert_items
from monitor.alerts.message import build_message, message_bytes
from monitor.alerts.outbox import events_of
from monitor.alerts.pending import (
    COLLECTING,
    FAILED,
    PENDING,
    SENT,
    OutboxEntry,
    list_outbox,
    outbox_counts,
    promote_stale_digests,
    retry_failed,
)
from monitor.alerts.render import render_html, subject_for
from monitor.alerts.settings import AlertSettings
from monitor.alerts.smtp import Conversation, check_smtp
from monitor.config import Email
from monitor.errors import (
    AuthenticationError,
    ConfigError,
    ConversationLostError,
    DeliveryError,
    MonitorError,
)
from monitor.store.files import BlobStore
from monitor.store.models import Event, Outbox

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
    collecting: int = 0  # digests their sweep is still filling: sent when it ends
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, ... minutes, at most 6 hours."""
    if attempts <= 0:
        return timedelta(0)
    return min(BACKOFF_BASE * (1 << min(attempts - 1, 30)), BACKOFF_MAX)


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


def _unclaimed(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) <= now)


def _due(session: Session, now: datetime, *, ignore_backoff: bool) -> list[Outbox]:
    """Pending rows no other flush is sending; with ``ignore_backoff`` also those waiting for a retry."""
    stmt = select(Outbox).where(Outbox.status == PENDING, _unclaimed(now))
    if not ignore_backoff:
        stmt = stmt.where(sa.or_(col(Outbox.next_attempt_at).is_(None), col(Outbox.next_attempt_at) <= now))
    return list(session.exec(stmt.order_by(col(Outbox.created_at), col(Outbox.id))).all())


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
        .where(col(Outbox.id) == row.id, col(Outbox.status) == PENDING, _unclaimed(now))
        .values(claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(row)
    return bool(getattr(result, "rowcount", 0))


def _mark_sent(session: Session, row: Outbox, now: datetime, refused: dict[str, tuple[int, bytes]]) -> None:
    row.status = SENT
    row.sent_at = now
    row.next_attempt_at = None
    row.claimed_until = None
    row.attempts += 1
    row.last_error = (
        "refused by " + ", ".join(f"{rcpt} ({code})" for rcpt, (code, _) in refused.items())
        if refused
        else ""
    )
    session.add(row)
    session.commit()


def _count_failure(
    session: Session, row: Outbox, error: str, now: datetime, max_attempts: int, result: FlushResult
) -> None:
    row.claimed_until = None
    result.failed += _failed_attempt(row, error, now, max_attempts)
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
    ignore_backoff: bool = False,
    stop: threading.Event | None = None,
    time_limit: float | None = None,
    zones: Mapping[str, tzinfo] | None = None,
) -> FlushResult:
    """Send every due outbox row in one SMTP conversation of at most ``email.timeout_seconds``.

    Unreachable, silent or dripping server: the rows stay pending with ``last_error`` and a backoff
    (``errors`` says why). Rejected login: ``AuthenticationError`` is raised and the rows stay pending,
    their attempts unspent. ``ignore_backoff`` (a person asked: ``ismon alerts flush``) also sends rows
    whose next try is later; rows another flush is sending right now are always left alone. ``stop``
    (set on SIGTERM) ends the conversation at once; ``time_limit`` shortens it (a sweep that is
    stopping has only seconds left). ``recent_days`` is the window of "how often each
    variant was shown" (``config.alerts.recent_days``);
    ``zones`` the marketplaces' reporting time zones for the CTR an email shows (``Config.timezone``).
    """
    result = FlushResult()
    with Session(engine, expire_on_commit=False) as session:
        promote_stale_digests(session, now)
        session.commit()
        due = _due(session, now, ignore_backoff=ignore_backoff)
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
                    _count_failure(session, row, f"cannot render: {exc}", now, max_attempts, result)
                    continue
                session.add(row)
                session.commit()
            ready.append(row)
        if ready:
            with Conversation(email, stop=stop, time_limit=time_limit) as smtp:
                _deliver(session, ready, smtp, password, now, max_attempts, result)
        counts = outbox_counts(session)
        result.pending, result.collecting = counts.get(PENDING, 0), counts.get(COLLECTING, 0)
    log.info("outbox flush: %d sent, %d failed, %d pending", result.sent, result.failed, result.pending)
    return result


def _deliver(
    session: Session,
    rows: list[Outbox],
    smtp: Conversation,
    password: str,
    now: datetime,
    max_attempts: int,
    result: FlushResult,
) -> None:
    email = smtp.email
    try:
        smtp.open(password)
    except AuthenticationError as exc:
        for row in rows:
            row.last_error = str(exc)[:1000]
            session.add(row)
        session.commit()
        raise
    except DeliveryError as exc:
        result.errors.append(str(exc))
        for row in rows:
            _count_failure(session, row, str(exc), now, max_attempts, result)
        return
    for row in rows:
        if not _claim(session, row, now):
            continue
        assert row.message is not None
        try:
            refused = smtp.send(email.sender, list(email.recipients), row.message)
        except ConversationLostError as exc:
            result.errors.append(f"{row.message_id}: {exc}")
            _count_failure(session, row, str(exc), now, max_attempts, result)
            break  # the conversation is over; the rest stay due for the next flush
        except DeliveryError as exc:
            result.errors.append(f"{row.message_id}: {exc}")
            _count_failure(session, row, str(exc), now, max_attempts, result)
            continue
        _mark_sent(session, row, now, refused)
        result.sent += 1
        log.info("alert sent: %s %s", row.message_id, row.subject)


def preview_latest(
    engine: Engine, settings: AlertSettings, blobs: BlobStore, out: Path, now: datetime
) -> Path:
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
            recent_days=settings.alerts.recent_days,
            zones=settings.zones(),
        )
    html = render_html(items, subject=subject_for(items), embed="data")
    target = out / "ismon-alert-preview.html" if out.is_dir() else out
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    log.info("alert preview of %s written to %s at %s", row.message_id, target, now.isoformat())
    return target


def flush_configured(
    engine: Engine,
    settings: AlertSettings,
    password: str,
    now: datetime,
    *,
    ignore_backoff: bool = False,
    stop: threading.Event | None = None,
    time_limit: float | None = None,
) -> FlushResult:
    """``flush_outbox`` with everything taken from the settings (the CLI, the daemon and the demo use it).

    The caller reads ``password`` (``Secrets.smtp_password``) when delivery needs it:
    ``MissingSecretError`` (exit code 2) names the variable when it is not set.
    """
    if settings.email is None:
        raise ConfigError(f"{settings.config_path}: email: no [email] section, so alerts cannot be delivered")
    return flush_outbox(
        engine,
        settings.email,
        password,
        BlobStore(settings.data_dir),
        now,
        recent_days=settings.alerts.recent_days,
        ignore_backoff=ignore_backoff,
        stop=stop,
        time_limit=time_limit,
        zones=settings.zones(),
    )
