"""``/api/admin/queue``: the list with its filters and cursor, edits, bulk finance status
(all or nothing) and exclusion, each audited with its events (CONTRACT §4a)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from backend.models import AuditLog, Claim, Event, Exclusion, QueueItem
from backend.runtime import Database
from tests.backend.realtime.support import People, TestClient, add_item

ADMIN = "/api/admin/queue"


def _events(db: Database, type_: str | None = None) -> list[Event]:
    with db.read() as s:
        stmt = select(Event).order_by(Event.id)
        if type_ is not None:
            stmt = stmt.where(Event.type == type_)
        rows = list(s.scalars(stmt))
        s.expunge_all()
        return rows


def _audit(db: Database) -> list[AuditLog]:
    with db.read() as s:
        rows = list(s.scalars(select(AuditLog).order_by(AuditLog.id)))
        s.expunge_all()
        return rows


def _item(db: Database, qid: int) -> QueueItem:
    with db.read() as s:
        item = s.get(QueueItem, qid)
        assert item is not None
        s.expunge(item)
        return item


def _claim(client: TestClient, people: People, qid: int, role: str = "sales") -> dict[str, Any]:
    r = client.post(
        "/api/claim",
        json={"queue_id": qid, "claim_type": "first_sales"},
        headers=people.headers(role),
    )
    assert r.status_code == 201, r.text
    return dict(r.json()["claim"])


# ---- the list ----------------------------------------------------------------------------


def test_list_filters_and_pages(client: TestClient, people: People, db: Database) -> None:
    a = add_item(db, email="ayse@gmail.com")
    b = add_item(db, email="bora@corp.com", finance_status="approved")
    c = add_item(db, email="cem@corp.com", status="excluded")
    d = add_item(db, email="deniz@corp.com", status="claimed", finance_status="problem")
    with db.transaction() as s:
        item = s.get(QueueItem, a)
        assert item is not None
        item.problem_reason = "unknown_campaign"
    h = people.headers("finance")

    def ids(**params: Any) -> list[int]:
        r = client.get(ADMIN, params=params, headers=h)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids() == [b, a]  # pending by default, newest first
    assert ids(status="all") == [d, c, b, a]
    assert ids(status="excluded") == [c]
    assert ids(status="claimed") == [d]
    assert ids(status="all", finance_status="approved") == [b]
    assert ids(status="all", problem="true") == [d, a]
    assert ids(status="all", problem="false") == [c, b]
    assert ids(status="all", q="CORP.com") == [d, c, b]
    assert ids(status="all", q="bora", finance_status="waiting") == []
    assert ids(q="%") == []  # a wildcard is a character like any other

    body = client.get(ADMIN, params={"status": "all"}, headers=h).json()
    first = body["items"][0]
    assert {"status", "version", "note", "finance_status", "customer", "campaign"} <= set(first)
    assert first["version"] == 1 and body["total"] == 4 and body["next_cursor"] is None

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"status": "all", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        r = client.get(ADMIN, params=params, headers=h).json()
        assert r["total"] == 4
        seen += [i["id"] for i in r["items"]]
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert seen == [d, c, b, a]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "gone"},
        {"finance_status": "paid"},
        {"problem": "yes"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "not-a-cursor"},
        {"q": ""},
    ],
)
def test_list_refuses_unknown_filter_values(
    client: TestClient, people: People, params: dict[str, Any]
) -> None:
    r = client.get(ADMIN, params=params, headers=people.headers("sales_lead"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] in ("invalid_request", "invalid_cursor")


def test_roles(client: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    for role in ("sales", "tv"):
        assert client.get(ADMIN, headers=people.headers(role)).status_code == 403
    for role in ("sales", "sales_lead", "tv"):
        r = client.patch(f"{ADMIN}/{qid}", json={"note": "x"}, headers=people.headers(role))
        assert r.status_code == 403, role
    assert _item(db, qid).note is None


# ---- PATCH ---------------------------------------------------------------------------------


def test_patch_status_and_fields(client: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    h = people.headers("finance")
    r = client.patch(f"{ADMIN}/{qid}", json={"finance_status": "approved", "version": 1}, headers=h)
    assert r.status_code == 200, r.text
    item = r.json()["item"]
    assert item["finance_status"] == "approved" and item["version"] == 2
    [ev] = _events(db)
    assert ev.type == "finance.status_changed"
    assert ev.payload["finance_status"] == "approved"
    assert ev.payload["previous_status"] == "waiting"
    assert ev.payload["item"]["id"] == qid

    r = client.patch(
        f"{ADMIN}/{qid}", json={"customer_name": " Ayşe Y. ", "note": "called twice"}, headers=h
    )
    assert r.status_code == 200, r.text
    item = r.json()["item"]
    assert (item["customer"]["name"], item["note"], item["version"]) == (
        "Ayşe Y.",
        "called twice",
        3,
    )
    assert [e.type for e in _events(db)] == ["finance.status_changed", "queue.updated"]

    rows = _audit(db)
    assert [(a.action, a.target_type, a.target_id) for a in rows] == [
        ("queue.update", "queue", str(qid)),
        ("queue.update", "queue", str(qid)),
    ]
    assert rows[0].actor_id == people.ids["finance"]
    assert rows[0].details["before"]["finance_status"] == "waiting"
    assert rows[0].details["after"]["finance_status"] == "approved"
    assert rows[1].details["after"]["note"] == "called twice"

    # both at once: both events; nothing new: nothing written
    r = client.patch(f"{ADMIN}/{qid}", json={"finance_status": "problem", "note": None}, headers=h)
    assert r.json()["item"]["note"] is None and r.json()["item"]["version"] == 4
    assert [e.type for e in _events(db)][-2:] == ["finance.status_changed", "queue.updated"]
    r = client.patch(f"{ADMIN}/{qid}", json={"finance_status": "problem"}, headers=h)
    assert r.status_code == 200 and r.json()["item"]["version"] == 4
    assert len(_audit(db)) == 3


def test_patch_claimed_item_moves_its_claim(
    client: TestClient, people: People, db: Database
) -> None:
    qid = add_item(db)
    claim = _claim(client, people, qid)
    r = client.patch(
        f"{ADMIN}/{qid}", json={"finance_status": "approved"}, headers=people.headers("admin")
    )
    assert r.status_code == 200, r.text
    with db.read() as s:
        c = s.get(Claim, claim["id"])
        assert c is not None and (c.finance_status, c.version) == ("approved", 2)
    [ev] = _events(db, "finance.status_changed")
    assert ev.payload["claim_id"] == claim["id"]
    assert {a.target_type for a in _audit(db)} == {"queue", "claim"}


def test_pending_status_is_copied_to_the_claim(
    client: TestClient, people: People, db: Database
) -> None:
    qid = add_item(db)
    r = client.patch(
        f"{ADMIN}/{qid}", json={"finance_status": "installment"}, headers=people.headers("finance")
    )
    assert r.status_code == 200, r.text
    claim = _claim(client, people, qid)
    assert claim["finance_status"] == "installment"
    with db.read() as s:
        assert s.scalar(select(Claim.finance_status)) == "installment"


def test_patch_errors_change_nothing(client: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    h = people.headers("finance")
    cases: list[tuple[int, dict[str, Any], int, str]] = [
        (qid, {"finance_status": "paid"}, 422, "invalid_request"),
        (qid, {"note": "x", "color": "red"}, 422, "invalid_request"),
        (qid, {"customer_name": "   "}, 422, "invalid_request"),
        (qid, {"customer_name": "x" * 201}, 422, "invalid_request"),
        (qid, {"note": "x", "version": "1"}, 422, "invalid_request"),
        (qid, {"note": "x", "version": 0}, 422, "invalid_request"),
        (qid, {"note": "x", "version": 7}, 409, "stale"),
        (qid + 1000, {"note": "x"}, 404, "not_found"),
    ]
    for target, body, status, code in cases:
        r = client.patch(f"{ADMIN}/{target}", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["code"] == code
    r = client.patch(f"{ADMIN}/{qid}", content=b"[1,", headers=h)
    assert r.status_code in (400, 422)
    assert _item(db, qid).version == 1 and _item(db, qid).note is None
    assert _events(db) == [] and _audit(db) == []


def test_two_writers_with_one_version(client: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    first = client.patch(
        f"{ADMIN}/{qid}", json={"note": "mine", "version": 1}, headers=people.headers("finance")
    )
    second = client.patch(
        f"{ADMIN}/{qid}", json={"note": "theirs", "version": 1}, headers=people.headers("admin")
    )
    assert first.status_code == 200
    assert second.status_code == 409 and second.json()["error"]["code"] == "stale"
    assert second.json()["error"]["version"] == 2
    assert _item(db, qid).note == "mine"


# ---- bulk finance status ----------------------------------------------------------------------


def test_bulk_status(client: TestClient, people: People, db: Database) -> None:
    a, b, c = add_item(db), add_item(db, finance_status="approved"), add_item(db)
    r = client.post(
        f"{ADMIN}/finance-status",
        json={"ids": [c, a, b, a], "finance_status": "approved"},
        headers=people.headers("finance"),
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["id"] for i in items] == [c, a, b]
    assert {i["finance_status"] for i in items} == {"approved"}
    assert [i["version"] for i in items] == [2, 2, 1]  # b was approved already
    assert sorted(e.payload["queue_id"] for e in _events(db, "finance.status_changed")) == [a, c]
    assert sorted(int(x.target_id or 0) for x in _audit(db)) == [a, c]


def test_bulk_is_all_or_nothing(client: TestClient, people: People, db: Database) -> None:
    a, b = add_item(db), add_item(db)
    h = people.headers("finance")
    r = client.post(
        f"{ADMIN}/finance-status",
        json={"ids": [a, b + 100, b], "finance_status": "approved"},
        headers=h,
    )
    assert r.status_code == 404, r.text
    assert r.json()["error"]["missing"] == [b + 100]
    for bad in ([], list(range(1, 502)), [0], ["1"]):
        r = client.post(
            f"{ADMIN}/finance-status", json={"ids": bad, "finance_status": "approved"}, headers=h
        )
        assert r.status_code == 422, (bad, r.text)
    r = client.post(f"{ADMIN}/finance-status", json={"ids": [a], "finance_status": "x"}, headers=h)
    assert r.status_code == 422
    assert {_item(db, a).finance_status, _item(db, b).finance_status} == {"waiting"}
    assert _events(db) == [] and _audit(db) == []


def test_bulk_of_500(client: TestClient, people: People, db: Database) -> None:
    first = add_item(db)
    ids = [first] + [add_item(db) for _ in range(499)]
    r = client.post(
        f"{ADMIN}/finance-status",
        json={"ids": ids, "finance_status": "approved"},
        headers=people.headers("admin"),
    )
    assert r.status_code == 200, r.text
    with db.read() as s:
        n = s.scalar(select(func.count()).where(QueueItem.finance_status == "approved"))
    assert n == 500


# ---- exclude ---------------------------------------------------------------------------------


def test_exclude(client: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    h = people.headers("finance")
    r = client.post(f"{ADMIN}/{qid}/exclude", json={"reason": "test order"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["item"]["status"] == "excluded" and r.json()["item"]["version"] == 2
    [ev] = _events(db)
    assert ev.type == "queue.excluded" and ev.payload["reason"] == "test order"
    assert ev.payload["item"]["status"] == "excluded"
    [row] = _audit(db)
    assert (row.action, row.details["reason"]) == ("queue.exclude", "test order")
    assert row.details["before"]["status"] == "pending"
    with db.read() as s:
        assert s.scalar(select(Exclusion.reason)) == "test order"
    assert client.get("/api/queue", headers=h).json()["items"] == []

    again = client.post(f"{ADMIN}/{qid}/exclude", json={"reason": "again"}, headers=h)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_pending"


def test_exclude_refusals(client: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    claimed = add_item(db)
    _claim(client, people, claimed)
    h = people.headers("finance")
    cases: list[tuple[int, Any, int, str]] = [
        (claimed, {"reason": "no"}, 409, "not_pending"),
        (qid + 1000, {"reason": "no"}, 404, "not_found"),
        (qid, {"reason": "   "}, 422, "invalid_reason"),
        (qid, {}, 422, "invalid_request"),
        (qid, {"reason": "x" * 501}, 422, "invalid_request"),
        (qid, {"reason": "ok", "version": 5}, 409, "stale"),
    ]
    for target, body, status, code in cases:
        r = client.post(f"{ADMIN}/{target}/exclude", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["code"] == code
    assert _item(db, qid).status == "pending"
    assert _events(db, "queue.excluded") == [] and _audit(db) == []


def test_two_concurrent_writers_with_one_version(
    client: TestClient, people: People, db: Database
) -> None:
    """At the same moment, both sending version 1: exactly one wins, the other is stale."""
    import threading

    qid = add_item(db)
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def write(role: str, note: str) -> None:
        barrier.wait()
        answers.append(
            client.patch(
                f"{ADMIN}/{qid}",
                json={"note": note, "finance_status": "approved", "version": 1},
                headers=people.headers(role),
            )
        )

    threads = [
        threading.Thread(target=write, args=("finance", "a")),
        threading.Thread(target=write, args=("admin", "b")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    loser = next(r for r in answers if r.status_code == 409)
    assert loser.json()["error"]["code"] == "stale"
    winner = next(r for r in answers if r.status_code == 200).json()["item"]
    item = _item(db, qid)
    assert (item.note, item.version) == (winner["note"], 2)
    assert len(_events(db, "finance.status_changed")) == 1 and len(_audit(db)) == 1
