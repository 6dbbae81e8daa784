"""GET/POST /api/admin/devices, DELETE /api/admin/devices/{id} (CONTRACT §4a): TV tokens
made, listed and revoked by an admin, each write audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.models import AuditLog, DeviceToken
from backend.runtime import Database
from tests.backend.realtime.support import People, TestClient


def admin(people: People) -> dict[str, str]:
    return people.headers("admin")


def audit_rows(db: Database) -> list[tuple[str, str | None]]:
    with db.read() as s:
        rows = s.execute(
            select(AuditLog.action, AuditLog.target_id)
            .where(AuditLog.target_type == "device")
            .order_by(AuditLog.id)
        )
        return [(r.action, r.target_id) for r in rows]


def test_create_list_revoke(client: TestClient, people: People, db: Database) -> None:
    resp = client.post("/api/admin/devices", json={"name": "  Floor TV 2 "}, headers=admin(people))
    assert resp.status_code == 201, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    token, dev = body["token"], body["device"]
    assert token.startswith("wrtv_") and len(token) > 40
    assert set(dev) == {"id", "name", "created_at", "last_seen_at", "revoked_at", "connected"}
    assert dev["name"] == "Floor TV 2"
    assert dev["revoked_at"] is None and dev["last_seen_at"] is None
    assert dev["connected"] is False
    tv = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=tv).json()["user"] == {
        "role": "tv",
        "name": "Floor TV 2",
    }
    with db.read() as s:  # only the hash is kept
        stored = s.get(DeviceToken, dev["id"])
        assert stored is not None and token not in stored.token_hash

    listed = client.get("/api/admin/devices", headers=admin(people)).json()
    assert listed["total"] == 2 and listed["next_cursor"] is None
    assert [d["name"] for d in listed["devices"]] == ["Floor TV", "Floor TV 2"]
    assert "token" not in listed["devices"][1]

    gone = client.delete(f"/api/admin/devices/{dev['id']}", headers=admin(people))
    assert gone.status_code == 200, gone.text
    assert gone.json()["device"]["revoked_at"] is not None
    refused = client.get("/api/auth/me", headers=tv)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"
    assert client.get("/api/queue", headers=tv).status_code == 401

    # revoking again changes nothing (no second audit row)
    again = client.delete(f"/api/admin/devices/{dev['id']}", headers=admin(people))
    assert again.status_code == 200 and again.json() == gone.json()
    assert audit_rows(db) == [
        ("device.create", str(dev["id"])),
        ("device.revoke", str(dev["id"])),
    ]
    active = client.get("/api/admin/devices?status=active", headers=admin(people)).json()
    assert [d["name"] for d in active["devices"]] == ["Floor TV"]
    revoked = client.get("/api/admin/devices?status=revoked", headers=admin(people)).json()
    assert [d["id"] for d in revoked["devices"]] == [dev["id"]]


def test_a_revoked_name_can_be_issued_again_and_the_old_token_stays_dead(
    client: TestClient, people: People
) -> None:
    first = client.post("/api/admin/devices", json={"name": "Lobby"}, headers=admin(people))
    dev_id = first.json()["device"]["id"]
    taken = client.post("/api/admin/devices", json={"name": "Lobby"}, headers=admin(people))
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "name_taken"
    assert taken.json()["error"]["field"] == "name"
    client.delete(f"/api/admin/devices/{dev_id}", headers=admin(people))
    second = client.post("/api/admin/devices", json={"name": "Lobby"}, headers=admin(people))
    assert second.status_code == 201
    assert second.json()["device"]["revoked_at"] is None
    old = {"Authorization": f"Bearer {first.json()['token']}"}
    new = {"Authorization": f"Bearer {second.json()['token']}"}
    assert client.get("/api/auth/me", headers=old).status_code == 401
    assert client.get("/api/auth/me", headers=new).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 121},
        {"name": "TV\n2"},
        {"name": "TV\x00"},
        {"name": 5},
        {"name": None},
        {"name": "TV", "token": "wrtv_mine"},
        [],
        "TV",
    ],
)
def test_bad_bodies_are_422_and_write_nothing(
    client: TestClient, people: People, db: Database, body: object
) -> None:
    resp = client.post("/api/admin/devices", json=body, headers=admin(people))
    assert resp.status_code == 422, resp.text
    assert set(resp.json()["error"]) >= {"code", "message"}
    with db.read() as s:
        assert s.scalars(select(DeviceToken.name)).all() == ["Floor TV"]
    assert audit_rows(db) == []


def test_unknown_ids_paging_and_filters(client: TestClient, people: People) -> None:
    for bad in ("999999", "0", "-1", "abc", str(2**63)):
        resp = client.delete(f"/api/admin/devices/{bad}", headers=admin(people))
        assert resp.status_code in (404, 422), bad
        assert "error" in resp.json()
    assert client.delete("/api/admin/devices/999999", headers=admin(people)).status_code == 404
    for name in ("B", "C", "A"):
        client.post("/api/admin/devices", json={"name": name}, headers=admin(people))
    seen: list[str] = []
    url = "/api/admin/devices?limit=2"
    while url:
        body = client.get(url, headers=admin(people)).json()
        assert body["total"] == 4
        seen += [d["name"] for d in body["devices"]]
        url = (
            f"/api/admin/devices?limit=2&cursor={body['next_cursor']}"
            if body["next_cursor"]
            else ""
        )
    assert seen == ["A", "B", "C", "Floor TV"]
    for query in ("status=gone", "limit=0", "limit=501", "cursor=nonsense"):
        resp = client.get(f"/api/admin/devices?{query}", headers=admin(people))
        assert resp.status_code == 422, query


@pytest.mark.parametrize("role", ["sales", "sales_lead", "finance", "tv"])
def test_only_admins(client: TestClient, people: People, role: str) -> None:
    h = people.headers(role)
    assert client.get("/api/admin/devices", headers=h).status_code == 403
    assert client.post("/api/admin/devices", json={"name": "X"}, headers=h).status_code == 403
    assert client.delete("/api/admin/devices/1", headers=h).status_code == 403
    pair = client.post("/api/admin/devices/pair", json={"code": "x", "name": "X"}, headers=h)
    assert pair.status_code == 403
    assert client.get("/api/admin/devices").status_code == 401
