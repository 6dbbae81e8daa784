"""Chat and emoji endpoints at the edges of CONTRACT §4: ids beyond the database's integers,
unknown body fields, and ``DELETE /api/emojis`` with its fields in the query string."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.db.types import utcnow
from backend.models import Event, QueueItem, Reaction
from backend.runtime import Database
from tests.backend.realtime.support import People, TestClient

HUGE_IDS = [2**63, 10**20, -(2**63) - 1, 2**62 + 1, 0, -1]


def chat(client: TestClient, people: People, text: str = "Nice one!") -> int:
    r = client.post("/api/chats", json={"message": text}, headers=people.headers("sales"))
    assert r.status_code == 201, r.text
    return int(r.json()["message"]["id"])


def delete(client: TestClient, people: People, role: str = "sales", **kw: Any) -> Any:
    return client.request("DELETE", "/api/emojis", headers=people.headers(role), **kw)


def assert_invalid(r: Any, code: str = "invalid_request") -> dict[str, Any]:
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == code and isinstance(err["message"], str) and err["message"]
    return dict(err)


def reactions(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Reaction)) or 0)


@pytest.mark.parametrize("target_id", HUGE_IDS)
def test_target_ids_beyond_the_id_range_are_422_not_500(
    client: TestClient, people: People, db: Database, target_id: int
) -> None:
    chat(client, people)
    body = {"target_type": "chat", "target_id": target_id, "emoji": "🔥"}
    err = assert_invalid(client.post("/api/emojis", json=body, headers=people.headers("sales")))
    assert err["fields"][0]["field"] == "body.target_id"
    assert_invalid(delete(client, people, json=body))
    query = {**body, "target_id": str(target_id)}
    err = assert_invalid(delete(client, people, params=query))
    assert err["fields"][0]["field"] == "query.target_id"
    assert reactions(db) == 0


def test_the_largest_id_is_a_plain_not_found(client: TestClient, people: People) -> None:
    body = {"target_type": "queue", "target_id": 2**62, "emoji": "🔥"}
    r = client.post("/api/emojis", json=body, headers=people.headers("sales"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = delete(client, people, json=body)
    assert r.status_code == 200 and r.json() == {"removed": False, "reactions": []}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/chats", {"message": "hello", "room": "x"}),
        ("POST", "/api/emojis", {"target_type": "chat", "target_id": 1, "emoji": "🔥", "x": 1}),
        ("DELETE", "/api/emojis", {"target_type": "chat", "target_id": 1, "emoji": "🔥", "x": 1}),
    ],
)
def test_unknown_body_fields_are_rejected_with_the_envelope(
    client: TestClient, people: People, db: Database, method: str, path: str, body: dict[str, Any]
) -> None:
    msg = chat(client, people, "first")
    body = {**body, "target_id": msg} if "target_id" in body else body
    r = client.request(method, path, json=body, headers=people.headers("sales"))
    err = assert_invalid(r)
    assert any(f["problem"].startswith("Extra inputs") for f in err["fields"])
    assert reactions(db) == 0
    with db.read() as s:
        q = select(func.count()).select_from(Event).where(Event.type == "chat.message")
        assert s.scalar(q) == 1  # only the first message was posted
    assert len(client.get("/api/chats", headers=people.headers("sales")).json()["messages"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"target_type": "chat", "target_id": "1", "emoji": "🔥"},
        {"target_type": "chat", "target_id": 1.5, "emoji": "🔥"},
        {"target_type": "chat", "target_id": True, "emoji": "🔥"},
        {"target_type": "chat", "emoji": "🔥"},
        {"message": 5},
    ],
)
def test_body_types_are_strict(client: TestClient, people: People, body: dict[str, Any]) -> None:
    chat(client, people)
    path = "/api/chats" if "message" in body else "/api/emojis"
    assert_invalid(client.post(path, json=body, headers=people.headers("sales")))


def test_delete_takes_the_reaction_from_the_query_string(
    client: TestClient, people: People, db: Database
) -> None:
    msg = chat(client, people)
    body = {"target_type": "chat", "target_id": msg, "emoji": "🔥"}
    r = client.post("/api/emojis", json=body, headers=people.headers("admin"))
    assert r.status_code == 201 and r.json()["added"] is True
    # httpx's client.delete() cannot send a body: the query string does
    r = client.delete("/api/emojis", params=body, headers=people.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json() == {"removed": True, "reactions": []}
    again = client.delete("/api/emojis", params=body, headers=people.headers("admin"))
    assert again.status_code == 200 and again.json()["removed"] is False
    with db.read() as s:
        removed = list(s.scalars(select(Event).where(Event.type == "emoji.removed")))
    assert [(e.payload["target_id"], e.payload["emoji"]) for e in removed] == [(msg, "🔥")]
    assert reactions(db) == 0


def test_delete_query_errors_match_the_body_errors(client: TestClient, people: People) -> None:
    msg = chat(client, people)
    ok = {"target_type": "chat", "target_id": msg, "emoji": "🔥"}
    for missing in ("target_type", "target_id", "emoji"):
        params = {k: v for k, v in ok.items() if k != missing}
        err = assert_invalid(
            client.delete("/api/emojis", params=params, headers=people.headers("sales"))
        )
        assert err["fields"][0]["field"] == f"query.{missing}", err
        body_err = assert_invalid(delete(client, people, json=params))
        assert body_err["fields"][0]["field"] == f"body.{missing}"
    err = assert_invalid(client.delete("/api/emojis", headers=people.headers("sales")))
    assert {f["field"] for f in err["fields"]} == {
        "query.target_type",
        "query.target_id",
        "query.emoji",
    }
    for bad in ({"target_type": "wall"}, {"target_id": "abc"}, {"target_id": "1.5"}):
        params = {**ok, **bad}
        assert_invalid(client.delete("/api/emojis", params=params, headers=people.headers("sales")))
    r = client.delete("/api/emojis", params={**ok, "emoji": "lol"}, headers=people.headers("sales"))
    assert_invalid(r, "invalid_emoji")
    r = delete(client, people, json={**ok, "emoji": "lol"})
    assert_invalid(r, "invalid_emoji")


def test_delete_body_wins_over_the_query(client: TestClient, people: People) -> None:
    msg = chat(client, people)
    for emoji in ("🔥", "👍"):
        body = {"target_type": "chat", "target_id": msg, "emoji": emoji}
        assert client.post("/api/emojis", json=body, headers=people.headers("sales")).status_code
    r = delete(
        client,
        people,
        json={"target_type": "chat", "target_id": msg, "emoji": "👍"},
        params={"target_type": "chat", "target_id": str(msg), "emoji": "🔥"},
    )
    assert r.status_code == 200 and r.json()["removed"] is True
    assert [x["emoji"] for x in r.json()["reactions"]] == ["🔥"]


def test_delete_by_query_keeps_the_roles(client: TestClient, people: People) -> None:
    msg = chat(client, people)
    params = {"target_type": "chat", "target_id": str(msg), "emoji": "🔥"}
    assert (
        client.delete("/api/emojis", params=params, headers=people.headers("tv")).status_code == 403
    )
    assert (
        client.delete(
            "/api/emojis", params={"target_id": "x"}, headers=people.headers("tv")
        ).status_code
        == 403
    )
    assert client.delete("/api/emojis", params=params).status_code == 401


def test_openapi_documents_both_ways_to_delete(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/emojis"]["delete"]
    names = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert set(names) == {"target_type", "target_id", "emoji"}
    assert not any(p["required"] for p in names.values())
    assert op["requestBody"].get("required") is not True
    post = spec["paths"]["/api/emojis"]["post"]["requestBody"]
    assert post["required"] is True
    schema = spec["components"]["schemas"]["EmojiIn"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["target_id"]["maximum"] == 2**62


def test_a_target_beyond_the_reactions_column_is_refused_not_a_500(
    client: TestClient, people: People, db: Database
) -> None:
    """``reactions.target_id`` is a 32-bit integer on PostgreSQL; queue ids are 64-bit."""
    big = 2**31 + 5
    with db.transaction() as s:
        s.add(
            QueueItem(
                id=big,
                customer_email="big@example.com",
                customer_name="Big",
                currency="USD",
                revenue_usd=Decimal("10"),
                sale_created_at=utcnow(),
            )
        )
    body = {"target_type": "queue", "target_id": big, "emoji": "🔥"}
    r = client.post("/api/emojis", json=body, headers=people.headers("sales"))
    assert_invalid(r, "invalid_target")
    r = client.delete("/api/emojis", params=body, headers=people.headers("sales"))
    assert r.status_code == 200 and r.json() == {"removed": False, "reactions": []}
    assert reactions(db) == 0


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/chats", b'{"message": "hi \\ud800 there"}'),
        ("/api/chats", b'{"message": "\\udfff"}'),
        ("/api/emojis", b'{"target_type": "chat", "target_id": 1, "emoji": "\\ud83d"}'),
    ],
)
def test_a_lone_surrogate_is_bad_input_not_a_500(
    client: TestClient, people: People, db: Database, path: str, raw: bytes
) -> None:
    """``"\\ud800"`` is valid JSON but no text UTF-8 (or a database) can hold: a 422 in the
    envelope, nothing stored, and the connection still answers the next request."""
    chat(client, people, "first")
    headers = {**people.headers("sales"), "Content-Type": "application/json"}
    err = assert_invalid(client.post(path, content=raw, headers=headers))
    assert "Unicode" in err["fields"][0]["problem"]
    assert reactions(db) == 0
    assert len(client.get("/api/chats", headers=people.headers("sales")).json()["messages"]) == 1


@pytest.mark.parametrize(
    ("emoji", "ok"),
    [
        ("👍", True),
        ("👍🏽", True),
        ("👩\u200d💻", True),
        ("👨\u200d👩\u200d👧\u200d👦", True),
        ("🇹🇷", True),
        ("1️⃣", True),
        ("❤️", True),
        ("‼️", True),  # refused by the old category check
        ("👍👍", False),
        ("🇹🇷🇺🇸", False),
        ("👍🏽👍", False),
        ("👍\u200d", False),
        ("\ufffd", False),
        ("1", False),
        ("🇹", False),  # half a flag
        ("👍🏽🏽", False),
        ("👍\ufe0f\ufe0f", False),
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", True),  # Scotland
        ("👍\U000e0067", False),
    ],
)
def test_a_reaction_is_one_emoji(
    client: TestClient, people: People, db: Database, emoji: str, ok: bool
) -> None:
    msg = chat(client, people)
    body = {"target_type": "chat", "target_id": msg, "emoji": emoji}
    r = client.post("/api/emojis", json=body, headers=people.headers("sales"))
    if ok:
        assert r.status_code == 201 and r.json()["added"] is True, r.text
        assert reactions(db) == 1
    else:
        assert_invalid(r, "invalid_emoji")
        r = client.delete("/api/emojis", params=body, headers=people.headers("sales"))
        assert_invalid(r, "invalid_emoji")
        assert reactions(db) == 0
