"""Sockets that come and go leave nothing behind (issue 27: memory flat over a week).

A TV wall reconnects all day (Wi-Fi, restarts, the replay with ``since``): the server's
per-socket maps — the live principals of ``SocketServer``, the presence book's sockets,
Engine.IO's sessions, Socket.IO's rooms — must end up as empty as they started.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import socketio

from backend.server import RunningServer
from backend.social.realtime import live_for
from tests.backend.realtime.support import People

ROUNDS = 5
AT_ONCE = 40  # 200 connections in all, sellers and TVs


def per_socket_state(server: RunningServer) -> dict[str, int]:
    app = server.app
    book = live_for(app.ctx).book
    rooms = app.sio.manager.rooms.get("/", {})
    return {
        "sockets._live": len(app.sockets._live),
        "sockets._tasks": len(app.sockets._tasks),
        "presence sockets": len(book._sid_owner),
        "presence inputs": sum(len(p.inputs) for p in book._people.values()),
        "engineio sessions": len(app.sio.eio.sockets),
        "room members": sum(len(m) for room, m in rooms.items() if room is not None),
        "rooms": len([room for room in rooms if room is not None]),
    }


async def _connect(url: str, token: str, since: Any) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        url, auth={"token": token, "since": since}, transports=["websocket"], wait_timeout=10
    )
    return client


def test_connections_that_come_and_go_leave_no_per_socket_state(
    server: RunningServer, people: People
) -> None:
    async def scenario() -> dict[str, int]:
        tokens = [people.tokens["tv"], people.tokens["sales"], people.tokens["finance"]]
        for r in range(ROUNDS):
            clients = await asyncio.gather(
                *(_connect(server.url, tokens[i % 3], None if r % 2 else 0) for i in range(AT_ONCE))
            )
            assert per_socket_state(server)["sockets._live"] >= AT_ONCE
            await asyncio.gather(*(c.disconnect() for c in clients))
        deadline = time.monotonic() + 15
        while True:  # the server sees the goodbyes a moment later
            state = per_socket_state(server)
            if not any(state.values()) or time.monotonic() > deadline:
                return state
            await asyncio.sleep(0.05)

    state = asyncio.run(scenario())
    assert state == dict.fromkeys(state, 0)


def test_replays_share_encoded_packets_within_a_bound(sqlite_db: Any) -> None:
    """A flood of replays of the same events masks and encodes each once per audience, and
    the shared packets stay bounded however many events are replayed."""

    from backend.realtime import relay as relay_mod
    from backend.realtime.relay import EventRelay, StoredEvent

    relay = EventRelay(sqlite_db, socketio.AsyncServer(async_mode="asgi"))
    env = {"id": 1, "type": "queue.new", "payload": {"note": "ops@localhost"}, "created_at": "t"}
    ev = StoredEvent(1, "everyone", env)
    tv = relay._replay_packets(ev, True)
    assert relay._replay_packets(ev, True) is tv  # the same packets for the next TV
    staff = relay._replay_packets(ev, False)
    assert "ops@localhost" in staff[0] and "ops@localhost" not in tv[0]
    for i in range(2, relay_mod.ENCODED_KEEP + 500):
        relay._replay_packets(StoredEvent(i, "everyone", {**env, "id": i}), True)
    assert len(relay._encoded) == relay_mod.ENCODED_KEEP
