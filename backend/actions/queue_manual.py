"""A manual queue entry by a sales lead or an admin (amount converted to USD), ``queue.new``."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from backend.actions.errors import ActionError
from backend.db.types import utcnow
from backend.eventlog import append_event
from backend.models import QueueItem
from backend.rules import money as money_rules
from backend.schemas.queue import queue_item_out
from backend.settings import Settings

MAX_AMOUNT = Decimal("10000000")  # 10 million: anything above is a typo


def to_usd(
    amount: Decimal, currency: str, settings: Settings, try_per_usd: Decimal | None
) -> Decimal:
    """USD of ``amount``: TRY at the core database's ``dolar`` rate, SAR at the fixed rate."""
    rates = money_rules.Rates(try_per_usd=try_per_usd, sar_per_usd=settings.sar_per_usd)
    try:
        return money_rules.to_usd(amount, currency, rates)
    except money_rules.Problem as exc:
        if exc.reason == money_rules.MISSING_RATE:
            raise ActionError(
                422, "missing_rate", f"No conversion rate for {currency} is known yet."
            ) from None
        raise ActionError(422, "unknown_currency", f"Unknown currency {currency!r}.") from None


def add_manual_item(
    session: Session,
    *,
    created_by: int,
    customer_email: str,
    customer_name: str,
    campaign_id: int | None,
    amount: Decimal,
    currency: str,
    note: str | None,
    settings: Settings,
    try_per_usd: Decimal | None = None,
) -> QueueItem:
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ActionError(422, "invalid_amount", "The amount must be between 0 and 10 million.")
    revenue = to_usd(amount, currency, settings, try_per_usd)
    now = utcnow()
    item = QueueItem(
        source="manual",
        customer_email=customer_email,
        customer_name=customer_name,
        campaign_id=campaign_id,
        currency=currency.upper(),
        status="pending",
        finance_status="waiting",
        revenue_usd=revenue,
        margin_quality="unknown",
        is_jackpot=False,
        sale_created_at=now,
        note=note,
        created_by=created_by,
        created_at=now,
    )
    session.add(item)
    session.flush()
    append_event(session, "queue.new", {"item": queue_item_out(item).model_dump(mode="json")})
    return item
