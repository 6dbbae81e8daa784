"""Room broadcasts put the packet on every recipient's queue in one pass (no task each),
exactly as python-socketio's own manager would address them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from backend.realtime.fanout import DirectFanout, DirectFanoutRedis
from backend.realtime.relay import EventRelay, StoredEvent
from backend.runtime import Database

ROOMS = {"a": ["everyone", "room-x"], "b": ["everyone"], "c": ["everyone", "room-x"], "d": []}


async def _server(manager: socketio.AsyncManager) -> tuple[Any, dict[str, str], list[Any]]:
    """A server with four connected sockets in ``ROOMS``; sends are recorded, not sent."""
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    sent: list[tuple[str, str]] = []

    async def record(eio_sid: str, pkt: Any) -> None:
        sent.append((eio_sid, pkt.encode()))

    sio._send_eio_packet = record  # type: ignore[method-assign]
    sids: dict[str, str] = {}
    for eio_sid, rooms in ROOMS.items():
        sid = await manager.connect(eio_sid, "/")
        sids[eio_sid] = sid
        for room in rooms:
            await manager.enter_room(sid, "/", room)
    return sio, sids, sent


CASES: list[tuple[Any, dict[str, Any]]] = [
    ({"id": 1, "type": "claimed"}, {"to": "everyone"}),
    ({"id": 2}, {"to": "room-x"}),
    ({"id": 3}, {"to": ["room-x", "everyone"]}),  # a list of rooms: each socket once
    ("text", {"to": "everyone", "skip_sid": "SKIP:a"}),
    (("two", "args"), {"to": "everyone", "skip_sid": ["SKIP:a", "SKIP:c"]}),
    (None, {"to": "nobody-here"}),
    ({"bytes": b"\x00\x01"}, {"to": "everyone"}),  # binary: several packets per recipient
    ({"all": True}, {}),  # no room: every socket of the namespace
]


@pytest.mark.parametrize(("data", "kw"), CASES)
def test_same_recipients_and_packets_as_python_socketio(data: Any, kw: dict[str, Any]) -> None:
    async def sends(manager: socketio.AsyncManager) -> list[tuple[str, str]]:
        _sio, sids, sent = await _server(manager)
        args = dict(kw)
        skip = args.get("skip_sid")
        if isinstance(skip, str):
            args["skip_sid"] = sids[skip.removeprefix("SKIP:")]
        elif isinstance(skip, list):
            args["skip_sid"] = [sids[s.removeprefix("SKIP:")] for s in skip]
        await manager.emit("ev", data, "/", **args)
        return sent

    # the same packets to the same sockets in the same order (python-socketio's tasks run
    # in the order they were created: the room's)
    assert asyncio.run(sends(DirectFanout())) == asyncio.run(sends(socketio.AsyncManager()))


def test_unknown_namespace_sends_nothing() -> None:
    async def main() -> list[tuple[str, str]]:
        manager = DirectFanout()
        _sio, _sids, sent = await _server(manager)
        await manager.emit("ev", {"x": 1}, "/elsewhere", to="everyone")
        return sent

    assert asyncio.run(main()) == []


@contextlib.contextmanager
def counting_tasks() -> Iterator[list[Any]]:
    """Every task the running loop creates inside the block."""
    created: list[Any] = []
    loop = asyncio.get_running_loop()

    def factory(lp: Any, coro: Any, **kw: Any) -> asyncio.Task[Any]:
        created.append(coro)
        return asyncio.Task(coro, loop=lp, **kw)

    loop.set_task_factory(factory)
    try:
        yield created
    finally:
        loop.set_task_factory(None)


@pytest.mark.parametrize("direct", [True, False])
def test_no_task_is_created_per_recipient(direct: bool) -> None:
    async def main() -> int:
        manager = DirectFanout() if direct else socketio.AsyncManager()
        _sio, _sids, sent = await _server(manager)
        with counting_tasks() as created:
            await manager.emit("ev", {"x": 1}, "/", to="everyone")
        assert len(sent) == 3
        return len(created)

    # python-socketio's own manager makes one per recipient (what this module is for)
    assert asyncio.run(main()) == (0 if direct else 3)


def test_a_failing_recipient_is_logged_and_the_others_still_get_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> list[str]:
        manager = DirectFanout()
        sio, _sids, _sent = await _server(manager)
        got: list[str] = []

        async def flaky(eio_sid: str, pkt: Any) -> None:
            if eio_sid == "a":
                raise RuntimeError("socket went away")
            got.append(eio_sid)

        sio._send_eio_packet = flaky
        await manager.emit("claimed", {"id": 1}, "/", to="everyone")
        return got

    with caplog.at_level(logging.ERROR, logger="backend.realtime.fanout"):
        got = asyncio.run(main())
    assert sorted(got) == ["b", "c"]
    assert "sending claimed to" in caplog.text


def test_a_broadcast_with_a_callback_takes_the_librarys_path() -> None:
    async def main() -> list[tuple[str, str]]:
        manager = DirectFanout()
        sio, _sids, _sent = await _server(manager)
        acked: list[tuple[str, str]] = []

        async def send_packet(eio_sid: str, pkt: Any) -> None:  # per-recipient ack ids
            acked.append((eio_sid, pkt.encode()))

        sio._send_packet = send_packet
        await manager.emit("ev", {"x": 1}, "/", to="everyone", callback=lambda *a: None)
        return acked

    acked = asyncio.run(main())
    assert sorted(e for e, _ in acked) == ["a", "b", "c"]
    assert all(p.startswith('21["ev"') for _, p in acked)  # an EVENT with an ack id (1)


def test_with_redis_the_pubsub_layer_stays_above_the_direct_delivery() -> None:
    mro = DirectFanoutRedis.__mro__
    assert mro.index(AsyncPubSubManager) < mro.index(DirectFanout)
    assert mro.index(DirectFanout) < mro.index(socketio.AsyncManager)

    async def main() -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        manager = DirectFanoutRedis("redis://127.0.0.1:1/0", write_only=True)
        _sio, _sids, sent = await _server(manager)
        published: list[dict[str, Any]] = []

        async def publish(data: dict[str, Any]) -> None:
            published.append(data)

        manager._publish = publish  # type: ignore[method-assign]
        # published for the other instances, and delivered here by the direct path
        await manager.emit("ev", {"x": 1}, "/", to="everyone")
        assert len(published) == 1 and sorted(e for e, _ in sent) == ["a", "b", "c"]
        # ignore_queue (the relay: every instance sends its own clients'): local only
        with counting_tasks() as created:
            await manager.emit("ev", {"x": 2}, "/", to="everyone", ignore_queue=True)
        assert created == []  # delivered by DirectFanout, not the library's manager
        return published, sent

    published, sent = asyncio.run(main())
    assert len(published) == 1
    assert [p for _, p in sent] == ['42["ev",{"x":1}]'] * 3 + ['42["ev",{"x":2}]'] * 3


# ---- the writers take one broadcast at a time (DirectFanout.written, the relay) ----------


class FakeSock:
    """An Engine.IO socket's send queue and a writer that drains it as Engine.IO's does
    (everything queued in one poll), recording what each poll took. While ``flowing`` is
    clear the writer takes nothing (a link that does not drain)."""

    def __init__(self, eio_sid: str, polls: list[tuple[str, list[str]]], stuck: bool) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.eio_sid, self.polls = eio_sid, polls
        self.flowing = asyncio.Event()
        if not stuck:
            self.flowing.set()
        self.task = asyncio.create_task(self.writer())

    async def writer(self) -> None:
        while True:
            await self.flowing.wait()
            if self.queue.empty():
                await asyncio.sleep(0.001)
                continue
            taken = []
            while not self.queue.empty():
                taken.append(self.queue.get_nowait())
            for _ in taken:
                self.queue.task_done()
            self.polls.append((self.eio_sid, [json.loads(p.data[1:])[0] for p in taken]))
            await asyncio.sleep(0)  # the write itself


async def _writers(
    manager: DirectFanout, stuck: str | None = None
) -> tuple[Any, dict[str, FakeSock], list[tuple[str, list[str]]]]:
    sio, _sids, _sent = await _server(manager)
    polls: list[tuple[str, list[str]]] = []
    socks = {e: FakeSock(e, polls, e == stuck) for e in ROOMS}
    sio.eio.sockets = socks

    async def to_queue(eio_sid: str, pkt: Any) -> None:
        await socks[eio_sid].queue.put(pkt)

    sio._send_eio_packet = to_queue
    return sio, socks, polls


def _claim_batch() -> list[StoredEvent]:
    names = ["claimed", "streak", "leaderboard:refresh"]
    return [
        StoredEvent(i + 1, "everyone", {"id": i + 1, "type": n, "payload": {"n": i}})
        for i, n in enumerate(names)
    ]


async def _relay_polls(
    sqlite_db: Database, rows: list[StoredEvent], every: int = 8, wait: bool = True
) -> list[tuple[str, list[str]]]:
    """What each writer took in each poll when the relay sends ``rows``."""
    sio, socks, polls = await _writers(DirectFanout())
    relay = EventRelay(sqlite_db, sio)
    relay.written_every = every
    if not wait:
        relay._written = None
    assert await relay._send(rows) == len(rows)
    # every writer took all (it records its poll in the same step as it takes them)
    await asyncio.wait_for(asyncio.gather(*(s.queue.join() for s in socks.values())), 60)
    for s in socks.values():
        s.task.cancel()
    return polls


@pytest.mark.parametrize("wait", [True, False])
def test_the_relay_has_a_claim_on_every_screen_before_what_it_set_off(
    sqlite_db: Database, wait: bool
) -> None:
    polls = asyncio.run(_relay_polls(sqlite_db, _claim_batch(), wait=wait))
    everyone = ["a", "b", "c"]
    if wait:
        # every socket had `claimed` (alone) before any had what followed it
        assert polls == [(e, ["claimed"]) for e in everyone] + [
            (e, ["streak", "leaderboard:refresh"]) for e in everyone
        ]
    else:  # what the wait prevents: each writer sends the whole batch to its socket first
        assert polls == [(e, ["claimed", "streak", "leaderboard:refresh"]) for e in everyone]


def test_a_long_batch_goes_out_in_runs_every_screen_taking_each_run_before_the_next(
    sqlite_db: Database,
) -> None:
    rows = [
        StoredEvent(i, "everyone", {"id": i, "type": f"e{i}", "payload": {}}) for i in range(1, 21)
    ]
    polls = asyncio.run(_relay_polls(sqlite_db, rows, every=8))
    # waits after the first event, then after every 8th; the last run is not waited for
    runs = [["e1"], [f"e{i}" for i in range(2, 10)], [f"e{i}" for i in range(10, 18)]]
    runs.append(["e18", "e19", "e20"])
    assert polls == [(e, run) for run in runs for e in ("a", "b", "c")]
    # one event at a time, as before: a run of 1
    polls = asyncio.run(_relay_polls(sqlite_db, rows[:4], every=1))
    assert polls == [(e, [f"e{i}"]) for i in range(1, 5) for e in ("a", "b", "c")]


def test_a_run_over_several_rooms_waits_for_every_screen_of_them(sqlite_db: Database) -> None:
    rooms = ["everyone", "room-x", "room-x", "everyone", "room-x", "room-x"]
    rows = [
        StoredEvent(i + 1, room, {"id": i + 1, "type": f"e{i + 1}", "payload": {}})
        for i, room in enumerate(rooms)
    ]
    polls = asyncio.run(_relay_polls(sqlite_db, rows, every=3))
    # waits after e1 (everyone) and after e4 (a run of room-x, room-x, everyone: a and c
    # have three queued, b one — each was caught up, each is waited for)
    assert polls == [
        ("a", ["e1"]),
        ("b", ["e1"]),
        ("c", ["e1"]),
        ("a", ["e2", "e3", "e4"]),
        ("b", ["e4"]),
        ("c", ["e2", "e3", "e4"]),
        ("a", ["e5", "e6"]),
        ("c", ["e5", "e6"]),
    ]


def test_a_stuck_socket_costs_the_timeout_once_until_it_catches_up() -> None:
    """Whom ``written`` waits for, told by its answer: False = it waited for b (stuck) until
    the timeout; True = b was not waited for (the others' writers drained)."""
    stuck_wait, never = 0.05, 60.0  # never: would fail the test by its length, not pass it

    async def main() -> None:
        manager = DirectFanout()
        _sio, socks, _polls = await _writers(manager, stuck="b")

        await manager.emit("ev", {"x": 1}, "/", to="everyone")
        assert not await manager.written("everyone", stuck_wait)  # b was waited for, once
        await manager.emit("ev", {"x": 2}, "/", to="everyone")
        assert await manager.written("everyone", never)  # b is behind (2 queued): not waited
        assert socks["b"].queue.qsize() == 2
        socks["b"].flowing.set()  # b catches up ...
        await socks["b"].queue.join()
        socks["b"].flowing.clear()  # ... and stalls again
        await manager.emit("ev", {"x": 3}, "/", to="everyone")
        assert not await manager.written("everyone", stuck_wait)  # caught up: waited again
        # a run of two broadcasts: b, still holding one from before the run, is behind it
        await manager.emit("ev", {"x": 4}, "/", to="everyone")
        await manager.emit("ev", {"x": 5}, "/", to="everyone")
        assert await manager.written({"everyone": 2}, never)
        assert socks["b"].queue.qsize() == 3
        # a run of three: b's three are the run's
        assert not await manager.written({"everyone": 3}, stuck_wait)
        # a run mostly to a room b is not in: what counts is what was queued for b (one),
        # not the run's length (four) — b, holding three, is behind and not waited for
        for x in (6, 7, 8):
            await manager.emit("ev", {"x": x}, "/", to="room-x")
        await manager.emit("ev", {"x": 9}, "/", to="everyone")
        assert socks["b"].queue.qsize() == 4
        assert await manager.written({"room-x": 3, "everyone": 1}, never)
        # what was waited for was really taken: a and c have every broadcast they were sent
        assert socks["a"].queue.qsize() == socks["c"].queue.qsize() == 0
        for s in socks.values():
            s.task.cancel()

    asyncio.run(main())


def test_a_participant_without_a_socket_is_not_waited_for() -> None:
    async def main() -> bool:
        manager = DirectFanout()
        sio, socks, _polls = await _writers(manager)
        socks["c"].task.cancel()
        del sio.eio.sockets["c"]  # its Engine.IO socket is gone, the room entry not yet
        await manager.emit("ev", {"x": 1}, "/", to="room-x")
        done = await manager.written("room-x", 5.0)
        for s in socks.values():
            s.task.cancel()
        return done

    assert asyncio.run(main()) is True
