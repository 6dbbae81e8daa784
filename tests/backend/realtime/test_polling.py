"""Clients on Engine.IO long-polling get every event: replays and bursts of more than the
16 packets python-engineio's clients accept in one polling answer."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import socketio

from backend.eventlog import append_event
from backend.realtime.polling import MAX_PACKETS_PER_POLL
from backend.runtime import Database
from backend.server import RunningServer
from tests.backend.realtime.support import EPHEMERAL, People

REFRESH = "leaderboard:refresh"


def emit_many(db: Database, n: int) -> list[int]:
    """``n`` events in one transaction: the relay sends them back to back."""
    with db.transaction() as s:
        evs = [append_event(s, REFRESH, {"boards": ["wins"]}) for _ in range(n)]
        s.flush()
        return [e.id for e in evs]


def ids_of(events: list[tuple[str, Any]]) -> list[int]:
    return [d["id"] for e, d in events if e not in EPHEMERAL and isinstance(d, dict)]


def test_polling_client_gets_a_long_replay_then_a_live_burst(
    server: RunningServer, people: People, db: Database
) -> None:
    before = emit_many(db, 1)[0]
    missed = emit_many(db, 4 * MAX_PACKETS_PER_POLL + 3)

    async def main() -> None:
        client = socketio.AsyncClient(reconnection=False)
        got: list[tuple[str, Any]] = []
        changed = asyncio.Event()
        drops: list[Any] = []
        client.on("disconnect", lambda *a: drops.append(a))

        @client.on("*")
        async def _any(event: str, data: Any) -> None:
            got.append((event, data))
            changed.set()

        async def until(n: int) -> None:
            while len(ids_of(got)) < n and not drops:
                changed.clear()
                await changed.wait()

        await client.connect(
            server.url,
            auth={"token": people.tokens["sales"], "since": before},
            transports=["polling"],
            wait_timeout=10,
        )
        assert client.transport() == "polling"
        await asyncio.wait_for(until(len(missed)), 15)
        assert drops == [] and client.connected
        assert ids_of(got) == missed
        burst = await asyncio.to_thread(emit_many, db, 3 * MAX_PACKETS_PER_POLL)
        await asyncio.wait_for(until(len(missed) + len(burst)), 15)
        assert drops == [] and client.connected
        assert ids_of(got) == missed + burst
        # its goodbye answers its waiting GET (python-engineio's client otherwise waits for
        # that GET's 25 s timeout): a hang guard, not a timing figure
        await asyncio.wait_for(client.disconnect(), 10)
        assert not client.connected

    asyncio.run(main())


def test_sync_client_on_polling_gets_a_long_replay(
    server: RunningServer, people: People, db: Database
) -> None:
    before = emit_many(db, 1)[0]
    missed = emit_many(db, 40)
    client = socketio.Client(reconnection=False)
    got: list[int] = []
    done = threading.Event()

    @client.on("*")
    def _any(event: str, data: Any) -> None:
        if event not in EPHEMERAL and isinstance(data, dict):
            got.append(data["id"])
            if len(got) >= len(missed):
                done.set()

    client.connect(
        server.url,
        auth={"token": people.tokens["tv"], "since": before},
        transports=["polling"],
        wait_timeout=10,
    )
    try:
        assert done.wait(15), f"got {len(got)} of {len(missed)}"
        assert got == missed
        assert client.connected
    finally:
        done_closing = threading.Thread(target=client.disconnect)
        done_closing.start()
        done_closing.join(10)
    assert not done_closing.is_alive()  # the goodbye is answered (not a 25 s timeout)
