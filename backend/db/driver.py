"""Statements sent below SQLAlchemy, on the psycopg connection of a session's transaction
(the claim path on PostgreSQL): several statements in one round trip, with SQLAlchemy's
errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError


def run_pipeline(pg: Any, parts: Sequence[tuple[str, Any]]) -> list[list[Any]]:
    """Run ``(sql, params)`` statements on psycopg connection ``pg`` in one pipeline: sent
    together, one Sync at the end, one round trip. Each is bound server-side and, once
    psycopg has seen its text a few times, prepared (no parsing and planning per call). The
    server runs them in order; an error skips the rest and is raised here. Returns the rows
    each returned ([] for a statement without rows)."""
    from psycopg.pq import ExecStatus

    cursors = []
    try:
        with pg.pipeline():
            for sql, params in parts:
                cur = pg.cursor()
                cursors.append(cur)
                cur.execute(sql, params)
        out: list[list[Any]] = []
        for cur in cursors:
            res = cur.pgresult
            rows = res is not None and res.status == ExecStatus.TUPLES_OK
            out.append(cur.fetchall() if rows else [])
        return out
    finally:
        for cur in cursors:
            cur.close()


@contextlib.contextmanager
def driver_errors(dialect: Any, sql: str, params: Any) -> Iterator[None]:
    """A driver-level statement's errors as SQLAlchemy raises them (IntegrityError, ...)."""
    dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as exc:
        raise DBAPIError.instance(sql, params, exc, dbapi_error, dialect=dialect) from exc
