"""The OpenAPI document says what the API really answers: every error is the envelope, and
every error status a real request gets is documented for its operation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.api import authz
from backend.api.schemas import ErrorEnvelope
from backend.social import actions as social
from tests.backend.realtime.support import People, TestClient, add_item

ENVELOPE = "#/components/schemas/ErrorEnvelope"
CSV_EXPORTS = ("/api/admin/export/claims.csv", "/api/admin/export/statement.csv")


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
    later = [(m, p, op) for m, p, op in operations(spec) if "501" in op["responses"]]
    # only §4a endpoints and the TV pairing are routed as 501 until built (CONTRACT §4)
    assert {p for _m, p, _op in later} <= {
        p for _m, p, _op in operations(spec) if p.startswith(("/api/admin/", "/api/devices/"))
    }
    for method, path, op in later:
        assert "501" in op["responses"], (method, path)
        assert not [c for c in op["responses"] if c.startswith("2")], (method, path)


def test_every_operation_documents_a_typed_success(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        if "501" in op["responses"]:  # a later batch
            continue
        ok = [a for c, a in op["responses"].items() if c.startswith("2")]
        # the TV's pairing poll answers 202 while waiting and 200 with the token (CONTRACT §4)
        two = (method, path) == ("GET", "/api/devices/pair/{pairing_id}")
        assert len(ok) == (2 if two else 1), (method, path)
        if method == "HEAD":
            continue
        if path in CSV_EXPORTS:  # a file, not JSON
            assert ok[0]["content"] == {"text/csv": {"schema": {"type": "string"}}}, path
            continue
        schema = ok[0]["content"]["application/json"]["schema"]
        assert "$ref" in schema, (method, path, schema)
    assert not [n for n in spec["components"]["schemas"] if "__" in n]  # no name clashes


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
        ("GET", "/api/admin/claims?finance_status=nope", {"headers": finance}, 422),
        ("GET", "/api/admin/claims/999", {"headers": finance}, 404),
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


def test_social_answers_keep_every_field_of_their_actions(
    client: TestClient, people: People, db: Any
) -> None:
    """The social routes answer with typed models now: what the actions build goes out whole
    (the desktop reads ``color``, ``flags``, ``reactions`` ...)."""
    h = people.headers("sales")
    posted = client.post("/api/chats", json={"message": "Great close!"}, headers=h)
    assert posted.status_code == 201
    msg = posted.json()["message"]
    body = {"target_type": "chat", "target_id": msg["id"], "emoji": "🔥"}
    added = client.post("/api/emojis", json=body, headers=h).json()
    assert added == {
        "added": True,
        "reactions": [{"emoji": "🔥", "count": 1, "seller_ids": [people.ids["sales"]]}],
    }
    chats = client.get("/api/chats", headers=h).json()
    presence = client.get("/api/presence", headers=h).json()
    with db.read() as s:
        assert chats == {"messages": social.recent_chats(s), "muted_until": None}
        assert presence == {"people": social.presence_list(s, {}, [])}
    assert msg == {**chats["messages"][0], "reactions": []}
    assert set(presence["people"][0]) == {"seller_id", "name", "role", "color", "status", "typing"}
    removed = client.request("DELETE", "/api/emojis", json=body, headers=h).json()
    assert removed == {"removed": True, "reactions": []}


def test_the_rest_of_the_document(spec: dict[str, Any], client: TestClient) -> None:
    paths = spec["paths"]
    # the body limit answers before any route: 413 on every method that takes a body
    assert "413" in paths["/api/me/spins/{spin_id}"]["post"]["responses"]
    assert "413" not in paths["/api/queue"]["get"]["responses"]
    retry = paths["/api/queue"]["get"]["responses"]["503"]["headers"]["Retry-After"]
    assert retry["schema"] == {"type": "integer"}
    assert "content" not in paths["/healthz"]["head"]["responses"]["200"]
    amount = spec["components"]["schemas"]["ManualIn"]["properties"]["amount"]["anyOf"][1]
    pattern = re.compile(amount["pattern"])
    for ok in ("0", "12.5", "9999999.99", "10000000", "10000000.00", " 42.10 "):
        assert pattern.match(ok), ok
    for bad in ("10000000.01", "99999999.99", "-1", "1.234", "", "1e3"):
        assert not pattern.match(bad), bad
    # FastAPI's own settings survive (the document is FastAPI's, completed)
    assert spec["info"]["title"] == "Win Room"
    # a 405 outside the API keeps Starlette's Allow
    r = client.put("/openapi.json")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
