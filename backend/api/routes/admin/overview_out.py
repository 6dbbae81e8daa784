"""The response shape of ``GET /api/admin/overview`` (``backend.reads.overview`` fills it)."""

from __future__ import annotations

from pydantic import BaseModel


class MonthTotals(BaseModel):
    wins: int
    revenue_usd: str
    cost_usd: str
    margin_amount_usd: str
    adjustments_usd: str
    refunds_usd: str
    refunds: int
    margin_percent: float | None


class OverviewDay(BaseModel):
    date: str
    wins: int
    revenue_usd: str
    margin_amount_usd: str


class OverviewSeller(BaseModel):
    seller_id: int
    name: str
    wins: int
    revenue_usd: str
    margin_amount_usd: str
    margin_percent: float | None


class OverviewCampaign(BaseModel):
    campaign_id: int | None
    name: str | None
    wins: int
    revenue_usd: str
    cost_usd: str
    margin_amount_usd: str
    adjustments_usd: str
    margin_percent: float | None


class OverviewOut(BaseModel):
    month: str
    totals: MonthTotals
    previous_month: str
    previous: MonthTotals
    daily: list[OverviewDay]
    by_seller: list[OverviewSeller]
    by_campaign: list[OverviewCampaign]
