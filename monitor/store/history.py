"""History queries: what ismon saw, newest first, for `ismon history` and the static report.

Where it sits: at the read end of the data flow. The sweep stores one ``Sighting`` per own ad and one
``PageVisit`` per page; this module reads them back as ``HistoryRow`` values (and, for the report's CSV,
as a stream). It never writes.

What a history holds:

* every sighting, with ``status`` = the kind of the page it was seen on (normally ``search``);
* every visit that was blocked or failed (``captcha``, ``unknown``, ``error`` and any other kind that is
  not a normal result) as a row of its own with ``asin``, ``unit``, ``verdict`` ... set to None, so a
  stretch without sightings can be told apart from a stretch of captchas. An error visit's ``status``
  is ``"error: <message>"`` (plain ``"error"`` when no message was recorded);
* NOT the normal visits without an own ad (``search`` with no own ad, ``no_results``, ``product``
  pages of the gallery refresh): "no ads of ours on this page" is a normal result, and listing it would
  drown the sightings.

With an ``asin`` filter, blocked and failed visits are kept when their (marketplace, keyword) is one of
that ASIN's keywords (``Keyword`` joined with ``Product``).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from monitor.errors import UsageError
from monitor.store.models import Keyword, Marketplace, PageVisit, Product, Sighting

# Page kinds that are a normal outcome of a visit; a visit of any other status is "blocked or failed".
NORMAL_STATUSES: tuple[str, ...] = ("search", "no_results", "product")

# The keys of one `ismon history --json` item, in the order of DESIGN.md; also the CSV header.
HISTORY_COLUMNS: tuple[str, ...] = (
    "seen_at",
    "marketplace",
    "keyword",
    "asin",
    "unit",
    "placement",
    "position",
    "page",
    "verdict",
    "variant",
    "method",
    "distance",
    "image_id",
    "status",
)

_STREAM_CHUNK = 5_000
_S = Sighting.__table__  # type: ignore[attr-defined]
_V = PageVisit.__table__  # type: ignore[attr-defined]
# The sighting columns between ``seen_at`` and ``status``, in HISTORY_COLUMNS order.
_SIGHTING_FIELDS = (
    _S.c.marketplace,
    _S.c.keyword,
    _S.c.asin,
    _S.c.unit,
    _S.c.placement,
    _S.c.position,
    _S.c.page,
    _S.c.verdict,
    _S.c.variant,
    _S.c.method,
    _S.c.distance,
    _S.c.image_id,
)
_K = Keyword.__table__  # type: ignore[attr-defined]
_P = Product.__table__  # type: ignore[attr-defined]
_M = Marketplace.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One line of the history: a sighting, or a blocked/failed visit (``sighting_id`` is None)."""

    seen_at: datetime
    marketplace: str
    keyword: str
    asin: str | None
    unit: str | None
    placement: str | None
    position: int | None
    page: int
    verdict: str | None
    variant: str | None
    method: str | None
    distance: float | None
    image_id: str | None
    status: str
    visit_id: int
    sighting_id: int | None

    @property
    def is_sighting(self) -> bool:
        return self.sighting_id is not None


