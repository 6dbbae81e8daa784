"""The response shapes of the claims administration and the months (CONTRACT §4a):
``backend.reads.claims`` and ``backend.actions.periods`` fill them. Money as strings with
two decimals, shares with four."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ClaimPerson(BaseModel):
    id: int
    name: str | None


class ClaimCustomer(BaseModel):
    email: str | None
    name: str | None


class ClaimCampaign(BaseModel):
    id: int | None
    name: str | None


class ClaimShareOut(BaseModel):
    seller_id: int
    name: str | None
    share: str = Field(description='four decimals, "0.6000"')


class AdminClaimOut(BaseModel):
    """A claim of ``GET /api/admin/claims`` (and of every write's answer)."""

    id: int
    version: int
    queue_id: int
    subscription_id: int | None
    seller: ClaimPerson = Field(description="the closer")
    claim_type: str
    finance_status: str
    claimed_at: str
    customer: ClaimCustomer
    campaign: ClaimCampaign
    revenue_usd: str | None
    cost_usd: str | None
    margin_amount_usd: str | None
    adjustments_usd: str | None
    adjusted_margin_usd: str | None = Field(description="margin − adjustments")
    refunded: bool
    excluded: bool = Field(description="its queue item was excluded")
    shares: list[ClaimShareOut] = Field(description="the closer first")
    installment_plan_id: int | None
    note: str | None


class AdminClaimList(BaseModel):
    claims: list[AdminClaimOut]
    next_cursor: str | None
    total: int


class ClaimAdjustmentOut(BaseModel):
    id: int
    reason: str
    amount_usd: str | None
    note: str | None
    created_by: ClaimPerson | None
    created_at: str


class ClaimRefundOut(BaseModel):
    id: int
    claim_id: int
    amount_usd: str | None
    reason: str | None
    created_by: ClaimPerson | None
    created_at: str


class ClaimObjectionOut(BaseModel):
    id: int
    raised_by: ClaimPerson | None
    reason: str
    details: str | None
    status: str
    resolution: str | None
    resolved_by: ClaimPerson | None
    resolved_at: str | None
    created_at: str


class PlanPaymentOut(BaseModel):
    id: int
    due_on: str
    amount: str | None
    status: str
    paid_at: str | None


class ClaimPlanOut(BaseModel):
    id: int
    status: str
    tolerance_days: int
    version: int
    payments: list[PlanPaymentOut]


class TimelineStep(BaseModel):
    at: str
    kind: str = Field(description="queued, claimed, an audit action, objection, ...")
    actor: ClaimPerson | None
    detail: dict[str, Any]


class AdminClaimDetail(AdminClaimOut):
    adjustments: list[ClaimAdjustmentOut]
    refund: ClaimRefundOut | None
    objections: list[ClaimObjectionOut]
    installment_plan: ClaimPlanOut | None
    timeline: list[TimelineStep] = Field(description="oldest first")


class ClaimDetailEnvelope(BaseModel):
    claim: AdminClaimDetail


class AdminClaimEnvelope(BaseModel):
    claim: AdminClaimOut


class NewAdjustmentOut(BaseModel):
    id: int
    claim_id: int
    reason: str
    amount_usd: str | None
    note: str | None
    created_at: str


class AdjustmentEnvelope(BaseModel):
    adjustment: NewAdjustmentOut
    claim: AdminClaimOut


class RefundEnvelope(BaseModel):
    refund: ClaimRefundOut
    claim: AdminClaimOut


class PeriodOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    status: Literal["open", "closed"]
    closed_at: str | None
    closed_by: ClaimPerson | None
    reopened_at: str | None
    reopened_by: ClaimPerson | None
    version: int | None = Field(description="null for a month never closed")


class PeriodList(BaseModel):
    periods: list[PeriodOut]
    next_cursor: str | None
    total: int


class PeriodEnvelope(BaseModel):
    period: PeriodOut
