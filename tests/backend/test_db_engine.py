"""PostgreSQL engines ping a pooled connection only when it sat idle (backend.db.engine):
no round trip for a connection given back a moment ago, and a dead idle connection is
replaced before the caller sees it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

import backend.db.engine as engine_mod
from backend.db.engine import make_engine
from tests.helpers.databases import postgres_admin_url


@pytest.fixture
def pg_url() -> str:
    return postgres_admin_url()


def test_a_connection_back_a_moment_ago_is_not_pinged(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_mod, "PING_AFTER_IDLE_S", 60.0)
    engine = make_engine(pg_url)
    pings: list[int] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(1) or real(c))
    try:
        with engine.connect() as conn:  # a new connection: as good as a ping
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == first
        assert pings == []
    finally:
        engine.dispose()


def test_an_idle_dead_connection_is_replaced_before_use(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_mod, "PING_AFTER_IDLE_S", 0.05)
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    admin = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            dead = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as a:  # the server drops the pooled connection
            a.execute(text("SELECT pg_terminate_backend(:p)"), {"p": dead})
            gone = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p")
            deadline = time.monotonic() + 30
            while a.execute(gone, {"p": dead}).scalar_one():  # it ends asynchronously
                assert time.monotonic() < deadline, "the backend was not terminated"
                time.sleep(0.01)
        time.sleep(0.06)  # idle for longer than the 0.05 s window: pinged at checkout
        with engine.connect() as conn:  # no error: the pool replaced it
            alive = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert alive != dead
    finally:
        engine.dispose()
        admin.dispose()


def test_pre_ping_asked_for_is_sqlalchemys_own_alone(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pool_pre_ping=True``: SQLAlchemy pings every checkout, and the idle ping (here set
    to ping every checkout too) is not added on top of it."""
    monkeypatch.setattr(engine_mod, "PING_AFTER_IDLE_S", 0.0)
    engine = make_engine(pg_url, pool_pre_ping=True)
    pings: list[int] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(1) or real(c))
    try:
        with engine.connect() as conn:  # a new connection
            conn.execute(text("SELECT 1"))
        pings.clear()
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert len(pings) == 3
    finally:
        engine.dispose()
