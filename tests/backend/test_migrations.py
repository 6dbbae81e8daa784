from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from backend.db.base import Base
from backend.db.engine import make_engine
from backend.db.migrate import (
    NotMigrated,
    current_revision,
    downgrade,
    ensure_migrated,
    head_revision,
    upgrade,
)
from tests.helpers.databases import fresh_postgres_database, postgres_admin_url

TRGM = "ix_queue_trgm_"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/m.db"
    else:
        yield from fresh_postgres_database(postgres_admin_url())


def test_upgrade_downgrade_upgrade_and_models_match(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        with pytest.raises(NotMigrated):
            ensure_migrated(engine)
        upgrade(empty_url)
        assert current_revision(engine) == head_revision()
        ensure_migrated(engine)
        tables = set(inspect(engine).get_table_names())
        for name in ("queue", "claims", "events", "attribution_share_entries", "streak_state"):
            assert name in tables
        # the migrations create exactly what the models describe
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        # the optional trigram indexes of PostgreSQL (0007) are not in the models
        trigram = [d for d in diff if d[0] == "remove_index" and d[1].name.startswith(TRGM)]
        assert [d for d in diff if d not in trigram] == []
        assert len(trigram) == (3 if engine.dialect.name == "postgresql" else 0)
        if engine.dialect.name == "postgresql":  # and a substring search can use them
            with engine.connect() as conn:
                conn.execute(text("SET enable_seqscan = off"))
                plan = conn.execute(
                    text("EXPLAIN SELECT id FROM queue WHERE customer_email ILIKE '%abc%'")
                ).all()
            assert "ix_queue_trgm_customer_email" in " ".join(r[0] for r in plan)
        downgrade(empty_url, "base")
        assert "queue" not in set(inspect(engine).get_table_names())
        upgrade(empty_url)
        assert current_revision(engine) == head_revision()
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                schema = conn.execute(
                    text(
                        "SELECT table_schema FROM information_schema.tables WHERE table_name='queue'"
                    )
                ).scalar_one()
            assert schema == "wr"
    finally:
        engine.dispose()
