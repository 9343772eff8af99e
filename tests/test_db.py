"""The database: migrations match the models, SQLite is set up for concurrent use, times stay UTC."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from monitor.store.db import current_revision, open_database
from monitor.store.models import SweepRun


def test_migrations_create_exactly_what_the_models_declare(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []
    assert current_revision(engine) is not None


def test_sqlite_uses_wal_and_a_busy_timeout(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        timeout = conn.execute(sa.text("PRAGMA busy_timeout")).scalar()
        assert timeout is not None and timeout >= 5000


def test_times_are_read_back_as_utc(engine: Engine) -> None:
    cet = timezone(timedelta(hours=1))
    with Session(engine) as session:
        session.add(SweepRun(started_at=datetime(2026, 11, 24, 13, 0, tzinfo=cet)))
        session.commit()
    with Session(engine) as session:
        run = session.exec(select(SweepRun)).one()
    assert run.started_at == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert run.started_at.tzinfo is not None


def test_naive_times_are_refused(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(SweepRun(started_at=datetime(2026, 11, 24, 13, 0)))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.commit()


def test_a_reader_and_a_writer_work_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    writer = open_database(url)
    reader = open_database(url)
    try:
        with writer.begin() as wconn:
            wconn.execute(
                sa.text(
                    "INSERT INTO sweep_run (started_at, trigger, status, pages, failures, "
                    "sightings, events, note) VALUES ('2026-11-24 00:00:00', 'manual', "
                    "'running', 0, 0, 0, 0, '')"
                )
            )
            # A write transaction is open; with WAL the reader still sees the last commit.
            with reader.connect() as rconn:
                assert rconn.execute(sa.text("SELECT count(*) FROM sweep_run")).scalar() == 0
        with reader.connect() as rconn:
            assert rconn.execute(sa.text("SELECT count(*) FROM sweep_run")).scalar() == 1
    finally:
        writer.dispose()
        reader.dispose()


@pytest.mark.postgres
def test_postgresql_migrates_and_stores_utc(postgres_url: str) -> None:
    engine = open_database(postgres_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
            )
        assert diff == []
        with Session(engine) as session:
            run = SweepRun(started_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC), note="pg")
            session.add(run)
            session.commit()
            session.refresh(run)
            assert run.started_at == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    finally:
        engine.dispose()


def test_alembic_command_line_sees_no_pending_change(tmp_path: Path) -> None:
    """`alembic check` (the tool a developer runs) agrees: models and migrations are in step."""
    db = tmp_path / "dev.db"
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    alembic = [sys.executable, "-m", "alembic"]
    url_opt = ["-c", str(repo / "alembic.ini")]
    cmd_env = {**env, "ALEMBIC_URL": f"sqlite:///{db}"}
    up = subprocess.run(
        [*alembic, *url_opt, "upgrade", "head"],
        cwd=tmp_path,
        env=cmd_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert up.returncode == 0, up.stderr
    check = subprocess.run(
        [*alembic, *url_opt, "check"],
        cwd=tmp_path,
        env=cmd_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
