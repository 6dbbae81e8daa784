"""The hot path's seam to the database: statements built once from the models, and on
PostgreSQL several of them sent in one round trip.

- :func:`prebuilt`: a statement built once per dialect by a builder function (values come
  as bound parameters): building and caching a statement costs more than running it on
  the claim's path. Builders take a :class:`Dialect`.
- :class:`Batch` (PostgreSQL): statements compiled once by SQLAlchemy from the same
  builders, sent through psycopg's pipeline mode (``db/driver.run_pipeline``): one round
  trip, each statement bound server-side with a fixed text, so psycopg prepares it and
  PostgreSQL plans it once per connection. Values go to the driver as they are (no
  SQLAlchemy bind processing): money as integer micro-dollars, moments as naive UTC
  (:func:`naive_utc`).
- :func:`pipeline_connection`: the psycopg connection under a session's transaction on
  PostgreSQL (None elsewhere: the caller runs the same builders one by one).
- :func:`forget`: a row written with Core is expired in the session's identity map, so ORM
  code later in the transaction reads the new values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ARRAY, Table, any_, bindparam
from sqlalchemy.orm import Session

from backend.db.driver import run_pipeline
from backend.db.types import UTCDateTime

Builder = Callable[["Dialect"], Any]


def table_of(model: type[Any]) -> Table:
    """A model's table, typed as a ``Table`` (for Core statements)."""
    return cast(Table, model.__table__)


def dialect_insert(name: str) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_*``): PostgreSQL or SQLite."""
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


class Dialect:
    """What a statement builder needs to know of the database."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.insert = dialect_insert(name)

    def one_of(self, column: Any, name: str, item_type: Any) -> Any:
        """``column IN (:name...)``; on PostgreSQL ``column = ANY(:name)`` (one array
        parameter: the same statement text, prepared once, whatever the list's length)."""
        if self.name == "postgresql":
            return column == any_(bindparam(name, type_=ARRAY(item_type)))
        return column.in_(bindparam(name, expanding=True))


_PREBUILT: dict[tuple[str, Builder], Any] = {}


def prebuilt(session: Session, build: Builder) -> Any:
    """``build``'s statement for the session's dialect, built once (a fixed set: one per
    builder and dialect)."""
    name = session.get_bind().dialect.name
    key = (name, build)
    stmt = _PREBUILT.get(key)
    if stmt is None:
        stmt = _PREBUILT[key] = build(Dialect(name))
    return stmt


def forget(session: Session, model: type[Any], key: Any) -> None:
    """Expire the session's ORM copy of a row written with a Core statement (if any). The
    identity key is built directly (``Session.identity_key`` costs more than the lookup):
    (class, primary key tuple in column order, no identity token)."""
    obj = session.identity_map.get((model, key if isinstance(key, tuple) else (key,), None))
    if obj is not None:
        session.expire(obj)


def naive_utc(moment: datetime) -> datetime:
    """A moment as a ``UTCDateTime`` column stores it (for values sent past SQLAlchemy)."""
    return cast(datetime, UTCDateTime().process_bind_param(moment, None))


# ---- PostgreSQL: statements of a step in one round trip ------------------------------------
_COMPILED: dict[tuple[Builder, tuple[str, ...]], tuple[str, dict[str, Any]]] = {}


class Compiled:
    """A statement compiled for psycopg: its text and the values of its literal binds."""

    def __init__(self, sql: str, defaults: dict[str, Any]) -> None:
        self.sql = sql
        self.defaults = defaults

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**self.defaults, **values} if self.defaults else values


def compiled(session: Session, build: Builder, keys: Sequence[str] = ()) -> Compiled:
    """``build``'s PostgreSQL statement compiled once; ``keys``: the columns an INSERT or
    UPDATE sets from parameters of these names (the others keep their literal values)."""
    got = _COMPILED.get((build, tuple(keys)))
    if got is None:
        done = build(Dialect("postgresql")).compile(
            dialect=session.get_bind().dialect, column_keys=list(keys) or None
        )
        mine = set(keys)
        defaults = {k: v for k, v in done.params.items() if k not in mine and v is not None}
        got = _COMPILED[(build, tuple(keys))] = (str(done), defaults)
    return Compiled(*got)


class Batch:
    """Statements sent to PostgreSQL in ONE round trip: psycopg's pipeline mode, each
    statement bound server-side (prepared once psycopg has seen it a few times), one Sync at
    the end. The server runs them in order, each with its own snapshot; an error skips the
    rest and is raised at the end of the pipeline."""

    def __init__(self, pg: Any) -> None:
        self.pg = pg
        self.parts: list[tuple[str, dict[str, Any]]] = []

    def add(self, statement: Compiled, values: dict[str, Any]) -> int:
        """Queue a statement; returns its index in :meth:`run`'s results."""
        self.parts.append((statement.sql, statement.params(values)))
        return len(self.parts) - 1

    def add_sql(self, sql: str, params: dict[str, Any]) -> int:
        """Queue a statement given as text (``eventlog``'s ordering lock)."""
        self.parts.append((sql, params))
        return len(self.parts) - 1

    def run(self) -> list[list[Any]]:
        """Send the statements; the rows each returned ([] for those without rows)."""
        return run_pipeline(self.pg, self.parts)


def pipeline_connection(session: Session) -> Any | None:
    """The psycopg connection under the session's transaction (PostgreSQL: the batched
    path), else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.connection().connection.driver_connection


_DRIVER_TEXT: dict[tuple[str, Builder], str] = {}


def driver_text(session: Session, build: Builder, order: Sequence[str]) -> str:
    """``build``'s statement as the session's driver takes it (SQLite: ``?`` placeholders,
    values in ``order``), for a read whose rows are cheaper fetched from the driver than
    through SQLAlchemy. Values are passed as the database stores them."""
    dialect = session.get_bind().dialect
    key = (dialect.name, build)
    got = _DRIVER_TEXT.get(key)
    if got is None:
        done = build(Dialect(dialect.name)).compile(dialect=dialect)
        if list(done.positiontup or ()) != list(order):
            raise ValueError(f"{build.__name__} binds {done.positiontup}, not {list(order)}")
        got = _DRIVER_TEXT[key] = str(done)
    return got