def format_time(value: datetime) -> str:
    """ISO 8601 UTC with a ``Z`` and whole seconds, e.g. ``2026-11-24T12:00:00Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def visit_status(status: str, error: str | None) -> str:
    """The ``status`` column: the page kind, or ``error: <message>`` for a failed visit."""
    if status == "error" and error:
        return f"error: {error}"
    return status


def history_json(rows: Sequence[HistoryRow]) -> list[dict[str, Any]]:
    """The `ismon history --json` array: exactly the keys of DESIGN.md, in its order."""
    return [history_dict(row) for row in rows]


def history_dict(row: HistoryRow) -> dict[str, Any]:
    return {
        "seen_at": format_time(row.seen_at),
        "marketplace": row.marketplace,
        "keyword": row.keyword,
        "asin": row.asin,
        "unit": row.unit,
        "placement": row.placement,
        "position": row.position,
        "page": row.page,
        "verdict": row.verdict,
        "variant": row.variant,
        "method": row.method,
        "distance": row.distance,
        "image_id": row.image_id,
        "status": row.status,
    }


# --------------------------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class _Filters:
    asin: str | None
    keyword: str | None
    since: datetime | None
    marketplace: str | None


def _filters(
    asin: str | None, keyword: str | None, since: datetime | None, marketplace: str | None
) -> _Filters:
    if since is not None and since.tzinfo is None:
        raise UsageError(f"since={since.isoformat()} has no timezone; pass an aware UTC datetime")
    return _Filters(
        asin=asin.strip().upper() if asin else None,
        keyword=" ".join(keyword.split()) if keyword else None,
        since=since,
        marketplace=marketplace.strip().lower() if marketplace else None,
    )


def _sightings_select(f: _Filters) -> sa.Select[Any]:
    stmt = sa.select(
        _S.c.seen_at,
        *_SIGHTING_FIELDS,
        _V.c.status,
        _V.c.error,
        _S.c.visit_id,
        _S.c.id.label("sighting_id"),
    ).join(_V, _V.c.id == _S.c.visit_id)
    if f.asin is not None:
        stmt = stmt.where(_S.c.asin == f.asin)
    if f.keyword is not None:
        stmt = stmt.where(_S.c.keyword == f.keyword)
    if f.since is not None:
        stmt = stmt.where(_S.c.seen_at >= f.since)
    if f.marketplace is not None:
        stmt = stmt.where(_S.c.marketplace == f.marketplace)
    return stmt


def _blocked_select(f: _Filters) -> sa.Select[Any]:
    null = sa.null()
    stmt = sa.select(
        _V.c.seen_at,
        _V.c.marketplace,
        _V.c.keyword,
        sa.cast(null, sa.String).label("asin"),
        sa.cast(null, sa.String).label("unit"),
        sa.cast(null, sa.String).label("placement"),
        sa.cast(null, sa.Integer).label("position"),
        _V.c.page,
        sa.cast(null, sa.String).label("verdict"),
        sa.cast(null, sa.String).label("variant"),
        sa.cast(null, sa.String).label("method"),
        sa.cast(null, sa.Float).label("distance"),
        sa.cast(null, sa.String).label("image_id"),
        _V.c.status,
        _V.c.error,
        _V.c.id.label("visit_id"),
        sa.cast(null, sa.Integer).label("sighting_id"),
    ).where(
        _V.c.status.not_in(NORMAL_STATUSES),
        # A blocked page has no ads; this guards against a future kind that has some.
        ~sa.exists().where(_S.c.visit_id == _V.c.id),
    )
    if f.asin is not None:
        owned = (
            sa.select(_K.c.text)
            .join(_P, _P.c.id == _K.c.product_id)
            .join(_M, _M.c.id == _P.c.marketplace_id)
            .where(_P.c.asin == f.asin)
        )
        pair = owned.where(_K.c.text == _V.c.keyword, _M.c.key == _V.c.marketplace)
        if f.marketplace is not None:
            owned = owned.where(_M.c.key == f.marketplace)
        # The IN lets the planner walk ix_page_visit_keyword_seen per keyword; the EXISTS keeps the
        # (marketplace, keyword) pair exact.
        stmt = stmt.where(_V.c.keyword.in_(owned.scalar_subquery()), sa.exists(pair))
    if f.keyword is not None:
        stmt = stmt.where(_V.c.keyword == f.keyword)
    if f.since is not None:
        stmt = stmt.where(_V.c.seen_at >= f.since)
    if f.marketplace is not None:
        stmt = stmt.where(_V.c.marketplace == f.marketplace)
    return stmt


def _row(r: Row[Any]) -> HistoryRow:
    return HistoryRow(
        seen_at=r.seen_at,
        marketplace=r.marketplace,
        keyword=r.keyword,
        asin=r.asin,
        unit=r.unit,
        placement=r.placement,
        position=r.position,
        page=r.page,
        verdict=r.verdict,
        variant=r.variant,
        method=r.method if r.sighting_id is not None else None,
        distance=r.distance,
        image_id=r.image_id,
        status=visit_status(r.status, r.error),
        visit_id=r.visit_id,
        sighting_id=r.sighting_id,
    )


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def query_history(
    session: Session | Connection,
    *,
    asin: str | None = None,
    keyword: str | None = None,
    since: datetime | None = None,
    marketplace: str | None = None,
    limit: int | None = None,
) -> list[HistoryRow]:
    """Sightings and blocked/failed visits matching every filter given, newest first.

    ``keyword`` is matched exactly (after collapsing whitespace, as the config does); ``asin`` and
    ``marketplace`` case-insensitively. ``since`` is inclusive and must be timezone-aware.
    """
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be at least 1, not {limit}")
    f = _filters(asin, keyword, since, marketplace)
    seen = _sightings_select(f)
    blocked = _blocked_select(f)
    if limit is not None:
        # Each branch brings at most `limit` rows, so the final sort stays small even over millions.
        seen = sa.select(seen.order_by(_S.c.seen_at.desc()).limit(limit).subquery())
        blocked = sa.select(blocked.order_by(_V.c.seen_at.desc()).limit(limit).subquery())
    union = sa.union_all(seen, blocked).subquery()
    stmt = sa.select(union).order_by(
        union.c.seen_at.desc(), union.c.visit_id.desc(), union.c.sighting_id.asc()
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    result = _connection(session).execute(stmt)
    return [_row(r) for r in result]


def _time_text(dialect: str, column: Any) -> Any:
    """``seen_at`` as the JSON's ISO text, formatted by the database (None: format in Python)."""
    if dialect == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC; slicing is ~10x cheaper than strftime().
        day, clock = sa.func.substr(column, 1, 10), sa.func.substr(column, 12, 8)
        return day.concat("T").concat(clock).concat("Z")
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return None


