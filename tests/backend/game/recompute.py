"""An INDEPENDENT recomputation of the boards: plain Python over the raw rows (claims,
queue items, attribution, adjustments, leads), sharing no code with the engine."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import (
    Attribution,
    Claim,
    ClaimAdjustment,
    LeadAssignmentDaily,
    QueueItem,
    Seller,
)

CENT = Decimal("0.01")


@dataclass
class Totals:
    wins: int = 0
    revenue: Decimal = Decimal(0)
    margin: Decimal = Decimal(0)


def window(period: str, today: date) -> tuple[date, date]:
    if period == "today":
        return today, today
    if period == "15d":
        return today - timedelta(days=14), today
    return date(today.year, today.month, 1), today


def previous_window(period: str, today: date) -> tuple[date, date]:
    if period == "month":
        y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        last = min(today.day, calendar.monthrange(y, m)[1])
        return date(y, m, 1), date(y, m, last)
    first, last = window(period, today)
    n = (last - first).days + 1
    return first - timedelta(days=n), first - timedelta(days=1)


def per_seller(session: Session, tz: str, first: date, last: date) -> dict[int, Totals]:
    zone = ZoneInfo(tz)
    out: dict[int, Totals] = defaultdict(Totals)
    adj: dict[int, Decimal] = defaultdict(Decimal)
    for claim_id, amount in session.execute(
        select(ClaimAdjustment.claim_id, ClaimAdjustment.amount_usd)
    ):
        adj[claim_id] += amount
    attrs = {
        a.claim_id: a
        for a in session.execute(
            select(
                Attribution.claim_id,
                Attribution.closer_seller_id,
                Attribution.closer_share,
                Attribution.assisted_seller_id,
                Attribution.assisted_share,
            )
        )
    }
    items = {
        row.id: row
        for row in session.execute(
            select(
                QueueItem.id, QueueItem.status, QueueItem.revenue_usd, QueueItem.margin_amount_usd
            )
        )
    }
    claims = session.execute(
        select(Claim.id, Claim.queue_id, Claim.claimed_by, Claim.refunded, Claim.claimed_at)
    )
    for c in claims:
        item = items[c.queue_id]
        if c.refunded or item.status == "excluded":
            continue
        if not first <= c.claimed_at.astimezone(zone).date() <= last:
            continue
        out[c.claimed_by].wins += 1
        a = attrs.get(c.id)
        shares = {c.claimed_by: Decimal(1)}
        if a is not None:
            shares = {a.closer_seller_id: a.closer_share}
            if a.assisted_seller_id is not None and a.assisted_share > 0:
                shares[a.assisted_seller_id] = a.assisted_share
        for sid, share in shares.items():
            out[sid].revenue += (item.revenue_usd or 0) * share
            out[sid].margin += ((item.margin_amount_usd or 0) - adj[c.id]) * share
    return out


def leads(session: Session, first: date, last: date) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for row in session.scalars(select(LeadAssignmentDaily)):
        if row.seller_id is not None and first <= row.day <= last:
            out[row.seller_id] += row.leads
    return out


def board(session: Session, tz: str, name: str, period: str, now: datetime) -> list[dict[str, Any]]:
    today = now.astimezone(ZoneInfo(tz)).date()
    first, last = window(period, today)
    totals = per_seller(session, tz, first, last)
    lead = leads(session, first, last)
    sellers = {
        s.id: s.name
        for s in session.scalars(select(Seller))
        if (s.is_active and s.role in ("sales", "sales_lead"))
        or (s.id in totals and (totals[s.id].wins or totals[s.id].revenue or totals[s.id].margin))
    }
    values: dict[int, Any] = {}
    for sid in sellers:
        t = totals.get(sid, Totals())
        if name == "wins":
            values[sid] = t.wins
        elif name == "revenue":
            values[sid] = t.revenue
        elif name == "margin":
            values[sid] = t.margin
        else:
            values[sid] = None if not lead.get(sid) else Decimal(t.wins) / Decimal(lead[sid])
    present = [v for v in values.values() if v is not None]
    out = []
    for sid, v in values.items():
        rank = (1 + sum(1 for x in present if x > v)) if v is not None else len(present) + 1
        if name in ("revenue", "margin"):
            shown: Any = str(Decimal(v).quantize(CENT, rounding=ROUND_HALF_UP))
        elif name == "conversion":
            shown = None if v is None else float(v.quantize(Decimal("0.0001"), ROUND_HALF_UP))
        else:
            shown = v
        out.append(
            {
                "seller_id": sid,
                "name": sellers[sid],
                "value": shown,
                "rank": rank,
                "_sort": (v is None, -(v or 0), sellers[sid].casefold(), sid),
            }
        )
    out.sort(key=lambda e: e.pop("_sort"))
    return out
