"""Who may call what, as CONTRACT §4 and §4a write it — the matrix below is copied from the
contract by hand, NOT derived from ``backend.api.authz.TABLE`` — checked against the real
app's answers for every role and for a caller without a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.api import authz
from backend.runtime import Database
from backend.server import WinRoomApp, build
from tests.backend.realtime.support import PASSWORD, People, TestClient, make_people, make_settings

ANYONE = "anyone"  # no token needed
CALLERS: tuple[str | None, ...] = ("sales", "sales_lead", "finance", "admin", "tv", None)

# CONTRACT §4 ("all roles" = every token, TVs included; "sales roles" = sales, sales_lead)
CONTRACT_4: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): ANYONE,
    ("HEAD", "/healthz"): ANYONE,
    ("GET", "/readyz"): ANYONE,
    ("HEAD", "/readyz"): ANYONE,
    ("POST", "/api/auth/login"): ANYONE,
    ("POST", "/api/auth/register"): "admin",
    ("GET", "/api/auth/me"): "sales sales_lead finance admin tv",
    ("GET", "/api/queue"): "sales sales_lead finance admin tv",
    ("POST", "/api/queue/manual"): "sales_lead admin",
    ("POST", "/api/claim"): "sales sales_lead admin",
    ("GET", "/api/claims/recent"): "sales sales_lead finance admin tv",
    ("GET", "/api/leaderboard/{board}"): "sales sales_lead finance admin tv",
    ("GET", "/api/goals/progress"): "sales sales_lead finance admin tv",
    ("GET", "/api/me/goals"): "sales sales_lead admin",
    ("GET", "/api/me/metrics"): "sales sales_lead admin",
    ("GET", "/api/me/points"): "sales sales_lead admin",
    ("GET", "/api/me/points/history"): "sales sales_lead admin",
    ("GET", "/api/me/badges"): "sales sales_lead admin",
    ("GET", "/api/challenges"): "sales sales_lead finance admin tv",
    ("GET", "/api/me/spins"): "sales sales_lead admin",
    ("POST", "/api/me/spins/{id}"): "sales sales_lead admin",
    ("GET", "/api/team/overview"): "sales_lead finance admin",
    ("GET", "/api/achievements"): "sales sales_lead finance admin tv",
    ("GET", "/api/promotions/active"): "sales sales_lead finance admin tv",
    ("GET", "/api/chats"): "sales sales_lead finance admin",
    ("POST", "/api/chats"): "sales sales_lead finance admin",
    ("POST", "/api/emojis"): "sales sales_lead finance admin",
    ("DELETE", "/api/emojis"): "sales sales_lead finance admin",
    ("GET", "/api/presence"): "sales sales_lead finance admin",
    ("POST", "/api/objections"): "sales sales_lead admin",
    ("GET", "/api/me/objections"): "sales sales_lead admin",
}

# CONTRACT §4a: R = sales_lead, finance, admin; F = finance, admin; L = sales_lead, finance,
# admin; A = admin only (PATCH a seller: A, and sales_lead for hidden_from_tv). Sales and
# TVs: 403 on all of it.
R, F, L, A = "sales_lead finance admin", "finance admin", "sales_lead finance admin", "admin"
CONTRACT_4A: dict[tuple[str, str], str] = {
    ("GET", "/api/admin/claims"): R,
    ("GET", "/api/admin/claims/{id}"): R,
    ("PATCH", "/api/admin/claims/{id}"): F,
    ("POST", "/api/admin/claims/{id}/adjustment"): F,
    ("POST", "/api/admin/claims/{id}/shares"): F,
    ("POST", "/api/admin/claims/{id}/reassign"): F,
    ("POST", "/api/admin/claims/{id}/refund"): F,
    ("GET", "/api/admin/queue"): R,
    ("PATCH", "/api/admin/queue/{id}"): F,
    ("POST", "/api/admin/queue/finance-status"): F,
    ("POST", "/api/admin/queue/{id}/exclude"): F,
    ("GET", "/api/admin/sellers"): R,
    ("PATCH", "/api/admin/sellers/{id}"): "admin sales_lead",
    ("GET", "/api/admin/sellers/{id}/performance"): R,
    ("GET", "/api/admin/goals"): L,
    ("POST", "/api/admin/goals"): L,
    ("PATCH", "/api/admin/goals/{id}"): L,
    ("DELETE", "/api/admin/goals/{id}"): L,
    ("GET", "/api/admin/challenges"): L,
    ("POST", "/api/admin/challenges"): L,
    ("PATCH", "/api/admin/challenges/{id}"): L,
    ("DELETE", "/api/admin/challenges/{id}"): L,
    ("GET", "/api/admin/promotions"): L,
    ("POST", "/api/admin/promotions"): L,
    ("PATCH", "/api/admin/promotions/{id}"): L,
    ("DELETE", "/api/admin/promotions/{id}"): L,
    ("GET", "/api/admin/installments"): F,
    ("POST", "/api/admin/installments"): F,
    ("POST", "/api/admin/installments/{id}/payments/{pid}"): F,
    ("POST", "/api/admin/installments/{id}/tolerance"): F,
    ("PATCH", "/api/admin/installments/{id}"): F,
    ("GET", "/api/admin/objections"): R,
    ("POST", "/api/admin/objections/{id}"): F,
    ("GET", "/api/admin/overview"): R,
    ("GET", "/api/admin/export/claims.csv"): F,
    ("GET", "/api/admin/export/statement.csv"): F,
    ("GET", "/api/admin/periods"): F,
    ("POST", "/api/admin/periods/{YYYY-MM}/close"): F,
    ("POST", "/api/admin/periods/{YYYY-MM}/reopen"): A,
    ("GET", "/api/admin/audit"): F,
    ("GET", "/api/admin/devices"): A,
    ("POST", "/api/admin/devices"): A,
    ("DELETE", "/api/admin/devices/{id}"): A,
    ("GET", "/api/admin/game"): A,
    ("PATCH", "/api/admin/game"): A,
    # TV pairing
    ("POST", "/api/devices/pair"): ANYONE,
    ("GET", "/api/devices/pair/{pairing_id}"): ANYONE,
    ("POST", "/api/admin/devices/pair"): A,
}
CONTRACT = {**CONTRACT_4, **CONTRACT_4A}
# CONTRACT §4's /metrics: outside the OpenAPI document and this role matrix (no role token
# opens it: loopback or WINROOM_METRICS_TOKEN, its own check; see test_metrics.py). In the
# TABLE as public, like /healthz, so the route's own check is what decides.
OUTSIDE_SCHEMA = {("GET", "/metrics"): ANYONE}
PATH_VALUES = {
    "{board}": "wins",
    "{id}": "999",
    "{pid}": "998",
    "{YYYY-MM}": "2020-01",
    "{pairing_id}": "no-such-pairing",
}


def concrete(path: str) -> str:
    for k, v in PATH_VALUES.items():
        path = path.replace(k, v)
    return path


def shape(path: str) -> str:
    """``/api/admin/claims/{claim_id}`` and ``/api/admin/claims/{id}`` alike."""
    return "/".join("{}" if p.startswith("{") else p for p in path.split("/"))


def expected(who: str, role: str | None) -> int | None:
    """The status the contract demands; None: allowed (anything but 401/403)."""
    if who == ANYONE:
        return None
    if role is None:
        return 401
    return None if role in who.split() else 403


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_database: Database
) -> Iterator[tuple[WinRoomApp, People, TestClient]]:
    from tests.helpers.databases import truncate_all

    truncate_all(_sqlite_database)
    settings = make_settings(Path(tmp_path_factory.mktemp("authz")), _sqlite_database)
    app = build(settings, _sqlite_database)
    people = make_people(_sqlite_database, settings)
    client = TestClient(app.api, raise_server_exceptions=False)
    yield app, people, client
    client.close()
    truncate_all(_sqlite_database)


def test_the_app_serves_exactly_the_contracts_endpoints(
    env: tuple[WinRoomApp, People, TestClient],
) -> None:
    app = env[0]
    routes = {
        (method.upper(), shape(path))
        for path, ops in app.api.openapi()["paths"].items()
        for method in ops
    }
    assert routes == {(m, shape(p)) for m, p in CONTRACT}
    assert {(m, shape(p)) for m, p in authz.TABLE} == routes | set(OUTSIDE_SCHEMA)
    for method, path in OUTSIDE_SCHEMA:  # served (its own check refuses this client)
        assert env[2].request(method, path).status_code == 403


def test_the_table_says_what_the_contract_says() -> None:
    """Belt and braces beside the real answers below: the TABLE's rule for each endpoint."""
    table = {(m, shape(p)): rule for (m, p), rule in authz.TABLE.items()}
    for (method, path), who in {**CONTRACT, **OUTSIDE_SCHEMA}.items():
        rule = table[(method, shape(path))]
        want = authz.PUBLIC if who == ANYONE else frozenset(who.split())
        assert rule == want, (method, path)


