"""The audit trail: every admin or finance write adds one row in its own transaction
(who, when, what, before, after, reason; CONTRACT §4a ``GET /api/admin/audit``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.db.types import utcnow
from backend.models import AuditLog

# CONTRACT §4a's audit entities (the ``entity`` filter)
ENTITIES = (
    "claim",
    "queue",
    "seller",
    "goal",
    "challenge",
    "promotion",
    "installment",
    "objection",
    "period",
    "device",
    "game",
)


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
    *,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditLog:
    """Add the audit row of ``action`` on ``entity`` #``entity_id``. ``before``/``after``
    are the object's shapes around the change (the API's own shapes, JSON-ready);
    ``details`` anything else worth keeping (an amount, a reason code)."""
    assert entity in ENTITIES, entity
    body: dict[str, Any] = dict(details or {})
    if before is not None:
        body["before"] = before
    if after is not None:
        body["after"] = after
    if reason is not None:
        body["reason"] = reason
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        target_type=entity,
        target_id=None if entity_id is None else str(entity_id),
        details=body,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row
