"""What a TV's socket receives of an address typed anywhere (CONTRACT §4/§5: "masked by the
server"): the manual entry goes through the real API, the event through the real relay."""

from __future__ import annotations

import asyncio
import json

import httpx

from backend.server import RunningServer
from tests.backend.realtime.support import People, Recorder

LONG = "q" * 80
NOTE = f"ring ops@localhost or bob@[127.0.0.1], cc {LONG}@corp.com"
MASKED = "ring o•••@localhost or b•••@[127.0.0.1], cc q•••@corp.com"


def test_a_tv_socket_gets_every_address_shape_masked(server: RunningServer, people: People) -> None:
    body = {
        "customer_email": "zed@corp.com",
        "customer_name": "ops@localhost",
        "campaign_id": 12,
        "amount": "100",
        "currency": "USD",
        "note": NOTE,
    }

    def new_item(rec: Recorder) -> dict | None:
        return next((d for e, d in rec.events if e == "queue.new"), None)

    async def main() -> None:
        tv, sales = Recorder(), Recorder()
        await tv.connect(server.url, people.tokens["tv"])
        await sales.connect(server.url, people.tokens["sales"])
        async with httpx.AsyncClient(base_url=server.url) as http:
            made = await http.post(
                "/api/queue/manual", json=body, headers=people.headers("admin"), timeout=30
            )
        assert made.status_code == 201, made.text
        for rec in (tv, sales):
            await rec.wait_for(lambda rec=rec: new_item(rec) is not None)
        first = new_item(tv)
        assert first is not None
        # on replay too (a TV reconnecting with ``since``), also after a seller's replay of
        # the same event (replays share their encoded packets: never the staff's with a TV)
        staff_again = Recorder()
        await staff_again.connect(server.url, people.tokens["sales"], since=first["id"] - 1)
        await staff_again.wait_for(lambda: new_item(staff_again) is not None)
        replayed = new_item(staff_again)
        assert replayed is not None and replayed["payload"]["item"]["note"] == NOTE
        again = Recorder()
        await again.connect(server.url, people.tokens["tv"], since=first["id"] - 1)
        await again.wait_for(lambda: new_item(again) is not None)
        for rec in (tv, again):
            got = new_item(rec)
            assert got is not None
            item = got["payload"]["item"]
            assert item["note"] == MASKED
            assert item["customer"] == {"email": "z•••@corp.com", "name": "o•••@localhost"}
            text = json.dumps(got, ensure_ascii=False)
            assert "ops@" not in text and "bob@" not in text and "qq" not in text
        staff = new_item(sales)
        assert staff is not None and staff["payload"]["item"]["note"] == NOTE
        for rec in (tv, sales, again, staff_again):
            await rec.disconnect()

    asyncio.run(main())
