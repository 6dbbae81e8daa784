"""Claims as finance sees them (CONTRACT §4a ``GET /api/admin/claims``, a claim's detail,
``claims.csv``): filters, sorts, keyset pages, the claim's API shape. Never writes.

Paging is by keyset on (sort value, tie-breaker id) with a row-value comparison, so every
page costs what the first costs. Claims without a revenue (or margin) sort last in both
directions: the NULL rows are a second segment read after the others.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.db.types import MICRO
from backend.errors import DomainError, not_found
from backend.game.rules.periods import DayRange, utc_bounds
from backend.models import (
    AttributionShareEntry,
    AuditLog,
    Claim,
    ClaimAdjustment,
    Installment,
    InstallmentPayment,
    Objection,
    QueueItem,
    Refund,
    Seller,
)
from backend.models._common import CLAIM_TYPES, FINANCE_STATUSES
from backend.schemas.common import money

SHARE_PLACES = Decimal("0.0001")
SORTS = (
    "claimed_at",
    "-claimed_at",
    "revenue_usd",
    "-revenue_usd",
    "margin_amount_usd",
    "-margin_amount_usd",
)
DEFAULT_SORT = "-claimed_at"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_Q = 200


def _bad(field: str, message: str) -> DomainError:
    return DomainError(422, "invalid_filter", message, field=field)


@dataclass(frozen=True)
class ClaimFilters:
    """The list's filters, checked (CONTRACT §4a); every one optional, combined with AND."""

    start: datetime | None = None  # claimed_at >= start (UTC; local midnight of ``from``)
    end: datetime | None = None  # claimed_at < end (local midnight after ``to``)
    seller_id: int | None = None  # the closer
    finance_status: str | None = None
    claim_type: str | None = None
    refunded: bool | None = None
    q: str | None = None


