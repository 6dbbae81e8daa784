"""``GET /api/admin/audit``: every write's row, newest first, filtered, paged (CONTRACT §4a)."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from backend.actions import audit
from backend.api.routes.admin.audit import Entity
from backend.runtime import Database
from tests.backend.realtime.support import People, TestClient, add_item

URL = "/api/admin/audit"


def test_the_filter_is_the_contracts_entity_list() -> None:
    assert typing.get_args(Entity) == audit.ENTITIES


def _history(client: TestClient, people: People, db: Database) -> dict[str, int]:
    a, b = add_item(db), add_item(db)
    fin, adm = people.headers("finance"), people.headers("admin")
    assert (
        client.patch(f"/api/admin/queue/{a}", json={"note": "n1"}, headers=fin).status_code == 200
    )
    r = client.post(f"/api/admin/queue/{b}/exclude", json={"reason": "duplicate sale"}, headers=adm)
    assert r.status_code == 200
    sid = people.ids["sales"]
    r = client.patch(f"/api/admin/sellers/{sid}", json={"hidden_from_tv": True}, headers=adm)
    assert r.status_code == 200
    with db.transaction() as s:
        audit.record(s, None, "period.close", "period", "2026-01", {"rows": 3})
    return {"a": a, "b": b, "sid": sid}


def test_entries_newest_first(client: TestClient, people: People, db: Database) -> None:
    ids = _history(client, people, db)
    r = client.get(URL, headers=people.headers("finance"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 4 and body["next_cursor"] is None
    entries = body["entries"]
    assert [e["action"] for e in entries] == [
        "period.close",
        "seller.update",
        "queue.exclude",
        "queue.update",
    ]
    period, seller, excl, upd = entries
    assert period["actor"] is None and period["entity_id"] == "2026-01"
    assert period["details"] == {"rows": 3} and period["before"] is None
    assert seller["actor"] == {"id": people.ids["admin"], "name": "Admin"}
    assert (seller["entity"], seller["entity_id"]) == ("seller", str(ids["sid"]))
    assert seller["before"]["hidden_from_tv"] is False and seller["after"]["hidden_from_tv"] is True
    assert excl["reason"] == "duplicate sale" and excl["entity_id"] == str(ids["b"])
    assert excl["before"]["status"] == "pending" and excl["after"]["status"] == "excluded"
    assert upd["actor"] == {"id": people.ids["finance"], "name": "Finance"}
    assert upd["after"]["note"] == "n1"
    assert set(upd) == {
        "id", "at", "actor", "action", "entity", "entity_id", "before", "after", "reason",
        "details",
    }  # fmt: skip
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True)


def test_filters_and_paging(client: TestClient, people: People, db: Database) -> None:
    ids = _history(client, people, db)
    h = people.headers("admin")

    def actions(**params: Any) -> list[str]:
        r = client.get(URL, params=params, headers=h)
        assert r.status_code == 200, r.text
        return [e["action"] for e in r.json()["entries"]]

    assert actions(entity="queue") == ["queue.exclude", "queue.update"]
    assert actions(entity="queue", entity_id=str(ids["a"])) == ["queue.update"]
    assert actions(entity_id=str(ids["sid"]), entity="seller") == ["seller.update"]
    assert actions(actor_id=people.ids["admin"]) == ["seller.update", "queue.exclude"]
    assert actions(actor_id=people.ids["admin"], entity="period") == []
    assert actions(entity="game") == []

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get(URL, params=params, headers=h).json()
        assert page["total"] == 4
        seen += [e["id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"entity": "invoice"},
        {"entity": ""},
        {"actor_id": "me"},
        {"actor_id": 0},
        {"entity_id": "x" * 61},
        {"limit": 501},
        {"cursor": "bm9wZQ"},
    ],
)
def test_refusals(client: TestClient, people: People, params: dict[str, Any]) -> None:
    r = client.get(URL, params=params, headers=people.headers("finance"))
    assert r.status_code == 422, r.text
    assert "error" in r.json()


def test_roles(client: TestClient, people: People) -> None:
    for role in ("sales", "sales_lead", "tv"):
        assert client.get(URL, headers=people.headers(role)).status_code == 403, role
