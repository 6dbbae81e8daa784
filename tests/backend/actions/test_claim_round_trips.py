"""On PostgreSQL a claim is a few round trips to the server, each of them one pipeline or
statement: each waits for a core under load, while the claim holds the game lock. What the
claim sends, counted from libpq's trace."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from backend.actions import claims
from backend.models import Claim, Event, QueueItem
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.game.floor import add_item, add_seller
from tests.helpers.pgtrace import round_trips, traced

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.postgres


def _claim(db: Database, settings: Settings, seller_id: int, item_id: int) -> list[list[str]]:
    with traced(db.engine) as sent, db.transaction() as s:
        claims.claim_item(
            s,
            seller_id=seller_id,
            queue_id=item_id,
            claim_type="first_sales",
            settings=settings,
            now=T0,
        )
    return round_trips(sent)


def test_a_claim_is_five_round_trips(postgres_db: Database, settings: Settings) -> None:
    db = postgres_db
    with db.transaction() as s:
        seller_id = add_seller(s, "Ada").id
        items = [add_item(s, "12.5", "2", at=T0).id for _ in range(2)]
    _claim(db, settings, seller_id, items[0])  # the first claim of the day: more rules
    trips = _claim(db, settings, seller_id, items[1])
    # no ping (the pooled connection was given back a moment ago); psycopg's BEGIN, the flip
    assert len(trips[0]) == 1 and trips[0][0].startswith("BEGIN")
    assert len(trips[1]) == 1
    flip = " ".join(trips[1][0].replace("(", " (").split())
    assert flip.startswith("WITH q AS (UPDATE queue SET status = 'claimed'"), flip
    # the game rules' two batches (the ordering lock first), each one round trip
    assert trips[2][0].startswith("SELECT pg_advisory_xact_lock") and len(trips[2]) > 3
    assert len(trips[3]) > 1
    # the events' insert and COMMIT together
    assert trips[-1][0].startswith("INSERT INTO events") and trips[-1][1:] == ["COMMIT"]
    assert len(trips) == 5, trips
    with db.read() as s:
        assert s.get_one(QueueItem, items[1]).status == "claimed"
        assert len(s.scalars(select(Claim)).all()) == 2
        claimed = s.scalars(select(Event).where(Event.type == "claimed").order_by(Event.id))
        assert [e.payload["queue_id"] for e in claimed] == items


def test_an_events_insert_that_fails_commits_nothing(
    postgres_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The COMMIT sent with the events' insert runs only if the insert succeeded."""
    from sqlalchemy.exc import ProgrammingError

    from backend import eventlog

    db = postgres_db
    with db.transaction() as s:
        ada = add_seller(s, "Ada").id
        item = add_item(s, "12.5", "2", at=T0).id
    sql, binders = eventlog._events_insert_pg(db.engine.dialect)
    broken = sql.replace("INSERT INTO events ", "INSERT INTO no_such_table ")
    monkeypatch.setattr(eventlog, "_events_insert_pg", lambda _dialect: (broken, binders))
    with pytest.raises(ProgrammingError), traced(db.engine) as sent, db.transaction() as s:
        claims.claim_item(
            s, seller_id=ada, queue_id=item, claim_type="first_sales", settings=settings, now=T0
        )
    # after the failed pipeline psycopg may reset its prepared statements (``DEALLOCATE
    # ALL``: seen when earlier tests ran first; not part of the claim)
    trips = [t for t in round_trips(sent) if t != ["DEALLOCATE ALL"]]
    assert trips[-2][0].startswith("INSERT INTO no_such_table") and trips[-2][1:] == ["COMMIT"]
    assert trips[-1] == ["ROLLBACK"]
    with db.read() as s:
        assert s.get_one(QueueItem, item).status == "pending"
        assert s.scalars(select(Claim)).all() == []
        assert s.scalars(select(Event)).all() == []
