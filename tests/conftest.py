"""Shared fixtures.

- ``db``: a migrated Win Room database, emptied before each test, on SQLite and — when
  ``WINROOM_TEST_POSTGRES_URL`` is set — PostgreSQL too (the test runs once per backend).
- ``sqlite_db`` / ``postgres_db``: one backend only.
- ``settings``: Settings pointing at a temporary data dir (and the test database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.runtime import Database, database_for_url
from backend.settings import Settings, load_settings
from tests.helpers.databases import (
    migrate_url,
    postgres_server_url,  # noqa: F401  (fixture)
    truncate_all,
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a developer's own .env or data dir leak into tests.
for _k in [k for k in os.environ if k.startswith("WINROOM_") and not k.startswith("WINROOM_TEST_")]:
    del os.environ[_k]


@pytest.fixture(scope="session")
def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("wrdb") / "winroom.db"
    return migrate_url(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def _sqlite_database(_sqlite_url: str) -> Iterator[Database]:
    db = database_for_url(_sqlite_url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def _postgres_database(postgres_server_url: str) -> Iterator[Database]:  # noqa: F811
    migrate_url(postgres_server_url)
    db = database_for_url(postgres_server_url)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_db(_sqlite_database: Database) -> Database:
    truncate_all(_sqlite_database)
    return _sqlite_database


@pytest.fixture
def postgres_db(_postgres_database: Database) -> Database:
    truncate_all(_postgres_database)
    return _postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """A clean, migrated Win Room database; every test using it runs on both backends."""
    name = "sqlite_db" if request.param == "sqlite" else "postgres_db"
    return request.getfixturevalue(name)


@pytest.fixture
def db_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir(mode=0o700)  # as Win Room makes it (a wider one is tightened with a warning)
    return d


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Default settings in a temporary data dir (its own SQLite files)."""
    return load_settings(data_dir=data_dir)


@pytest.fixture(autouse=True)
def _fresh_game_numbers() -> Iterator[None]:
    """The game numbers' cache (``backend.game.numbers``) outlives a test's database: drop
    it around every test."""
    from backend.game import numbers

    numbers.invalidate()
    yield
    numbers.invalidate()
