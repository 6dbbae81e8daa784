"""``/api/admin/installments`` (CONTRACT §4a): plans, payments, tolerance, status, the
dashboard summary, overdue by one definition, and ``installment.changed`` to finance and the
seller of the plan's claim."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from backend.rules import installments as rules
from backend.runtime import Database
from tests.backend.api.setup_support import FORBIDDEN_FOR_F, audit_rows, claim, error, events
from tests.backend.realtime.support import People, TestClient, add_item


def today() -> date:
    # the test settings' WINROOM_TIMEZONE default
    from zoneinfo import ZoneInfo

    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Istanbul")).date()


def make(client: TestClient, people: People, queue_id: int, dues: list[int], **kw: Any) -> Any:
    body = {
        "queue_id": queue_id,
        "payments": [
            {"due_on": (today() + timedelta(days=d)).isoformat(), "amount": "100.50"} for d in dues
        ],
        **kw,
    }
    return client.post("/api/admin/installments", json=body, headers=people.headers("finance"))


def test_the_rule() -> None:
    d = date(2026, 3, 1)
    assert not rules.is_overdue("pending", d, 3, date(2026, 3, 4))
    assert rules.is_overdue("pending", d, 3, date(2026, 3, 5))
    assert rules.is_overdue("submitted", d, 0, date(2026, 3, 2))
    assert not rules.is_overdue("confirmed", d, 0, date(2027, 1, 1))
    assert rules.became_overdue_on(d, 3) == date(2026, 3, 5)
    assert rules.plan_status("active", [("pending", d)], 0, date(2026, 3, 2)) == "overdue"
    assert rules.plan_status("frozen", [("pending", d)], 0, date(2026, 3, 2)) == "frozen"


def test_a_plan_from_creation_to_completion(
    client: TestClient, people: People, db: Database
) -> None:
    c = claim(client, people, db, claim_type="installment")
    r = make(client, people, c["queue_id"], [0, 30])
    assert r.status_code == 201, r.text
    plan = r.json()["plan"]
    assert plan["status"] == "active" and plan["tolerance_days"] == 3 and plan["version"] == 1
    assert plan["claim_id"] == c["id"] and plan["seller"]["id"] == people.ids["sales"]
    assert [p["status"] for p in plan["payments"]] == ["pending", "pending"]
    assert plan["total_usd"] == "201.00"
    pid = plan["id"]
    first, second = (p["id"] for p in plan["payments"])
    fin = people.headers("finance")

    r = client.post(
        f"/api/admin/installments/{pid}/payments/{first}", json={"status": "submitted"}, headers=fin
    )
    assert r.status_code == 200 and r.json()["plan"]["payments"][0]["status"] == "submitted"
    error(
        client.post(
            f"/api/admin/installments/{pid}/payments/{first}",
            json={"status": "submitted"},
            headers=fin,
        ),
        409,
        "already_submitted",
    )
    r = client.post(
        f"/api/admin/installments/{pid}/payments/{first}", json={"status": "confirmed"}, headers=fin
    )
    assert r.json()["plan"]["status"] == "active" and r.json()["plan"]["paid_usd"] == "100.50"
    error(
        client.post(
            f"/api/admin/installments/{pid}/payments/{first}",
            json={"status": "confirmed"},
            headers=fin,
        ),
        409,
        "already_confirmed",
    )
    paid = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = client.post(
        f"/api/admin/installments/{pid}/payments/{second}",
        json={"status": "confirmed", "paid_at": paid},
        headers=fin,
    )
    done = r.json()["plan"]
    assert (
        done["status"] == "completed" and done["outstanding_usd"] == "0.00" and done["version"] == 4
    )
    error(
        client.patch(f"/api/admin/installments/{pid}", json={"status": "active"}, headers=fin),
        409,
        "plan_completed",
    )

    changed = events(db, "installment.changed")
    rooms = [room for _t, room, _p in changed]
    assert rooms.count("finance") == 4 and rooms.count(f"user:{people.ids['sales']}") == 4
    assert changed[-1][2] == {
        "plan_id": pid,
        "status": "completed",
        "seller_id": people.ids["sales"],
    }
    assert [a.action for a in audit_rows(db, "installment")] == [
        "installment.create",
        "installment.payment_submitted",
        "installment.payment_confirmed",
        "installment.payment_confirmed",
    ]


def test_overdue_tolerance_and_the_summary(
    client: TestClient, people: People, db: Database
) -> None:
    late = make(client, people, add_item(db), [-5, 10], tolerance_days=2).json()["plan"]
    fine = make(client, people, add_item(db), [-1, 10], tolerance_days=2).json()["plan"]
    frozen = make(client, people, add_item(db), [-30]).json()["plan"]
    fin = people.headers("finance")
    client.patch(
        f"/api/admin/installments/{frozen['id']}",
        json={"status": "frozen", "version": 1},
        headers=fin,
    )
    body = client.get("/api/admin/installments", headers=fin).json()
    by_id = {p["id"]: p for p in body["plans"]}
    assert by_id[late["id"]]["status"] == "overdue" and by_id[late["id"]]["payments"][0]["overdue"]
    assert by_id[fine["id"]]["status"] == "active"
    assert by_id[frozen["id"]]["status"] == "frozen"
    assert body["summary"] == {
        "active": 1,
        "overdue": 1,
        "pending_payments": 4,
        "overdue_amount_usd": "100.50",
    }
    overdue = client.get("/api/admin/installments?status=overdue", headers=fin).json()
    assert [p["id"] for p in overdue["plans"]] == [late["id"]] and overdue["total"] == 1
    active = client.get("/api/admin/installments?status=active", headers=fin).json()
    assert [p["id"] for p in active["plans"]] == [fine["id"]]
    # more tolerance: on time again
    r = client.post(
        f"/api/admin/installments/{late['id']}/tolerance",
        json={"days": 10, "reason": "bank holiday"},
        headers=fin,
    )
    assert r.status_code == 200 and r.json()["plan"]["status"] == "active"
    assert audit_rows(db, "installment")[-1].details["reason"] == "bank holiday"
    error(client.get("/api/admin/installments?status=late", headers=fin), 422)


def test_versions_and_bad_input(client: TestClient, people: People, db: Database) -> None:
    item = add_item(db)
    plan = make(client, people, item, [5]).json()["plan"]
    fin = people.headers("finance")
    url = f"/api/admin/installments/{plan['id']}"
    error(make(client, people, item, [7]), 409, "plan_exists")
    assert (
        client.patch(url, json={"status": "frozen", "version": 1}, headers=fin).status_code == 200
    )
    error(client.patch(url, json={"status": "active", "version": 1}, headers=fin), 409, "stale")
    pay = plan["payments"][0]["id"]
    error(
        client.post(f"{url}/payments/{pay}", json={"status": "confirmed"}, headers=fin),
        409,
        "plan_not_active",
    )
    assert client.patch(url, json={"status": "cancelled"}, headers=fin).status_code == 200
    error(client.patch(url, json={"status": "active"}, headers=fin), 409, "plan_cancelled")
    error(
        client.post(f"{url}/tolerance", json={"days": 5, "reason": "x"}, headers=fin),
        409,
        "plan_not_active",
    )
    error(client.post(f"{url}/payments/99999", json={"status": "confirmed"}, headers=fin), 404)
    error(
        client.post(
            "/api/admin/installments/99999/tolerance", json={"days": 5, "reason": "x"}, headers=fin
        ),
        404,
    )
    error(
        client.patch("/api/admin/installments/99999", json={"status": "frozen"}, headers=fin), 404
    )
    error(make(client, people, 10**6, [1]), 404)
    n = len(events(db, "installment.changed"))
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    other = make(client, people, add_item(db), [1]).json()["plan"]
    error(
        client.post(
            f"/api/admin/installments/{other['id']}/payments/{other['payments'][0]['id']}",
            json={"status": "confirmed", "paid_at": future},
            headers=fin,
        ),
        422,
        "invalid_paid_at",
    )
    assert len(events(db, "installment.changed")) == n + 1  # the create only


@pytest.mark.parametrize(
    "bad",
    [
        {"payments": []},
        {"payments": [{"due_on": "2026-01-01", "amount": "10"}] * 37},
        {"payments": [{"due_on": "2026-02-30", "amount": "10"}]},
        {"payments": [{"due_on": "01/02/2026", "amount": "10"}]},
        {"payments": [{"due_on": "2026-01-01", "amount": "0"}]},
        {"payments": [{"due_on": "2026-01-01", "amount": "10.001"}]},
        {"payments": [{"due_on": "2026-01-01", "amount": "-5"}]},
        {"payments": [{"due_on": "2026-01-01", "amount": "10000000.01"}]},
        {"payments": [{"due_on": "2026-01-01"}]},
        {"payments": [{"due_on": "2026-01-01", "amount": "10"}], "tolerance_days": 91},
        {"payments": [{"due_on": "2026-01-01", "amount": "10"}], "tolerance_days": -1},
        {"payments": [{"due_on": "2026-01-01", "amount": "10"}], "queue_id": "1"},
    ],
)
def test_bad_plans_are_422(
    client: TestClient, people: People, db: Database, bad: dict[str, Any]
) -> None:
    body = {"queue_id": add_item(db), **bad}
    error(client.post("/api/admin/installments", json=body, headers=people.headers("finance")), 422)
    assert events(db, "installment.changed") == []


@pytest.mark.parametrize(
    "bad",
    [
        {"days": 0, "reason": "x"},
        {"days": 91, "reason": "x"},
        {"days": 5},
        {"days": 5, "reason": ""},
    ],
)
def test_bad_tolerance_is_422(
    client: TestClient, people: People, db: Database, bad: dict[str, Any]
) -> None:
    plan = make(client, people, add_item(db), [1]).json()["plan"]
    error(
        client.post(
            f"/api/admin/installments/{plan['id']}/tolerance",
            json=bad,
            headers=people.headers("finance"),
        ),
        422,
    )


@pytest.mark.parametrize("role", FORBIDDEN_FOR_F)
def test_only_finance_and_admins(
    client: TestClient, people: People, db: Database, role: str
) -> None:
    error(client.get("/api/admin/installments", headers=people.headers(role)), 403)
    error(
        make(client, people, 1, [1])
        if role == "finance"
        else client.post("/api/admin/installments", json={}, headers=people.headers(role)),
        403,
    )
