"""A queue item as it appears in ``GET /api/queue`` and in ``queue.new``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from backend.models import QueueItem
from backend.schemas.common import Wire, fraction, money


class Customer(Wire):
    email: str | None
    name: str | None


class Campaign(Wire):
    id: int | None
    name: str | None


class QueueItemOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    subscription_id: int | None
    source: str
    status: str
    customer: Customer
    campaign: Campaign
    currency: str | None
    payment_channel: str | None
    revenue_usd: str | None
    cost_usd: str | None
    margin_amount_usd: str | None
    margin_percent: float | None
    margin_quality: str
    is_jackpot: bool
    tts_days: int | None
    finance_status: str
    problem_reason: str | None
    core_status: str | None
    note: str | None = None
    created_at: str
    queued_at: str


def queue_item_out(item: object) -> QueueItemOut:
    """Serialize a ``backend.models.QueueItem`` (a TV's copy: ``common.mask_emails``)."""

    assert isinstance(item, QueueItem)
    return QueueItemOut(
        id=item.id,
        subscription_id=item.subscription_id,
        source=item.source,
        status=item.status,
        customer=Customer(email=item.customer_email, name=item.customer_name),
        campaign=Campaign(id=item.campaign_id, name=item.campaign_name),
        currency=item.currency,
        payment_channel=item.payment_channel,
        revenue_usd=money(item.revenue_usd),
        cost_usd=money(item.cost_usd),
        margin_amount_usd=money(item.margin_amount_usd),
        margin_percent=fraction(item.margin_percent),
        margin_quality=item.margin_quality,
        is_jackpot=item.is_jackpot,
        tts_days=item.tts_days,
        finance_status=item.finance_status,
        problem_reason=item.problem_reason,
        core_status=item.core_status,
        note=item.note,
        created_at=item.sale_created_at.isoformat(),
        queued_at=item.created_at.isoformat(),
    )


def jackpot_payload(item: dict[str, Any]) -> dict[str, Any]:
    """The ``jackpot`` event's payload of a new queue item (the ingest worker's and a
    manual entry's alike)."""
    return {
        "queue_id": item["id"],
        "subscription_id": item["subscription_id"],
        "revenue_usd": money(item["revenue_usd"]),
        "customer_name": item["customer_name"],
        "campaign_name": item["campaign_name"],
    }