def parse_date(field: str, text: str | None) -> date | None:
    if text is None or text == "":
        return None
    if not _DATE.fullmatch(text):
        raise _bad(field, f"{field} is a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(field, f"{field} is not a calendar date.") from None


def parse_filters(
    session: Session,
    tz: Any,
    *,
    from_: str | None = None,
    to: str | None = None,
    seller_id: int | None = None,
    finance_status: str | None = None,
    claim_type: str | None = None,
    refunded: str | None = None,
    q: str | None = None,
) -> ClaimFilters:
    """The filters from their text; 422 ``invalid_filter`` naming the field otherwise."""
    first, last = parse_date("from", from_), parse_date("to", to)
    if first is not None and last is not None and first > last:
        raise _bad("from", "from is after to: the dates are in the wrong order.")
    start = utc_bounds(DayRange(first, first), tz)[0] if first else None
    end = utc_bounds(DayRange(last, last), tz)[1] if last else None
    if finance_status is not None and finance_status not in FINANCE_STATUSES:
        raise _bad("finance_status", f"finance_status is one of {', '.join(FINANCE_STATUSES)}.")
    if claim_type is not None and claim_type not in CLAIM_TYPES:
        raise _bad("claim_type", f"claim_type is one of {', '.join(CLAIM_TYPES)}.")
    flag: bool | None = None
    if refunded is not None:
        if refunded not in ("true", "false"):
            raise _bad("refunded", "refunded is true or false.")
        flag = refunded == "true"
    if seller_id is not None and session.get(Seller, seller_id) is None:
        raise _bad("seller_id", "There is no such seller.")
    text = None
    if q is not None:
        text = q.strip()
        if len(text) > MAX_Q:
            raise _bad("q", f"q is at most {MAX_Q} characters.")
        if "\x00" in text:
            raise _bad("q", "q must not contain NUL characters.")
        text = text or None
    return ClaimFilters(start, end, seller_id, finance_status, claim_type, flag, text)


def parse_sort(sort: str | None) -> str:
    if sort is None or sort == "":
        return DEFAULT_SORT
    if sort not in SORTS:
        raise _bad("sort", f"sort is one of {', '.join(SORTS)}.")
    return sort


# ---- the query ----------------------------------------------------------------------

_COLUMNS = (
    Claim.id,
    Claim.version,
    Claim.queue_id,
    Claim.subscription_id,
    Claim.claimed_by,
    Claim.claim_type,
    Claim.finance_status,
    Claim.claimed_at,
    Claim.refunded,
    Claim.installment_plan_id,
    Claim.note,
    QueueItem.customer_email,
    QueueItem.customer_name,
    QueueItem.campaign_id,
    QueueItem.campaign_name,
    QueueItem.revenue_usd,
    QueueItem.cost_usd,
    QueueItem.margin_amount_usd,
    QueueItem.status.label("queue_status"),
)


def _micros(col: Any, name: str) -> Any:
    """A money column as its stored integer (micro-dollars), without the Decimal."""
    return type_coerce(col, BigInteger).label(name)


# the CSV's columns, in the order of ``backend.reads.exports.CLAIM_COLUMNS`` (money raw)
LEAN_COLUMNS = (
    Claim.id,
    Claim.version,
    Claim.queue_id,
    Claim.subscription_id,
    Claim.claimed_by,
    Claim.claim_type,
    Claim.finance_status,
    type_coerce(Claim.claimed_at, String).label("claimed_at_raw"),  # text on SQLite
    QueueItem.customer_email,
    QueueItem.customer_name,
    QueueItem.campaign_id,
    QueueItem.campaign_name,
    _micros(QueueItem.revenue_usd, "revenue_m"),
    _micros(QueueItem.cost_usd, "cost_m"),
    _micros(QueueItem.margin_amount_usd, "margin_m"),
    Claim.refunded,
    QueueItem.status.label("queue_status"),
    Claim.installment_plan_id,
    Claim.note,
)


def _moment(v: Any) -> datetime:
    """A raw ``claimed_at`` (SQLite's text or the driver's datetime) as an aware UTC one."""
    at = datetime.fromisoformat(v) if isinstance(v, str) else v
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def unindexed(col: Any) -> Any:
    """``+claims.col``: the same value, but SQLite will not use an index for the term
    (SQLite only: PostgreSQL has no unary ``+`` for every type)."""
    return literal_column(f"+{col.table.name}.{col.name}", col.type)


def _conditions(f: ClaimFilters, *, plain: bool = False) -> list[ColumnElement[bool]]:
    c = unindexed if plain else (lambda col: col)
    out: list[ColumnElement[bool]] = []
    if f.start is not None:
        out.append(c(Claim.claimed_at) >= f.start)
    if f.end is not None:
        out.append(c(Claim.claimed_at) < f.end)
    if f.seller_id is not None:
        out.append(c(Claim.claimed_by) == f.seller_id)
    if f.finance_status is not None:
        out.append(c(Claim.finance_status) == f.finance_status)
    if f.claim_type is not None:
        out.append(c(Claim.claim_type) == f.claim_type)
    if f.refunded is not None:
        out.append(c(Claim.refunded).is_(f.refunded))
    if f.q is not None:
        out.append(
            QueueItem.customer_email.icontains(f.q, autoescape=True)
            | QueueItem.customer_name.icontains(f.q, autoescape=True)
            | QueueItem.campaign_name.icontains(f.q, autoescape=True)
        )
    return out


def count(session: Session, f: ClaimFilters) -> int:
    """How many claims the filters select (the queue joined only for ``q``)."""
    stmt = select(func.count()).select_from(Claim)
    if f.q is not None:
        stmt = stmt.join(QueueItem, QueueItem.id == Claim.queue_id)
    return int(session.scalar(stmt.where(*_conditions(f))) or 0)


@dataclass(frozen=True)
class Order:
    """A sort: its value column (``nullable``: NULL rows come last), the tie-breaker."""

    value: Any
    tie: Any
    descending: bool
    nullable: bool


def order_of(sort: str) -> Order:
    desc = sort.startswith("-")
    name = sort.lstrip("-")
    if name == "claimed_at":
        return Order(Claim.claimed_at, Claim.id, desc, False)
    col = QueueItem.revenue_usd if name == "revenue_usd" else QueueItem.margin_amount_usd
    return Order(col, QueueItem.id, desc, True)  # ix_queue_revenue_id, ix_queue_margin_id


def read_plan(
    session: Session, f: ClaimFilters, order: Order, total: int | None, want: int
) -> str | None:
    """How SQLite should read a page, when its planner's choice is known to be bad (None:
    let it choose; PostgreSQL weighs this itself). The planner walks the sort's index and
    checks the filters on each row when no filter has an index (``q``), and reads through
    a filter's index and sorts when one has (a month). The walk finds ``want`` rows after
    about ``want × claims / total`` entries, so it wins when ``total² > 4 × want × claims``:
    - ``"walk"``: a money sort that selects that many: the filters' terms are written so that
      SQLite cannot use their indexes;
    - ``"sort"``: ``q`` selecting few: the sort's terms are written so, and SQLite reads the
      claims once and sorts the few it keeps (a rare ``q``: 1.5 s, not 6 s or more)."""
    if total is None or session.get_bind().dialect.name != "sqlite" or f == ClaimFilters():
        return None
    claims = session.scalar(select(func.max(Claim.id))) or 0  # ids: about the count, O(1)
    many = total * total >= 4 * want * claims
    if order.nullable and many:
        return "walk"
    if f.q is not None and not many:
        return "sort"
    return None


def _segment(base: Any, order: Order, after: Sequence[Any] | None, nulls: bool, limit: int) -> Any:
    stmt = base
    if order.nullable:
        stmt = stmt.where(order.value.is_(None) if nulls else order.value.is_not(None))
    if nulls:
        keys = [order.tie]
        if after is not None and after[0] is None:
            stmt = stmt.where(order.tie < after[1] if order.descending else order.tie > after[1])
    else:
        keys = [order.value, order.tie]
        if after is not None:
            cut = tuple_(literal(after[0], order.value.type), literal(after[1], order.tie.type))
            row = tuple_(order.value, order.tie)
            stmt = stmt.where(row < cut if order.descending else row > cut)
    return stmt.order_by(*[k.desc() if order.descending else k.asc() for k in keys]).limit(limit)


def _key(order: Order, row: Any, lean: bool = False) -> list[Any]:
    if order.tie is Claim.id:
        if lean:
            return [_moment(row.claimed_at_raw), row.id]
        return [row.claimed_at, row.id]
    revenue = order.value is QueueItem.revenue_usd
    if lean:
        m = row.revenue_m if revenue else row.margin_m
        return [None if m is None else (Decimal(m) * MICRO).quantize(MICRO), row.queue_id]
    return [row.revenue_usd if revenue else row.margin_amount_usd, row.queue_id]


def rows_after(
    session: Session,
    f: ClaimFilters,
    sort: str,
    after: Sequence[Any] | None,
    limit: int,
    total: int | None = None,
    *,
    lean: bool = False,
) -> tuple[list[Any], list[Any] | None]:
    """Up to ``limit`` rows after the key ``after`` (None: from the start), and the key of
    the last row when more follow (None at the end). ``total`` (what :func:`count` says
    for ``f``) lets a money sort choose its plan. ``lean``: the rows of ``LEAN_COLUMNS``."""
    order = order_of(sort)
    want = limit + 1
    plan = read_plan(session, f, order, total, want)
    base = (
        select(*(LEAN_COLUMNS if lean else _COLUMNS))
        .join(QueueItem, QueueItem.id == Claim.queue_id)
        .where(*_conditions(f, plain=plan == "walk"))
    )
    by = order
    if plan == "sort":
        by = Order(unindexed(order.value), unindexed(order.tie), order.descending, order.nullable)
    rows: list[Any] = []
    run = session.connection().execute  # Core rows: no ORM loading for plain columns
    in_nulls = order.nullable and after is not None and after[0] is None
    if not in_nulls:
        rows = list(run(_segment(base, by, after, False, want)))
    if order.nullable and len(rows) < want:
        rows += list(run(_segment(base, by, after, True, want - len(rows))))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_key(order, rows[-1], lean) if more and rows else None)


