"""Installment plans (CONTRACT §4a): one payment per due date, tolerance, status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from backend.actions import audit
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.models import Installment, InstallmentPayment, QueueItem


def create_installment_plan(
    session: Session,
    *,
    schedule: Sequence[tuple[date, Decimal]],
    queue_id: int | None = None,
    subscription_id: int | None = None,
    customer_email: str | None = None,
    tolerance_days: int = 3,
    note: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Installment:
    """An installment plan with one payment per ``(due_date, amount)`` of ``schedule``."""
    now = now or utcnow()
    if not schedule:
        raise DomainError(422, "invalid_schedule", "A plan needs at least one payment.")
    if any(Decimal(a) < 0 for _, a in schedule) or tolerance_days < 0:
        raise DomainError(422, "invalid_schedule", "Amounts and tolerance cannot be negative.")
    if queue_id is not None:
        item = session.get(QueueItem, queue_id)
        if item is None:
            raise DomainError(404, "not_found", "There is no such queue item.")
        subscription_id = subscription_id or item.subscription_id
        customer_email = customer_email or item.customer_email
    plan = Installment(
        queue_id=queue_id,
        subscription_id=subscription_id,
        customer_email=customer_email,
        total_installments=len(schedule),
        status="active",
        tolerance_days=tolerance_days,
        note=note,
        created_by=actor_id,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    for seq, (due, amount) in enumerate(sorted(schedule), start=1):
        session.add(
            InstallmentPayment(
                installment_id=plan.id,
                seq=seq,
                due_date=due,
                amount_usd=Decimal(amount),
                status="pending",
            )
        )
    session.flush()
    audit.record(
        session,
        actor_id,
        "installment.create",
        "installment",
        plan.id,
        {"queue_id": queue_id, "payments": [[d.isoformat(), str(a)] for d, a in schedule]},
        now,
    )
    return plan
