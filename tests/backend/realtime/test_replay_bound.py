"""A replay is bounded (CONTRACT §5, ``WINROOM_REPLAY_MAX``): a client at most that many
events behind gets them, one further behind gets ``resync.required`` and then live events
with no gap; a client leaving mid-replay is no error; live events reach other sockets while
a long replay streams."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.eventlog import append_event, append_events
from backend.runtime import Database
from backend.server import RunningServer, run_server_in_process
from backend.settings import SettingsError, load_settings
from tests.backend.realtime.support import People, Recorder, make_settings

REFRESH = "leaderboard:refresh"
MAX = 5


def emit(db: Database, room: str | None = None) -> int:
    with db.transaction() as s:
        return append_event(s, REFRESH, {"boards": ["wins"]}, room=room).id


def emit_many(db: Database, n: int) -> list[int]:
    with db.transaction() as s:
        return append_events(s, [(REFRESH, {"boards": [f"b{i}"]}, None) for i in range(n)])


@pytest.fixture
def bounded(data_dir: Path, db: Database) -> Iterator[RunningServer]:
    with run_server_in_process(make_settings(data_dir, db, replay_max=MAX), db=db) as srv:
        yield srv


async def wait_until(cond: Any, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_replay_max_is_a_setting(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(data_dir=data_dir).replay_max == 2000
    monkeypatch.setenv("WINROOM_REPLAY_MAX", "50")
    assert load_settings(data_dir=data_dir).replay_max == 50
    for bad in ("-1", "lots", "1.5", "2000000"):
        monkeypatch.setenv("WINROOM_REPLAY_MAX", bad)
        with pytest.raises(SettingsError) as err:
            load_settings(data_dir=data_dir)
        assert str(err.value).startswith("WINROOM_REPLAY_MAX: ")
        assert "\n" not in str(err.value)


def test_exactly_replay_max_behind_replays_one_more_resyncs_then_live_without_gap(
    bounded: RunningServer, people: People, db: Database
) -> None:
    base = emit(db)
    ids = [emit(db) for _ in range(MAX + 1)]
    # personal events a TV never sees: they do not count towards its bound
    hidden = [emit(db, room=f"user:{people.ids['sales']}") for _ in range(3)]
    latest = hidden[-1]

    async def main() -> None:
        exact = Recorder()  # MAX visible events behind: the replay
        await exact.connect(bounded.url, people.tokens["tv"], since=ids[0])
        await exact.wait_for(lambda: ids[-1] in exact.ids())
        assert exact.ids() == ids[1:] and len(ids[1:]) == MAX
        assert all(e == REFRESH for e, _ in exact.events)

        behind = Recorder()  # MAX + 1 behind: resync.required, then live events
        await behind.connect(bounded.url, people.tokens["tv"], since=base)
        await behind.wait_for(lambda: bool(behind.events))
        name, data = behind.events[0]
        assert name == "resync.required"
        assert data["latest_id"] == latest and data["payload"] == {"latest_id": latest}
        live = [await asyncio.to_thread(emit, db) for _ in range(3)]
        for rec in (exact, behind):
            await rec.wait_for(lambda rec=rec: live[-1] in rec.ids())
        assert live[0] == latest + 1  # nothing committed in between: no gap
        assert behind.ids() == live
        assert [e for e, _ in behind.events] == ["resync.required", REFRESH, REFRESH, REFRESH]
        assert exact.ids() == ids[1:] + live
        await exact.disconnect()
        await behind.disconnect()

    asyncio.run(main())


def test_client_leaving_mid_replay_logs_no_error(
    server: RunningServer, people: People, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="backend")
    stored = emit_many(db, 1500)
    tasks = server.app.sockets._tasks

    async def main() -> None:
        for transport in ("polling", "websocket"):
            rec = Recorder()
            await rec.connect(server.url, people.tokens["tv"], since=0, transport=transport)
            await rec.wait_for(lambda rec=rec: bool(rec.events))
            await rec.disconnect()
            await wait_until(lambda: not tasks)  # the replay ended
            assert stored[-1] not in rec.ids()

    asyncio.run(main())
    bad = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert bad == []
    assert any("the client left" in r.getMessage() for r in caplog.records)


def test_live_events_reach_other_sockets_while_replays_are_stuck_reading(
    server: RunningServer, people: People, db: Database
) -> None:
    """Replays held up in their database reads (more of them than the default thread pool
    has threads) do not hold up the live events of the others."""
    stored = emit_many(db, 1500)  # more than the relay remembers: replays read
    relay = server.app.relay
    fetch = relay._fetch
    gate = threading.Event()
    stuck: list[int] = []

    def gated_fetch(after: int, upto: Any, rooms: Any, limit: int) -> Any:
        if rooms is not None:  # a replay's read
            stuck.append(after)
            gate.wait(30)
        return fetch(after, upto, rooms, limit)

    relay._fetch = gated_fetch  # type: ignore[method-assign]
    replayers = [Recorder() for _ in range((os.cpu_count() or 1) + 6)]

    async def main() -> None:
        relay.wake_threadsafe()  # the stored events are sent (not live to the watcher)
        await wait_until(lambda: relay.cursor >= stored[-1])
        watcher = Recorder()
        await watcher.connect(server.url, people.tokens["tv"])
        try:
            for rec in replayers:
                await rec.connect(server.url, people.tokens["tv"], since=0)
            await wait_until(lambda: bool(stuck))
            live = await asyncio.to_thread(emit, db)  # committed as another process would
            await watcher.wait_for(lambda: live in watcher.ids())
            assert watcher.ids() == [live]
            assert all(rec.ids() == [] for rec in replayers)  # their replays are stuck
        finally:
            gate.set()
        for rec in replayers:
            await rec.wait_for(lambda rec=rec: live in rec.ids(), timeout=30)
            assert rec.ids() == [*stored, live]  # the replay, then live: no gap, no duplicate
        for rec in (watcher, *replayers):
            await rec.disconnect()

    try:
        asyncio.run(main())
    finally:
        gate.set()
        relay._fetch = fetch  # type: ignore[method-assign]
