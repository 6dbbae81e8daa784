"""Objections sellers raised, and finance's rulings. (CONTRACT §4a)"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.actions import objections as rulings
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, Key, Keyset, LimitQuery, listing, page
from backend.api.routes.admin._common import IdPath
from backend.api.routes.admin._fields import MAX_VERSION
from backend.api.routes.admin.claims_out import AdminClaimOut
from backend.api.schemas import MAX_ID, Body
from backend.models import Objection

router = APIRouter(prefix="/api/admin", tags=["admin"])


class AdminObjectionOut(BaseModel):
    id: int
    claim_id: int
    raised_by: int
    raised_by_name: str | None
    reason: str
    details: str | None
    status: Literal["open", "accepted", "rejected"]
    resolution: str | None
    resolved_by: int | None
    resolved_at: str | None
    created_at: str
    version: int


class ObjectionList(BaseModel):
    objections: list[AdminObjectionOut]
    next_cursor: str | None
    total: int


class RulingOut(BaseModel):
    objection: AdminObjectionOut
    claim: AdminClaimOut = Field(description="as GET /api/admin/claims lists it")


class RulingIn(Body):
    decision: Literal["accept", "reject"]
    action: Literal["reassign", "exclude", "refund"] | None = None
    seller_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    note: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(default=None, ge=0, le=MAX_VERSION)


@router.get("/objections", response_model=ObjectionList)
def list_objections(
    principal: PrincipalDep,
    ctx: CtxDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: Literal["open", "accepted", "rejected"] | None = None,
    claim_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> ObjectionList:
    """Objections, newest first."""
    stmt = select(Objection)
    if status is not None:
        stmt = stmt.where(Objection.status == rulings.API_STATUSES[status])
    if claim_id is not None:
        stmt = stmt.where(Objection.claim_id == claim_id)
    keyset = Keyset("objections:-id", [Key(Objection.__table__.c.id, descending=True)])
    with ctx.db.read() as s:
        pg = page(s, stmt, keyset, lambda r: [r[0].id], limit, cursor)
        items = [AdminObjectionOut(**rulings.admin_objection_out(s, r[0])) for r in pg.rows]
        return ObjectionList(**listing("objections", items, pg))


@router.post(
    "/objections/{objection_id}",
    response_model=RulingOut,
    responses={
        404: {"description": "not_found: no such objection (or seller)"},
        409: {"description": "already_resolved, stale, or the action's own (already_refunded ...)"},
    },
)
def resolve_objection(
    objection_id: IdPath, body: RulingIn, principal: PrincipalDep, ctx: CtxDep
) -> RulingOut:
    with ctx.db.transaction() as s:
        obj, claim = rulings.resolve_objection(
            s,
            objection_id,
            decision=body.decision,
            action=body.action,
            seller_id=body.seller_id,
            note=body.note,
            version=body.version,
            settings=ctx.settings,
            actor_id=principal.seller_id,
        )
        return RulingOut(
            objection=AdminObjectionOut(**rulings.admin_objection_out(s, obj)),
            claim=AdminClaimOut(**rulings.claim_summary(s, claim)),
        )
