"""The month overview of ``GET /api/admin/overview?month=YYYY-MM`` (CONTRACT §4a).

A claim counts in the local month (``WINROOM_TIMEZONE``) of its ``claimed_at``, as on the
boards. For a month (and the previous one):

- ``wins``: its claims not refunded, items not excluded (the boards' count);
- ``revenue_usd``, ``cost_usd``: those claims' items' revenue and cost;
- ``adjustments_usd``: the adjustments of those claims;
- ``margin_amount_usd``: their items' margin minus the adjustments — the margin the boards
  show; so ``revenue − cost − adjustments = margin`` wherever the cost is known;
- ``margin_percent``: margin ÷ revenue (a fraction, None without revenue);
- ``refunds_usd`` (and ``refunds``, how many): the month's claims that were refunded (items
  not excluded), at the refund's amount (the item's revenue when the refund named none);
  they are left out of everything above, as they leave the boards.

Past days' per-campaign numbers are cached in the process (:class:`_DayCache` says when a
day is recomputed); today's are read on every request.

``daily`` (every local day of the month, zeros included) and ``by_seller`` (every seller
with numbers that month, ranked by margin, then name) come from the board aggregates
(``seller_day_stats`` / ``seller_month_stats``): a seller's revenue and margin are their
shares, exactly what the boards and the statement count. ``by_campaign``: the totals per
campaign of the item, ranked by margin. Money: exact sums of micro-dollars, shown with two
decimals.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from backend.db.types import Micros, utcnow
from backend.errors import DomainError
from backend.game.daystats import next_month
from backend.game.rules.periods import DayRange, iter_days, local_day, utc_bounds
from backend.models import Claim, ClaimAdjustment, Exclusion, QueueItem, Refund, Seller
from backend.models.game import SellerDayStats, SellerMonthStats
from backend.schemas.common import fraction, money
from backend.settings import Settings

ZERO = Decimal(0)
FOUR = Decimal("0.0001")


@dataclass
class Numbers:
    wins: int = 0
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    gross_margin: Decimal = ZERO
    adjustments: Decimal = ZERO
    refunds: Decimal = ZERO
    refunded: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def out(self) -> dict[str, Any]:
        margin = self.gross_margin - self.adjustments
        return {
            **self.extra,
            "wins": self.wins,
            "revenue_usd": money(self.revenue),
            "cost_usd": money(self.cost),
            "margin_amount_usd": money(margin),
            "adjustments_usd": money(self.adjustments),
            "refunds_usd": money(self.refunds),
            "refunds": self.refunded,
            "margin_percent": fraction(margin / self.revenue) if self.revenue else None,
        }


def parse_month(month: str) -> date:
    """``YYYY-MM`` → its first day; 422 for anything else (or a year outside 1970–9998)."""
    ok = len(month) == 7 and month[4] == "-" and month[:4].isdigit() and month[5:].isdigit()
    if ok and 1970 <= int(month[:4]) <= 9998 and 1 <= int(month[5:]) <= 12:
        return date(int(month[:4]), int(month[5:7]), 1)
    raise DomainError(422, "invalid_month", "The month is YYYY-MM.", field="month")


def month_key(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _days(first: date) -> DayRange:
    return DayRange(first, next_month(first) - timedelta(days=1))


Campaigns = dict[tuple[Any, Any], Numbers]


def _by_campaign(session: Session, start: datetime, end: datetime) -> Campaigns:
    """Live claims with ``start <= claimed_at < end`` per campaign ``(id, name)``, with
    their adjustments; the refunded ones (items not excluded) under ``(None, REFUNDS)``.
    One statement: the adjustments and the refund are index probes per claim."""
    q, c, a = QueueItem, Claim, ClaimAdjustment
    adjusted = (
        select(func.sum(a.amount_usd)).where(a.claim_id == c.id).correlate(c).scalar_subquery()
    )
    stmt = (
        select(
            q.campaign_id,
            q.campaign_name,
            c.refunded,
            func.count(),
            func.sum(q.revenue_usd),
            func.sum(q.cost_usd),
            func.sum(q.margin_amount_usd),
            func.sum(type_coerce(adjusted, Micros())),
            func.sum(func.coalesce(Refund.amount_usd, q.revenue_usd, 0)),
        )
        .select_from(c)
        .join(q, q.id == c.queue_id)
        .outerjoin(Refund, Refund.claim_id == c.id)
        .where(c.claimed_at >= start, c.claimed_at < end, q.status != "excluded")
        .group_by(q.campaign_id, q.campaign_name, c.refunded)
    )
    out: Campaigns = {}
    for cid, name, refunded, n, revenue, cost, margin, adj, refund in session.execute(stmt):
        if refunded:
            got = out.setdefault((None, REFUNDS), Numbers())
            got.refunded += int(n)
            got.refunds += _money_sum(refund)
            continue
        out[(cid, name)] = Numbers(
            wins=int(n),
            revenue=_money_sum(revenue),
            cost=_money_sum(cost),
            gross_margin=_money_sum(margin),
            adjustments=_money_sum(adj),
        )
    return out


REFUNDS = object()  # the key of a day's refunds in a Campaigns map


class _DayCache:
    """Per-campaign numbers of past local days (today is never cached).

    A past day's numbers change only when one of its claims is refunded, adjusted or its
    item excluded — each adds a row to ``refunds``, ``claim_adjustments`` or ``exclusions``
    (no API edits an item's money or a claim's time). Each request reads those tables'
    highest ids; rows beyond the last seen ones name the days to forget. A day's entry also
    keeps the fingerprint of its ``seller_day_stats`` rows (how many, their sums, their
    latest ``updated_at``), so a day whose claims changed any other way is recomputed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: weakref.WeakKeyDictionary[Any, _EngineDays] = weakref.WeakKeyDictionary()

    def days_for(self, session: Session) -> _EngineDays:
        engine = session.get_bind().engine
        with self._lock:
            state = self._state.get(engine)
            if state is None:
                state = self._state[engine] = _EngineDays()
        state.catch_up(session)
        return state