def _status_text(status: Any, error: Any) -> Any:
    return sa.case(
        (sa.and_(status == "error", error != ""), sa.literal("error: ").concat(error)),
        else_=status,
    )


def iter_history_records(
    connection: Connection, *, since: datetime | None = None, chunk: int = _STREAM_CHUNK
) -> Iterator[list[Sequence[Any]]]:
    """The whole history, oldest first, in chunks of rows whose values are the JSON values in
    ``HISTORY_COLUMNS`` order (``seen_at`` already ISO text): for exports over millions of sightings.

    Sightings stream through a server-side cursor in ``seen_at`` order (``ix_sighting_seen_at``, no
    sort); the blocked/failed visits, a small set, are fetched first and sorted into each chunk. The
    database formats times and statuses, so Python touches each row once.
    """
    f = _filters(None, None, since, None)
    dialect = connection.dialect.name
    s_time = _time_text(dialect, _S.c.seen_at)
    v_time = _time_text(dialect, _V.c.seen_at)
    python_time = s_time is None
    null = sa.null()
    seen = sa.select(
        _S.c.seen_at if python_time else s_time,
        *_SIGHTING_FIELDS,
        _status_text(_V.c.status, _V.c.error),
    ).join(_V, _V.c.id == _S.c.visit_id)
    if f.since is not None:
        seen = seen.where(_S.c.seen_at >= f.since)
    blocked = _blocked_select(f).with_only_columns(
        _V.c.seen_at if python_time else v_time,
        _V.c.marketplace,
        _V.c.keyword,
        *([null] * 4),
        _V.c.page,
        *([null] * 5),
        _status_text(_V.c.status, _V.c.error),
    )

    def tidy(rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        if not python_time:
            return list(rows)
        return [(format_time(r[0]), *r[1:]) for r in rows]

    pending = tidy(connection.execute(blocked.order_by(_V.c.seen_at, _V.c.id)).all())
    pending.reverse()  # pop() from the end = the oldest first
    key = operator.itemgetter(0)
    result = connection.execution_options(stream_results=True, yield_per=chunk).execute(
        seen.order_by(_S.c.seen_at)
    )
    try:
        for part in result.partitions(chunk):
            rows = tidy(part)
            last = rows[-1][0]
            extra = []
            while pending and pending[-1][0] <= last:
                extra.append(pending.pop())
            if extra:
                rows.extend(extra)
                rows.sort(key=key)  # stable and nearly sorted: linear
            yield rows
    finally:
        result.close()
    if pending:
        pending.reverse()
        yield pending
