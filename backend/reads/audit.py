"""The audit trail as ``GET /api/admin/audit`` lists it (rows written by
``backend.actions.audit.record``: before/after/reason live in ``AuditLog.details``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from backend.models import AuditLog, Seller

KEPT_APART = ("before", "after", "reason")


def audit_query(entity: str | None, entity_id: str | None, actor_id: int | None) -> Select[Any]:
    """Entries with their actor's name; filters combine with AND."""
    stmt: Any = select(AuditLog, Seller.name).outerjoin(Seller, Seller.id == AuditLog.actor_id)
    if entity is not None:
        stmt = stmt.where(AuditLog.target_type == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.target_id == entity_id)
    if actor_id is not None:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    return stmt


def entry_out(row: AuditLog, actor_name: str | None) -> dict[str, Any]:
    """``id, at, actor {id, name} (null: the system), action, entity, entity_id, before,
    after, reason`` and ``details``: whatever else the action kept."""
    details = dict(row.details or {}) if isinstance(row.details, dict) else {}
    return {
        "id": row.id,
        "at": row.created_at.isoformat(),
        "actor": None if row.actor_id is None else {"id": row.actor_id, "name": actor_name},
        "action": row.action,
        "entity": row.target_type,
        "entity_id": row.target_id,
        "before": details.pop("before", None),
        "after": details.pop("after", None),
        "reason": details.pop("reason", None),
        "details": details,
    }
