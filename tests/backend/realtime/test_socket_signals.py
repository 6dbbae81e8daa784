"""Client → server signals: typing under both names (``chat:typing`` and the broadcast's own
name ``typing``) reaches the other sellers as a ``typing`` event; TVs may not send it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backend.eventlog import append_event
from backend.server import RunningServer
from backend.social import presence
from backend.social import realtime as social_live
from tests.backend.realtime.support import People, Recorder


def _commit_marker(server: RunningServer) -> int:
    with server.app.ctx.db.transaction() as s:
        return append_event(s, "leaderboard:refresh", {"boards": ["marker"]}).id


@pytest.mark.parametrize("name", ["chat:typing", "typing"])
def test_typing_under_either_name_reaches_the_floor(
    server: RunningServer, people: People, name: str
) -> None:
    async def main() -> None:
        writer, reader, tv = Recorder(), Recorder(), Recorder()
        await writer.connect(server.url, people.tokens["sales"])
        await reader.connect(server.url, people.tokens["sales_lead"])
        await tv.connect(server.url, people.tokens["tv"])
        await reader.joined(server, "staff")
        await tv.joined(server)
        ack = await writer.client.call(name, {"typing": True}, timeout=10)
        assert ack == {"ok": True}

        def typing_from_writer() -> bool:
            return any(
                e == "typing"
                and d["payload"].get("seller_id") == people.ids["sales"]
                and d["payload"].get("typing") is True
                for e, d in reader.events
            )

        await reader.wait_for(typing_from_writer)
        assert await tv.client.call(name, {"typing": True}, timeout=10) == {"error": "forbidden"}
        # a later broadcast to everyone reaches the TV after anything sent to it before
        marker = await asyncio.to_thread(_commit_marker, server)
        await tv.wait_for(lambda: marker in tv.ids())
        assert not any(e == "typing" for e, _ in tv.events)  # TVs get no typing
        for r in (writer, reader, tv):
            await r.disconnect()

    asyncio.run(main())


def test_typing_clears_itself_and_the_floor_is_told(
    server: RunningServer, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CONTRACT §6: typing clears itself after 5 s (here 0.3 s) — without another signal
    from the writer, the others get ``typing`` false from the server's own sweep."""
    monkeypatch.setattr(presence, "TYPING_CLEARS_AFTER", timedelta(seconds=0.3))
    monkeypatch.setattr(social_live, "SWEEP_EVERY_S", 0.05)

    async def main() -> list[bool]:
        writer, reader = Recorder(), Recorder()
        await writer.connect(server.url, people.tokens["sales"])
        await reader.connect(server.url, people.tokens["sales_lead"])
        await reader.joined(server, "staff")
        assert await writer.client.call("typing", {"typing": True}, timeout=10) == {"ok": True}

        def flags() -> list[bool]:
            return [
                d["payload"]["typing"]
                for e, d in reader.events
                if e == "typing" and d["payload"].get("seller_id") == people.ids["sales"]
            ]

        await reader.wait_for(lambda: flags()[-1:] == [False])
        for r in (writer, reader):
            await r.disconnect()
        return flags()

    assert asyncio.run(main()) == [True, False]
