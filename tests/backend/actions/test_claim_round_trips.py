"""On PostgreSQL a claim is a few round trips to the server: each one waits for a core under
load, while the claim holds the game lock. What the claim sends, counted from libpq's trace."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from backend.actions import claim_fast
from backend.actions.errors import ActionError
from backend.models import Claim, Event, QueueItem
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.game.floor import add_item, add_seller
from tests.helpers.pgtrace import round_trips, traced

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.postgres


def _claim(db: Database, settings: Settings, seller_id: int, item_id: int) -> list[list[str]]:
    with traced(db.engine) as sent, db.transaction() as s:
        claim_fast.claim_item(
            s,
            seller_id=seller_id,
            queue_id=item_id,
            claim_type="first_sales",
            settings=settings,
            now=T0,
        )
    return round_trips(sent)


def test_a_claim_is_four_round_trips(postgres_db: Database, settings: Settings) -> None:
    db = postgres_db
    with db.transaction() as s:
        seller_id = add_seller(s, "Ada").id
        items = [add_item(s, "12.5", "2", at=T0).id for _ in range(2)]
    _claim(db, settings, seller_id, items[0])  # the first claim of the day: more rules
    trips = _claim(db, settings, seller_id, items[1])
    # no ping (the pooled connection was given back a moment ago) and no BEGIN of its own:
    # BEGIN goes with the flip
    assert trips[0][0] == "BEGIN"
    assert trips[0][1].startswith("WITH q AS (UPDATE queue SET status = 'claimed'")
    assert len(trips[0]) == 2
    # the game rules' two batches (the ordering lock first), then the events' insert and
    # COMMIT together
    assert trips[1][0].startswith("SELECT pg_advisory_xact_lock")
    assert trips[-1][0].startswith("INSERT INTO events") and trips[-1][1:] == ["COMMIT"]
    assert len(trips) == 4, trips
    with db.read() as s:
        assert s.get_one(QueueItem, items[1]).status == "claimed"
        assert len(s.scalars(select(Claim)).all()) == 2
        claimed = s.scalars(select(Event).where(Event.type == "claimed").order_by(Event.id))
        assert [e.payload["queue_id"] for e in claimed] == items


def test_a_refused_claim_rolls_back_and_leaves_the_connection_as_it_was(
    postgres_db: Database, settings: Settings
) -> None:
    db = postgres_db
    with db.transaction() as s:
        ada, bo = add_seller(s, "Ada").id, add_seller(s, "Bo").id
        item = add_item(s, "12.5", "2", at=T0).id
    _claim(db, settings, ada, item)
    with pytest.raises(ActionError) as err, traced(db.engine) as sent, db.transaction() as s:
        claim_fast.claim_item(
            s, seller_id=bo, queue_id=item, claim_type="first_sales", settings=settings, now=T0
        )
    assert err.value.code == "already_claimed"
    trips = round_trips(sent)
    assert trips[0][0] == "BEGIN" and trips[-1] == ["ROLLBACK"]
    # the pool gave the connection its own mode back: a plain transaction opens with BEGIN
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None and driver.autocommit is False
        assert conn.execute(select(Claim.claimed_by)).scalars().all() == [ada]
        conn.rollback()
    with db.read() as s:
        assert s.get_one(QueueItem, item).status == "claimed"
        assert [e.type for e in s.scalars(select(Event))].count("claimed") == 1


def test_a_claim_after_other_statements_in_its_transaction_still_works(
    postgres_db: Database, settings: Settings
) -> None:
    """A caller that used the session first: the usual BEGIN, the claim inside it."""
    db = postgres_db
    with db.transaction() as s:
        ada = add_seller(s, "Ada").id
        item = add_item(s, "12.5", "2", at=T0).id
    with traced(db.engine) as sent, db.transaction() as s:
        s.execute(select(QueueItem.id)).all()
        claim_fast.claim_item(
            s, seller_id=ada, queue_id=item, claim_type="first_sales", settings=settings, now=T0
        )
    trips = round_trips(sent)
    # psycopg's own BEGIN (its isolation level named or not), alone in its round trip
    assert len(trips[0]) == 1 and trips[0][0].startswith("BEGIN")
    assert sum(st.startswith("BEGIN") for trip in trips for st in trip) == 1
    with db.read() as s:
        assert s.get_one(QueueItem, item).status == "claimed"
