"""Closing and reopening months (CONTRACT §4a ``/api/admin/periods``).

Closing a past month freezes its statement: the exact text served then is stored in
``closed_periods.statement_csv`` and served from there on. Later changes to that month's
claims post ``Clawback`` lines to the open month (``backend.actions.finance``). Reopening
(admin, with a reason) serves the month computed live again; closing it again re-freezes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.actions import audit
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.game import awards
from backend.game.daystats import month_start, next_month
from backend.game.rules.periods import local_day
from backend.models import Claim, Seller
from backend.models.admin import ClosedPeriod
from backend.reads import statement
from backend.settings import Settings


def is_closed(session: Session, month: str) -> bool:
    row = session.get(ClosedPeriod, month)
    return row is not None and row.reopened_at is None


def current_month(settings: Settings, now: datetime) -> date:
    return month_start(local_day(now, settings.tz))


def period_out(session: Session, month: str, row: ClosedPeriod | None) -> dict[str, Any]:
    closed = row is not None and row.reopened_at is None
    names: dict[int, str] = {}
    ids = [i for i in ((row.closed_by, row.reopened_by) if row else ()) if i is not None]
    if ids:
        names = dict(
            session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(ids))).all()
        )

    def who(sid: int | None) -> dict[str, Any] | None:
        return None if sid is None else {"id": sid, "name": names.get(sid)}

    return {
        "month": month,
        "status": "closed" if closed else "open",
        "closed_at": row.closed_at.isoformat() if closed and row else None,
        "closed_by": who(row.closed_by) if closed and row else None,
        "reopened_at": row.reopened_at.isoformat() if row and row.reopened_at else None,
        "reopened_by": who(row.reopened_by) if row and row.reopened_at else None,
        "version": row.version if row else None,
    }


def list_periods(session: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Months newest first: every month from the first claim's to the current one, and any
    month ever closed."""
    now = now or utcnow()
    months: set[str] = set(session.scalars(select(ClosedPeriod.month)))
    first = session.scalar(select(func.min(Claim.claimed_at)))
    if first is not None:
        m, last = month_start(local_day(first, settings.tz)), current_month(settings, now)
        while m <= last:
            months.add(statement.month_text(m))
            m = next_month(m)
    return sorted(months, reverse=True)


def close_period(
    session: Session,
    month_text: str,
    *,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> ClosedPeriod:
    """Freeze ``month_text``'s statement. 409 ``month_not_over`` for the current or a
    future month, ``already_closed`` for a closed one."""
    now = now or utcnow()
    month = statement.parse_month(month_text)
    if month >= current_month(settings, now):
        raise DomainError(
            409, "month_not_over", "Only a month that is over can be closed.", field="month"
        )
    # the floor's write lock: a change to one of the month's claims either commits before
    # the statement is read (and is in it) or waits and sees the month closed (a clawback)
    awards.serialize(session)
    row = session.get(ClosedPeriod, month_text, populate_existing=True)
    if row is not None and row.reopened_at is None:
        raise DomainError(409, "already_closed", "This month is closed already.")
    text = statement.to_csv(statement.compute(session, month, settings.tz))
    before = None if row is None else period_out(session, month_text, row)
    if row is None:
        row = ClosedPeriod(month=month_text, closed_at=now, closed_by=actor_id, statement_csv=text)
        session.add(row)
    else:
        row.closed_at, row.closed_by, row.statement_csv = now, actor_id, text
        row.reopened_at, row.reopened_by, row.reason = None, None, None
        row.version += 1
    session.flush()
    audit.record(
        session,
        actor_id,
        "period.close",
        "period",
        month_text,
        {"rows": text.count("\r\n") - 1},
        now,
        before=before,
        after=period_out(session, month_text, row),
    )
    return row


def reopen_period(
    session: Session,
    month_text: str,
    reason: str,
    *,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> ClosedPeriod:
    """Serve ``month_text`` live again (409 ``not_closed`` when it is open)."""
    now = now or utcnow()
    statement.parse_month(month_text)
    if not reason.strip():
        raise DomainError(
            422, "invalid_reason", "Reopening a month needs a reason.", field="reason"
        )
    awards.serialize(session)
    row = session.get(ClosedPeriod, month_text, populate_existing=True)
    if row is None or row.reopened_at is not None:
        raise DomainError(409, "not_closed", "This month is not closed.")
    before = period_out(session, month_text, row)
    row.reopened_at, row.reopened_by, row.reason = now, actor_id, reason.strip()
    row.version += 1
    session.flush()
    audit.record(
        session,
        actor_id,
        "period.reopen",
        "period",
        month_text,
        None,
        now,
        before=before,
        after=period_out(session, month_text, row),
        reason=reason.strip(),
    )
    return row
