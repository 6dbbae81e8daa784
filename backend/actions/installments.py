"""Installment plans (CONTRACT §4a): one payment per due date, tolerance, status; each
change audited, with ``installment.changed`` to the ``finance`` room and to the seller of
the plan's claim. Overdue is :mod:`backend.rules.installments` (computed, never stored)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.actions import audit
from backend.actions.versions import bump
from backend.db.types import utcnow
from backend.errors import DomainError, not_found
from backend.eventlog import append_event
from backend.models import Claim, Installment, InstallmentPayment, QueueItem, Seller
from backend.rules import installments as rules
from backend.schemas.common import money

MAX_PAYMENTS = 36
MAX_TOLERANCE = 90


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
        raise DomainError(
            422, "invalid_schedule", "A plan needs at least one payment.", field="payments"
        )
    if len(schedule) > MAX_PAYMENTS:
        raise DomainError(
            422,
            "invalid_schedule",
            f"A plan has at most {MAX_PAYMENTS} payments.",
            field="payments",
        )
    if any(Decimal(a) < 0 for _, a in schedule) or not 0 <= tolerance_days <= MAX_TOLERANCE:
        raise DomainError(
            422,
            "invalid_schedule",
            "Amounts cannot be negative; tolerance is 0 to 90 days.",
            field="tolerance_days",
        )
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


# ---- reads ------------------------------------------------------------------------------


def payments_of(session: Session, plan_ids: Sequence[int]) -> dict[int, list[InstallmentPayment]]:
    out: dict[int, list[InstallmentPayment]] = {pid: [] for pid in plan_ids}
    if plan_ids:
        q = (
            select(InstallmentPayment)
            .where(InstallmentPayment.installment_id.in_(sorted(set(plan_ids))))
            .order_by(InstallmentPayment.installment_id, InstallmentPayment.seq)
        )
        for p in session.scalars(q):
            out[p.installment_id].append(p)
    return out


def _stored_payment_status(p: InstallmentPayment) -> str:
    # "overdue" was written by an earlier version of the daily job: it meant pending
    return "pending" if p.status == "overdue" else p.status


def claim_of(session: Session, plan: Installment) -> Claim | None:
    """The plan's claim: the one pointing at it, else the claim of its queue item."""
    conds: list[ColumnElement[bool]] = [Claim.installment_plan_id == plan.id]
    if plan.queue_id is not None:
        conds.append(Claim.queue_id == plan.queue_id)
    rows = list(session.scalars(select(Claim).where(or_(*conds)).order_by(Claim.id)))
    for c in rows:
        if c.installment_plan_id == plan.id:
            return c
    return rows[0] if rows else None


def read_status(plan: Installment, payments: Sequence[InstallmentPayment], today: date) -> str:
    return rules.plan_status(
        plan.status,
        [(_stored_payment_status(p), p.due_date) for p in payments],
        plan.tolerance_days,
        today,
    )


def plan_out(
    session: Session,
    plan: Installment,
    today: date,
    payments: Sequence[InstallmentPayment] | None = None,
) -> dict[str, Any]:
    """A plan as ``GET /api/admin/installments`` shows it."""
    if payments is None:
        payments = payments_of(session, [plan.id])[plan.id]
    c = claim_of(session, plan)
    seller = session.get(Seller, c.claimed_by) if c is not None else None
    rows = []
    total = paid = overdue_amount = Decimal(0)
    next_due: date | None = None
    for p in payments:
        st = _stored_payment_status(p)
        late = plan.status == "active" and rules.is_overdue(
            st, p.due_date, plan.tolerance_days, today
        )
        total += p.amount_usd
        if st == "confirmed":
            paid += p.amount_usd
        elif next_due is None:
            next_due = p.due_date
        if late:
            overdue_amount += p.amount_usd
        rows.append(
            {
                "id": p.id,
                "seq": p.seq,
                "due_on": p.due_date.isoformat(),
                "amount": money(p.amount_usd),
                "status": st,
                "paid_at": p.paid_at.isoformat() if p.paid_at else None,
                "deadline": rules.deadline(p.due_date, plan.tolerance_days).isoformat(),
                "overdue": late,
            }
        )
    return {
        "id": plan.id,
        "status": read_status(plan, payments, today),
        "queue_id": plan.queue_id,
        "claim_id": c.id if c is not None else None,
        "seller": {"id": seller.id, "name": seller.name} if seller is not None else None,
        "subscription_id": plan.subscription_id,
        "customer_email": plan.customer_email,
        "tolerance_days": plan.tolerance_days,
        "total_installments": plan.total_installments,
        "total_usd": money(total),
        "paid_usd": money(paid),
        "outstanding_usd": money(total - paid),
        "overdue_amount_usd": money(overdue_amount),
        "next_due_on": next_due.isoformat() if next_due else None,
        "note": plan.note,
        "version": plan.version,
        "created_at": plan.created_at.isoformat() if plan.created_at else None,
        "payments": rows,
    }


