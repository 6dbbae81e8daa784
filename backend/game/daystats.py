"""The per-seller-per-local-day aggregate behind every board (exact, recomputed in place).

Board numbers of one claim for one seller (the seed's SQL, made exact):
- wins: claims ``claimed_by`` the seller (the closer), not refunded, item not excluded;
- revenue: the seller's share entry ``revenue_usd`` (item revenue × share);
- margin: the share entry ``margin_usd`` minus the claim's adjustments × the share
  (rounded half-up to the micro-dollar), refunded claims and excluded items left out.
A claim counts on the local day (``WINROOM_TIMEZONE``) of its ``claimed_at``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from backend.db.micros import share_of  # also the game's import of it (admin actions)
from backend.db.types import UTCDateTime
from backend.game.rules.periods import DayRange, local_day, local_midnight, utc_bounds
from backend.models import AttributionShareEntry, CacheKV, Claim, ClaimAdjustment, QueueItem
from backend.models.game import SellerDayStats, SellerMonthStats

TZ_MARKER_KEY = "game:day_stats_tz"


@dataclass
class DayNumbers:
    wins: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal(0))
    margin: Decimal = field(default_factory=lambda: Decimal(0))

    def is_zero(self) -> bool:
        return self.wins == 0 and self.revenue == 0 and self.margin == 0


def month_start(day: date) -> date:
    """The first day of ``day``'s month (the key of its ``seller_month_stats`` rows)."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def refresh_months(
    session: Session, months: Iterable[date], now: datetime, seller_ids: Iterable[int] | None = None
) -> None:
    """Recompute the ``seller_month_stats`` rows of ``months`` (first days) from the day rows
    (``seller_ids``: only theirs; default every seller): each row becomes exactly the sum of
    the seller's day rows of the month, or goes when there are none."""
    ids = None if seller_ids is None else sorted(set(seller_ids))
    if ids is not None and not ids:
        return
    session.flush()
    m, d = SellerMonthStats, SellerDayStats
    for month in sorted(set(months)):
        gone = delete(m).where(m.month == month)
        sums = (
            select(
                literal(month, Date()),
                d.seller_id,
                func.sum(d.wins),
                func.sum(d.revenue),
                func.sum(d.margin),
                literal(now, UTCDateTime()),
            )
            .where(d.day >= month, d.day < next_month(month))
            .group_by(d.seller_id)
        )
        if ids is not None:
            gone = gone.where(m.seller_id.in_(ids))
            sums = sums.where(d.seller_id.in_(ids))
        session.execute(gone, execution_options={"synchronize_session": False})
        session.execute(
            insert(m).from_select(
                ["month", "seller_id", "wins", "revenue", "margin", "updated_at"], sums
            )
        )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, SellerMonthStats):
            session.expire(obj)


def compute_range(
    session: Session,
    start: datetime,
    end: datetime,
    seller_ids: Iterable[int] | None = None,
    claim_type: str | None = None,
) -> dict[int, DayNumbers]:
    """Board numbers per seller for claims with ``start <= claimed_at < end`` (and of
    ``claim_type`` only, when given: a challenge's own filter)."""
    ids = None if seller_ids is None else sorted(set(seller_ids))
    out: dict[int, DayNumbers] = defaultdict(DayNumbers)
    if ids is not None and not ids:
        return out
    live: tuple[Any, ...] = (Claim.refunded.is_(False), QueueItem.status != "excluded")
    if claim_type is not None:
        live = (*live, Claim.claim_type == claim_type)

    wq = (
        select(Claim.claimed_by, func.count())
        .join(QueueItem, QueueItem.id == Claim.queue_id)
        .where(Claim.claimed_at >= start, Claim.claimed_at < end, *live)
        .group_by(Claim.claimed_by)
    )
    if ids is not None:
        wq = wq.where(Claim.claimed_by.in_(ids))
    for seller_id, wins in session.execute(wq):
        out[seller_id].wins = int(wins)

    e = AttributionShareEntry
    eq = (
        select(e.seller_id, e.claim_id, e.share, e.revenue_usd, e.margin_usd)
        .join(Claim, Claim.id == e.claim_id)
        .join(QueueItem, QueueItem.id == Claim.queue_id)
        .where(e.claimed_at >= start, e.claimed_at < end, e.refunded.is_(False), *live)
    )
    if ids is not None:
        eq = eq.where(e.seller_id.in_(ids))
    entries = session.execute(eq).all()
    adjustments: dict[int, Decimal] = {}
    claim_ids = sorted({row.claim_id for row in entries})
    for chunk_start in range(0, len(claim_ids), 500):
        chunk = claim_ids[chunk_start : chunk_start + 500]
        aq = (
            select(ClaimAdjustment.claim_id, func.sum(ClaimAdjustment.amount_usd))
            .where(ClaimAdjustment.claim_id.in_(chunk))
            .group_by(ClaimAdjustment.claim_id)
        )
        for claim_id, total in session.execute(aq):
            adjustments[claim_id] = Decimal(total or 0)
    for row in entries:
        numbers = out[row.seller_id]
        numbers.revenue += row.revenue_usd or Decimal(0)
        margin = row.margin_usd or Decimal(0)
        adj = adjustments.get(row.claim_id)
        if adj:
            margin -= share_of(adj, row.share)
        numbers.margin += margin
    return out


