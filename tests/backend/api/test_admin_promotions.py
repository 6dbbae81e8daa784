"""``/api/admin/promotions`` (CONTRACT §4a): banners created, changed and taken down, with
``GET /api/promotions/active`` following; versions, events, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.runtime import Database
from tests.backend.api.setup_support import FORBIDDEN_FOR_L, audit_rows, error, events
from tests.backend.realtime.support import People, TestClient


def body(**kw: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "variant": "promo",
        "title": "Double points",
        "body": "Every 12-month sale today",
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=3)).isoformat(),
        **kw,
    }


def active(client: TestClient, people: People, role: str = "tv") -> list[dict[str, Any]]:
    return list(
        client.get("/api/promotions/active", headers=people.headers(role)).json()["promotions"]
    )


def test_create_patch_end(client: TestClient, people: People, db: Database) -> None:
    r = client.post("/api/admin/promotions", json=body(), headers=people.headers("sales_lead"))
    assert r.status_code == 201, r.text
    p = r.json()["promotion"]
    assert p["showing"] is True and p["version"] == 1
    assert [a["id"] for a in active(client, people)] == [p["id"]]
    url = f"/api/admin/promotions/{p['id']}"
    r = client.patch(
        url,
        json={"variant": "warning", "title": "Updated", "version": 1},
        headers=people.headers("finance"),
    )
    assert r.status_code == 200 and r.json()["promotion"]["version"] == 2
    assert active(client, people, "sales")[0]["variant"] == "warning"
    error(
        client.patch(url, json={"title": "B", "version": 1}, headers=people.headers("admin")),
        409,
        "stale",
    )
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = client.patch(
        url,
        json={"starts_at": later, "ends_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
        headers=people.headers("admin"),
    )
    assert r.json()["promotion"]["showing"] is False and active(client, people) == []
    upcoming = client.get(
        "/api/admin/promotions?status=upcoming", headers=people.headers("admin")
    ).json()
    assert upcoming["total"] == 1
    r = client.delete(url, headers=people.headers("admin"))
    assert r.status_code == 200 and r.json()["promotion"]["ended_at"]
    error(client.delete(url, headers=people.headers("admin")), 409, "promotion_ended")
    error(
        client.patch(url, json={"title": "again"}, headers=people.headers("admin")),
        409,
        "promotion_ended",
    )
    assert (
        client.get("/api/admin/promotions?status=ended", headers=people.headers("admin")).json()[
            "total"
        ]
        == 1
    )
    assert [p["action"] for _t, _r, p in events(db, "promotions.changed")] == [
        "created",
        "updated",
        "updated",
        "ended",
    ]
    assert [a.action for a in audit_rows(db, "promotion")] == [
        "promotion.create",
        "promotion.update",
        "promotion.update",
        "promotion.end",
    ]


def test_an_ended_banner_leaves_the_active_list(client: TestClient, people: People) -> None:
    p = client.post("/api/admin/promotions", json=body(), headers=people.headers("admin")).json()[
        "promotion"
    ]
    assert len(active(client, people)) == 1
    client.delete(f"/api/admin/promotions/{p['id']}", headers=people.headers("admin"))
    assert active(client, people) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"variant": "danger"},
        {"title": ""},
        {"title": "x" * 121},
        {"starts_at": "2026-13-01T00:00:00Z"},
        {"ends_at": "2001-01-01T00:00:00Z"},
        {"starts_at": "2026-01-01T10:00:00"},
        {"body": None},
        {"more": 1},
    ],
)
def test_bad_bodies_are_422(
    client: TestClient, people: People, db: Database, bad: dict[str, Any]
) -> None:
    error(
        client.post("/api/admin/promotions", json=body(**bad), headers=people.headers("admin")), 422
    )
    assert events(db, "promotions.changed") == []


def test_patch_window_order_and_unknown_ids(client: TestClient, people: People) -> None:
    p = client.post("/api/admin/promotions", json=body(), headers=people.headers("admin")).json()[
        "promotion"
    ]
    url = f"/api/admin/promotions/{p['id']}"
    err = error(
        client.patch(url, json={"ends_at": p["starts_at"]}, headers=people.headers("admin")),
        422,
        "invalid_window",
    )
    assert err["field"] == "ends_at"
    error(
        client.patch(
            "/api/admin/promotions/4242", json={"title": "x"}, headers=people.headers("admin")
        ),
        404,
    )
    error(client.delete("/api/admin/promotions/4242", headers=people.headers("admin")), 404)


@pytest.mark.parametrize("role", FORBIDDEN_FOR_L)
def test_sellers_and_tvs_are_403(client: TestClient, people: People, role: str) -> None:
    error(client.post("/api/admin/promotions", json=body(), headers=people.headers(role)), 403)
    error(client.get("/api/admin/promotions", headers=people.headers(role)), 403)
