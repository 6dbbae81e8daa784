"""A month's statement (CONTRACT §4a ``statement.csv``): one row per seller, computed from
the claims, their shares, adjustments, refunds and the clawbacks posted to the month.

Per seller, over the claims claimed in the local month (``WINROOM_TIMEZONE``) whose queue
item is not excluded (see docs/admin-api/finance.md):
- ``wins``: claims the seller closed (refunded ones included: what was sold);
- ``revenue_usd`` / ``margin_amount_usd``: the seller's share entries (item × share);
- ``adjustments_usd``: each adjustment × the seller's share, of claims not refunded;
- ``refunds_usd``: the seller's share of the margin of refunded claims;
- ``clawbacks_usd``: what changes to claims of closed months took back (posted here);
- ``net_margin_usd`` = margin − adjustments − refunds − clawbacks (exact, then rounded).
Without clawbacks, ``net_margin_usd`` is the month board's margin of that seller.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import DomainError
from backend.game.daystats import next_month, share_of
from backend.game.rules.periods import local_midnight
from backend.models import AttributionShareEntry, Claim, ClaimAdjustment, QueueItem, Seller
from backend.models.admin import Clawback, ClosedPeriod
from backend.reads.claims import unindexed
from backend.schemas.common import money

COLUMNS = (
    "seller_id",
    "name",
    "wins",
    "revenue_usd",
    "margin_amount_usd",
    "adjustments_usd",
    "refunds_usd",
    "clawbacks_usd",
    "net_margin_usd",
)
BOM = "\ufeff"
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def parse_month(text: str | None, field_name: str = "month") -> date:
    """``YYYY-MM`` → the month's first day; 422 naming the field otherwise."""
    m = _MONTH.fullmatch(text or "")
    if m is None or int(m.group(1)) < 1:
        raise DomainError(
            422, "invalid_month", f"{field_name} is a month as YYYY-MM.", field=field_name
        )
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_bounds(month: date, tz: Any) -> tuple[datetime, datetime]:
    return local_midnight(month, tz), local_midnight(next_month(month), tz)


@dataclass
class Line:
    seller_id: int
    name: str = ""
    wins: int = 0
    revenue: Decimal = field(default_factory=Decimal)
    margin: Decimal = field(default_factory=Decimal)
    adjustments: Decimal = field(default_factory=Decimal)
    refunds: Decimal = field(default_factory=Decimal)
    clawbacks: Decimal = field(default_factory=Decimal)

    @property
    def net(self) -> Decimal:
        return self.margin - self.adjustments - self.refunds - self.clawbacks


def compute(session: Session, month: date, tz: Any) -> list[Line]:
    """Every seller's line of ``month`` (sellers with any number), by seller id."""
    start, end = month_bounds(month, tz)
    lines: dict[int, Line] = {}

    def line(sid: int) -> Line:
        got = lines.get(sid)
        if got is None:
            got = lines[sid] = Line(sid)
        return got

    e = AttributionShareEntry
    # the month's claims whose item is excluded: few, read from the queue's status index,
    # so that the sums below need not join every claim to its item
    when = (
        unindexed(Claim.claimed_at)
        if session.get_bind().dialect.name == "sqlite"
        else Claim.claimed_at
    )
    excluded = (
        select(Claim.id)
        .select_from(QueueItem)
        .join(Claim, Claim.queue_id == QueueItem.id)
        .where(QueueItem.status == "excluded", when >= start, when < end)
    )
    sums = (
        select(e.seller_id, e.refunded, func.sum(e.revenue_usd), func.sum(e.margin_usd))
        .where(e.claimed_at >= start, e.claimed_at < end, e.claim_id.not_in(excluded))
        .group_by(e.seller_id, e.refunded)
    )
    for sid, refunded, revenue, margin in session.execute(sums):
        ln = line(sid)
        ln.revenue += Decimal(revenue or 0)
        ln.margin += Decimal(margin or 0)
        if refunded:
            ln.refunds += Decimal(margin or 0)
    wins = (
        select(Claim.claimed_by, func.count())
        .where(Claim.claimed_at >= start, Claim.claimed_at < end, Claim.id.not_in(excluded))
        .group_by(Claim.claimed_by)
    )
    for sid, n in session.execute(wins):
        line(sid).wins += int(n)
    adjusted = (
        select(e.id, e.seller_id, e.share, func.sum(ClaimAdjustment.amount_usd))
        .join(ClaimAdjustment, ClaimAdjustment.claim_id == e.claim_id)
        .where(
            e.claimed_at >= start,
            e.claimed_at < end,
            e.refunded.is_(False),
            e.claim_id.not_in(excluded),
        )
        .group_by(e.id, e.seller_id, e.share)
    )
    for _eid, sid, share, total in session.execute(adjusted):
        line(sid).adjustments += share_of(Decimal(total or 0), share)
    clawbacks = (
        select(Clawback.seller_id, func.sum(Clawback.margin_usd))
        .where(Clawback.month == month_text(month))
        .group_by(Clawback.seller_id)
    )
    for sid, total in session.execute(clawbacks):
        line(sid).clawbacks += Decimal(total or 0)
    if lines:
        names = session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(sorted(lines))))
        for sid, name in names:
            lines[sid].name = name
    return [lines[sid] for sid in sorted(lines)]


def to_csv(lines: list[Line]) -> str:
    """The statement as text: a byte-order mark, RFC 4180 (CRLF, quoted where needed)."""
    buf = io.StringIO()
    buf.write(BOM)
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for ln in lines:
        w.writerow(
            [
                ln.seller_id,
                ln.name,
                ln.wins,
                money(ln.revenue),
                money(ln.margin),
                money(ln.adjustments),
                money(ln.refunds),
                money(ln.clawbacks),
                money(ln.net),
            ]
        )
    return buf.getvalue()


def statement_text(session: Session, month: date, tz: Any) -> str:
    """The statement of ``month``: the frozen text of a closed month, else computed now."""

    closed = session.get(ClosedPeriod, month_text(month))
    if closed is not None and closed.reopened_at is None:
        return closed.statement_csv
    return to_csv(compute(session, month, tz))


def by_seller(lines: list[Line]) -> dict[int, Line]:
    out: dict[int, Line] = defaultdict(lambda: Line(0))
    out.update({ln.seller_id: ln for ln in lines})
    return out
