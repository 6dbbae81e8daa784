"""``/api/admin/objections`` (CONTRACT §4a): the list by status, rulings with their action
(reassign, exclude, refund) in one transaction, all or nothing, and the payload the seller
app's reducer reads."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from backend.models import Claim, Objection, QueueItem
from backend.runtime import Database
from tests.backend.api.setup_support import FORBIDDEN_FOR_F, audit_rows, claim, error, events
from tests.backend.realtime.support import People, TestClient, add_seller


def object_to(client: TestClient, people: People, claim_id: int, role: str = "sales") -> int:
    r = client.post(
        "/api/objections",
        json={"claim_id": claim_id, "reason": "wrong_owner", "details": "it was mine"},
        headers=people.headers(role),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["objection"]["id"])


def rule(
    client: TestClient, people: People, oid: int, body: dict[str, Any], role: str = "finance"
) -> Any:
    return client.post(f"/api/admin/objections/{oid}", json=body, headers=people.headers(role))


def test_list_by_status_and_reject(client: TestClient, people: People, db: Database) -> None:
    c = claim(client, people, db, role="admin")
    oid = object_to(client, people, c["id"])
    fin = people.headers("finance")
    listed = client.get(
        "/api/admin/objections?status=open", headers=people.headers("sales_lead")
    ).json()
    assert listed["total"] == 1 and listed["objections"][0]["status"] == "open"
    r = rule(client, people, oid, {"decision": "reject", "note": "the log says admin"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (
        out["objection"]["status"] == "rejected"
        and out["claim"]["seller"]["id"] == people.ids["admin"]
    )
    assert client.get("/api/admin/objections?status=open", headers=fin).json()["total"] == 0
    assert client.get("/api/admin/objections?status=rejected", headers=fin).json()["total"] == 1
    error(client.get("/api/admin/objections?status=pending", headers=fin), 422)
    error(
        rule(client, people, oid, {"decision": "accept", "note": "changed my mind"}),
        409,
        "already_resolved",
    )
    types = [t for t, _r, _p in events(db)]
    assert types[-2:] == ["objection.resolved", "leaderboard:refresh"]
    [(_t, _room, payload)] = events(db, "objection.resolved")
    assert payload["objection_id"] == oid and payload["status"] == "rejected"
    assert payload["resolution"] == "the log says admin" and payload["change"] == "objection"
    mine = client.get("/api/me/objections", headers=people.headers("sales")).json()["objections"]
    assert mine[0]["status"] == "rejected"
    assert [a.action for a in audit_rows(db, "objection")] == ["objection.rejected"]


def test_accept_with_reassign_moves_the_claim(
    client: TestClient, people: People, db: Database
) -> None:
    c = claim(client, people, db, role="admin")
    oid = object_to(client, people, c["id"])
    r = rule(
        client,
        people,
        oid,
        {
            "decision": "accept",
            "action": "reassign",
            "seller_id": people.ids["sales"],
            "note": "ok",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["claim"]["seller"]["id"] == people.ids["sales"]
    assert r.json()["objection"]["status"] == "accepted"
    # the claim as the claims list has it, whole (shares, money, version ...)
    listed = client.get("/api/admin/claims", headers=people.headers("finance")).json()
    [same] = [x for x in listed["claims"] if x["id"] == c["id"]]
    assert r.json()["claim"] == same
    assert same["shares"] == [
        {"seller_id": people.ids["sales"], "name": "Sales", "share": "1.0000"}
    ]
    assert same["version"] >= 2 and "adjusted_margin_usd" in same
    types = [t for t, _r, _p in events(db)]
    assert "claim.adjusted" in types and types[-2:] == ["objection.resolved", "leaderboard:refresh"]
    payload = events(db, "objection.resolved")[-1][2]
    assert set(payload["seller_ids"]) >= {people.ids["sales"], people.ids["admin"]}
    board = client.get("/api/leaderboard/wins?period=today", headers=people.headers("sales")).json()
    wins = {e["seller_id"]: e["value"] for e in board["entries"]}
    assert wins[people.ids["sales"]] == 1 and wins.get(people.ids["admin"], 0) == 0


def test_accept_with_exclude_and_refund(client: TestClient, people: People, db: Database) -> None:
    c1 = claim(client, people, db)
    c2 = claim(client, people, db)
    o1, o2 = object_to(client, people, c1["id"]), object_to(client, people, c2["id"])
    assert (
        rule(
            client, people, o1, {"decision": "accept", "action": "exclude", "note": "test sale"}
        ).status_code
        == 200
    )
    r = rule(client, people, o2, {"decision": "accept", "action": "refund", "note": "refunded"})
    assert r.status_code == 200 and r.json()["claim"]["refunded"] is True
    with db.read() as s:
        assert s.get(QueueItem, c1["queue_id"]).status == "excluded"
    assert len(events(db, "queue.excluded")) == 1 and len(events(db, "refund.applied")) == 1


def test_a_failing_action_leaves_nothing_written(
    client: TestClient, people: People, db: Database
) -> None:
    c = claim(client, people, db)
    first = object_to(client, people, c["id"])
    assert (
        rule(
            client, people, first, {"decision": "accept", "action": "refund", "note": "x"}
        ).status_code
        == 200
    )
    second = object_to(client, people, c["id"])
    before = len(events(db))
    error(
        rule(client, people, second, {"decision": "accept", "action": "refund", "note": "again"}),
        409,
        "already_refunded",
    )
    assert len(events(db)) == before
    with db.read() as s:
        assert s.get(Objection, second).status == "pending"
    # an inactive seller: 422, nothing written
    sid, _tok = add_seller(db, client.app.state.ctx.settings, "gone@winroom.io", "Gone", "sales")
    with db.transaction() as s:
        from backend.models import Seller

        s.get(Seller, sid).is_active = False
    error(
        rule(
            client,
            people,
            second,
            {"decision": "accept", "action": "reassign", "seller_id": sid, "note": "x"},
        ),
        422,
        "inactive_seller",
    )
    with db.read() as s:
        assert (
            s.get(Objection, second).status == "pending" and s.get(Objection, second).version == 1
        )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"decision": "maybe", "note": "x"}, 422),
        ({"decision": "reject", "action": "refund", "note": "x"}, 422),
        ({"decision": "accept", "action": "reassign", "note": "x"}, 422),
        ({"decision": "accept", "action": "refund", "seller_id": 1, "note": "x"}, 422),
        ({"decision": "accept", "action": "reassign", "seller_id": 10**6, "note": "x"}, 404),
        ({"decision": "accept", "note": ""}, 422),
        ({"decision": "accept", "note": "   "}, 422),
        ({"decision": "accept"}, 422),
        ({"decision": "accept", "note": "x", "version": 7}, 409),
        ({"decision": "accept", "note": "x", "bonus": 1}, 422),
    ],
)
def test_bad_rulings(
    client: TestClient, people: People, db: Database, body: dict[str, Any], status: int
) -> None:
    c = claim(client, people, db, role="admin")
    oid = object_to(client, people, c["id"])
    error(rule(client, people, oid, body), status)
    with db.read() as s:
        assert s.get(Objection, oid).status == "pending"
        assert s.scalar(select(Claim.claimed_by).where(Claim.id == c["id"])) == people.ids["admin"]
    assert events(db, "objection.resolved") == []


def test_unknown_objection_is_404(client: TestClient, people: People) -> None:
    error(rule(client, people, 999, {"decision": "reject", "note": "x"}), 404)


@pytest.mark.parametrize("role", FORBIDDEN_FOR_F)
def test_only_finance_and_admins_rule(client: TestClient, people: People, role: str) -> None:
    error(rule(client, people, 1, {"decision": "reject", "note": "x"}, role=role), 403)


@pytest.mark.parametrize("role", ("sales", "tv"))
def test_sellers_and_tvs_cannot_list(client: TestClient, people: People, role: str) -> None:
    error(client.get("/api/admin/objections", headers=people.headers(role)), 403)
