"""Chat, emoji and presence endpoints over HTTP (in-process ASGI client, both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from backend.accounts import create_user, issue_device_token
from backend.api.app import create_api
from backend.api.context import ApiContext
from backend.auth import issue_token
from backend.db.types import utcnow
from backend.models import Chat, ChatWarning, Event, Seller
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.social.asgi_client import SyncASGIClient


@pytest.fixture
def api(db: Database, settings: Settings) -> Iterator[tuple[SyncASGIClient, dict[str, str]]]:
    tokens: dict[str, str] = {}
    with db.transaction() as s:
        for email, name, role in [
            ("ayse@example.com", "Ayşe", "sales"),
            ("can@example.com", "Can", "sales"),
            ("fin@example.com", "Fatma", "finance"),
        ]:
            seller = create_user(s, email=email, name=name, role=role, password="pw-123456")
            s.flush()
            tokens[name] = issue_token(settings, seller)
        tokens["tv"] = issue_device_token(s, "Floor TV")
    client = SyncASGIClient(create_api(ApiContext(settings, db)))
    yield client, tokens
    client.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client: SyncASGIClient, token: str, text: str) -> Any:
    return client.post("/api/chats", json={"message": text}, headers=auth(token))


def events(db: Database, type_: str) -> list[Event]:
    with db.read() as s:
        return list(s.scalars(select(Event).where(Event.type == type_).order_by(Event.id)))


def test_post_and_list_chat(api: tuple[SyncASGIClient, dict[str, str]], db: Database) -> None:
    client, tok = api
    r = post(client, tok["Ayşe"], "Great sale, Can!")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["warnings"] == []
    assert body["message"]["text"] == "Great sale, Can!"
    assert body["message"]["seller_name"] == "Ayşe"
    listed = client.get("/api/chats", headers=auth(tok["Fatma"])).json()
    assert [m["text"] for m in listed["messages"]] == ["Great sale, Can!"]
    (ev,) = events(db, "chat.message")
    assert ev.room == "staff"
    assert ev.payload["text"] == "Great sale, Can!" and ev.payload["seller_name"] == "Ayşe"
    assert ev.payload["message_id"] == body["message"]["id"]


def test_chat_keeps_the_last_50_oldest_first(
    api: tuple[SyncASGIClient, dict[str, str]], db: Database
) -> None:
    client, tok = api
    with db.transaction() as s:
        seller_id = s.scalar(select(Seller.id).where(Seller.name == "Can"))
        base = utcnow() - timedelta(hours=2)
        for i in range(55):
            s.add(Chat(seller_id=seller_id, text=f"m{i}", created_at=base + timedelta(seconds=i)))
    msgs = client.get("/api/chats", headers=auth(tok["Ayşe"])).json()["messages"]
    assert len(msgs) == 50
    assert msgs[0]["text"] == "m5" and msgs[-1]["text"] == "m54"


def test_tv_gets_no_chat(api: tuple[SyncASGIClient, dict[str, str]]) -> None:
    client, tok = api
    assert client.get("/api/chats", headers=auth(tok["tv"])).status_code == 403
    assert post(client, tok["tv"], "hi").status_code == 403
    assert client.get("/api/presence", headers=auth(tok["tv"])).status_code == 403
    assert client.get("/api/chats").status_code == 401


def test_length_limit_and_empty(api: tuple[SyncASGIClient, dict[str, str]]) -> None:
    client, tok = api
    r = post(client, tok["Ayşe"], "x" * 501)
    assert r.status_code == 422 and r.json()["error"]["code"] == "message_too_long"
    assert post(client, tok["Ayşe"], "x" * 500).status_code == 201
    r = post(client, tok["Ayşe"], "   ")
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_message"


def test_profanity_is_masked_with_a_warning(
    api: tuple[SyncASGIClient, dict[str, str]], db: Database
) -> None:
    client, tok = api
    r = post(client, tok["Ayşe"], "bu ne siktir ya")
    assert r.status_code == 201
    assert r.json()["message"]["text"] == "bu ne ****** ya"
    assert [w["reason"] for w in r.json()["warnings"]] == ["profanity"]
    assert events(db, "chat.message")[0].payload["text"] == "bu ne ****** ya"
    with db.read() as s:
        assert [w.reason for w in s.scalars(select(ChatWarning))] == ["profanity"]


def test_shouting_is_refused_with_the_reason(api: tuple[SyncASGIClient, dict[str, str]]) -> None:
    client, tok = api
    r = post(client, tok["Can"], "WHO TOOK MY SALE")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "moderated" and err["reason"] == "shouting"
    assert "capitals" in err["message"]


def test_link_removed(api: tuple[SyncASGIClient, dict[str, str]]) -> None:
    client, tok = api
    r = post(client, tok["Can"], "see https://example.com/offer now")
    assert r.status_code == 201
    assert r.json()["message"]["text"] == "see now"
    assert r.json()["warnings"][0]["reason"] == "link"


def test_spam_then_mute(api: tuple[SyncASGIClient, dict[str, str]], db: Database) -> None:
    client, tok = api
    for i in range(5):
        assert post(client, tok["Can"], f"hello {i}").status_code == 201
    r = post(client, tok["Can"], "hello 6")
    assert r.status_code == 422 and r.json()["error"]["reason"] == "spam"
    r = post(client, tok["Can"], "hello 7")
    assert r.status_code == 422 and r.json()["error"]["reason"] == "spam"
    # the third warning within the hour mutes for 10 minutes
    r = post(client, tok["Can"], "hello 8")
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["code"] == "muted" and err["reason"] == "spam" and err["muted_until"]
    assert err["muted_for"] == "spam"
    r = post(client, tok["Can"], "sorry")
    assert r.status_code == 429 and r.json()["error"]["reason"] == "muted"
    # while muted, every refusal still says what the mute is for, and until when
    assert r.json()["error"]["muted_for"] == "spam"
    assert r.json()["error"]["muted_until"] == err["muted_until"]
    assert client.get("/api/chats", headers=auth(tok["Can"])).json()["muted_until"]
    # others are not muted
    assert post(client, tok["Ayşe"], "all good here").status_code == 201
    assert len(events(db, "chat.message")) == 6


def test_emoji_add_remove(api: tuple[SyncASGIClient, dict[str, str]], db: Database) -> None:
    client, tok = api
    msg_id = post(client, tok["Ayşe"], "Nice!").json()["message"]["id"]
    body = {"target_type": "chat", "target_id": msg_id, "emoji": "🔥"}
    r = client.post("/api/emojis", json=body, headers=auth(tok["Can"]))
    assert r.status_code == 201 and r.json()["added"] is True
    assert r.json()["reactions"][0]["count"] == 1
    again = client.post("/api/emojis", json=body, headers=auth(tok["Can"]))
    assert again.status_code == 201 and again.json()["added"] is False
    listed = client.get("/api/chats", headers=auth(tok["Ayşe"])).json()["messages"]
    assert listed[0]["reactions"][0]["emoji"] == "🔥"
    r = client.request("DELETE", "/api/emojis", json=body, headers=auth(tok["Can"]))
    assert r.status_code == 200 and r.json() == {"removed": True, "reactions": []}
    r = client.request("DELETE", "/api/emojis", json=body, headers=auth(tok["Can"]))
    assert r.json()["removed"] is False
    assert [e.payload["emoji"] for e in events(db, "emoji.added")] == ["🔥"]
    assert len(events(db, "emoji.removed")) == 1
    assert events(db, "emoji.added")[0].room == "everyone"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"target_type": "chat", "target_id": 999, "emoji": "👍"}, 404, "not_found"),
        ({"target_type": "queue", "target_id": 999, "emoji": "👍"}, 404, "not_found"),
        ({"target_type": "chat", "target_id": 1, "emoji": "lol"}, 422, "invalid_emoji"),
        ({"target_type": "wall", "target_id": 1, "emoji": "👍"}, 422, "invalid_request"),
    ],
)
def test_emoji_errors(
    api: tuple[SyncASGIClient, dict[str, str]], body: dict[str, Any], status: int, code: str
) -> None:
    client, tok = api
    post(client, tok["Ayşe"], "first")
    r = client.post("/api/emojis", json=body, headers=auth(tok["Can"]))
    assert r.status_code == status
    assert r.json()["error"]["code"] == code


def test_presence_lists_everyone_offline_without_sockets(
    api: tuple[SyncASGIClient, dict[str, str]],
) -> None:
    client, tok = api
    people = client.get("/api/presence", headers=auth(tok["Ayşe"])).json()["people"]
    assert {p["name"]: p["status"] for p in people} == {
        "Ayşe": "offline",
        "Can": "offline",
        "Fatma": "offline",
    }
