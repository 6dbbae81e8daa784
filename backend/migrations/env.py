"""Alembic environment: the same migrations on SQLite (plain tables) and PostgreSQL (``wr``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

import backend.models  # noqa: F401  (registers every table)
from backend.db.base import Base
from backend.db.engine import WR_SCHEMA, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {WR_SCHEMA}"))
        connection.execute(text(f"SET search_path TO {WR_SCHEMA}"))
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
