"""The OpenAPI document says what the API really answers: every error is the envelope, and
every error status a real request gets is documented for its operation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.api import authz
from backend.api.schemas import ChatsOut, ErrorEnvelope, PresenceOut, ReactionAddedOut
from tests.backend.realtime.support import People, TestClient, add_item

ENVELOPE = "#/components/schemas/ErrorEnvelope"


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    ]


def test_every_error_answer_is_the_envelope(spec: dict[str, Any]) -> None:
    errors = 0
    for method, path, op in operations(spec):
        for code, answer in op["responses"].items():
            if code[0] in "45":
                errors += 1
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": ENVELOPE}, (method, path, code)
                assert answer["description"] not in ("", "Validation Error"), (method, path)
    assert errors > 100
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message"}


def test_401_and_403_follow_the_authorization_table(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        rule = authz.rule_for(method, path)
        documented = set(op["responses"])
        if rule == authz.PUBLIC:
            assert "403" not in documented, (method, path)
        else:
            assert {"401", "403"} <= documented, (method, path)
        if "requestBody" in op:
            assert {"400", "413", "422"} <= documented, (method, path)
        if path.startswith("/api/"):
            assert "503" in documented, (method, path)


def test_later_batch_endpoints_document_no_success(spec: dict[str, Any]) -> None:
    later = [(m, p, op) for m, p, op in operations(spec) if p.startswith("/api/admin/")]
    assert len(later) == 9
    for method, path, op in later:
        assert "501" in op["responses"], (method, path)
        assert not [c for c in op["responses"] if c.startswith("2")], (method, path)


def test_every_operation_documents_a_typed_success(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        if path.startswith("/api/admin/"):
            continue
        ok = [a for c, a in op["responses"].items() if c.startswith("2")]
        assert len(ok) == 1, (method, path)
        if method == "HEAD":
            continue
        schema = ok[0]["content"]["application/json"]["schema"]
        assert "$ref" in schema, (method, path, schema)


def _operation(spec: dict[str, Any], method: str, url: str) -> dict[str, Any]:
    path = url.split("?")[0]
    for template, ops in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in ops:
            return dict(ops[method.lower()])
    raise AssertionError(f"{method} {url} is not in the document")


def test_real_error_answers_are_documented_and_shaped_as_documented(
    client: TestClient, people: People, spec: dict[str, Any], db: Any
) -> None:
    """A request for each kind of error; its status is in its operation's responses and its
    body validates as the envelope."""
    item = add_item(db)
    sales, tv, finance = (people.headers(r) for r in ("sales", "tv", "finance"))
    raw = {**sales, "Content-Type": "application/json"}
    claim = {"queue_id": item, "claim_type": "first_sales"}
    assert client.post("/api/claim", json=claim, headers=sales).status_code == 201
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", "/api/queue", {}, 401),
        ("GET", "/api/queue", {"headers": {"Authorization": "Bearer nope"}}, 401),
        ("POST", "/api/claim", {"json": claim, "headers": tv}, 403),
        ("POST", "/api/claim", {"json": claim, "headers": sales}, 409),
        ("POST", "/api/claim", {"json": {**claim, "queue_id": 10**6}, "headers": sales}, 404),
        ("POST", "/api/claim", {"json": {"queue_id": "x"}, "headers": sales}, 422),
        ("POST", "/api/claim", {"content": b"{not json", "headers": raw}, 400),
        ("POST", "/api/claim", {"content": b"x" * 100_000, "headers": raw}, 413),
        ("GET", "/api/claims/recent?limit=0", {"headers": sales}, 422),
        ("POST", "/api/me/spins/999", {"headers": sales}, 404),
        ("POST", "/api/objections", {"json": {"claim_id": 10**6}, "headers": sales}, 422),
        (
            "POST",
            "/api/objections",
            {"json": {"claim_id": 10**6, "reason": "other"}, "headers": sales},
            404,
        ),
        ("GET", "/api/admin/claims", {"headers": finance}, 501),
        ("GET", "/api/admin/claims", {"headers": sales}, 403),
        ("POST", "/api/chats", {"json": {"message": ""}, "headers": sales}, 422),
        (
            "POST",
            "/api/emojis",
            {
                "json": {"target_type": "chat", "target_id": 999, "emoji": "🔥"},
                "headers": sales,
            },
            404,
        ),
        (
            "POST",
            "/api/auth/login",
            {"json": {"email": "sales@winroom.io", "password": "wrong-password"}},
            401,
        ),
    ]
    for method, url, kw, want in cases:
        r = client.request(method, url, **kw)
        assert r.status_code == want, (method, url, r.status_code, r.text)
        ErrorEnvelope.model_validate(r.json())
        assert str(want) in _operation(spec, method, url)["responses"], (method, url, want)


def test_405_names_every_method_of_the_path(client: TestClient, people: People) -> None:
    """Starlette's 405 named only the first route's methods (``GET`` for /api/chats)."""
    for url, methods in (("/api/chats", "GET, POST"), ("/api/emojis", "DELETE, POST")):
        r = client.put(url, json={}, headers=people.headers("sales"))
        assert r.status_code == 405
        assert r.headers["Allow"] == methods
        assert r.json()["error"]["code"] == "method_not_allowed"


def test_social_answers_match_their_models(client: TestClient, people: People) -> None:
    """The social routes answer with typed models now; nothing they sent was dropped."""
    h = people.headers("sales")
    posted = client.post("/api/chats", json={"message": "Great close!"}, headers=h)
    assert posted.status_code == 201
    msg = posted.json()["message"]
    assert {"id", "message_id", "seller_id", "seller_name", "text", "flags", "created_at"} <= set(
        msg
    )
    body = {"target_type": "chat", "target_id": msg["id"], "emoji": "🔥"}
    added = client.post("/api/emojis", json=body, headers=h).json()
    ReactionAddedOut.model_validate(added)
    assert added["reactions"] == [{"emoji": "🔥", "count": 1, "seller_ids": [people.ids["sales"]]}]
    chats = ChatsOut.model_validate(client.get("/api/chats", headers=h).json())
    assert [m.text for m in chats.messages] == ["Great close!"]
    assert chats.messages[0].reactions[0].count == 1
    presence = PresenceOut.model_validate(client.get("/api/presence", headers=h).json())
    assert {p.seller_id for p in presence.people} >= {people.ids["sales"]}
    removed = client.request("DELETE", "/api/emojis", json=body, headers=h).json()
    assert removed == {"removed": True, "reactions": []}
