"""``/api/admin/challenges`` (CONTRACT §4a): metrics in the API's words, ``claim_type``
honoured by the engine, test runs (``visible`` False) shown to admins only and awarding
nothing, versions, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.models import Challenge, PointsEntry, Spin
from backend.runtime import Database
from tests.backend.api.setup_support import FORBIDDEN_FOR_L, audit_rows, claim, error, events
from tests.backend.realtime.support import People, TestClient


def window(hours: int = 2) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=hours)).isoformat(),
    }


def body(**kw: Any) -> dict[str, Any]:
    return {
        "title": "Two wins",
        "metric": "count",
        "target": 2,
        "reward_points": 30,
        "visible": True,
        **window(),
        **kw,
    }


def post(client: TestClient, people: People, b: dict[str, Any], role: str = "sales_lead") -> Any:
    return client.post("/api/admin/challenges", json=b, headers=people.headers(role))


def points(db: Database, seller_id: int, source: str) -> int:
    with db.read() as s:
        q = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.seller_id == seller_id, PointsEntry.source == source
        )
        return int(s.scalar(q) or 0)


def test_create_progress_complete_and_end(client: TestClient, people: People, db: Database) -> None:
    r = post(client, people, body())
    assert r.status_code == 201, r.text
    ch = r.json()["challenge"]
    assert ch["metric"] == "count" and ch["visible"] is True and ch["version"] == 1
    with db.read() as s:
        assert s.get(Challenge, ch["id"]).metric == "wins"  # the stored word
    claim(client, people, db)
    claim(client, people, db)
    assert points(db, people.ids["sales"], "challenge") == 30
    listed = client.get("/api/admin/challenges", headers=people.headers("finance")).json()
    prog = listed["challenges"][0]["progress"]
    assert prog["completed_count"] == 1 and prog["sellers"][0]["awarded"] is True
    seen = client.get("/api/challenges", headers=people.headers("sales")).json()["challenges"]
    assert seen[0]["completed"] is True and seen[0]["progress"] == 2

    r = client.delete(f"/api/admin/challenges/{ch['id']}", headers=people.headers("admin"))
    assert r.status_code == 200 and r.json()["challenge"]["active"] is False
    assert client.get("/api/challenges", headers=people.headers("sales")).json()["challenges"] == []
    error(
        client.delete(f"/api/admin/challenges/{ch['id']}", headers=people.headers("admin")),
        409,
        "challenge_ended",
    )
    hints = events(db, "challenges.changed")
    assert [(room, p["action"]) for _t, room, p in hints] == [
        ("everyone", "created"),
        ("everyone", "ended"),
    ]
    assert [a.action for a in audit_rows(db, "challenge")] == ["challenge.create", "challenge.end"]


def test_claim_type_counts_only_claims_of_that_type(
    client: TestClient, people: People, db: Database
) -> None:
    ch = post(client, people, body(claim_type="upgrade", target=1)).json()["challenge"]
    claim(client, people, db, claim_type="first_sales")
    assert points(db, people.ids["sales"], "challenge") == 0
    seen = client.get("/api/challenges", headers=people.headers("sales")).json()["challenges"]
    assert seen[0]["progress"] == 0 and seen[0]["claim_type"] == "upgrade"
    claim(client, people, db, claim_type="upgrade")
    assert points(db, people.ids["sales"], "challenge") == 30
    admin = client.get("/api/admin/challenges", headers=people.headers("admin")).json()
    assert admin["challenges"][0]["id"] == ch["id"]
    assert admin["challenges"][0]["progress"]["sellers"][0]["value"] == 1


def test_a_test_run_is_computed_but_shown_to_admins_only_and_awards_nothing(
    client: TestClient, people: People, db: Database
) -> None:
    ch = post(client, people, body(visible=False, target=1)).json()["challenge"]
    claim(client, people, db)
    for role in ("sales", "sales_lead", "finance", "tv"):
        got = client.get("/api/challenges", headers=people.headers(role)).json()["challenges"]
        assert got == [], role
    got = client.get("/api/challenges", headers=people.headers("admin")).json()["challenges"]
    assert [c["id"] for c in got] == [ch["id"]] and got[0]["visible"] is False
    admin = client.get(
        "/api/admin/challenges?visible=false", headers=people.headers("admin")
    ).json()
    prog = admin["challenges"][0]["progress"]
    assert prog["completed_count"] == 1 and prog["sellers"][0]["awarded"] is False
    assert points(db, people.ids["sales"], "challenge") == 0
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Spin)) == 0
    assert {room for _t, room, _p in events(db, "challenges.changed")} == {"admin"}
    assert not [
        p for _t, _r, p in events(db, "achievement.created") if p["kind"].startswith("challenge")
    ]
    # going live: announced to everyone; the next claim completes it for real
    r = client.patch(
        f"/api/admin/challenges/{ch['id']}",
        json={"visible": True, "version": 1},
        headers=people.headers("admin"),
    )
    assert r.status_code == 200, r.text
    assert events(db, "challenges.changed")[-1][1] == "everyone"
    assert [
        c["id"]
        for c in client.get("/api/challenges", headers=people.headers("tv")).json()["challenges"]
    ] == [ch["id"]]
    claim(client, people, db)
    assert points(db, people.ids["sales"], "challenge") == 30


def test_patch_versions_and_validation(client: TestClient, people: People, db: Database) -> None:
    ch = post(client, people, body(metric="revenue", target="500")).json()["challenge"]
    assert ch["target"] == "500.00" and ch["metric"] == "revenue"
    url = f"/api/admin/challenges/{ch['id']}"
    admin = people.headers("admin")
    r = client.patch(
        url, json={"target": "250.50", "title": "Quarter", "version": 1}, headers=admin
    )
    assert r.json()["challenge"]["target"] == "250.50" and r.json()["challenge"]["version"] == 2
    error(client.patch(url, json={"title": "x", "version": 1}, headers=admin), 409, "stale")
    error(client.patch(url, json={"metric": "count"}, headers=admin), 422, "target_required")
    error(
        client.patch(url, json={"ends_at": "2001-01-01T00:00:00Z"}, headers=admin),
        422,
        "invalid_window",
    )
    error(client.patch(url, json={"title": None}, headers=admin), 422)
    error(client.patch("/api/admin/challenges/999", json={"title": "x"}, headers=admin), 404)
    with db.read() as s:
        assert s.get(Challenge, ch["id"]).title == "Quarter"


@pytest.mark.parametrize(
    "bad",
    [
        {"metric": "wins"},
        {"target": 0},
        {"target": "2.5"},
        {"reward_points": -1},
        {"reward_points": "10"},
        {"claim_type": "gift"},
        {"title": ""},
        {"visible": "yes"},
        {"starts_at": "tomorrow"},
        {"starts_at": "2026-01-01T00:00:00"},
        {"ends_at": "1990-01-01T00:00:00Z"},
        {"metric": "revenue", "target": "0.001"},
        {"surprise": True},
    ],
)
def test_bad_bodies_are_422(
    client: TestClient, people: People, db: Database, bad: dict[str, Any]
) -> None:
    error(post(client, people, body(**bad)), 422)
    assert events(db, "challenges.changed") == []


@pytest.mark.parametrize("role", FORBIDDEN_FOR_L)
def test_sellers_and_tvs_are_403(client: TestClient, people: People, role: str) -> None:
    error(post(client, people, body(), role=role), 403)
    error(client.get("/api/admin/challenges", headers=people.headers(role)), 403)
