"""Engines and sessions for Win Room's own database.

On PostgreSQL every Win Room table lives in schema ``wr`` (the connection's search_path is
``wr``), so the same models and migrations serve SQLite (plain tables) and PostgreSQL.
On SQLite: WAL, foreign keys on, a busy timeout, and writers that take the write lock at
``BEGIN`` (``BEGIN IMMEDIATE``) so read-then-write transactions cannot deadlock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

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
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, connect_args={"options": f"-c search_path={WR_SCHEMA}"}, **kwargs)


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
