"""Full collections at quiet moments (backend.quiet_gc): generation 2 leaves the automatic
schedule while the collector runs, is collected when due and quiet (or overdue), and the
thresholds come back when it stops."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.quiet_gc import OUT_OF_REACH, BusyTracker, QuietCollector


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def saved_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)


def make_due(collector: QuietCollector) -> None:
    """Run generation-1 collections until a full one is due."""
    assert collector.every is not None
    while gc.get_count()[2] < collector.every:
        gc.collect(1)


def started(clock: Clock) -> QuietCollector:
    collector = QuietCollector(clock=clock, quiet_s=0.1, overdue_s=10.0)
    collector.take_over()  # as start() does, without a task watching
    return collector


def test_not_due_nothing_runs(saved_gc: None) -> None:
    clock = Clock()
    c = started(clock)
    gc.collect()  # counts back to 0
    clock.t += 60
    assert c.step() is None
    assert c.collections == c.forced == 0


def test_due_and_quiet_collects_and_resets_the_count(saved_gc: None) -> None:
    clock = Clock()
    c = started(clock)
    make_due(c)
    clock.t += 1  # nothing happened for a second
    assert c.step() == "quiet"
    assert gc.get_count()[2] == 0
    assert (c.collections, c.forced) == (1, 0)
    assert c.step() is None  # not due any more


def test_a_request_in_flight_defers_the_collection(saved_gc: None) -> None:
    clock = Clock()
    c = started(clock)
    make_due(c)
    c.begin()
    clock.t += 5
    assert c.step() is None
    assert gc.get_count()[2] >= c.every  # type: ignore[operator]
    c.end()  # the response is done: activity now
    clock.t += 0.05
    assert c.step() is None  # not quiet long enough yet
    clock.t += 0.06
    assert c.step() == "quiet"


def test_recent_activity_defers_until_quiet(saved_gc: None) -> None:
    clock = Clock()
    c = started(clock)
    make_due(c)
    for _ in range(5):  # a send every 50 ms: never 100 ms quiet
        clock.t += 0.05
        c.touch()
        assert c.step() is None
    clock.t += 0.1
    assert c.step() == "quiet"


def test_never_quiet_still_collects_once_overdue(saved_gc: None) -> None:
    clock = Clock()
    c = started(clock)
    make_due(c)
    c.begin()  # a request that never ends
    assert c.step() is None  # due from now
    clock.t += 9.9
    assert c.step() is None
    clock.t += 0.2
    assert c.step() == "overdue"
    assert (c.collections, c.forced) == (0, 1)
    assert gc.get_count()[2] == 0


def test_start_and_stop_move_the_threshold_and_back(saved_gc: None) -> None:
    before = gc.get_threshold()
    c = QuietCollector(idle_poll_s=0.01, due_poll_s=0.01, quiet_s=0.0)

    async def main() -> tuple[int, int, int]:
        c.start()
        try:
            assert c.running
            moved = gc.get_threshold()
            # its own task collects once due (the server is quiet: nothing in flight)
            make_due(c)
            for _ in range(200):
                if c.collections:
                    break
                await asyncio.sleep(0.01)
            return moved
        finally:
            await c.stop()

    assert asyncio.run(main()) == (before[0], before[1], OUT_OF_REACH)
    assert c.collections >= 1
    assert not c.running
    assert gc.get_threshold() == before


def test_busy_tracker_counts_http_requests_not_socketio_polls() -> None:
    c = QuietCollector()
    seen: list[int] = []
    asyncio.run(_requests(c, seen))
    assert seen == [1, 0]  # the poll was not counted
    assert c.in_flight == 0


async def _requests(c: QuietCollector, seen: list[int]) -> None:
    release = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(c.in_flight)
        if scope["path"] == "/slow":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    tracked = BusyTracker(app, c)
    transport = httpx.ASGITransport(app=tracked)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        before = c.last_active
        slow = asyncio.create_task(client.get("/slow"))
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.001)
        assert c.in_flight == 1  # the request is in flight
        release.set()
        assert (await slow).status_code == 200
        assert c.in_flight == 0
        assert c.last_active >= before
        await client.get("/socket.io/?EIO=4&transport=polling")


def test_the_relay_marks_each_send_as_activity() -> None:
    asyncio.run(_relay_sends())


async def _relay_sends() -> None:
    from backend.realtime.relay import EventRelay, StoredEvent

    class Sio:
        async def emit(self, *_a: Any, **_k: Any) -> None:
            return None

    class Db:
        class engine:
            class dialect:
                name = "sqlite"

    relay = EventRelay(Db(), Sio())  # type: ignore[arg-type]
    marks: list[int] = []
    relay.on_sent = lambda: marks.append(1)
    env = {"type": "queue.new", "payload": {}}
    assert await relay._send([StoredEvent(1, "staff", env), StoredEvent(2, "staff", env)]) == 2
    assert marks == [1]
    assert await relay._send([StoredEvent(2, "staff", env)]) == 0  # nothing new: no mark
    assert marks == [1]
