"""``/api/admin/sellers``: the list with this month's numbers, edits by admins and leads
(with the lock-out rule), performance, and a deactivated seller's tokens (CONTRACT §4a)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from backend.models import AuditLog, Event, Seller
from backend.runtime import Database
from tests.backend.realtime.support import People, TestClient, add_item

URL = "/api/admin/sellers"


def _claim(client: TestClient, people: People, qid: int, role: str = "sales") -> None:
    r = client.post(
        "/api/claim",
        json={"queue_id": qid, "claim_type": "first_sales"},
        headers=people.headers(role),
    )
    assert r.status_code == 201, r.text


def _seller(db: Database, sid: int) -> Seller:
    with db.read() as s:
        row = s.get(Seller, sid)
        assert row is not None
        s.expunge(row)
        return row


def _audit(db: Database) -> list[AuditLog]:
    with db.read() as s:
        rows = list(s.scalars(select(AuditLog).order_by(AuditLog.id)))
        s.expunge_all()
        return rows


def test_list_with_this_months_numbers(client: TestClient, people: People, db: Database) -> None:
    _claim(client, people, add_item(db, revenue="100.00"))
    _claim(client, people, add_item(db, revenue="250.50"))
    r = client.get(URL, headers=people.headers("sales_lead"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 4 and body["next_cursor"] is None
    by_id = {s["id"]: s for s in body["sellers"]}
    sales = by_id[people.ids["sales"]]
    assert sales == {
        "id": people.ids["sales"],
        "email": "sales@winroom.io",
        "name": "Sales",
        "role": "sales",
        "is_active": True,
        "hidden_from_tv": False,
        "version": 1,
        "wins": 2,
        "revenue_usd": "350.50",
        "margin_amount_usd": "270.50",  # each item costs 40.00
    }
    assert by_id[people.ids["finance"]]["wins"] == 0
    assert by_id[people.ids["finance"]]["revenue_usd"] == "0.00"
    names = [s["name"] for s in body["sellers"]]
    assert names == sorted(names)

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(URL, params=params, headers=people.headers("finance")).json()
        seen += [s["id"] for s in page["sellers"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [s["id"] for s in body["sellers"]]


def test_admin_edits(client: TestClient, people: People, db: Database) -> None:
    sid = people.ids["sales"]
    h = people.headers("admin")
    r = client.patch(
        f"{URL}/{sid}",
        json={"name": " Sales Two ", "role": "sales_lead", "hidden_from_tv": True, "version": 1},
        headers=h,
    )
    assert r.status_code == 200, r.text
    out = r.json()["seller"]
    assert (out["name"], out["role"], out["hidden_from_tv"], out["version"]) == (
        "Sales Two",
        "sales_lead",
        True,
        2,
    )
    [row] = _audit(db)
    assert (row.action, row.target_type, row.target_id, row.actor_id) == (
        "seller.update",
        "seller",
        str(sid),
        people.ids["admin"],
    )
    assert row.details["before"]["role"] == "sales" and row.details["after"]["role"] == "sales_lead"
    with db.read() as s:
        assert [e.type for e in s.scalars(select(Event))] == [
            "sellers.changed",
            "leaderboard:refresh",
        ]
    # the same values again: nothing written
    r = client.patch(f"{URL}/{sid}", json={"name": "Sales Two"}, headers=h)
    assert r.status_code == 200 and r.json()["seller"]["version"] == 2
    assert len(_audit(db)) == 1


def test_a_lead_may_only_hide(client: TestClient, people: People, db: Database) -> None:
    sid = people.ids["sales"]
    h = people.headers("sales_lead")
    r = client.patch(f"{URL}/{sid}", json={"hidden_from_tv": True}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["seller"]["hidden_from_tv"] is True
    for body in (
        {"name": "X"},
        {"role": "admin"},
        {"is_active": False},
        {"hidden_from_tv": False, "name": "Sales"},
        {"name": None},
    ):
        r = client.patch(f"{URL}/{sid}", json=body, headers=h)
        assert r.status_code == 403, (body, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    got = _seller(db, sid)
    assert (got.name, got.role, got.is_active, got.hidden_from_tv, got.version) == (
        "Sales",
        "sales",
        True,
        True,
        2,
    )
    # a lead may not make themselves admin either
    r = client.patch(f"{URL}/{people.ids['sales_lead']}", json={"role": "admin"}, headers=h)
    assert r.status_code == 403
    for role in ("finance", "sales", "tv"):
        r = client.patch(
            f"{URL}/{sid}", json={"hidden_from_tv": False}, headers=people.headers(role)
        )
        assert r.status_code == 403, role
    assert _seller(db, sid).hidden_from_tv is True


def test_no_admin_locks_themselves_out(client: TestClient, people: People, db: Database) -> None:
    me = people.ids["admin"]
    h = people.headers("admin")
    for body in ({"is_active": False}, {"role": "finance"}, {"role": "sales", "name": "Me"}):
        r = client.patch(f"{URL}/{me}", json=body, headers=h)
        assert r.status_code == 409, (body, r.text)
        assert r.json()["error"]["code"] == "self_lockout"
    assert client.patch(f"{URL}/{me}", json={"name": "Boss"}, headers=h).status_code == 200
    got = _seller(db, me)
    assert (got.name, got.role, got.is_active) == ("Boss", "admin", True)
    assert client.get("/api/auth/me", headers=h).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"role": "tv"}, 422, "invalid_request"),
        ({"role": "root"}, 422, "invalid_request"),
        ({"is_active": "false"}, 422, "invalid_request"),
        ({"hidden_from_tv": 1}, 422, "invalid_request"),
        ({"name": "  "}, 422, "invalid_request"),
        ({"name": "x" * 121}, 422, "invalid_request"),
        ({"email": "new@x.io"}, 422, "invalid_request"),
        ({"name": "New", "version": 9}, 409, "stale"),
    ],
)
def test_patch_refusals(
    client: TestClient, people: People, db: Database, body: dict[str, Any], status: int, code: str
) -> None:
    sid = people.ids["sales"]
    r = client.patch(f"{URL}/{sid}", json=body, headers=people.headers("admin"))
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert _seller(db, sid).version == 1 and _audit(db) == []


def test_unknown_seller(client: TestClient, people: People) -> None:
    h = people.headers("admin")
    assert client.patch(f"{URL}/999999", json={"name": "X"}, headers=h).status_code == 404
    assert client.get(f"{URL}/999999/performance", headers=h).status_code == 404
    assert client.get(f"{URL}/0/performance", headers=h).status_code == 422


def test_two_writers_with_one_version(client: TestClient, people: People, db: Database) -> None:
    sid = people.ids["finance"]
    h = people.headers("admin")
    first = client.patch(f"{URL}/{sid}", json={"name": "One", "version": 1}, headers=h)
    second = client.patch(f"{URL}/{sid}", json={"name": "Two", "version": 1}, headers=h)
    assert first.status_code == 200
    assert second.status_code == 409 and second.json()["error"]["code"] == "stale"
    assert _seller(db, sid).name == "One"


def test_deactivated_tokens_stop_working(client: TestClient, people: People, db: Database) -> None:
    sid = people.ids["sales"]
    mine = people.headers("sales")
    qid = add_item(db)
    assert client.get("/api/queue", headers=mine).status_code == 200
    r = client.patch(f"{URL}/{sid}", json={"is_active": False}, headers=people.headers("admin"))
    assert r.status_code == 200 and r.json()["seller"]["is_active"] is False
    for method, path, body in (
        ("GET", "/api/auth/me", None),
        ("GET", "/api/queue", None),
        ("POST", "/api/claim", {"queue_id": qid, "claim_type": "first_sales"}),
    ):
        r = client.request(method, path, json=body, headers=mine)
        assert r.status_code == 401, (path, r.text)
    r = client.patch(f"{URL}/{sid}", json={"is_active": True}, headers=people.headers("admin"))
    assert r.status_code == 200
    assert client.get("/api/auth/me", headers=mine).status_code == 200


def test_role_change_applies_to_the_token(client: TestClient, people: People) -> None:
    sid = people.ids["sales"]
    mine = people.headers("sales")
    assert client.get(URL, headers=mine).status_code == 403
    r = client.patch(f"{URL}/{sid}", json={"role": "sales_lead"}, headers=people.headers("admin"))
    assert r.status_code == 200
    assert client.get(URL, headers=mine).status_code == 200  # the database's role wins


def test_performance(client: TestClient, people: People, db: Database) -> None:
    _claim(client, people, add_item(db, revenue="100.00"))
    sid = people.ids["sales"]
    mine = client.get("/api/me/metrics", params={"period": "15d"}, headers=people.headers("sales"))
    r = client.get(
        f"{URL}/{sid}/performance", params={"period": "15d"}, headers=people.headers("finance")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["seller_id"] == sid and body["period"] == "15d"
    for key in ("wins", "revenue", "margin", "avg_margin_percent", "leads", "conversion"):
        assert body[key] == mine.json()[key]
    assert len(body["daily"]) == 15
    assert body["daily"][-1]["wins"] == 1 and body["daily"][-1]["revenue_usd"] == "100.00"
    assert body["daily"][-1]["margin_amount_usd"] == "60.00"
    assert {d["wins"] for d in body["daily"][:-1]} == {0}
    dates = [d["date"] for d in body["daily"]]
    assert dates == sorted(dates)
    today = client.get(f"{URL}/{sid}/performance", headers=people.headers("sales_lead")).json()
    assert today["period"] == "today" and len(today["daily"]) == 1
    bad = client.get(
        f"{URL}/{sid}/performance", params={"period": "year"}, headers=people.headers("admin")
    )
    assert bad.status_code == 422
    assert (
        client.get(f"{URL}/{sid}/performance", headers=people.headers("sales")).status_code == 403
    )
