"""``/api/admin/game`` (CONTRACT §4a, §6): the numbers, validated, versioned, audited, and
applied to the next claim (and spin, and chat message)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from backend.game import numbers as game_numbers
from backend.models import PointsEntry, Spin
from backend.runtime import Database
from tests.backend.api.setup_support import FORBIDDEN_FOR_A, audit_rows, claim, error
from tests.backend.realtime.support import People, TestClient


def patch(client: TestClient, people: People, body: dict[str, Any]) -> Any:
    return client.patch("/api/admin/game", json=body, headers=people.headers("admin"))


def claim_points(db: Database, claim_id: int) -> dict[str, int]:
    with db.read() as s:
        rows = s.execute(
            select(PointsEntry.source, PointsEntry.points).where(
                PointsEntry.ref_type == "claim", PointsEntry.ref_id == claim_id
            )
        ).all()
    return {src: pts for src, pts in rows}


def test_defaults_then_a_change_applies_to_the_next_claim(
    client: TestClient, people: People, db: Database
) -> None:
    got = client.get("/api/admin/game", headers=people.headers("admin")).json()
    assert got["version"] == 0 and got["numbers"] == got["defaults"]
    assert got["numbers"]["claim_points"] == 10 and got["numbers"]["streak_multiplier"] == "1.5"
    first = claim(client, people, db)
    assert claim_points(db, first["id"]) == {"claim": 10}

    r = patch(
        client,
        people,
        {"claim_points": 25, "streak_from": 2, "streak_multiplier": "2", "version": 0},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.json()["numbers"]["claim_points"] == 25
    second = claim(client, people, db)  # the same seller's 2nd in a row: the streak now
    assert claim_points(db, second["id"]) == {"claim": 25, "streak_multiplier": 25}
    [row] = audit_rows(db, "game")
    assert (
        row.details["before"]["claim_points"] == 10 and row.details["after"]["claim_points"] == 25
    )

    # back to the default with null
    r = patch(
        client,
        people,
        {"claim_points": None, "streak_from": None, "streak_multiplier": None, "version": 1},
    )
    assert r.json()["numbers"] == r.json()["defaults"] and r.json()["overrides"] == {}


def test_spin_weights_decide_the_draw(client: TestClient, people: People, db: Database) -> None:
    weights = {
        "points_50": 0,
        "points_100": 0,
        "points_200": 0,
        "coffee": 1,
        "leave_early": 0,
        "points_500": 0,
    }
    assert patch(client, people, {"spin_weights": weights}).status_code == 200
    with db.transaction() as s:
        spin = Spin(seller_id=people.ids["sales"], source="admin", source_ref="t", draw={})
        s.add(spin)
        s.flush()
        sid = spin.id
    r = client.post(f"/api/me/spins/{sid}", headers=people.headers("sales"))
    assert r.status_code == 200, r.text
    assert r.json()["prize"]["code"] == "coffee"


def test_extra_moderation_words_mask_chat(client: TestClient, people: People) -> None:
    assert patch(client, people, {"moderation_words": ["zorblax"]}).status_code == 200
    r = client.post(
        "/api/chats", json={"message": "what a zorblax move"}, headers=people.headers("sales")
    )
    assert r.status_code == 201, r.text
    assert "zorblax" not in r.json()["message"]["text"]


def test_stale_versions(client: TestClient, people: People, db: Database) -> None:
    assert patch(client, people, {"goal_points": 200, "version": 0}).status_code == 200
    err = error(patch(client, people, {"goal_points": 300, "version": 0}), 409, "stale")
    assert err["version"] == 1
    assert (
        client.get("/api/admin/game", headers=people.headers("admin")).json()["numbers"][
            "goal_points"
        ]
        == 200
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"claim_points": -1}, "claim_points"),
        ({"claim_points": 1.5}, "claim_points"),
        ({"claim_points": "10"}, "claim_points"),
        ({"claim_points": True}, "claim_points"),
        ({"jackpot_bonus": 10**9}, "jackpot_bonus"),
        ({"streak_from": 1}, "streak_from"),
        ({"streak_multiplier": "0.5"}, "streak_multiplier"),
        ({"streak_multiplier": "1.555"}, "streak_multiplier"),
        ({"streak_multiplier": "NaN"}, "streak_multiplier"),
        ({"streak_multiplier": "abc"}, "streak_multiplier"),
        ({"spin_weights": {"jackpot": 5}}, "spin_weights"),
        ({"spin_weights": {"coffee": -1}}, "spin_weights"),
        ({"spin_weights": [1, 2]}, "spin_weights"),
        (
            {"spin_weights": {c: 0 for c in game_numbers.DEFAULTS.spin_weights}},
            "spin_weights",
        ),
        ({"moderation_words": "bad"}, "moderation_words"),
        ({"moderation_words": ["two words"]}, "moderation_words"),
        ({"moderation_words": [""]}, "moderation_words"),
        ({"moderation_words": [3]}, "moderation_words"),
        ({"moderation_words": ["x\u0000"]}, "moderation_words"),
        ({"lottery": 1}, "lottery"),
    ],
)
def test_bad_numbers_are_422_naming_the_field(
    client: TestClient, people: People, db: Database, body: dict[str, Any], field: str
) -> None:
    err = error(patch(client, people, body), 422)
    assert field in str(err.get("field")) + str(err.get("fields")), err
    assert audit_rows(db, "game") == []
    assert client.get("/api/admin/game", headers=people.headers("admin")).json()["version"] == 0


@pytest.mark.parametrize("role", FORBIDDEN_FOR_A)
def test_only_admins(client: TestClient, people: People, role: str) -> None:
    error(client.get("/api/admin/game", headers=people.headers(role)), 403)
    error(
        client.patch("/api/admin/game", json={"claim_points": 1}, headers=people.headers(role)), 403
    )
