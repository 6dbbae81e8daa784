"""Installment plans: the dashboard, plans, payments, tolerance, status. (CONTRACT §4a)"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.actions import installments as plans
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, Key, Keyset, LimitQuery, listing, page
from backend.api.routes.admin._common import IdPath
from backend.api.routes.admin._fields import MAX_VERSION, Day, Instant, PositiveAmount
from backend.api.schemas import MAX_ID, Body
from backend.db.types import utcnow
from backend.game.rules.periods import local_day
from backend.models import Installment

router = APIRouter(prefix="/api/admin", tags=["admin"])

Version = Annotated[int | None, Field(default=None, ge=0, le=MAX_VERSION)]
WRITE: dict[int | str, dict[str, Any]] = {
    404: {"description": "not_found: no such plan (or payment of it)"},
    409: {"description": "stale, plan_not_active, already_confirmed, plan_completed ..."},
}


class PaymentOut(BaseModel):
    id: int
    seq: int
    due_on: str
    amount: str | None
    status: Literal["pending", "submitted", "confirmed"]
    paid_at: str | None
    deadline: str
    overdue: bool


class PlanOut(BaseModel):
    id: int
    status: Literal["active", "overdue", "completed", "frozen", "cancelled"]
    queue_id: int | None
    claim_id: int | None
    seller: dict[str, Any] | None
    subscription_id: int | None
    customer_email: str | None
    tolerance_days: int
    total_installments: int
    total_usd: str | None
    paid_usd: str | None
    outstanding_usd: str | None
    overdue_amount_usd: str | None
    next_due_on: str | None
    note: str | None
    version: int
    created_at: str | None
    payments: list[PaymentOut]


class PlanEnvelope(BaseModel):
    plan: PlanOut


class Summary(BaseModel):
    active: int
    overdue: int
    pending_payments: int
    overdue_amount_usd: str


class PlanList(BaseModel):
    plans: list[PlanOut]
    next_cursor: str | None
    total: int
    summary: Summary


class PaymentIn(Body):
    due_on: Day
    amount: PositiveAmount


class PlanIn(Body):
    queue_id: int = Field(ge=1, le=MAX_ID)
    payments: list[PaymentIn] = Field(min_length=1, max_length=plans.MAX_PAYMENTS)
    tolerance_days: int | None = Field(default=None, ge=0, le=plans.MAX_TOLERANCE)


class PaymentUpdate(Body):
    status: Literal["submitted", "confirmed"]
    paid_at: Instant | None = None
    version: Version = None


class ToleranceIn(Body):
    days: int = Field(ge=1, le=plans.MAX_TOLERANCE)
    reason: str = Field(min_length=1, max_length=500)
    version: Version = None


class PlanPatch(Body):
    status: Literal["active", "frozen", "cancelled"]
    reason: str | None = Field(default=None, max_length=500)
    version: Version = None


def _today(ctx: Any) -> date:
    return local_day(utcnow(), ctx.settings.tz)


def _plan(s: Any, plan: Installment, today: date) -> PlanEnvelope:
    return PlanEnvelope(plan=PlanOut(**plans.plan_out(s, plan, today)))


@router.get("/installments", response_model=PlanList)
def list_installments(
    principal: PrincipalDep,
    ctx: CtxDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: Literal["active", "overdue", "completed", "frozen", "cancelled"] | None = None,
) -> PlanList:
    """Every plan, newest first (``status`` as the plan reads: an active plan with an
    overdue payment is ``overdue``, not ``active``), and the dashboard ``summary``."""
    today = _today(ctx)
    with ctx.db.read() as s:
        stmt = select(Installment)
        if status in ("active", "overdue"):
            stmt = stmt.where(Installment.id.in_(plans.ids_reading(s, status, today)))
        elif status is not None:
            stmt = stmt.where(Installment.status == status)
        keyset = Keyset("plans:-id", [Key(Installment.__table__.c.id, descending=True)])
        pg = page(s, stmt, keyset, lambda r: [r[0].id], limit, cursor)
        got = [r[0] for r in pg.rows]
        pays = plans.payments_of(s, [p.id for p in got])
        items = [PlanOut(**plans.plan_out(s, p, today, pays[p.id])) for p in got]
        return PlanList(**listing("plans", items, pg), summary=Summary(**plans.summary(s, today)))


@router.post(
    "/installments",
    status_code=201,
    response_model=PlanEnvelope,
    responses={
        404: {"description": "not_found: no such queue item"},
        409: {"description": "plan_exists: the sale has a live plan"},
    },
)
def create_installment_plan(body: PlanIn, principal: PrincipalDep, ctx: CtxDep) -> PlanEnvelope:
    today = _today(ctx)
    with ctx.db.transaction() as s:
        plan = plans.admin_create_plan(
            s,
            queue_id=body.queue_id,
            schedule=[(p.due_on, p.amount) for p in body.payments],
            tolerance_days=body.tolerance_days,
            today=today,
            actor_id=principal.seller_id,
        )
        return _plan(s, plan, today)


@router.post(
    "/installments/{plan_id}/payments/{payment_id}", response_model=PlanEnvelope, responses=WRITE
)
def update_installment_payment(
    plan_id: IdPath, payment_id: IdPath, body: PaymentUpdate, principal: PrincipalDep, ctx: CtxDep
) -> PlanEnvelope:
    today = _today(ctx)
    with ctx.db.transaction() as s:
        plan = plans.record_payment(
            s,
            plan_id,
            payment_id,
            status=body.status,
            paid_at=body.paid_at,
            today=today,
            version=body.version,
            actor_id=principal.seller_id,
        )
        return _plan(s, plan, today)


@router.post("/installments/{plan_id}/tolerance", response_model=PlanEnvelope, responses=WRITE)
def set_installment_tolerance(
    plan_id: IdPath, body: ToleranceIn, principal: PrincipalDep, ctx: CtxDep
) -> PlanEnvelope:
    today = _today(ctx)
    with ctx.db.transaction() as s:
        plan = plans.set_tolerance(
            s,
            plan_id,
            days=body.days,
            reason=body.reason,
            today=today,
            version=body.version,
            actor_id=principal.seller_id,
        )
        return _plan(s, plan, today)


@router.patch("/installments/{plan_id}", response_model=PlanEnvelope, responses=WRITE)
def update_installment_plan(
    plan_id: IdPath, body: PlanPatch, principal: PrincipalDep, ctx: CtxDep
) -> PlanEnvelope:
    today = _today(ctx)
    with ctx.db.transaction() as s:
        plan = plans.set_plan_status(
            s,
            plan_id,
            status=body.status,
            reason=body.reason,
            today=today,
            version=body.version,
            actor_id=principal.seller_id,
        )
        return _plan(s, plan, today)
