"""Login, me, register; JWT tampering; device tokens (login limits: test_login_limits)."""

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
    assert me.json()["floor"] == {"timezone": api_settings.timezone}


def test_tv_me(client: TestClient, people: People) -> None:
    resp = client.get("/api/auth/me", headers=people.headers("tv"))
    assert resp.status_code == 200
    # CONTRACT §4, and the floor's time zone so the TV's clock shows the boards' day
    assert resp.json() == {
        "user": {"name": "Floor TV", "role": "tv"},
        "floor": {"timezone": "Europe/Istanbul"},
    }


def test_wrong_password_and_unknown_email(client: TestClient, people: People) -> None:
    for email, pw in (("sales@winroom.io", "wrong-pass"), ("nobody@winroom.io", PASSWORD)):
        resp = client.post("/api/auth/login", json={"email": email, "password": pw})
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "invalid_credentials"


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


def test_signed_tokens_with_an_impossible_seller_id_are_refused(
    client: TestClient, people: People, api_settings: Settings
) -> None:
    """A token signed with the right secret whose ``seller_id`` no row can have (beyond a
    64-bit integer, zero, negative) is a 401, not a 500 from the database driver."""
    now = datetime.now(UTC)
    for seller_id in (10**30, 2**63, 0, -5):
        claims = {
            "seller_id": seller_id,
            "email": "sales@winroom.io",
            "role": "sales",
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=1)).timestamp()),
        }
        made = jwt.encode(claims, api_settings.jwt_key(), algorithm="HS256")
        for method, path in (("GET", "/api/auth/me"), ("GET", "/api/queue")):
            resp = client.request(method, path, headers={"Authorization": f"Bearer {made}"})
            assert resp.status_code == 401, (seller_id, path, resp.text)
            assert resp.json()["error"]["code"] == "invalid_token"


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
    ("body", "field"),
    [
        ({"email": "bad", "name": "X", "password": "long-enough-1", "role": "sales"}, "email"),
        ({"email": "a@b.co", "name": "X", "password": "", "role": "sales"}, "password"),
        ({"email": "a@b.co", "name": "X", "password": "x" * 73, "role": "sales"}, "password"),
        (
            {"email": "a@b.co", "name": "X\x00", "password": "long-enough-1", "role": "sales"},
            "name",
        ),
        ({"email": "a@b.co", "name": "X", "password": "long-enough-1", "role": "tv"}, "role"),
        (
            {"email": "a@b.co", "name": "X", "password": "long-enough-1", "role": "sales", "x": 1},
            "x",
        ),
    ],
)
def test_register_bad_input(
    client: TestClient, people: People, body: dict[str, object], field: str
) -> None:
    resp = client.post("/api/auth/register", json=body, headers=people.headers("admin"))
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "invalid_request"
    # one sentence, and which field it is about, as every other 422 says
    assert err["message"].endswith(".") and not err["message"].endswith("..")
    assert [f["field"] for f in err["fields"]] == [f"body.{field}"], err


def test_the_claim_checks_the_account_in_its_own_transaction(
    client: TestClient, people: People, api_settings: Settings, db: Database
) -> None:
    """POST /api/claim reads no token row before it runs (authz.VERIFIED_IN_TRANSACTION):
    its own statements must give every answer the token check would have given, and write
    nothing when they refuse."""
    from sqlalchemy import event

    from backend.api.authz import TABLE, roles_for
    from backend.models import Claim, Event, QueueItem
    from tests.backend.realtime.support import add_item
    from tests.helpers.pgtrace import statements, traced

    assert roles_for("POST", "/api/claim") == TABLE[("POST", "/api/claim")]
    sid = people.ids["sales"]

    def claim(role: str, qid: int, key: str | None = None) -> tuple[int, str | None]:
        headers = people.headers(role)
        if key is not None:
            headers["Idempotency-Key"] = key
        resp = client.post(
            "/api/claim", json={"queue_id": qid, "claim_type": "upgrade"}, headers=headers
        )
        return resp.status_code, (resp.json().get("error") or {}).get("code")

    def big_claim(role: str, qid: int) -> tuple[int, str | None]:
        """The same with a body over 64 KiB: the account still answers before the 413."""
        body = b'{"queue_id": %d, "claim_type": "upgrade", "x": "%s"}' % (qid, b"x" * 70_000)
        headers = {**people.headers(role), "Content-Type": "application/json"}
        resp = client.post("/api/claim", content=body, headers=headers)
        return resp.status_code, (resp.json().get("error") or {}).get("code")

    def set_seller(**values: object) -> None:
        with db.transaction() as s:
            seller = s.get(Seller, sid)
            assert seller is not None
            for k, v in values.items():
                setattr(seller, k, v)

    def untouched(qid: int) -> bool:
        with db.read() as s:
            item = s.get(QueueItem, qid)
            return (
                item is not None
                and item.status == "pending"
                and s.query(Claim).filter_by(queue_id=qid).count() == 0
                and s.query(Event).filter_by(type="claimed").count() == claimed_before
            )

    # one statement reads the seller (the token check's read is saved)
    first = add_item(db, email="a@mail.com")
    if db.engine.dialect.name == "postgresql":  # what the connection sent (some statements
        # go out at the driver level: the flip with its BEGIN)
        with traced(db.engine) as sent:
            assert claim("sales", first, key="k-1") == (201, None)
        sql = statements(sent)
    else:
        sql = []

        def watch(_c: object, _cur: object, statement: str, *_a: object) -> None:
            sql.append(statement)

        event.listen(db.engine, "before_cursor_execute", watch)
        try:
            assert claim("sales", first, key="k-1") == (201, None)
        finally:
            event.remove(db.engine, "before_cursor_execute", watch)
    seller_reads = [st for st in sql if "FROM sellers" in st]
    assert len(seller_reads) == 1, seller_reads
    with db.read() as s:
        claimed_before = s.query(Event).filter_by(type="claimed").count()

    qid = add_item(db, email="b@mail.com")
    # tampered, expired and device-shaped tokens: as on every other route
    header, payload, sig = people.tokens["sales"].split(".")
    for bad in (f"{header}.{payload}.{sig[:-2]}AA", "not-a-token", "wrtv_" + "x" * 40):
        resp = client.post(
            "/api/claim",
            json={"queue_id": qid, "claim_type": "upgrade"},
            headers={"Authorization": f"Bearer {bad}"},
        )
        assert resp.status_code == 401
    # a deactivated account: 401, nothing written; nor does an earlier key give its claim
    assert big_claim("sales", qid) == (413, "payload_too_large")
    set_seller(is_active=False)
    assert claim("sales", qid) == (401, "invalid_token") and untouched(qid)
    assert big_claim("sales", qid) == (401, "invalid_token")
    assert claim("sales", first, key="k-1") == (401, "invalid_token")
    # still signed in as sales, but finance now: 403, nothing written
    set_seller(is_active=True, role="finance")
    assert claim("sales", qid) == (403, "forbidden") and untouched(qid)
    assert big_claim("sales", qid) == (403, "forbidden")
    # the other way round the account decides as well: a finance token whose seller is a
    # seller now may claim
    set_seller(role="sales")
    with db.transaction() as s:
        fin = s.get(Seller, people.ids["finance"])
        assert fin is not None
        fin.role = "sales"
    assert claim("finance", qid) == (201, None)
    # a TV may not claim at all
    assert claim("tv", add_item(db, email="c@mail.com")) == (403, "forbidden")
