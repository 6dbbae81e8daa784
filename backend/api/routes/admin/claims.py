"""Claims administration: the list, a claim's detail, finance status, adjustments, shares,
reassignment, refunds (CONTRACT §4a). Reads: ``backend.reads.claims``; writes:
``backend.actions.finance`` (one transaction each, audited, versioned)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, field_validator

from backend.actions import finance
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, LimitQuery, bad_cursor, decode_cursor, encode_cursor
from backend.api.routes.admin._common import IdPath
from backend.api.routes.admin.claims_out import (
    AdjustmentEnvelope,
    AdminClaimEnvelope,
    AdminClaimList,
    ClaimDetailEnvelope,
    RefundEnvelope,
)
from backend.api.schemas import MAX_ID, Amount, Body
from backend.errors import DomainError, not_found
from backend.models import Claim, ClaimAdjustment, Seller
from backend.models._common import FINANCE_STATUSES
from backend.reads import claims as reads
from backend.schemas.common import money

router = APIRouter(prefix="/api/admin", tags=["admin"])

FinanceStatus = Literal["waiting", "approved", "installment", "problem"]
assert set(FinanceStatus.__args__) == set(FINANCE_STATUSES)  # type: ignore[attr-defined]
Version = Annotated[int | None, Field(default=None, ge=1, le=2**31)]
SellerId = Annotated[int, Field(ge=1, le=MAX_ID)]
UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "not_found: no such claim"}}
WRITE: dict[int | str, dict[str, Any]] = {**UNKNOWN, 409: {"description": "stale"}}


class ClaimPatchIn(Body):
    finance_status: FinanceStatus | None = None
    note: str | None = Field(default=None, max_length=2000)
    version: Version = None


class AdjustmentIn(Body):
    reason: Literal["commission", "partial_refund", "chargeback", "other"]
    amount: Amount
    note: str | None = Field(default=None, max_length=2000)
    version: Version = None

    @field_validator("amount")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if not v > 0:
            raise ValueError("must be more than 0")
        return v


class ShareIn(Body):
    seller_id: SellerId
    share: str | int | float = Field(description="a fraction with at most 4 decimals")


class SharesIn(Body):
    shares: list[ShareIn] = Field(max_length=50)
    version: Version = None


class ReassignIn(Body):
    seller_id: SellerId
    reason: str | None = Field(default=None, max_length=2000)
    version: Version = None


class RefundIn(Body):
    reason: str = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=2000)
    version: Version = None


def _share(v: str | int | float) -> Decimal:
    try:
        d = Decimal(v.strip()) if isinstance(v, str) else Decimal(repr(v))
    except InvalidOperation:
        raise DomainError(
            422, "bad_shares", "A share is a number such as 0.6.", field="shares"
        ) from None
    if not d.is_finite():
        raise DomainError(422, "bad_shares", "A share is a number such as 0.6.", field="shares")
    return d


def _claim(s: Any, claim_id: int) -> Claim:
    claim = s.get(Claim, claim_id)
    if claim is None:
        raise not_found("claim")
    return claim


def _after(sort: str, cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    values = decode_cursor(f"claims:{sort}", cursor, 2)
    first, tie = values
    if not isinstance(tie, int) or isinstance(tie, bool):
        raise bad_cursor()
    if sort.lstrip("-") == "claimed_at":
        if not isinstance(first, datetime) or first.tzinfo is None:
            raise bad_cursor()
    elif first is not None and not isinstance(first, Decimal):
        raise bad_cursor()
    return values


def filters_from(
    s: Any,
    ctx: Any,
    from_: str | None,
    to: str | None,
    seller_id: int | None,
    finance_status: str | None,
    claim_type: str | None,
    refunded: str | None,
    q: str | None,
) -> reads.ClaimFilters:
    return reads.parse_filters(
        s,
        ctx.settings.tz,
        from_=from_,
        to=to,
        seller_id=seller_id,
        finance_status=finance_status,
        claim_type=claim_type,
        refunded=refunded,
        q=q,
    )


FromQuery = Annotated[str | None, Query(alias="from", max_length=20, description="YYYY-MM-DD")]
ToQuery = Annotated[str | None, Query(max_length=20, description="YYYY-MM-DD, inclusive")]
SellerQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
TextQuery = Annotated[str | None, Query(max_length=40)]
QQuery = Annotated[str | None, Query(max_length=reads.MAX_Q)]


@router.get(
    "/claims",
    response_model=AdminClaimList,
    responses={422: {"description": "invalid_filter (field names it), bad cursor"}},
)
def list_claims(
    principal: PrincipalDep,
    ctx: CtxDep,
    from_: FromQuery = None,
    to: ToQuery = None,
    seller_id: SellerQuery = None,
    finance_status: TextQuery = None,
    claim_type: TextQuery = None,
    refunded: TextQuery = None,
    q: QQuery = None,
    sort: TextQuery = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Any:
    """Claims newest first (or by ``sort``), a keyset page at a time, with ``total``."""
    order = reads.parse_sort(sort)
    after = _after(order, cursor)
    with ctx.db.read() as s:
        f = filters_from(s, ctx, from_, to, seller_id, finance_status, claim_type, refunded, q)
        total = reads.count(s, f)
        rows, last = reads.rows_after(s, f, order, after, limit, total)
        return {
            "claims": reads.shape_rows(s, rows),
            "next_cursor": None if last is None else encode_cursor(f"claims:{order}", last),
            "total": total,
        }


@router.get("/claims/{claim_id}", response_model=ClaimDetailEnvelope, responses=UNKNOWN)
def get_claim(claim_id: IdPath, principal: PrincipalDep, ctx: CtxDep) -> Any:
    with ctx.db.read() as s:
        return {"claim": reads.claim_detail(s, claim_id)}


@router.patch("/claims/{claim_id}", response_model=AdminClaimEnvelope, responses=WRITE)
def update_claim(claim_id: IdPath, body: ClaimPatchIn, principal: PrincipalDep, ctx: CtxDep) -> Any:
    with ctx.db.transaction() as s:
        shape = finance.update_claim(
            s,
            _claim(s, claim_id),
            settings=ctx.settings,
            finance_status=body.finance_status,
            note=body.note,
            set_note="note" in body.model_fields_set,
            version=body.version,
            actor_id=principal.seller_id,
        )
        return {"claim": shape}


@router.post(
    "/claims/{claim_id}/adjustment",
    status_code=201,
    response_model=AdjustmentEnvelope,
    responses=WRITE,
)
def add_adjustment(
    claim_id: IdPath, body: AdjustmentIn, principal: PrincipalDep, ctx: CtxDep
) -> Any:
    with ctx.db.transaction() as s:
        adj: ClaimAdjustment = finance.add_adjustment(
            s,
            _claim(s, claim_id),
            body.amount,
            body.reason,
            settings=ctx.settings,
            note=body.note,
            actor_id=principal.seller_id,
            version=body.version,
        )
        return {
            "adjustment": {
                "id": adj.id,
                "claim_id": adj.claim_id,
                "reason": adj.reason,
                "amount_usd": money(adj.amount_usd),
                "note": adj.note,
                "created_at": adj.created_at.isoformat(),
            },
            "claim": reads.claim_shape(s, claim_id),
        }


@router.post("/claims/{claim_id}/shares", response_model=AdminClaimEnvelope, responses=WRITE)
def set_shares(claim_id: IdPath, body: SharesIn, principal: PrincipalDep, ctx: CtxDep) -> Any:
    shares = [(e.seller_id, _share(e.share)) for e in body.shares]
    with ctx.db.transaction() as s:
        finance.set_shares(
            s,
            _claim(s, claim_id),
            shares,
            settings=ctx.settings,
            actor_id=principal.seller_id,
            version=body.version,
        )
        return {"claim": reads.claim_shape(s, claim_id)}


@router.post("/claims/{claim_id}/reassign", response_model=AdminClaimEnvelope, responses=WRITE)
def reassign_claim(claim_id: IdPath, body: ReassignIn, principal: PrincipalDep, ctx: CtxDep) -> Any:
    with ctx.db.transaction() as s:
        claim = _claim(s, claim_id)
        seller = s.get(Seller, body.seller_id)
        if seller is None:
            raise DomainError(422, "invalid_seller", "There is no such seller.", field="seller_id")
        finance.reassign_claim(
            s,
            claim,
            seller,
            settings=ctx.settings,
            actor_id=principal.seller_id,
            version=body.version,
            reason=body.reason,
        )
        return {"claim": reads.claim_shape(s, claim_id)}


@router.post(
    "/claims/{claim_id}/refund",
    status_code=201,
    response_model=RefundEnvelope,
    responses={**WRITE, 409: {"description": "already_refunded, stale"}},
)
def refund_claim(claim_id: IdPath, body: RefundIn, principal: PrincipalDep, ctx: CtxDep) -> Any:
    with ctx.db.transaction() as s:
        refund = finance.apply_refund(
            s,
            _claim(s, claim_id),
            settings=ctx.settings,
            reason=body.reason.strip() or body.reason,
            note=body.note,
            actor_id=principal.seller_id,
            version=body.version,
        )
        return {"refund": reads.refund_out(refund), "claim": reads.claim_shape(s, claim_id)}
