"""Filing an objection to a claim, and listing one's own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions.errors import ActionError
from backend.models import Claim, Objection


def objection_out(o: Objection) -> dict[str, Any]:
    return {
        "id": o.id,
        "claim_id": o.claim_id,
        "raised_by": o.raised_by,
        "reason": o.reason,
        "details": o.details,
        "status": o.status,
        "resolution": o.resolution,
        "resolved_at": o.resolved_at.isoformat() if o.resolved_at else None,
        "created_at": o.created_at.isoformat(),
    }


def file_objection(
    session: Session, *, seller_id: int, claim_id: int, reason: str, details: str | None
) -> Objection:
    if session.get(Claim, claim_id) is None:
        raise ActionError(404, "not_found", "There is no such claim.")
    pending = session.scalar(
        select(Objection.id).where(
            Objection.claim_id == claim_id,
            Objection.raised_by == seller_id,
            Objection.status == "pending",
        )
    )
    if pending is not None:
        raise ActionError(
            409, "objection_pending", "You already have an open objection to this claim."
        )
    obj = Objection(claim_id=claim_id, raised_by=seller_id, reason=reason, details=details)
    session.add(obj)
    session.flush()
    return obj


def my_objections(session: Session, seller_id: int, limit: int = 200) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection)
            .where(Objection.raised_by == seller_id)
            .order_by(Objection.created_at.desc(), Objection.id.desc())
            .limit(limit)
        )
    )
