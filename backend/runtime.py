"""The process's handle on Win Room's database: engine, sessions, migration check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.db.engine import make_engine, make_session_factory, reader
from backend.db.migrate import ensure_migrated, upgrade
from backend.settings import Settings


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write unit of work: commit on success, roll back on error."""
        with self.sessions() as s, s.begin():
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (no write lock on SQLite)."""
        with self.read_sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def database_for_url(url: str) -> Database:
    engine = make_engine(url)
    return Database(
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_session_factory(reader(engine)),
    )


def open_database(settings: Settings, *, migrate: bool = False) -> Database:
    """Open Win Room's database; migrate it first, or raise NotMigrated if behind."""
    if migrate:
        upgrade(settings.db_url)
    db = database_for_url(settings.db_url)
    try:
        ensure_migrated(db.engine)
    except Exception:
        db.dispose()
        raise
    return db