@dataclass
class _EngineDays:
    marks: tuple[int, int, int] | None = None  # highest refund, adjustment, exclusion ids
    days: dict[Any, tuple[Any, Campaigns]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def catch_up(self, session: Session) -> None:
        """Forget the days of refunds, adjustments and exclusions added since last time."""
        tables: tuple[Any, ...] = (Refund, ClaimAdjustment, Exclusion)
        marks = tuple(int(session.scalar(select(func.max(t.id))) or 0) for t in tables)
        with self.lock:
            seen = self.marks
            if seen == marks:
                return
            if seen is None or any(now < was for now, was in zip(marks, seen, strict=True)):
                self.days.clear()  # a fresh cache, or rows went away (a replaced database)
                self.marks = marks  # type: ignore[assignment]
                return
        moments: list[datetime] = []
        for t, was, now in zip(tables, seen, marks, strict=True):
            if now == was:
                continue
            link = Claim.queue_id == t.queue_id if t is Exclusion else Claim.id == t.claim_id
            moments += session.scalars(
                select(Claim.claimed_at).join(t, link).where(t.id > was, t.id <= now)
            )
        with self.lock:
            gone = {at.date() for at in moments}
            for key in [k for k in self.days if _near(k[1], gone)]:
                del self.days[key]
            self.marks = marks  # type: ignore[assignment]

    def get(self, key: Any, fingerprint: Any) -> Campaigns | None:
        with self.lock:
            hit = self.days.get(key)
        return hit[1] if hit is not None and hit[0] == fingerprint else None

    def put(self, key: Any, fingerprint: Any, numbers: Campaigns) -> None:
        with self.lock:
            self.days[key] = (fingerprint, numbers)
            while len(self.days) > MAX_CACHED_DAYS:
                self.days.pop(next(iter(self.days)))


def _near(day: date, utc_days: set[date]) -> bool:
    """``day`` (local) may hold a claim of one of ``utc_days`` (UTC dates): local days are
    within a day of the UTC date in every time zone."""
    return any(abs((day - d).days) <= 1 for d in utc_days)


MAX_CACHED_DAYS = 800
_cache = _DayCache()


def _fingerprints(session: Session, first: date, last: date) -> dict[date, tuple[Any, ...]]:
    d = SellerDayStats
    return {
        row[0]: tuple(row)
        for row in session.execute(
            select(
                d.day,
                func.count(),
                func.sum(d.wins),
                func.sum(d.revenue),
                func.sum(d.margin),
                func.max(d.updated_at),
            )
            .where(d.day >= first, d.day <= last)
            .group_by(d.day)
        )
    }


def _month(
    session: Session,
    first: date,
    settings: Settings,
    today: date,
    prints: dict[date, tuple[Any, ...]],
) -> tuple[Numbers, Campaigns]:
    """The month's totals and per-campaign numbers, day by day (past days cached)."""
    cache = _cache.days_for(session)
    merged: Campaigns = {}
    for day in iter_days(_days(first)):
        if day > today:
            break
        key = (settings.timezone, day)
        fingerprint = prints.get(day)
        numbers = cache.get(key, fingerprint) if day < today else None
        if numbers is None:
            start, end = utc_bounds(DayRange(day, day), settings.tz)
            numbers = _by_campaign(session, start, end)
            if day < today:
                cache.put(key, fingerprint, numbers)
        for k, n in numbers.items():
            m = merged.setdefault(k, Numbers())
            m.wins += n.wins
            m.revenue += n.revenue
            m.cost += n.cost
            m.gross_margin += n.gross_margin
            m.adjustments += n.adjustments
            m.refunds += n.refunds
            m.refunded += n.refunded
    total = Numbers()
    for n in merged.values():
        total.wins += n.wins
        total.revenue += n.revenue
        total.cost += n.cost
        total.gross_margin += n.gross_margin
        total.adjustments += n.adjustments
        total.refunds += n.refunds
        total.refunded += n.refunded
    merged.pop((None, REFUNDS), None)
    return total, merged


def _money_sum(value: Any) -> Decimal:
    return Decimal(value) if value is not None else ZERO


def overview(
    session: Session, month: str | None, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """The overview of ``month`` (``YYYY-MM``; default: the current local month)."""
    today = local_day(now or utcnow(), settings.tz)
    first = parse_month(month) if month else today.replace(day=1)
    prev = previous_month(first)
    days = _days(first)
    prints = _fingerprints(session, prev, days.last)
    totals, campaigns = _month(session, first, settings, today, prints)
    previous, _ = _month(session, prev, settings, today, prints)

    daily = []
    for day in iter_days(days):
        _day, _rows, w, r, m, _at = prints.get(day, (day, 0, 0, ZERO, ZERO, None))
        w, r, m = int(w or 0), _money_sum(r), _money_sum(m)
        daily.append(
            {
                "date": day.isoformat(),
                "wins": w,
                "revenue_usd": money(r),
                "margin_amount_usd": money(m),
            }
        )

    ms = SellerMonthStats
    sellers = session.execute(
        select(Seller.id, Seller.name, ms.wins, ms.revenue, ms.margin)
        .join(ms, ms.seller_id == Seller.id)
        .where(ms.month == first)
    ).all()
    ranked = sorted(sellers, key=lambda r: (-Decimal(r[4]), str(r[1]).casefold(), r[0]))
    by_seller = [
        {
            "seller_id": sid,
            "name": name,
            "wins": int(w),
            "revenue_usd": money(Decimal(r)),
            "margin_amount_usd": money(Decimal(m)),
            "margin_percent": fraction(Decimal(m) / Decimal(r)) if r else None,
        }
        for sid, name, w, r, m in ranked
    ]

    by_campaign = []
    for (cid, name), n in sorted(
        campaigns.items(),
        key=lambda kv: (-(kv[1].gross_margin - kv[1].adjustments), kv[0][0] is None, kv[0][0] or 0),
    ):
        n.extra = {"campaign_id": cid, "name": name}
        row = n.out()
        for key in ("refunds_usd", "refunds"):
            row.pop(key)
        by_campaign.append(row)

    return {
        "month": month_key(first),
        "totals": totals.out(),
        "previous_month": month_key(prev),
        "previous": previous.out(),
        "daily": daily,
        "by_seller": by_seller,
        "by_campaign": by_campaign,
    }
