"""Admins' and leads' changes to sellers (CONTRACT §4a ``PATCH /api/admin/sellers/{id}``):
name, role, active, hidden from the TV. Version-checked and audited in the CALLER's
transaction (the route commits).

Who may change what: an admin anything; a sales lead ``hidden_from_tv`` only (403 for any
other field, even one sent unchanged). No admin can lock themselves out: deactivating or
demoting oneself is 409 ``self_lockout`` (so the acting admin always remains).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.actions import audit, versions
from backend.db.types import utcnow
from backend.errors import DomainError, not_found, stale
from backend.eventlog import append_event
from backend.models import Seller

ADMIN_FIELDS = ("name", "role", "is_active", "hidden_from_tv")
LEAD_FIELDS = ("hidden_from_tv",)
BOARDS = ["wins", "revenue", "margin", "conversion"]


def seller_row(seller: Seller) -> dict[str, Any]:
    """The editable part of a seller (what the audit keeps around a change)."""
    return {
        "id": seller.id,
        "email": seller.email,
        "name": seller.name,
        "role": seller.role,
        "is_active": seller.is_active,
        "hidden_from_tv": seller.hidden_from_tv,
        "version": seller.version,
    }


def update_seller(
    session: Session,
    seller_id: int,
    *,
    changes: dict[str, Any],
    version: int | None,
    actor_id: int | None,
    actor_role: str,
    now: datetime | None = None,
) -> Seller:
    """Apply ``changes`` (a subset of :data:`ADMIN_FIELDS`). Nothing different from what is
    stored: nothing written. A change of name or of ``hidden_from_tv`` is followed by a
    ``leaderboard:refresh`` (the screens redraw their boards with the new name)."""
    now = now or utcnow()
    allowed = ADMIN_FIELDS if actor_role == "admin" else LEAD_FIELDS
    refused = sorted(set(changes) - set(allowed))
    if refused:
        raise DomainError(
            403,
            "forbidden",
            f"Your role may change only {', '.join(allowed)} of a seller.",
            field=refused[0],
        )
    locks = session.get_bind().dialect.name == "postgresql"
    seller = session.get(Seller, seller_id, with_for_update=locks)
    if seller is None:
        raise not_found("seller")
    if version is not None and version != seller.version:
        raise stale("seller", seller.version)
    moved = {k: v for k, v in changes.items() if getattr(seller, k) != v}
    if not moved:
        return seller
    if seller.id == actor_id and (
        moved.get("is_active") is False or ("role" in moved and seller.role == "admin")
    ):
        raise DomainError(
            409,
            "self_lockout",
            "You cannot deactivate or demote yourself; ask another admin.",
            field="is_active" if "is_active" in moved else "role",
        )
    before = seller_row(seller)
    versions.bump(session, seller, version, "seller")
    for key, value in moved.items():
        setattr(seller, key, value)
    session.flush()
    audit.record(
        session,
        actor_id,
        "seller.update",
        "seller",
        seller.id,
        {"fields": sorted(moved)},
        now,
        before=before,
        after=seller_row(seller),
    )
    if {"name", "hidden_from_tv", "is_active"} & set(moved):
        append_event(session, "sellers.changed", {"id": seller.id, "action": "updated"})
        append_event(session, "leaderboard:refresh", {"boards": BOARDS}, actor=actor_id)
    return seller