def ids_reading(session: Session, status: str, today: date) -> list[int]:
    """Ids of the active plans that read ``status`` (``active`` or ``overdue``) today."""
    plans = list(session.scalars(select(Installment).where(Installment.status == "active")))
    pays = payments_of(session, [p.id for p in plans])
    return [p.id for p in plans if read_status(p, pays[p.id], today) == status]


def summary(session: Session, today: date) -> dict[str, Any]:
    """``{active, overdue, pending_payments, overdue_amount_usd}`` over every plan: plans
    reading ``active`` / ``overdue``; not yet confirmed payments of those plans; the sum of
    their overdue payments."""
    plans = list(session.scalars(select(Installment).where(Installment.status == "active")))
    pays = payments_of(session, [p.id for p in plans])
    active = overdue = pending = 0
    amount = Decimal(0)
    for plan in plans:
        ps = pays[plan.id]
        if read_status(plan, ps, today) == "overdue":
            overdue += 1
        else:
            active += 1
        for p in ps:
            st = _stored_payment_status(p)
            if st != "confirmed":
                pending += 1
                if rules.is_overdue(st, p.due_date, plan.tolerance_days, today):
                    amount += p.amount_usd
    return {
        "active": active,
        "overdue": overdue,
        "pending_payments": pending,
        "overdue_amount_usd": money(amount) or "0.00",
    }


# ---- writes (the admin API) -----------------------------------------------------------


def _changed(session: Session, plan: Installment, today: date, actor_id: int | None) -> None:
    """``installment.changed`` to finance and admins, and a copy to the claim's seller."""
    payments = payments_of(session, [plan.id])[plan.id]
    c = claim_of(session, plan)
    payload = {
        "plan_id": plan.id,
        "status": read_status(plan, payments, today),
        "seller_id": c.claimed_by if c is not None else None,
    }
    append_event(session, "installment.changed", payload, actor=actor_id)
    if c is not None:
        append_event(
            session, "installment.changed", payload, room=f"user:{c.claimed_by}", actor=actor_id
        )


def find_plan(session: Session, plan_id: int) -> Installment:
    plan = session.get(Installment, plan_id)
    if plan is None:
        raise not_found("installment plan")
    return plan


