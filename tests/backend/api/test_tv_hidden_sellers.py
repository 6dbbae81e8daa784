"""A seller hidden from the TV (``hidden_from_tv``) still plays and sees everything; TV
tokens see them as "A teammate" in every HTTP answer and in the TV copies of socket events,
live and replayed (CONTRACT §4a)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.db.types import utcnow
from backend.hidden_sellers import TEAMMATE, mask_hidden
from backend.models import Achievement
from backend.runtime import Database
from backend.server import RunningServer, run_server_in_process
from backend.settings import Settings
from tests.backend.api.test_tv_masking import _tv_paths
from tests.backend.realtime.support import People, Recorder, TestClient, add_item, add_seller

NAME = "Zeynep Gizli"


def _hide(client: TestClient, people: People, sid: int, hidden: bool = True) -> None:
    r = client.patch(
        f"/api/admin/sellers/{sid}",
        json={"hidden_from_tv": hidden},
        headers=people.headers("sales_lead"),
    )
    assert r.status_code == 200, r.text


def test_the_rule() -> None:
    value = {
        "entries": [
            {"seller_id": 7, "name": NAME, "value": 3},
            {"seller_id": 8, "name": "Ali", "value": 2},
        ],
        "seller_id": 7,
        "seller_name": NAME,
        "title": f"{NAME} hit 5 wins",
        "customer": {"name": NAME},  # a customer's name is no seller's
        "seller_ids": [7, 8],
    }
    got = mask_hidden(value, {7: NAME})
    assert got["entries"][0]["name"] == TEAMMATE and got["entries"][1]["name"] == "Ali"
    assert got["seller_name"] == TEAMMATE and got["title"] == f"{TEAMMATE} hit 5 wins"
    assert got["customer"] == {"name": NAME} and got["seller_ids"] == [7, 8]
    assert mask_hidden(value, {}) is value  # nobody hidden: not even a copy


def test_tv_http_answers(
    client: TestClient, people: People, db: Database, api_settings: Settings
) -> None:
    sid, token = add_seller(db, api_settings, "zeynep@winroom.io", NAME, "sales")
    mine = {"Authorization": f"Bearer {token}"}
    _hide(client, people, sid)
    qid = add_item(db)
    r = client.post("/api/claim", json={"queue_id": qid, "claim_type": "first_sales"}, headers=mine)
    assert r.status_code == 201, r.text  # still plays
    with db.transaction() as s:
        s.add(
            Achievement(
                seller_id=sid,
                kind="daily_wins",
                title=f"{NAME} is on fire",
                description=f"{NAME} closed 1 sale",
                emoji="🔥",
                dedupe_key="test:hidden",
                created_at=utcnow(),
            )
        )

    tv = people.headers("tv")
    for path in _tv_paths():
        r = client.get(path, headers=tv)
        assert r.status_code == 200, (path, r.text)
        assert "Zeynep" not in r.text, path
    recent = client.get("/api/claims/recent", headers=tv).json()["claims"]
    assert recent[0]["seller_id"] == sid and recent[0]["seller_name"] == TEAMMATE
    board = client.get("/api/leaderboard/wins", headers=tv).json()["entries"]
    assert [e["name"] for e in board if e["seller_id"] == sid] == [TEAMMATE]
    story = client.get("/api/achievements", headers=tv).json()["achievements"][0]
    assert (story["seller_name"], story["title"]) == (TEAMMATE, f"{TEAMMATE} is on fire")

    # everyone else, the seller included, sees the name
    for h in (mine, people.headers("sales"), people.headers("admin")):
        assert (
            client.get("/api/claims/recent", headers=h).json()["claims"][0]["seller_name"] == NAME
        )
        entries = client.get("/api/leaderboard/wins", headers=h).json()["entries"]
        assert [e["name"] for e in entries if e["seller_id"] == sid] == [NAME]
    assert client.get("/api/me/metrics", headers=mine).json()["wins"]["value"] == 1

    _hide(client, people, sid, hidden=False)  # shown again at once
    recent = client.get("/api/claims/recent", headers=tv).json()["claims"]
    assert recent[0]["seller_name"] == NAME


@pytest.fixture
def server(api_settings: Settings, db: Database) -> Iterator[RunningServer]:
    with run_server_in_process(api_settings, db=db) as srv:
        yield srv


def _mentions(events: list[tuple[str, Any]], sid: int) -> list[dict[str, Any]]:
    return [d for _e, d in events if isinstance(d, dict) and f'"seller_id": {sid}' in json.dumps(d)]


def test_tv_socket_events(
    server: RunningServer, people: People, db: Database, api_settings: Settings
) -> None:
    sid, token = add_seller(db, api_settings, "zeynep@winroom.io", NAME, "sales")
    items = [add_item(db) for _ in range(3)]

    async def claim(http: httpx.AsyncClient, qid: int) -> dict[str, Any]:
        r = await http.post(
            "/api/claim",
            json={"queue_id": qid, "claim_type": "first_sales"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        return dict(r.json()["claim"])

    def claimed(rec: Recorder, claim_id: int) -> dict[str, Any] | None:
        return next(
            (d for e, d in rec.events if e == "claimed" and d["payload"]["claim_id"] == claim_id),
            None,
        )

    async def main() -> None:
        tv, staff = Recorder(), Recorder()
        await tv.connect(server.url, people.tokens["tv"])
        await staff.connect(server.url, people.tokens["sales"])
        await tv.joined(server)
        await staff.joined(server)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            r = await http.patch(
                f"/api/admin/sellers/{sid}",
                json={"hidden_from_tv": True},
                headers=people.headers("admin"),
            )
            assert r.status_code == 200, r.text
            first = await claim(http, items[0])
            for rec in (tv, staff):
                await rec.wait_for(lambda rec=rec: claimed(rec, first["id"]) is not None)
            tv_got, staff_got = claimed(tv, first["id"]), claimed(staff, first["id"])
            assert tv_got is not None and staff_got is not None
            assert tv_got["payload"]["seller_name"] == TEAMMATE
            assert staff_got["payload"]["seller_name"] == NAME
            # a replay to a reconnecting TV is masked the same way
            again = Recorder()
            await again.connect(server.url, people.tokens["tv"], since=tv_got["id"] - 1)
            await again.wait_for(lambda: claimed(again, first["id"]) is not None)
            replayed = claimed(again, first["id"])
            assert replayed is not None and replayed["payload"]["seller_name"] == TEAMMATE
            second = await claim(http, items[1])
            await tv.wait_for(lambda: claimed(tv, second["id"]) is not None)
            await staff.wait_for(lambda: claimed(staff, second["id"]) is not None)
            for rec in (tv, again):
                text = json.dumps(rec.events, ensure_ascii=False)
                assert "Zeynep" not in text
                assert _mentions(rec.events, sid)  # their events do reach the TV
            assert "Zeynep" in json.dumps(staff.events, ensure_ascii=False)

            r = await http.patch(
                f"/api/admin/sellers/{sid}",
                json={"hidden_from_tv": False},
                headers=people.headers("admin"),
            )
            assert r.status_code == 200
            third = await claim(http, items[2])
            await tv.wait_for(lambda: claimed(tv, third["id"]) is not None)
            shown = claimed(tv, third["id"])
            assert shown is not None and shown["payload"]["seller_name"] == NAME
        for rec in (tv, staff, again):
            await rec.disconnect()

    asyncio.run(main())
