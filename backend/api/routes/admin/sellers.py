"""Sellers: the list with this month's numbers, edits (role, active, hidden from the TV), performance. (CONTRACT §4a)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from backend.actions import sellers as seller_actions
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, Key, Keyset, LimitQuery, listing, page
from backend.api.routes.admin._common import IdPath
from backend.api.routes.game import PeriodQ
from backend.api.schemas import MAX_ID, Body, MetricsOut, Role
from backend.models import Seller
from backend.reads import sellers as seller_reads

router = APIRouter(prefix="/api/admin", tags=["admin"])

_t = Seller.__table__.c
ORDER = Keyset("sellers:name", [Key(_t.name), Key(_t.id)])


class SellerOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    is_active: bool
    hidden_from_tv: bool
    version: int
    wins: int = Field(description="this local month's, as the boards count them")
    revenue_usd: str
    margin_amount_usd: str


class SellersOut(BaseModel):
    sellers: list[SellerOut]
    next_cursor: str | None
    total: int


class SellerEnvelope(BaseModel):
    seller: SellerOut


class DayOut(BaseModel):
    date: str
    wins: int
    revenue_usd: str
    margin_amount_usd: str


class PerformanceOut(MetricsOut):
    seller_id: int
    name: str
    daily: list[DayOut]


class SellerPatchIn(Body):
    """Null for a field: leave it. A sales lead may send ``hidden_from_tv`` only."""

    name: str | None = Field(default=None, max_length=120, pattern=r"\S")
    role: Role | None = None
    is_active: bool | None = None
    hidden_from_tv: bool | None = None
    version: Annotated[int | None, Field(default=None, ge=1, le=MAX_ID)] = None


@router.get("/sellers", response_model=SellersOut)
def list_sellers(
    principal: PrincipalDep, ctx: CtxDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> Any:
    """Every seller (active or not, every role), by name; ``wins``, ``revenue_usd``,
    ``margin_amount_usd``: this local month's (``seller_month_stats``)."""
    with ctx.db.read() as s:
        stmt = seller_reads.sellers_query(ctx.settings)
        pg = page(s, stmt, ORDER, lambda r: (r[0].name, r[0].id), limit, cursor)
        rows = [seller_reads.seller_out(*r) for r in pg.rows]
    return listing("sellers", rows, pg)


@router.patch(
    "/sellers/{seller_id}",
    response_model=SellerEnvelope,
    responses={
        403: {"description": "a sales lead sending another field than hidden_from_tv"},
        404: {"description": "unknown seller"},
        409: {"description": "stale, self_lockout"},
    },
)
def update_seller(
    seller_id: IdPath, body: SellerPatchIn, principal: PrincipalDep, ctx: CtxDep
) -> Any:
    sent = body.model_fields_set - {"version"}
    if principal.role != "admin" and sent - set(seller_actions.LEAD_FIELDS):
        changes: dict[str, Any] = dict.fromkeys(sent)  # refused whatever the values
    else:
        changes = {
            k: v.strip() if isinstance(v, str) and k == "name" else v
            for k, v in body.model_dump(include=sent).items()
            if v is not None
        }
    try:
        with ctx.db.transaction() as s:
            seller = seller_actions.update_seller(
                s,
                seller_id,
                changes=changes,
                version=body.version,
                actor_id=principal.seller_id,
                actor_role=principal.role,
            )
            if seller.hidden_from_tv:  # masked on the TVs before anything of theirs commits
                ctx.hidden.hide_now(seller.id, seller.name)
            out = seller_reads.one_seller(s, seller_id, ctx.settings)
    finally:
        ctx.hidden.refresh()  # what committed (or not)
    return {"seller": out}


@router.get(
    "/sellers/{seller_id}/performance",
    response_model=PerformanceOut,
    responses={404: {"description": "unknown seller"}},
)
def seller_performance(
    seller_id: IdPath, principal: PrincipalDep, ctx: CtxDep, period: PeriodQ = "today"
) -> Any:
    """The seller's metrics as ``GET /api/me/metrics`` gives them, and ``daily``: every
    local day of the period, oldest first."""
    with ctx.db.read() as s:
        return seller_reads.performance(s, seller_id, period, ctx.settings)
