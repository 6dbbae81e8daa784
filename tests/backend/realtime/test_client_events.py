"""Clients cannot trigger the server's own handlers (CONTRACT §5): an event a client emits
named ``connect``, ``disconnect``, ``connect_error`` or anything the server does not serve
is ignored, on WebSocket and on long-polling — no replay, no traceback, no state change, and
the token checks still cut the socket."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from socketio import packet
from sqlalchemy import update

from backend.accounts import revoke_device_token
from backend.eventlog import append_event
from backend.models import Seller
from backend.realtime import sockets
from backend.runtime import Database
from backend.server import RunningServer, run_server_in_process
from backend.settings import Settings
from tests.backend.realtime.support import People, Recorder

TRANSPORTS = ("websocket", "polling")


@pytest.fixture
def quick_server(
    rt_settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningServer]:
    monkeypatch.setattr(sockets, "REVALIDATE_S", 0.2)
    with run_server_in_process(rt_settings, db=db) as srv:
        yield srv


def emit(db: Database, type_: str = "leaderboard:refresh", payload: Any = None) -> int:
    with db.transaction() as s:
        return append_event(s, type_, payload or {"boards": ["wins"]}).id


async def wait_until(cond: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def forged(token: str) -> list[tuple[str, Any]]:
    """What a hostile client emits: the server's own event names with plausible arguments,
    the client-side reserved names, and names nobody serves."""
    auth = {"token": token, "since": 0}
    return [
        ("disconnect", None),
        ("disconnect", "client disconnect"),
        ("connect", ({"REMOTE_ADDR": "1.2.3.4"}, auth)),  # environ + auth: a second connect
        ("connect", auth),  # one argument short: a TypeError per emit
        ("connect", None),
        ("connect_error", {"message": "x"}),
        ("disconnecting", None),
        ("message", "hello"),
        ("*", {"a": 1}),
        ("no.such.event", {"a": 1}),
        ("", None),
        ("disconnect", b"\x00binary"),  # a binary event: the same dispatch
        ("presence:heartbeat ", {}),
    ]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reserved_and_unserved_client_events_are_ignored(
    quick_server: RunningServer,
    people: People,
    db: Database,
    transport: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    history = [emit(db) for _ in range(30)]  # what a forged connect(since=0) would replay
    live_sockets = quick_server.app.sockets._live
    relay = quick_server.app.relay

    async def main() -> None:
        # the relay has sent the history (else it could reach the fresh sockets live)
        relay.wake_threadsafe()
        await wait_until(lambda: relay.cursor >= history[-1])
        tv, sales, lead = Recorder(), Recorder(), Recorder()
        await tv.connect(quick_server.url, people.tokens["tv"], transport=transport)
        await sales.connect(quick_server.url, people.tokens["sales"], transport=transport)
        await lead.connect(quick_server.url, people.tokens["sales_lead"], transport=transport)
        before = dict(live_sockets)
        assert {tv.client.get_sid(), sales.client.get_sid()} <= set(before)
        for rec, role in ((tv, "tv"), (sales, "sales")):
            for name, data in forged(people.tokens[role]):
                await rec.client.emit(name, data)
            for raw in ([], [7], [{"a": 1}], [None, 1]):  # no name, or not a string
                await rec.client._send_packet(
                    rec.client.packet_class(packet.EVENT, namespace="/", data=raw)
                )
            # packets a client may not send (CONNECT_ERROR), unknown types, broken JSON
            for raw_text in ('44{"message": "x"}', "9", "", '42["connect", {', '42{"a": 1}'):
                await rec.client.eio.send(raw_text)
        # a served event still works (and, answered, it comes after the forged ones)
        assert await tv.client.call("presence:heartbeat", {}, timeout=10) == {"error": "forbidden"}
        assert "status" in await sales.client.call("presence:heartbeat", {}, timeout=10)
        # nothing replayed: the next event the TV gets is the next live one
        live = await asyncio.to_thread(emit, db)
        await tv.wait_for(lambda: live in tv.ids())
        assert tv.ids() == [live]
        assert [e for e, _ in tv.events] == ["leaderboard:refresh"]
        assert dict(live_sockets) == before  # no socket left the token checks

        def revoke_and_deactivate() -> None:
            with db.transaction() as s:
                revoke_device_token(s, "Floor TV")
                s.execute(
                    update(Seller).where(Seller.id == people.ids["sales"]).values(is_active=False)
                )

        await asyncio.to_thread(revoke_and_deactivate)
        await wait_until(lambda: not tv.client.connected and not sales.client.connected)
        assert lead.client.connected
        await lead.disconnect()

    asyncio.run(main())
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == []


def test_only_served_names_are_dispatched(quick_server: RunningServer) -> None:
    sio = quick_server.app.sio
    assert isinstance(sio, sockets.WinRoomSocketIO)
    for name in ("presence:heartbeat", "chat:typing", "typing"):
        assert sio.serves(name)
    for name in ("connect", "disconnect", "connect_error", "disconnecting", "message", "*"):
        assert not sio.serves(name)
    for name in ("nope", "", None, 3, ["connect"], {"a": 1}):
        assert not sio.serves(name)
    assert not sio.serves("typing", "/other")
