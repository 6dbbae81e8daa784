"""Helpers for game tests: sellers, queue items and claims through the claim action the API
runs (``backend.actions.claims.claim_item``)."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions.claims import claim_item
from backend.models import Claim, Event, QueueItem, Seller
from backend.settings import Settings

_ids = itertools.count(1)


def add_seller(session: Session, name: str, role: str = "sales") -> Seller:
    s = Seller(
        email=f"{name.lower().replace(' ', '.')}.{next(_ids)}@example.com",
        name=name,
        role=role,
        password_hash="x",
    )
    session.add(s)
    session.flush()
    return s


def add_item(
    session: Session,
    revenue: str | Decimal | None,
    margin: str | Decimal | None = None,
    *,
    jackpot: bool = False,
    at: datetime,
) -> QueueItem:
    rev = None if revenue is None else Decimal(revenue)
    mar = None if margin is None else Decimal(margin)
    item = QueueItem(
        subscription_id=next(_ids) + 10_000_000,
        source="core",
        revenue_usd=rev,
        margin_amount_usd=mar,
        is_jackpot=jackpot,
        sale_created_at=at,
        created_at=at,
        customer_name="Customer",
        campaign_name="Campaign",
    )
    session.add(item)
    session.flush()
    return item


def claim(
    session: Session,
    seller_id: int,
    item_id: int,
    settings: Settings,
    now: datetime,
    claim_type: str = "first_sales",
) -> Claim:
    return claim_item(
        session,
        seller_id=seller_id,
        queue_id=item_id,
        claim_type=claim_type,
        settings=settings,
        now=now,
    ).claim


def events(session: Session, after: int = 0, types: tuple[str, ...] | None = None) -> list[Event]:
    q = select(Event).where(Event.id > after).order_by(Event.id)
    if types:
        q = q.where(Event.type.in_(types))
    return list(session.scalars(q))
