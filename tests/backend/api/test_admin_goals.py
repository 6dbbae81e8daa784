"""``/api/admin/goals`` (CONTRACT §4a): team and personal goals in one id space, versions,
ending, events and progress re-evaluated at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from backend.models import PersonalGoal, SalesGoal
from backend.runtime import Database
from tests.backend.api.setup_support import FORBIDDEN_FOR_L, audit_rows, claim, error, events
from tests.backend.realtime.support import People, TestClient

TEAM = {
    "scope": "team",
    "title": "Ten a day",
    "period": "day",
    "target_type": "count",
    "target": 10,
}


def post(client: TestClient, people: People, body: dict[str, Any], role: str = "sales_lead") -> Any:
    return client.post("/api/admin/goals", json=body, headers=people.headers(role))


def personal(people: People, **kw: Any) -> dict[str, Any]:
    return {
        "scope": "personal",
        "seller_id": people.ids["sales"],
        "title": "My revenue",
        "period": "month",
        "target_type": "revenue",
        "target": "500.00",
        **kw,
    }


def test_create_list_patch_end_a_team_goal(
    client: TestClient, people: People, db: Database
) -> None:
    r = post(client, people, TEAM)
    assert r.status_code == 201, r.text
    goal = r.json()["goal"]
    assert goal["scope"] == "team" and goal["seller_id"] is None and goal["version"] == 1
    assert goal["target"] == 10 and goal["value"] == 0 and goal["active"] is True
    gid = goal["id"]
    progress = client.get("/api/goals/progress", headers=people.headers("tv")).json()["goals"]
    assert [g["id"] for g in progress] == [gid]

    r = client.patch(
        f"/api/admin/goals/{gid}",
        json={"target": 2, "version": 1},
        headers=people.headers("finance"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["goal"]["target"] == 2 and r.json()["goal"]["version"] == 2
    # progress follows at once: the event with the new target, and the read
    last = events(db, "goal.progress")[-1][2]
    assert last["goal_id"] == gid and last["target"] == 2
    assert (
        client.get("/api/goals/progress", headers=people.headers("sales")).json()["goals"][0][
            "target"
        ]
        == 2
    )

    r = client.delete(f"/api/admin/goals/{gid}", headers=people.headers("admin"))
    assert r.status_code == 200
    ended = r.json()["goal"]
    assert ended["active"] is False and ended["ended_at"] and ended["version"] == 3
    assert client.get("/api/goals/progress", headers=people.headers("sales")).json()["goals"] == []
    listed = client.get("/api/admin/goals", headers=people.headers("sales_lead")).json()
    assert listed["total"] == 1 and listed["goals"][0]["active"] is False  # kept for history
    assert [e[2]["action"] for e in events(db, "goals.changed")] == ["created", "updated", "ended"]
    assert [a.action for a in audit_rows(db, "goal")] == ["goal.create", "goal.update", "goal.end"]
    upd = audit_rows(db, "goal")[1].details
    assert upd["before"]["target"] == 10 and upd["after"]["target"] == 2

    error(
        client.delete(f"/api/admin/goals/{gid}", headers=people.headers("admin")), 409, "goal_ended"
    )
    error(
        client.patch(
            f"/api/admin/goals/{gid}", json={"title": "x"}, headers=people.headers("admin")
        ),
        409,
        "goal_ended",
    )


def test_a_personal_goal_progresses_with_its_sellers_claims(
    client: TestClient, people: People, db: Database
) -> None:
    r = post(client, people, personal(people, target_type="margin_amount", target="100"))
    assert r.status_code == 201, r.text
    goal = r.json()["goal"]
    assert goal["target_type"] == "margin_amount" and goal["target"] == "100.00"
    claim(client, people, db, revenue="100.00")  # margin 60
    mine = client.get("/api/me/goals", headers=people.headers("sales")).json()["goals"]
    assert mine[0]["id"] == goal["id"] and mine[0]["value"] == "60.00"
    with db.read() as s:
        assert s.get(PersonalGoal, goal["id"]).target_type == "margin"  # the stored word
    # lowering the target completes it now; the event goes to the seller's room
    r = client.patch(
        f"/api/admin/goals/{goal['id']}", json={"target": "50"}, headers=people.headers("admin")
    )
    assert r.json()["goal"]["completed"] is True
    _t, room, payload = events(db, "goal.progress")[-1]
    assert room == f"user:{people.ids['sales']}" and payload["completed"] is True


def test_team_and_personal_goals_share_one_id_space(
    client: TestClient, people: People, db: Database
) -> None:
    ids = [
        post(client, people, TEAM).json()["goal"]["id"],
        post(client, people, personal(people)).json()["goal"]["id"],
        post(client, people, TEAM).json()["goal"]["id"],
        post(client, people, personal(people)).json()["goal"]["id"],
    ]
    assert len(set(ids)) == 4
    with db.transaction() as s:  # a goal created the old way (the demo seed) too
        s.add(SalesGoal(title="t", period="day", target_type="count", target=1))
        s.add(
            PersonalGoal(
                seller_id=people.ids["sales"],
                title="p",
                period="day",
                target_type="count",
                target=1,
            )
        )
        s.flush()
        with_both = (
            s.execute(text("SELECT id FROM sales_goals UNION ALL SELECT id FROM personal_goals"))
            .scalars()
            .all()
        )
    assert len(with_both) == len(set(with_both)) == 6
    for gid in ids:  # each id names exactly one goal
        r = client.patch(
            f"/api/admin/goals/{gid}", json={"title": f"g{gid}"}, headers=people.headers("admin")
        )
        assert r.status_code == 200 and r.json()["goal"]["id"] == gid
    listed = client.get("/api/admin/goals?scope=personal", headers=people.headers("finance")).json()
    assert {g["scope"] for g in listed["goals"]} == {"personal"} and listed["total"] == 3


def test_list_pages_with_a_cursor(client: TestClient, people: People) -> None:
    made = [post(client, people, TEAM).json()["goal"]["id"] for _ in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        url = "/api/admin/goals?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=people.headers("admin")).json()
        assert body["total"] == 5
        seen += [g["id"] for g in body["goals"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)
    error(client.get("/api/admin/goals?cursor=nope", headers=people.headers("admin")), 422)
    error(client.get("/api/admin/goals?scope=galaxy", headers=people.headers("admin")), 422)
    # team goals have no seller: the two filters together select nothing (the fuzzer's 500)
    both = client.get("/api/admin/goals?scope=team&seller_id=1", headers=people.headers("admin"))
    assert both.status_code == 200
    assert both.json() == {"goals": [], "next_cursor": None, "total": 0}


def test_stale_version_changes_nothing(client: TestClient, people: People, db: Database) -> None:
    gid = post(client, people, TEAM).json()["goal"]["id"]
    assert (
        client.patch(
            f"/api/admin/goals/{gid}",
            json={"title": "A", "version": 1},
            headers=people.headers("admin"),
        ).status_code
        == 200
    )
    err = error(
        client.patch(
            f"/api/admin/goals/{gid}",
            json={"title": "B", "version": 1},
            headers=people.headers("finance"),
        ),
        409,
        "stale",
    )
    assert err["version"] == 2
    error(
        client.delete(f"/api/admin/goals/{gid}?version=1", headers=people.headers("admin")),
        409,
        "stale",
    )
    error(
        client.request(
            "DELETE",
            f"/api/admin/goals/{gid}",
            json={"version": 1},
            headers=people.headers("admin"),
        ),
        409,
        "stale",
    )
    with db.read() as s:
        g = s.get(SalesGoal, gid)
        assert g.title == "A" and g.active is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TEAM, "target": 0}, "target"),
        ({**TEAM, "target": -3}, "target"),
        ({**TEAM, "target": "1.5"}, "target"),
        ({**TEAM, "target": True}, "target"),
        ({**TEAM, "target_type": "revenue", "target": "1.234"}, "target"),
        ({**TEAM, "target_type": "revenue", "target": "10000000.01"}, "target"),
        ({**TEAM, "target_type": "revenue", "target": "１２"}, "target"),
        ({**TEAM, "target_type": "margin"}, "target_type"),
        ({**TEAM, "period": "week"}, "period"),
        ({**TEAM, "title": ""}, "title"),
        ({**TEAM, "title": "   "}, "title"),
        ({**TEAM, "scope": "floor"}, "scope"),
        ({**TEAM, "seller_id": 1}, "seller_id"),
        ({**TEAM, "scope": "personal"}, "seller_id"),
        ({**TEAM, "extra": 1}, "extra"),
    ],
)
def test_bad_goals_are_422_naming_the_field(
    client: TestClient, people: People, db: Database, body: dict[str, Any], field: str
) -> None:
    err = error(post(client, people, body), 422)
    named = (
        {err.get("field")}
        | {f.get("field") for f in err.get("fields", [])}
        | {str(f.get("loc", [""])[-1]) for f in err.get("fields", [])}
    )
    assert field in " ".join(str(n) for n in named), err
    assert events(db, "goals.changed") == []


def test_unknown_ids_and_sellers_are_404(client: TestClient, people: People) -> None:
    error(post(client, people, personal(people, seller_id=10**6)), 404, "not_found")
    error(
        client.patch("/api/admin/goals/999", json={"title": "x"}, headers=people.headers("admin")),
        404,
    )
    error(client.delete("/api/admin/goals/999", headers=people.headers("admin")), 404)


@pytest.mark.parametrize("role", FORBIDDEN_FOR_L)
def test_sellers_and_tvs_are_403(client: TestClient, people: People, role: str) -> None:
    error(post(client, people, TEAM, role=role), 403)
    error(client.get("/api/admin/goals", headers=people.headers(role)), 403)
