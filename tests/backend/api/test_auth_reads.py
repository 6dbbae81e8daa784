"""The token reads that run on every request open no transaction on PostgreSQL (no BEGIN and
no ROLLBACK round trips), and still read through the read-session engine on SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from backend.api.deps import _reader
from backend.runtime import Database


def test_token_reads_open_no_transaction_on_postgres(db: Database) -> None:
    engine = _reader(db)
    assert _reader(db) is engine  # built once per database
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        raw = conn.connection.dbapi_connection
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite: a deferred BEGIN, no server round trips to save")
        import psycopg

        assert raw is not None
        status = raw.info.transaction_status  # type: ignore[attr-defined]
        assert status == psycopg.pq.TransactionStatus.IDLE  # autocommit: no BEGIN was sent
    # the pooled connection goes back to transactional use for everyone else
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        assert conn.connection.dbapi_connection.info.transaction_status != (  # type: ignore[union-attr]
            psycopg.pq.TransactionStatus.IDLE
        )