# ---- the claim's API shape -------------------------------------------------------------


def share_text(share: Decimal) -> str:
    return str(Decimal(share).quantize(SHARE_PLACES))


def _extras(
    session: Session, claim_ids: list[int], seller_ids: set[int]
) -> tuple[dict[int, list[tuple[int, Decimal]]], dict[int, Decimal], dict[int, str]]:
    shares: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    adjustments: dict[int, Decimal] = {}
    if claim_ids:
        e = AttributionShareEntry
        for cid, sid, share in session.execute(
            select(e.claim_id, e.seller_id, e.share)
            .where(e.claim_id.in_(claim_ids))
            .order_by(e.claim_id, e.id)
        ):
            shares[cid].append((sid, share))
        for cid, total in session.execute(
            select(ClaimAdjustment.claim_id, func.sum(ClaimAdjustment.amount_usd))
            .where(ClaimAdjustment.claim_id.in_(claim_ids))
            .group_by(ClaimAdjustment.claim_id)
        ):
            adjustments[cid] = Decimal(total or 0)
    ids = seller_ids | {sid for entries in shares.values() for sid, _ in entries}
    names: dict[int, str] = {}
    if ids:
        names = dict(
            session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(sorted(ids)))).all()
        )
    return shares, adjustments, names


def _closer_first(entries: list[tuple[int, Decimal]], closer: int) -> list[tuple[int, Decimal]]:
    return sorted(entries, key=lambda e: e[0] != closer)