def refresh(
    session: Session, tz: tzinfo, pairs: Iterable[tuple[int, date]], now: datetime
) -> dict[tuple[int, date], DayNumbers]:
    """Recompute the aggregate rows of the given (seller, local day) pairs from the base
    rows and write them (a row of zeros is removed). Returns the new numbers."""
    by_day: dict[date, set[int]] = defaultdict(set)
    for seller_id, day in pairs:
        by_day[day].add(seller_id)
    result: dict[tuple[int, date], DayNumbers] = {}
    for day, sellers in sorted(by_day.items()):
        start, end = utc_bounds(DayRange(day, day), tz)
        numbers = compute_range(session, start, end, sellers)
        for seller_id in sorted(sellers):
            n = numbers.get(seller_id, DayNumbers())
            result[(seller_id, day)] = n
            _write(session, seller_id, day, n, now)
    months: dict[date, set[int]] = defaultdict(set)
    for day, sellers in by_day.items():
        months[month_start(day)] |= sellers
    for month, sellers in sorted(months.items()):
        refresh_months(session, [month], now, sellers)
    return result


def _write(session: Session, seller_id: int, day: date, n: DayNumbers, now: datetime) -> None:
    row = session.get(SellerDayStats, (day, seller_id))
    if n.is_zero():
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(
            SellerDayStats(
                day=day,
                seller_id=seller_id,
                wins=n.wins,
                revenue=n.revenue,
                margin=n.margin,
                updated_at=now,
            )
        )
    else:
        row.wins, row.revenue, row.margin, row.updated_at = n.wins, n.revenue, n.margin, now
    session.flush()


def claim_days(session: Session, tz: tzinfo, claim_ids: Iterable[int]) -> dict[int, date]:
    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    rows = session.execute(select(Claim.id, Claim.claimed_at).where(Claim.id.in_(ids)))
    return {cid: local_day(at, tz) for cid, at in rows}


def rebuild(
    session: Session, tz: tzinfo, tz_name: str, now: datetime, days: DayRange | None = None
) -> int:
    """Rebuild the aggregate for ``days`` (default: every day that has claims) and record
    the time zone it was built for. Returns the number of rows written."""
    if days is None:
        first, last = session.execute(
            select(func.min(Claim.claimed_at), func.max(Claim.claimed_at))
        ).one()
        session.execute(delete(SellerDayStats))
        session.execute(delete(SellerMonthStats))
        if first is None:
            _mark_tz(session, tz_name, now)
            return 0
        days = DayRange(local_day(first, tz), local_day(last, tz))
    else:
        session.execute(
            delete(SellerDayStats).where(
                SellerDayStats.day >= days.first, SellerDayStats.day <= days.last
            )
        )
    written = 0
    day = days.first
    rows: list[dict[str, object]] = []
    while day <= days.last:
        start, end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
        for seller_id, n in compute_range(session, start, end).items():
            if not n.is_zero():
                rows.append(
                    {
                        "day": day,
                        "seller_id": seller_id,
                        "wins": n.wins,
                        "revenue": n.revenue,
                        "margin": n.margin,
                        "updated_at": now,
                    }
                )
        if len(rows) >= 5000:
            session.execute(insert(SellerDayStats), rows)
            written += len(rows)
            rows = []
        day += timedelta(days=1)
    if rows:
        session.execute(insert(SellerDayStats), rows)
        written += len(rows)
    months, month = [], month_start(days.first)
    while month <= days.last:
        months.append(month)
        month = next_month(month)
    refresh_months(session, months, now)
    _mark_tz(session, tz_name, now)
    return written


def built_for_tz(session: Session) -> str | None:
    row = session.get(CacheKV, TZ_MARKER_KEY)
    return None if row is None else str((row.value or {}).get("tz"))


def _mark_tz(session: Session, tz_name: str, now: datetime) -> None:
    row = session.get(CacheKV, TZ_MARKER_KEY)
    if row is None:
        session.add(CacheKV(key=TZ_MARKER_KEY, value={"tz": tz_name}, updated_at=now))
    else:
        row.value, row.updated_at = {"tz": tz_name}, now
    session.flush()


def sums(
    session: Session, days: DayRange, seller_ids: Iterable[int] | None = None
) -> dict[int, DayNumbers]:
    """Board numbers per seller over local ``days`` (from the aggregate)."""
    q = (
        select(
            SellerDayStats.seller_id,
            func.sum(SellerDayStats.wins),
            func.sum(SellerDayStats.revenue),
            func.sum(SellerDayStats.margin),
        )
        .where(SellerDayStats.day >= days.first, SellerDayStats.day <= days.last)
        .group_by(SellerDayStats.seller_id)
    )
    if seller_ids is not None:
        ids = sorted(set(seller_ids))
        if not ids:
            return {}
        q = q.where(SellerDayStats.seller_id.in_(ids))
    return {
        sid: DayNumbers(int(w or 0), Decimal(r or 0), Decimal(m or 0))
        for sid, w, r, m in session.execute(q)
    }
