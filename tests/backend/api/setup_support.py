"""Helpers of the floor-setup admin tests (goals, challenges, promotions, installments,
objections, game numbers): events and audit rows written, a claim made over HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backend.models import AuditLog, Event
from backend.runtime import Database
from tests.backend.realtime.support import People, TestClient, add_item


def events(db: Database, type_: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """``(type, room, payload)`` of every stored event (of ``type_``), oldest first."""
    with db.read() as s:
        q = select(Event.type, Event.room, Event.payload).order_by(Event.id)
        if type_ is not None:
            q = q.where(Event.type == type_)
        return [(t, r, dict(p)) for t, r, p in s.execute(q)]


def audit_rows(db: Database, entity: str) -> list[AuditLog]:
    with db.read() as s:
        rows = list(
            s.scalars(select(AuditLog).where(AuditLog.target_type == entity).order_by(AuditLog.id))
        )
        s.expunge_all()
        return rows


def claim(
    client: TestClient,
    people: People,
    db: Database,
    *,
    role: str = "sales",
    revenue: str = "100.00",
    claim_type: str = "first_sales",
) -> dict[str, Any]:
    item = add_item(db, revenue=revenue)
    r = client.post(
        "/api/claim",
        json={"queue_id": item, "claim_type": claim_type},
        headers=people.headers(role),
    )
    assert r.status_code == 201, r.text
    return dict(r.json()["claim"])


def error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return dict(body["error"])


FORBIDDEN_FOR_L = ("sales", "tv")
FORBIDDEN_FOR_F = ("sales", "sales_lead", "tv")
FORBIDDEN_FOR_A = ("sales", "sales_lead", "finance", "tv")
