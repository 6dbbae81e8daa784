"""The audit trail of every admin and finance write. (CONTRACT §4a)"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, Key, Keyset, LimitQuery, listing, page
from backend.api.schemas import MAX_ID
from backend.models import AuditLog
from backend.reads import audit as audit_reads

router = APIRouter(prefix="/api/admin", tags=["admin"])

Entity = Literal[
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
]
ORDER = Keyset("audit:-id", [Key(AuditLog.__table__.c.id, True)])


class ActorOut(BaseModel):
    id: int
    name: str | None


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: ActorOut | None
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any
    reason: Any
    details: dict[str, Any]


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next_cursor: str | None
    total: int


@router.get("/audit", response_model=AuditOut)
def list_audit(
    principal: PrincipalDep,
    ctx: CtxDep,
    entity: Entity | None = None,
    entity_id: Annotated[str | None, Query(min_length=1, max_length=60)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Any:
    """Newest first. ``entity_id`` is the object's id as text (a month for ``period``)."""
    with ctx.db.read() as s:
        stmt = audit_reads.audit_query(entity, entity_id, actor_id)
        pg = page(s, stmt, ORDER, lambda r: (r[0].id,), limit, cursor)
        entries = [audit_reads.entry_out(r[0], r[1]) for r in pg.rows]
    return listing("entries", entries, pg)
