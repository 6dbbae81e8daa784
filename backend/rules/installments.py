"""When an installment payment is overdue (CONTRACT §4a), in one place: a payment not
confirmed by the end of local day ``due_on + tolerance_days``; an active plan with one
reads ``overdue``. Pure: the caller passes the local ``today``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def deadline(due_on: date, tolerance_days: int) -> date:
    """The last local day on which the payment is still on time."""
    return due_on + timedelta(days=max(0, tolerance_days))


def is_overdue(status: str, due_on: date, tolerance_days: int, today: date) -> bool:
    return status != "confirmed" and deadline(due_on, tolerance_days) < today


def became_overdue_on(due_on: date, tolerance_days: int) -> date:
    """The local day a payment left unconfirmed turns overdue (the day after its deadline)."""
    return deadline(due_on, tolerance_days) + timedelta(days=1)


def plan_status(
    stored: str, payments: Iterable[tuple[str, date]], tolerance_days: int, today: date
) -> str:
    """What a plan reads: its stored status, ``overdue`` for an active plan with an overdue
    payment (``payments``: ``(status, due_on)``)."""
    if stored == "active" and any(
        is_overdue(st, due, tolerance_days, today) for st, due in payments
    ):
        return "overdue"
    return stored
