"""Engine, sessions and migrations: the edge between ismon and its database.

``open_database(url)`` makes the engine (SQLite with WAL and a busy timeout, so a daemon and a
``report`` can work at once; or PostgreSQL) and applies the Alembic migrations under ``migrations/``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from monitor.errors import StoreError
from monitor.paths import MIGRATIONS
from monitor.store.folders import ensure_folder

log = logging.getLogger(__name__)


SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    try:
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1] if ":///" in url else ""
            args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            pool: dict[str, Any] = {}
            if path in ("", ":memory:"):  # one database for every thread (the sweep stores in its own)
                args["check_same_thread"] = False
                pool["poolclass"] = StaticPool
            else:
                ensure_folder(Path(path).parent, "database_url")
            engine = sa.create_engine(url, connect_args=args, **pool)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            engine = sa.create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use database {_safe(url)}: {exc}") from None
    return engine


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message, on one line (without SQLAlchemy's statement and background link)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return (text.splitlines() or [exc.__class__.__name__])[0]


def _hint(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return " (the database file and its folder must be writable by the user running ismon)"
    return ""


def _safe(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<invalid url>"


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``."""
    from alembic import command

    try:
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate {_safe(str(engine.url))}: {_reason(exc)}{_hint(exc)}") from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev


def open_database(url: str, *, migrate: bool = True) -> Engine:
    """The engine for ``url`` with the schema brought up to date."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {_safe(url)}: {_reason(exc)}{_hint(exc)}") from None
    if migrate:
        upgrade(engine)
    return engine
