"""Helpers for the finance API tests: sellers with tokens, claims at a given moment."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from backend.actions.claims import claim_item
from backend.db.types import utcnow
from backend.models import QueueItem
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.realtime.support import add_seller

_n = itertools.count(1)


def seller(db: Database, settings: Settings, name: str, role: str = "sales") -> tuple[int, str]:
    """A seller and their token."""
    return add_seller(db, settings, f"{name.lower()}.{next(_n)}@winroom.io", name, role)


def claim_at(
    db: Database,
    settings: Settings,
    seller_id: int,
    revenue: str = "100.00",
    margin: str | None = "60.00",
    at: datetime | None = None,
    *,
    email: str = "ayse@gmail.com",
    name: str = "Ayşe Yılmaz",
    campaign: str = "Gold 12",
    claim_type: str = "first_sales",
) -> int:
    """A queue item and its claim by ``seller_id`` at ``at`` (default now); the claim id."""
    at = at or utcnow()
    with db.transaction() as s:
        rev = Decimal(revenue)
        item = QueueItem(
            subscription_id=next(_n) + 50_000_000,
            customer_email=email,
            customer_name=name,
            campaign_id=7,
            campaign_name=campaign,
            currency="USD",
            revenue_usd=rev,
            cost_usd=None if margin is None else rev - Decimal(margin),
            margin_amount_usd=None if margin is None else Decimal(margin),
            margin_quality="high",
            sale_created_at=at,
            created_at=at,
        )
        s.add(item)
        s.flush()
        result = claim_item(
            s,
            seller_id=seller_id,
            queue_id=item.id,
            claim_type=claim_type,
            settings=settings,
            now=at,
        )
        return result.claim.id
