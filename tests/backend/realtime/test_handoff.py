"""In-process commits hand their events to the relay: sent without a read, in id order,
byte-for-byte what the read would have sent; any gap falls back to the read."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Table, insert, select, text

from backend import eventlog
from backend.db.types import utcnow
from backend.eventlog import NOTIFY_CHANNEL, add_commit_waker, append_event, defer_events
from backend.models import Event
from backend.realtime.envelopes import envelope
from backend.realtime.relay import EventRelay, StoredEvent
from backend.runtime import Database
from backend.server import RunningServer
from tests.backend.realtime.support import People, Recorder, add_item

REFRESH = "leaderboard:refresh"


@pytest.fixture
def handed() -> Iterator[list[Any]]:
    got: list[Any] = []
    remove = add_commit_waker(lambda evs: got.append(None if evs is None else list(evs)))
    yield got
    remove()


def stored(db: Database, ids: list[int]) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.scalars(select(Event).where(Event.id.in_(ids)).order_by(Event.id))
        return [envelope(ev) for ev in rows]


def test_deferred_events_are_handed_over_exactly_as_stored(db: Database, handed: list[Any]) -> None:
    with db.transaction() as s:
        defer_events(s)
        append_event(s, REFRESH, {"boards": ["wins", "revenue"]})
        append_event(s, REFRESH, {"boards": ["Ünlü ☕"]}, room="user:7", actor=3)
    assert len(handed) == 1 and handed[0] is not None
    evs = handed[0]
    assert [ev.id for ev in evs] == [evs[0].id, evs[0].id + 1]
    assert [envelope(ev) for ev in evs] == stored(db, [ev.id for ev in evs])
    assert [ev.room for ev in evs] == ["everyone", "user:7"]


def test_events_not_all_in_memory_hand_over_none(db: Database, handed: list[Any]) -> None:
    with db.transaction() as s:  # appended and flushed at once (not deferred)
        append_event(s, REFRESH, {"boards": ["a"]})
    with db.transaction() as s:  # deferred, then a batch insert
        defer_events(s)
        append_event(s, REFRESH, {"boards": ["b"]})
        eventlog.append_events(s, [(REFRESH, {"boards": ["c"]}, None)])
    with db.transaction() as s:  # a savepoint rolled back after its events were inserted
        defer_events(s)
        append_event(s, REFRESH, {"boards": ["d"]})
        sp = s.begin_nested()
        append_event(s, REFRESH, {"boards": ["e"]})
        eventlog.flush_deferred(s)
        sp.rollback()
    assert handed == [None, None, None]
    with db.transaction() as s:  # nothing appended: no wake-up at all
        s.execute(select(Event.id).limit(1))
    with db.transaction() as s:
        defer_events(s)
        append_event(s, REFRESH, {"boards": ["f"]})
    assert len(handed) == 4 and [ev.payload for ev in handed[3]] == [{"boards": ["f"]}]


class FakeSio:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str]] = []

    async def emit(self, name: str, env: dict[str, Any], to: str, ignore_queue: bool) -> None:
        self.sent.append((name, env["id"], to))


def commit_unseen(db: Database, boards: str) -> int:
    """An event committed as another process would: no waker, no hand-off."""
    table = cast(Table, Event.__table__)
    with db.engine.begin() as conn:
        row = {"type": REFRESH, "room": "everyone", "payload": {"boards": [boards]}}
        return int(
            conn.execute(
                insert(table).returning(table.c.id), [{**row, "created_at": utcnow()}]
            ).scalar_one()
        )


def as_batch(db: Database, ids: list[int]) -> list[StoredEvent]:
    return [StoredEvent(e["id"], "everyone", e) for e in stored(db, ids)]


def test_relay_sends_handed_batches_without_reading_and_reads_across_a_gap(
    db: Database,
) -> None:
    sio = FakeSio()
    relay = EventRelay(db, sio)
    base = relay._max_id()
    relay.cursor = base
    a, b, c = (commit_unseen(db, x) for x in "abc")

    async def main() -> None:
        reads: list[int] = []
        fetch = relay._fetch

        def counting_fetch(*args: Any) -> list[StoredEvent]:
            reads.append(1)
            return fetch(*args)

        relay._fetch = counting_fetch  # type: ignore[method-assign]
        # handed out of order: c's commit handed first, then a's; b never handed (another
        # process): the first batch does not follow the cursor, so the read sends a, b, c
        relay._handed.extend([as_batch(db, [c]), as_batch(db, [a])])
        assert await relay.pump(read=False) == 3
        assert [i for _n, i, _to in sio.sent] == [a, b, c]
        assert reads and not relay._handed
        # the next commit follows the cursor: sent as handed, no read
        d = commit_unseen(db, "d")
        reads.clear()
        relay._handed.append(as_batch(db, [d]))
        assert await relay.pump(read=False) == 1
        assert [i for _n, i, _to in sio.sent] == [a, b, c, d]
        assert reads == []

    asyncio.run(main())


@dataclass
class Quiet:
    reads: list[int] = field(default_factory=list)  # the relay's reads of the event table
    wakes: list[int] = field(default_factory=list)  # requests for one (``_wake_to_read``)


def _notify(db: Database, payload: str) -> None:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_notify(:ch, :p)"), {"ch": NOTIFY_CHANNEL, "p": payload})
        conn.commit()


@pytest.fixture
def quiet_relay(server: RunningServer, db: Database) -> Iterator[Quiet]:
    """The server's relay with the safety-net poll slowed right down, its reads and wake-ups
    counted, and its loop brought round once so no wait at the old interval is left."""
    relay = server.app.relay
    assert relay._loop is not None
    quiet = Quiet()
    fetch, wake, pump = relay._fetch, relay._wake_to_read, relay.pump
    armed = threading.Event()  # set on the relay's loop, with the wake-up below
    pumped = threading.Event()  # a pump that began after that has finished

    def counting_fetch(*args: Any) -> list[StoredEvent]:
        quiet.reads.append(1)
        return fetch(*args)

    def counting_wake() -> None:
        quiet.wakes.append(1)
        wake()

    async def signalling_pump(*, read: bool = True) -> int:
        began_armed = armed.is_set()
        try:
            return await pump(read=read)
        finally:
            if began_armed:
                pumped.set()

    def arm() -> None:
        armed.set()
        relay._wake.set()

    old_poll = relay.poll_interval
    relay.poll_interval = 600.0
    relay._fetch = counting_fetch  # type: ignore[method-assign]
    relay._wake_to_read = counting_wake  # type: ignore[method-assign]
    relay.pump = signalling_pump  # type: ignore[method-assign]
    if relay.is_postgres:  # its LISTEN connection is up (it would wake the relay once)
        deadline = time.monotonic() + 30
        while not quiet.wakes:
            assert time.monotonic() < deadline, "the relay's LISTEN never came up"
            _notify(db, "test: are you listening")
            time.sleep(0.05)
    relay._loop.call_soon_threadsafe(arm)
    assert pumped.wait(30)
    quiet.reads.clear()
    quiet.wakes.clear()
    yield quiet
    relay.pump = pump  # type: ignore[method-assign]
    relay._wake_to_read = wake  # type: ignore[method-assign]
    relay._fetch = fetch  # type: ignore[method-assign]
    relay.poll_interval = old_poll


def test_a_claim_reaches_clients_without_a_read(
    server: RunningServer, people: People, db: Database, quiet_relay: Quiet
) -> None:
    qid = add_item(db, email="zeynep@mail.com")

    async def main() -> None:
        rec = Recorder()
        await rec.connect(server.url, people.tokens["tv"])
        await rec.joined(server)
        quiet_relay.reads.clear()
        quiet_relay.wakes.clear()
        async with httpx.AsyncClient(base_url=server.url) as http:
            resp = await http.post(
                "/api/claim",
                json={"queue_id": qid, "claim_type": "upgrade"},
                headers=people.headers("sales"),
            )
        assert resp.status_code == 201
        await rec.wait_for(lambda: any(e == "claimed" for e, _ in rec.events))
        # a hand-off that failed would have read before sending
        assert quiet_relay.reads == []
        if server.app.relay.is_postgres:
            # notifications arrive in commit order: once another process's later event has
            # reached us (its notification woke the relay to read it), our commit's own
            # pg_notify was seen before — and it asked for no read
            def another_process() -> int:
                ev_id = commit_unseen(db, "after the claim")
                _notify(db, "another process")
                return ev_id

            later = await asyncio.to_thread(another_process)
            await rec.wait_for(lambda: later in rec.ids())
            assert quiet_relay.wakes == [1]
        else:
            assert quiet_relay.wakes == []
        claimed = next(d for e, d in rec.events if e == "claimed")
        assert claimed["payload"]["queue_id"] == qid
        assert claimed == stored(db, [claimed["id"]])[0]  # what a read would have sent
        ids = rec.ids()
        assert ids == sorted(ids) and len(ids) == len(set(ids))
        assert ids == [e["id"] for e in stored(db, ids)]
        await rec.disconnect()

    asyncio.run(main())


def test_a_commit_after_an_unseen_one_is_read_in_order(
    server: RunningServer, people: People, db: Database, quiet_relay: Quiet
) -> None:
    async def main() -> None:
        rec = Recorder()
        await rec.connect(server.url, people.tokens["sales"])
        await rec.joined(server)
        unseen = await asyncio.to_thread(commit_unseen, db, "other process")

        def handed_commit() -> int:
            with db.transaction() as s:
                defer_events(s)
                ev = append_event(s, REFRESH, {"boards": ["here"]})
            return ev.id

        mine = await asyncio.to_thread(handed_commit)
        await rec.wait_for(lambda: mine in rec.ids())
        assert rec.ids() == [unseen, mine]
        assert quiet_relay.reads  # the gap made it read
        await rec.disconnect()

    asyncio.run(main())