def admin_create_plan(
    session: Session,
    *,
    queue_id: int,
    schedule: Sequence[tuple[date, Decimal]],
    today: date,
    tolerance_days: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Installment:
    """``POST /api/admin/installments``; one live plan per queue item (else 409
    ``plan_exists``)."""
    now = now or utcnow()
    if session.get(QueueItem, queue_id) is None:
        raise not_found("queue item")
    live = session.scalar(
        select(Installment.id).where(
            Installment.queue_id == queue_id, Installment.status != "cancelled"
        )
    )
    if live is not None:
        raise DomainError(
            409, "plan_exists", "This sale has an installment plan already.", plan_id=live
        )
    plan = create_installment_plan(
        session,
        schedule=schedule,
        queue_id=queue_id,
        tolerance_days=3 if tolerance_days is None else tolerance_days,
        actor_id=actor_id,
        now=now,
    )
    _changed(session, plan, today, actor_id)
    return plan


def _live(plan: Installment) -> None:
    if plan.status != "active":
        raise DomainError(
            409, "plan_not_active", f"This plan is {plan.status}: its payments cannot change."
        )


def record_payment(
    session: Session,
    plan_id: int,
    payment_id: int,
    *,
    status: str,
    today: date,
    paid_at: datetime | None = None,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Installment:
    """A payment submitted or confirmed; all confirmed → the plan is ``completed``."""
    now = now or utcnow()
    plan = find_plan(session, plan_id)
    payment = session.get(InstallmentPayment, payment_id)
    if payment is None or payment.installment_id != plan.id:
        raise not_found("payment of this plan")
    _live(plan)
    was = _stored_payment_status(payment)
    if was == "confirmed":
        raise DomainError(409, "already_confirmed", "This payment is confirmed already.")
    if was == status:
        raise DomainError(409, f"already_{status}", f"This payment is {status} already.")
    if paid_at is not None and paid_at > now:
        raise DomainError(
            422, "invalid_paid_at", "paid_at cannot be in the future.", field="paid_at"
        )
    bump(session, plan, version, "installment plan")
    payment.status = status
    payment.paid_at = paid_at or payment.paid_at or now
    session.flush()
    rest = session.scalar(
        select(func.count())
        .select_from(InstallmentPayment)
        .where(
            InstallmentPayment.installment_id == plan.id, InstallmentPayment.status != "confirmed"
        )
    )
    if not rest:
        plan.status = "completed"
    session.flush()
    audit.record(
        session,
        actor_id,
        f"installment.payment_{status}",
        "installment",
        plan.id,
        {"payment_id": payment.id, "seq": payment.seq, "plan_status": plan.status},
        now,
        before={"status": was},
        after={"status": status, "paid_at": payment.paid_at.isoformat()},
    )
    _changed(session, plan, today, actor_id)
    return plan


def set_tolerance(
    session: Session,
    plan_id: int,
    *,
    days: int,
    reason: str,
    today: date,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Installment:
    """The plan's tolerance becomes ``days`` (1–90): a payment is overdue after
    ``due_on + days``."""
    now = now or utcnow()
    plan = find_plan(session, plan_id)
    if not 1 <= days <= MAX_TOLERANCE:
        raise DomainError(422, "invalid_tolerance", "Tolerance is 1 to 90 days.", field="days")
    if not reason.strip():
        raise DomainError(422, "invalid_reason", "Say why.", field="reason")
    if plan.status in ("completed", "cancelled"):
        raise DomainError(409, "plan_not_active", f"This plan is {plan.status}.")
    before = plan.tolerance_days
    bump(session, plan, version, "installment plan")
    plan.tolerance_days = days
    session.flush()
    audit.record(
        session,
        actor_id,
        "installment.tolerance",
        "installment",
        plan.id,
        {},
        now,
        before={"tolerance_days": before},
        after={"tolerance_days": days},
        reason=reason.strip(),
    )
    _changed(session, plan, today, actor_id)
    return plan


def set_plan_status(
    session: Session,
    plan_id: int,
    *,
    status: str,
    today: date,
    version: int | None = None,
    reason: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Installment:
    """``active`` / ``frozen`` / ``cancelled``; a completed or cancelled plan stays so (409)."""
    now = now or utcnow()
    plan = find_plan(session, plan_id)
    if plan.status in ("completed", "cancelled"):
        raise DomainError(409, f"plan_{plan.status}", f"This plan is {plan.status}.")
    if status not in ("active", "frozen", "cancelled"):
        raise DomainError(
            422, "invalid_status", "status is active, frozen or cancelled.", field="status"
        )
    was = plan.status
    bump(session, plan, version, "installment plan")
    plan.status = status
    session.flush()
    audit.record(
        session,
        actor_id,
        "installment.status",
        "installment",
        plan.id,
        {},
        now,
        before={"status": was},
        after={"status": status},
        reason=reason,
    )
    _changed(session, plan, today, actor_id)
    return plan


def newly_overdue(session: Session, today: date) -> list[Installment]:
    """Active plans with a payment that turned overdue today (the day after its deadline):
    the daily job announces them."""
    plans = list(session.scalars(select(Installment).where(Installment.status == "active")))
    pays = payments_of(session, [p.id for p in plans])
    out = []
    for plan in plans:
        if any(
            _stored_payment_status(p) != "confirmed"
            and rules.became_overdue_on(p.due_date, plan.tolerance_days) == today
            for p in pays[plan.id]
        ):
            out.append(plan)
    return out


def announce_overdue(session: Session, today: date) -> int:
    """``installment.changed`` (status ``overdue``) for each plan :func:`newly_overdue`
    finds; returns how many."""
    plans = newly_overdue(session, today)
    for plan in plans:
        _changed(session, plan, today, None)
    return len(plans)