def shape_rows(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The API shape of each list row (``_COLUMNS``), in order: three queries for a page."""
    ids = [r.id for r in rows]
    shares, adjustments, names = _extras(session, ids, {r.claimed_by for r in rows})
    out = []
    for r in rows:
        adj = adjustments.get(r.id, Decimal(0))
        margin = r.margin_amount_usd
        out.append(
            {
                "id": r.id,
                "version": r.version,
                "queue_id": r.queue_id,
                "subscription_id": r.subscription_id,
                "seller": {"id": r.claimed_by, "name": names.get(r.claimed_by)},
                "claim_type": r.claim_type,
                "finance_status": r.finance_status,
                "claimed_at": r.claimed_at.isoformat(),
                "customer": {"email": r.customer_email, "name": r.customer_name},
                "campaign": {"id": r.campaign_id, "name": r.campaign_name},
                "revenue_usd": money(r.revenue_usd),
                "cost_usd": money(r.cost_usd),
                "margin_amount_usd": money(margin),
                "adjustments_usd": money(adj),
                "adjusted_margin_usd": None if margin is None else money(margin - adj),
                "refunded": bool(r.refunded),
                "excluded": r.queue_status == "excluded",
                "shares": [
                    {"seller_id": sid, "name": names.get(sid), "share": share_text(share)}
                    for sid, share in _closer_first(shares.get(r.id, []), r.claimed_by)
                ],
                "installment_plan_id": r.installment_plan_id,
                "note": r.note,
            }
        )
    return out


def claim_shape(session: Session, claim_id: int) -> dict[str, Any]:
    """One claim's API shape (the list's fields); 404 when there is none."""
    row = session.execute(
        select(*_COLUMNS)
        .join(QueueItem, QueueItem.id == Claim.queue_id)
        .where(Claim.id == claim_id)
    ).first()
    if row is None:
        raise not_found("claim")
    return shape_rows(session, [row])[0]


# ---- a claim's detail ------------------------------------------------------------------


def _actor(names: dict[int, str], sid: int | None) -> dict[str, Any] | None:
    return None if sid is None else {"id": sid, "name": names.get(sid)}


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def claim_detail(session: Session, claim_id: int) -> dict[str, Any]:
    """The claim plus ``adjustments``, ``refund``, ``objections``, ``installment_plan`` and
    ``timeline`` (oldest first: queued, claimed, each audit entry, each objection)."""
    out = claim_shape(session, claim_id)
    claim = session.get_one(Claim, claim_id)
    item = session.get_one(QueueItem, claim.queue_id)
    adjustments = list(
        session.scalars(
            select(ClaimAdjustment)
            .where(ClaimAdjustment.claim_id == claim_id)
            .order_by(ClaimAdjustment.created_at, ClaimAdjustment.id)
        )
    )
    refund = session.scalar(select(Refund).where(Refund.claim_id == claim_id))
    objections = list(
        session.scalars(
            select(Objection)
            .where(Objection.claim_id == claim_id)
            .order_by(Objection.created_at, Objection.id)
        )
    )
    audits = list(
        session.scalars(
            select(AuditLog)
            .where(
                ((AuditLog.target_type == "claim") & (AuditLog.target_id == str(claim_id)))
                | ((AuditLog.target_type == "queue") & (AuditLog.target_id == str(item.id)))
            )
            .order_by(AuditLog.created_at, AuditLog.id)
        )
    )
    people = {claim.claimed_by, item.created_by, *(a.actor_id for a in audits)}
    people |= {a.created_by for a in adjustments} | {o.raised_by for o in objections}
    people |= {o.resolved_by for o in objections}
    if refund is not None:
        people.add(refund.created_by)
    ids = sorted(p for p in people if p is not None)
    names = (
        dict(session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(ids))).all())
        if ids
        else {}
    )

    out["adjustments"] = [
        {
            "id": a.id,
            "reason": a.reason,
            "amount_usd": money(a.amount_usd),
            "note": a.note,
            "created_by": _actor(names, a.created_by),
            "created_at": a.created_at.isoformat(),
        }
        for a in adjustments
    ]
    out["refund"] = None if refund is None else refund_out(refund, names)
    out["objections"] = [
        {
            "id": o.id,
            "raised_by": _actor(names, o.raised_by),
            "reason": o.reason,
            "details": o.details,
            "status": o.status,
            "resolution": o.resolution,
            "resolved_by": _actor(names, o.resolved_by),
            "resolved_at": _iso(o.resolved_at),
            "created_at": o.created_at.isoformat(),
        }
        for o in objections
    ]
    out["installment_plan"] = _plan(session, claim.installment_plan_id)
    steps: list[tuple[datetime, int, dict[str, Any]]] = [
        (
            item.created_at,
            0,
            {
                "kind": "queued",
                "actor": _actor(names, item.created_by),
                "detail": {"queue_id": item.id, "source": item.source},
            },
        ),
        (
            claim.claimed_at,
            1,
            {
                "kind": "claimed",
                "actor": _actor(names, claim.claimed_by),
                "detail": {"claim_type": claim.claim_type},
            },
        ),
    ]
    for a in audits:
        body = {k: v for k, v in (a.details or {}).items() if k not in ("before", "after")}
        steps.append(
            (
                a.created_at,
                2,
                {"kind": a.action, "actor": _actor(names, a.actor_id), "detail": body},
            )
        )
    for o in objections:
        steps.append(
            (
                o.created_at,
                3,
                {
                    "kind": "objection",
                    "actor": _actor(names, o.raised_by),
                    "detail": {"objection_id": o.id, "reason": o.reason, "details": o.details},
                },
            )
        )
        if o.resolved_at is not None:
            steps.append(
                (
                    o.resolved_at,
                    4,
                    {
                        "kind": "objection.resolved",
                        "actor": _actor(names, o.resolved_by),
                        "detail": {
                            "objection_id": o.id,
                            "status": o.status,
                            "resolution": o.resolution,
                        },
                    },
                )
            )
    steps.sort(key=lambda s: (s[0], s[1]))
    out["timeline"] = [{"at": at.isoformat(), **step} for at, _, step in steps]
    return out


def refund_out(refund: Refund, names: dict[int, str] | None = None) -> dict[str, Any]:
    return {
        "id": refund.id,
        "claim_id": refund.claim_id,
        "amount_usd": money(refund.amount_usd),
        "reason": refund.reason,
        "created_by": _actor(names or {}, refund.created_by),
        "created_at": refund.created_at.isoformat(),
    }


def _plan(session: Session, plan_id: int | None) -> dict[str, Any] | None:
    if plan_id is None:
        return None
    plan = session.get(Installment, plan_id)
    if plan is None:
        return None
    payments = session.scalars(
        select(InstallmentPayment)
        .where(InstallmentPayment.installment_id == plan_id)
        .order_by(InstallmentPayment.seq)
    )
    return {
        "id": plan.id,
        "status": plan.status,
        "tolerance_days": plan.tolerance_days,
        "version": plan.version,
        "payments": [
            {
                "id": p.id,
                "due_on": p.due_date.isoformat(),
                "amount": money(p.amount_usd),
                "status": p.status,
                "paid_at": _iso(p.paid_at),
            }
            for p in payments
        ],
    }
