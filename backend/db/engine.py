"""Engines and sessions for Win Room's own database.

On PostgreSQL every Win Room table lives in schema ``wr`` (the connection's search_path is
``wr``), so the same models and migrations serve SQLite (plain tables) and PostgreSQL.
On SQLite: WAL, foreign keys on, a busy timeout, and writers that take the write lock at
``BEGIN`` (``BEGIN IMMEDIATE``) so read-then-write transactions cannot deadlock.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from backend import private_files
from backend.db.urls import database_file, is_sqlite, normalize_url

WR_SCHEMA = "wr"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if is_sqlite(url):
        path = database_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False, "isolation_level": None},
            **kwargs,
        )
        if path is not None:
            private_sqlite_file(engine, path)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if path is not None:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, connect_args={"options": f"-c search_path={WR_SCHEMA}"}, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine)
    return engine


def private_sqlite_file(engine: Engine, path: Path) -> None:
    """A SQLite file the engine creates is 0600 (SQLite would make it 0644), and so are its
    ``-wal`` and ``-shm``, which SQLite creates with the database file's mode."""

    @event.listens_for(engine, "do_connect")
    def _create_private(*_args: Any) -> None:
        if not path.exists():
            with contextlib.suppress(OSError):  # SQLite's own open says what is wrong
                private_files.create_private(path)


# A pooled connection given back less than this long ago is handed out without a ping.
PING_AFTER_IDLE_S = 2.0
_CHECKED_IN = "winroom_checked_in"


def ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only when it sat idle for
    :data:`PING_AFTER_IDLE_S` or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one round trip more for every
    request, which under load waits for a core like any other (a claim holds the game lock
    across its round trips). A connection that finished a transaction a moment ago is as
    good as a ping. One that sat idle (a server restart, a firewall's idle timeout) is
    pinged as before; a dead one is replaced (``DisconnectionError``: the pool retries with
    a new connection). A connection dropped within that time of its last use fails the
    request that gets it, and the pool is then refreshed (SQLAlchemy's disconnect
    handling), as with any connection lost in the middle of a request."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_CHECKED_IN)
        if last is not None and time.monotonic() - last < PING_AFTER_IDLE_S:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(f"ping failed: {exc}") from exc
        if not alive:
            raise DisconnectionError("ping failed")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


def reader(engine: Engine) -> Engine:
    """The same engine, opening read transactions with a deferred BEGIN on SQLite."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="DEFERRED")
    return engine


def ping(engine: Engine) -> None:
    with reader(engine).connect() as conn:
        conn.execute(text("SELECT 1"))
