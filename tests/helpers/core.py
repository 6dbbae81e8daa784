"""A writable test core database next to each Win Room test database.

With the SQLite ``db`` the core database is a temporary SQLite file (one per test); with the
PostgreSQL ``db`` it is a throwaway PostgreSQL database, created once by a fixture of the
caller's chosen scope (``postgres_core_writer``) and emptied before each test.

Use::

    @pytest.fixture(scope="session")
    def _pg_core() -> Iterator[CoreWriter]:
        with postgres_core_writer() as writer:
            yield writer

    @pytest.fixture
    def core_writer(db, tmp_path, request) -> Iterator[CoreWriter]:
        with core_writer_next_to(db, tmp_path, request, "_pg_core") as writer:
            yield writer
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.runtime import Database
from tests.backend.ingest.core_fixtures import CoreWriter
from tests.helpers.databases import fresh_postgres_database, postgres_admin_url


@contextlib.contextmanager
def postgres_core_writer() -> Iterator[CoreWriter]:
    """A ``CoreWriter`` on a fresh PostgreSQL database, dropped on exit (skips without one)."""
    gen = fresh_postgres_database(postgres_admin_url())
    writer = CoreWriter(next(gen))
    try:
        yield writer
    finally:
        writer.dispose()
        with contextlib.suppress(StopIteration):
            next(gen)


@contextlib.contextmanager
def core_writer_next_to(
    db: Database, tmp_path: Path, request: pytest.FixtureRequest, pg_fixture: str
) -> Iterator[CoreWriter]:
    """An empty core database of ``db``'s dialect.

    PostgreSQL: the writer of the fixture named ``pg_fixture`` (see ``postgres_core_writer``),
    reset; it stays open for the next test. SQLite: a new ``core.db`` in ``tmp_path``,
    disposed on exit.
    """
    if db.engine.dialect.name == "postgresql":
        writer: CoreWriter = request.getfixturevalue(pg_fixture)
        writer.reset()
        yield writer
        return
    writer = CoreWriter(f"sqlite:///{tmp_path / 'core.db'}")
    try:
        yield writer
    finally:
        writer.dispose()
