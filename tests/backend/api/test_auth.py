"""Login, me, register; JWT tampering; device tokens; failed-login rate limit."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from backend.accounts import revoke_device_token
from backend.auth import ALGORITHM, issue_token, signing_key
from backend.models import Seller
from backend.runtime import Database
from backend.server import WinRoomApp
from backend.settings import Settings
from tests.backend.realtime.support import PASSWORD, People, TestClient


def test_login_me_and_token_claims(
    client: TestClient, people: People, api_settings: Settings
) -> None:
    resp = client.post("/api/auth/login", json={"email": "Sales@Winroom.io", "password": PASSWORD})
    assert resp.status_code == 200
    body = resp.json()
    assert body["user"] == {
        "id": people.ids["sales"],
        "email": "sales@winroom.io",
        "name": "Sales",
        "role": "sales",
        "color": body["user"]["color"],
    }
    claims = jwt.decode(body["token"], signing_key(api_settings), algorithms=[ALGORITHM])
    assert set(claims) == {"seller_id", "email", "role", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == int(api_settings.jwt_lifetime.total_seconds())
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["user"]["id"] == people.ids["sales"]


def test_tv_me(client: TestClient, people: People) -> None:
    resp = client.get("/api/auth/me", headers=people.headers("tv"))
    assert resp.status_code == 200
    assert resp.json() == {"user": {"name": "Floor TV", "role": "tv"}}  # CONTRACT §4


def test_wrong_password_and_unknown_email(client: TestClient, people: People) -> None:
    for email, pw in (("sales@winroom.io", "wrong-pass"), ("nobody@winroom.io", PASSWORD)):
        resp = client.post("/api/auth/login", json={"email": email, "password": pw})
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "invalid_credentials"


def test_failed_logins_are_rate_limited_per_email(client: TestClient, people: People) -> None:
    codes = [
        client.post(
            "/api/auth/login", json={"email": "admin@winroom.io", "password": "nope-nope"}
        ).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    # even the right password is refused while limited
    resp = client.post("/api/auth/login", json={"email": "admin@winroom.io", "password": PASSWORD})
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "rate_limited"
    # another email is still fine
    ok = client.post("/api/auth/login", json={"email": "sales@winroom.io", "password": PASSWORD})
    assert ok.status_code == 200


def test_failed_logins_are_rate_limited_per_address(
    client: TestClient, people: People, server_app: WinRoomApp
) -> None:
    from limits import parse

    server_app.ctx.limits.login_address = parse("5/minute")
    emails = [f"{r}@winroom.io" for r in ("sales", "sales_lead", "finance", "admin", "sales")]
    statuses = [
        client.post("/api/auth/login", json={"email": e, "password": "nope-nope"}).status_code
        for e in [*emails, "finance@winroom.io"]
    ]
    assert statuses == [401] * 5 + [429]


def _b64(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_tampered_expired_none_and_wrong_secret_tokens(
    client: TestClient, people: People, api_settings: Settings, db: Database
) -> None:
    good = people.tokens["sales"]
    header, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    # promote ourselves to admin without re-signing
    forged = ".".join(
        [header, _b64({**claims, "role": "admin", "seller_id": people.ids["admin"]}), sig]
    )
    flipped = ".".join([header, payload, sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")])
    none_token = ".".join([_b64({"alg": "none", "typ": "JWT"}), payload, ""])
    wrong_secret = jwt.encode(claims, b"x" * 32, algorithm="HS256")
    now = datetime.now(UTC)
    with db.read() as s:
        seller = s.get(Seller, people.ids["sales"])
        assert seller is not None
        expired = issue_token(api_settings, seller, now=now - timedelta(days=30))
    cases = {
        "forged": forged,
        "flipped": flipped,
        "none": none_token,
        "wrong_secret": wrong_secret,
        "expired": expired,
        "garbage": "not-a-token",
        "unknown_device": "wrtv_" + "x" * 40,
    }
    for name, token in cases.items():
        resp = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, name
        assert resp.json()["error"]["code"] in ("invalid_token", "token_expired"), name
    assert (
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    )


def test_tokens_made_elsewhere_with_the_configured_secret(
    client: TestClient, people: People, api_settings: Settings
) -> None:
    """Any HS256 implementation given WINROOM_JWT_SECRET makes tokens this server accepts
    (and refuses once expired, by name)."""
    secret = api_settings.jwt_key()
    now = datetime.now(UTC)
    claims = {
        "seller_id": people.ids["sales"],
        "email": "sales@winroom.io",
        "role": "sales",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    made = jwt.encode(claims, secret, algorithm="HS256")
    resp = client.get("/api/auth/me", headers={"Authorization": f"Bearer {made}"})
    assert resp.status_code == 200 and resp.json()["user"]["id"] == people.ids["sales"]
    old = {**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600}
    stale = jwt.encode(old, secret, algorithm="HS256")
    resp = client.get("/api/auth/me", headers={"Authorization": f"Bearer {stale}"})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "token_expired"


def test_revoked_device_token_and_deactivated_seller(
    client: TestClient, people: People, db: Database
) -> None:
    assert client.get("/api/queue", headers=people.headers("tv")).status_code == 200
    with db.transaction() as s:
        revoke_device_token(s, "Floor TV")
        s.get(Seller, people.ids["sales"]).is_active = False  # type: ignore[union-attr]
    resp = client.get("/api/queue", headers=people.headers("tv"))
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "token_revoked"
    assert client.get("/api/queue", headers=people.headers("sales")).status_code == 401


def test_register(client: TestClient, people: People) -> None:
    body = {
        "email": "new@winroom.io",
        "name": "New One",
        "password": "long-enough-1",
        "role": "sales",
    }
    resp = client.post("/api/auth/register", json=body, headers=people.headers("admin"))
    assert resp.status_code == 201
    assert resp.json()["user"]["email"] == "new@winroom.io"
    again = client.post("/api/auth/register", json=body, headers=people.headers("admin"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "email_taken"
    login = client.post(
        "/api/auth/login", json={"email": "new@winroom.io", "password": "long-enough-1"}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"email": "bad", "name": "X", "password": "long-enough-1", "role": "sales"},
        {"email": "a@b.co", "name": "X", "password": "", "role": "sales"},
        {"email": "a@b.co", "name": "X", "password": "x" * 73, "role": "sales"},
        {"email": "a@b.co", "name": "X\x00", "password": "long-enough-1", "role": "sales"},
        {"email": "a@b.co", "name": "X", "password": "long-enough-1", "role": "tv"},
        {"email": "a@b.co", "name": "X", "password": "long-enough-1", "role": "sales", "x": 1},
    ],
)
def test_register_bad_input(client: TestClient, people: People, body: dict[str, object]) -> None:
    resp = client.post("/api/auth/register", json=body, headers=people.headers("admin"))
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid_request"