def _still_501(app: WinRoomApp, method: str, path: str) -> bool:
    """Whether the endpoint is of a later batch still (its operation documents 501)."""
    for template, ops in app.api.openapi()["paths"].items():
        if shape(template) == shape(path) and method.lower() in ops:
            return "501" in ops[method.lower()]["responses"]
    return False


@pytest.mark.parametrize(("method", "path"), sorted(CONTRACT), ids=lambda x: str(x))
def test_endpoint_by_role(
    env: tuple[WinRoomApp, People, TestClient], method: str, path: str
) -> None:
    app, people, client = env
    who = CONTRACT[(method, path)]
    later = _still_501(app, method, path)  # not built yet: 501
    got: dict[str | None, int] = {}
    want: dict[str | None, int] = {}
    for role in CALLERS:
        # a body with unknown fields: a forbidden caller hears 403 whatever the fields are
        kwargs = {"json": {"unexpected": 1}} if method in ("POST", "PATCH", "DELETE") else {}
        if path == "/api/auth/login":
            kwargs = {"json": {"email": "sales@winroom.io", "password": PASSWORD}}
        resp = client.request(method, concrete(path), headers=people.headers(role), **kwargs)
        got[role] = resp.status_code
        # HEAD: the status alone; a CSV export's success is a file (errors are still JSON)
        csv = resp.status_code < 400 and resp.headers["content-type"].startswith("text/csv")
        body = resp.json() if method != "HEAD" and not csv else {}
        if resp.status_code >= 400:
            assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
        exp = expected(who, role)
        if exp is None:  # allowed: whatever the endpoint answers, but never 401/403
            assert resp.status_code not in (401, 403, 405), (role, body)
            if later and resp.status_code == 501:
                assert body["error"]["code"] == "not_implemented"
            want[role] = resp.status_code
        else:
            want[role] = exp
    assert got == want


def test_forbidden_role_gets_403_even_for_malformed_json(
    env: tuple[WinRoomApp, People, TestClient],
) -> None:
    _app, people, client = env
    headers = {**people.headers("tv"), "Content-Type": "application/json"}
    resp = client.post("/api/claim", content=b"{not json", headers=headers)
    assert resp.status_code == 403
    resp = client.post(
        "/api/claim", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 401
    headers = {**people.headers("sales"), "Content-Type": "application/json"}
    resp = client.post("/api/claim", content=b"{not json", headers=headers)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "malformed_json"
