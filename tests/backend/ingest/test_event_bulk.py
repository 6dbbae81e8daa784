"""``append_events_bulk`` (the ingest worker's event append: sequence ids + COPY on
PostgreSQL) stores what ``append_events`` stores and keeps the event log's guarantees:
ids strictly increasing in commit order under concurrent appenders, deferred events first,
nothing on rollback, wakers once after commit. Its ``validated=True`` shortcut is only
sound because the worker's payload builders give exactly the validated form (proven here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from backend import eventlog
from backend.ingest.actions import jackpot_payload, queue_new_payload
from backend.models import Event
from backend.runtime import Database
from backend.schemas.events import validate_payload
from tests.backend.ingest.test_fast_paths import SAMPLES
from tests.helpers.cursor_reader import read_while_writing

ODD = "tab\there, new\nline, back\\slash, 'quote' \"double\" ; Ümit Çağ 🎉"


def batch(sid0: int) -> list[tuple[str, dict[str, Any], int | None]]:
    """queue.new and jackpot events as the worker builds them, plus odd text."""
    out: list[tuple[str, dict[str, Any], int | None]] = []
    for i, row in enumerate(SAMPLES.values()):
        row = dict(row, id=sid0 + i, subscription_id=sid0 + i, customer_name=ODD)
        out.append(("queue.new", queue_new_payload(row), row["subscription_id"]))
        out.append(("jackpot", jackpot_payload(row), row["subscription_id"]))
    return out


def stored(db: Database, ids: list[int] | None = None) -> list[tuple[Any, ...]]:
    with db.read() as s:
        q = select(Event).order_by(Event.id)
        if ids is not None:
            q = q.where(Event.id.in_(ids))
        return [(e.type, e.room, e.payload, e.subscription_id, e.actor) for e in s.scalars(q).all()]


@pytest.mark.parametrize("row", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_worker_payloads_are_already_in_validated_form(row: dict[str, Any]) -> None:
    row = dict(row, customer_name=ODD)
    for type_, payload in (
        ("queue.new", queue_new_payload(row)),
        ("jackpot", jackpot_payload(row)),
    ):
        assert validate_payload(type_, payload) == payload


@pytest.mark.parametrize("validated", [True, False])
def test_bulk_append_stores_what_append_events_stores(db: Database, validated: bool) -> None:
    before = datetime.now(UTC)
    with db.transaction() as s:
        slow_ids = eventlog.append_events(s, batch(100))
    with db.transaction() as s:
        fast_ids = eventlog.append_events_bulk(s, batch(100), validated=validated)
    assert fast_ids == sorted(fast_ids) and len(set(fast_ids)) == len(fast_ids)
    assert min(fast_ids) > max(slow_ids)
    assert stored(db, fast_ids) == stored(db, slow_ids)
    assert len(stored(db, fast_ids)) == len(batch(100))
    with db.read() as s:
        ids = list(s.scalars(select(Event.id).order_by(Event.id)))
        stamps = list(s.scalars(select(Event.created_at).where(Event.id.in_(fast_ids))))
    assert ids == slow_ids + fast_ids
    assert all(before <= t <= datetime.now(UTC) for t in stamps)
    # the database's own ids come after the ones the bulk append took
    with db.transaction() as s:
        later = eventlog.append_event(s, "leaderboard:refresh", {"boards": ["wins"]})
    assert later.id > max(fast_ids)


def test_bulk_append_validates_unless_told_the_payloads_are_validated(db: Database) -> None:
    bad = [("jackpot", {"queue_id": 1, "subscription_id": 2, "revenue_usd": "1.00", "x": 1}, 2)]
    with pytest.raises(ValueError), db.transaction() as s:
        eventlog.append_events_bulk(s, bad)  # type: ignore[arg-type]
    # validated=True still checks the first payload of each type: a builder gone wrong fails
    not_json_ready = batch(1)
    payload = dict(not_json_ready[0][1])
    payload["item"] = dict(payload["item"], tts_days="5")  # the validated form has an int
    with pytest.raises(ValueError), db.transaction() as s:
        eventlog.append_events_bulk(s, [("queue.new", payload, 1)], validated=True)
    assert stored(db) == []


def test_bulk_append_rolls_back_and_wakes_once_after_commit(db: Database) -> None:
    woken: list[int] = []
    remove = eventlog.add_commit_waker(lambda _events: woken.append(1))
    try:
        with pytest.raises(RuntimeError), db.transaction() as s:
            eventlog.append_events_bulk(s, batch(1), validated=True)
            raise RuntimeError("boom")
        assert stored(db) == [] and woken == []
        with db.transaction() as s:
            eventlog.append_events_bulk(s, batch(1), validated=True)
            assert woken == []
        assert woken == [1]
        assert len(stored(db)) == len(batch(1))
    finally:
        remove()


def test_deferred_events_keep_their_place_before_a_bulk_append(db: Database) -> None:
    with db.transaction() as s:
        eventlog.defer_events(s)
        first = eventlog.append_event(s, "leaderboard:refresh", {"boards": ["first"]})
        ids = eventlog.append_events_bulk(s, batch(1), validated=True)
        assert first.id is not None and first.id < min(ids)
    assert stored(db)[0][2] == {"boards": ["first"]}


def test_bulk_appends_commit_in_id_order_under_concurrent_writers(db: Database) -> None:
    """A reader that only asks for ``id > cursor`` (the relay) sees every event while bulk
    appenders and single appenders commit concurrently: nothing skipped, nothing twice."""

    def bulk(n: int) -> None:
        for k in range(6):
            with db.transaction() as s:
                eventlog.append_events_bulk(s, batch(1000 * n + 10 * k), validated=True)

    def single() -> None:
        for _ in range(10):
            with db.transaction() as s:
                eventlog.append_event(s, "leaderboard:refresh", {"boards": ["wins"]})

    seen = read_while_writing(db, [*(partial(bulk, n) for n in range(1, 4)), single])
    with db.read() as s:
        all_ids = list(s.scalars(select(Event.id).order_by(Event.id)))
    assert len(all_ids) == 3 * 6 * len(batch(1)) + 10
    assert seen == all_ids  # nothing skipped, nothing twice, in order
