"""Sellers as the admin window lists them, with this month's numbers, and one seller's
performance (CONTRACT §4a)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from backend.db.types import utcnow
from backend.errors import not_found
from backend.game import read as game
from backend.game.daystats import month_start
from backend.game.rules.periods import iter_days, local_day, period_days
from backend.models import Seller
from backend.models.game import SellerDayStats, SellerMonthStats
from backend.schemas.common import money
from backend.settings import Settings

ZERO = Decimal(0)


def sellers_query(settings: Settings, now: datetime | None = None) -> Select[Any]:
    """Every seller with this local month's row of ``seller_month_stats`` (or none)."""
    month = month_start(local_day(now or utcnow(), settings.tz))
    m = SellerMonthStats
    stmt: Any = select(Seller, m.wins, m.revenue, m.margin).outerjoin(
        m, and_(m.seller_id == Seller.id, m.month == month)
    )
    return stmt


def seller_out(seller: Seller, wins: int | None, revenue: Any, margin: Any) -> dict[str, Any]:
    return {
        "id": seller.id,
        "email": seller.email,
        "name": seller.name,
        "role": seller.role,
        "is_active": seller.is_active,
        "hidden_from_tv": seller.hidden_from_tv,
        "version": seller.version,
        "wins": int(wins or 0),
        "revenue_usd": money(Decimal(revenue or ZERO)),
        "margin_amount_usd": money(Decimal(margin or ZERO)),
    }


def one_seller(session: Session, seller_id: int, settings: Settings) -> dict[str, Any]:
    row = session.execute(sellers_query(settings).where(Seller.id == seller_id)).first()
    if row is None:
        raise not_found("seller")
    return seller_out(row[0], row[1], row[2], row[3])


def performance(
    session: Session,
    seller_id: int,
    period: str,
    settings: Settings,
    now: datetime | None = None,
) -> dict[str, Any]:
    """``{"seller_id", "name", "period", <GET /api/me/metrics fields>, "daily": [{date,
    wins, revenue_usd, margin_amount_usd}]}``: one entry per local day of the period, oldest
    first, zeros included (numbers as the boards count them: margin after adjustments,
    refunded claims and excluded items left out)."""
    now = now or utcnow()
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise not_found("seller")
    metrics = game.my_metrics(session, seller_id, period, settings, now)
    days = period_days(period, local_day(now, settings.tz))
    d = SellerDayStats
    rows = {
        day: (wins, revenue, margin)
        for day, wins, revenue, margin in session.execute(
            select(d.day, d.wins, d.revenue, d.margin).where(
                d.seller_id == seller_id, d.day >= days.first, d.day <= days.last
            )
        )
    }
    daily = []
    for day in iter_days(days):
        wins, revenue, margin = rows.get(day, (0, ZERO, ZERO))
        daily.append(
            {
                "date": day.isoformat(),
                "wins": int(wins),
                "revenue_usd": money(Decimal(revenue)),
                "margin_amount_usd": money(Decimal(margin)),
            }
        )
    return {"seller_id": seller.id, "name": seller.name, **metrics, "daily": daily}
