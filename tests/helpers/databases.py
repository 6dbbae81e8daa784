"""Test databases: a migrated SQLite file per test session, and a private PostgreSQL
database per test session (created from WINROOM_TEST_POSTGRES_URL, dropped at the end).

Under ``CI=true`` an unset or unreachable PostgreSQL/Redis URL is a failure, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.db.base import Base
from backend.db.migrate import upgrade
from backend.runtime import Database, database_for_url

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tables whose rows a migration seeds: kept between tests.
SEEDED_TABLES = frozenset({"badges", "alembic_version"})


def require_env(name: str) -> str:
    """The URL in ``name``; skips (or fails under CI) when unset."""
    value = os.environ.get(name)
    if not value:
        msg = f"{name} is not set: skipping the tests that need it"
        if IN_CI:
            pytest.fail(f"{name} must be set under CI=true")
        pytest.skip(msg)
    return value


def postgres_admin_url() -> str:
    url = require_env("WINROOM_TEST_POSTGRES_URL")
    try:
        eng = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"WINROOM_TEST_POSTGRES_URL is unreachable under CI=true: {exc}")
        pytest.skip(f"WINROOM_TEST_POSTGRES_URL is unreachable: {exc}")
    return url


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session."""
    admin = make_url(postgres_admin_url()).set(drivername="postgresql+psycopg")
    name = f"wr_test_{uuid.uuid4().hex[:10]}"
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with eng.connect() as c:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        eng.dispose()


def fresh_postgres_database(base_url: str) -> Iterator[str]:
    """Another throwaway PostgreSQL database next to ``base_url`` (e.g. for a core DB)."""
    admin = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"wr_test_{uuid.uuid4().hex[:10]}"
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with eng.connect() as c:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        eng.dispose()


def truncate_all(db: Database) -> None:
    """Empty every Win Room table except the seeded ones (fast reset between tests)."""
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in SEEDED_TABLES]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(names):
                conn.execute(text(f"DELETE FROM {name}"))


def redis_url() -> str:
    url = require_env("WINROOM_TEST_REDIS_URL")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"WINROOM_TEST_REDIS_URL is unreachable under CI=true: {exc}")
        pytest.skip(f"WINROOM_TEST_REDIS_URL is unreachable: {exc}")
    return url


def migrate_url(url: str) -> str:
    upgrade(url)
    return url


__all__ = [
    "IN_CI",
    "Database",
    "database_for_url",
    "fresh_postgres_database",
    "migrate_url",
    "postgres_server_url",
    "redis_url",
    "truncate_all",
]
