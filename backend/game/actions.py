"""Admin-facing actions the rules need now (their endpoints and window come later; tests
and the demo call these). Each one does its change, appends its events, writes an
``audit_log`` row and re-runs the game (``on_numbers_changed``) in the CALLER's
transaction: the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.types import utcnow
from backend.eventlog import append_event
from backend.game import awards
from backend.game.hooks import NumbersChanged, on_numbers_changed
from backend.game.read import GameError
from backend.models import (
    Attribution,
    AttributionShareEntry,
    AuditLog,
    Challenge,
    Claim,
    ClaimAdjustment,
    Exclusion,
    Installment,
    InstallmentPayment,
    PersonalGoal,
    PointsEntry,
    QueueItem,
    Refund,
    SalesGoal,
    Seller,
)
from backend.models._common import ADJUSTMENT_REASONS, GOAL_PERIODS, GOAL_TARGET_TYPES
from backend.schemas.common import money
from backend.settings import Settings

ONE = Decimal(1)


def _audit(
    session: Session,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: object,
    details: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
            created_at=now,
        )
    )
    session.flush()


def _check_goal(period: str, target_type: str, target: Decimal, title: str) -> None:
    if period not in GOAL_PERIODS:
        raise GameError(
            "invalid_period", f"A goal period is one of {', '.join(GOAL_PERIODS)}.", 422
        )
    if target_type not in GOAL_TARGET_TYPES:
        raise GameError("invalid_target_type", "A goal counts wins, revenue or margin.", 422)
    if Decimal(target) <= 0:
        raise GameError("invalid_target", "A goal's target must be positive.", 422)
    if not title.strip():
        raise GameError("invalid_title", "A goal needs a title.", 422)


def create_goal(
    session: Session,
    *,
    title: str,
    period: str,
    target_type: str,
    target: Decimal,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> SalesGoal:
    """A team (global) goal: wins (``count``), ``revenue`` or ``margin`` over a period."""
    now = now or utcnow()
    _check_goal(period, target_type, target, title)
    goal = SalesGoal(
        title=title.strip(),
        period=period,
        target_type=target_type,
        target=Decimal(target),
        active=True,
        created_by=actor_id,
        created_at=now,
    )
    session.add(goal)
    session.flush()
    _audit(
        session,
        actor_id,
        "goal.create",
        "sales_goal",
        goal.id,
        {"title": goal.title, "period": period, "target_type": target_type, "target": str(target)},
        now,
    )
    return goal


def create_personal_goal(
    session: Session,
    *,
    seller_id: int,
    title: str,
    period: str,
    target_type: str,
    target: Decimal,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> PersonalGoal:
    now = now or utcnow()
    _check_goal(period, target_type, target, title)
    if session.get(Seller, seller_id) is None:
        raise GameError("not_found", "There is no such seller.", 404)
    goal = PersonalGoal(
        seller_id=seller_id,
        title=title.strip(),
        period=period,
        target_type=target_type,
        target=Decimal(target),
        active=True,
        created_by=actor_id,
        created_at=now,
    )
    session.add(goal)
    session.flush()
    _audit(
        session,
        actor_id,
        "personal_goal.create",
        "personal_goal",
        goal.id,
        {
            "seller_id": seller_id,
            "title": goal.title,
            "period": period,
            "target_type": target_type,
            "target": str(target),
        },
        now,
    )
    return goal


def create_challenge(
    session: Session,
    *,
    title: str,
    metric: str,
    target: Decimal,
    reward_points: int,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    scope: str = "individual",
    awards_spin: bool = True,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Challenge:
    """A time-boxed challenge, e.g. "3 wins before 18:00" (metric wins/revenue/margin)."""
    now = now or utcnow()
    if metric not in ("wins", "revenue", "margin"):
        raise GameError("invalid_metric", "A challenge counts wins, revenue or margin.", 422)
    if scope not in ("individual", "team"):
        raise GameError("invalid_scope", "A challenge is individual or team.", 422)
    if Decimal(target) <= 0 or reward_points < 0:
        raise GameError("invalid_target", "Target must be positive, reward not negative.", 422)
    if ends_at <= starts_at:
        raise GameError("invalid_window", "A challenge must end after it starts.", 422)
    ch = Challenge(
        title=title.strip(),
        description=description,
        metric=metric,
        scope=scope,
        target=Decimal(target),
        reward_points=reward_points,
        awards_spin=awards_spin,
        starts_at=starts_at,
        ends_at=ends_at,
        active=True,
        created_by=actor_id,
        created_at=now,
    )
    session.add(ch)
    session.flush()
    _audit(
        session,
        actor_id,
        "challenge.create",
        "challenge",
        ch.id,
        {
            "title": ch.title,
            "metric": metric,
            "target": str(target),
            "reward_points": reward_points,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
        now,
    )
    return ch


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
        raise GameError("invalid_schedule", "A plan needs at least one payment.", 422)
    if any(Decimal(a) < 0 for _, a in schedule) or tolerance_days < 0:
        raise GameError("invalid_schedule", "Amounts and tolerance cannot be negative.", 422)
    if queue_id is not None:
        item = session.get(QueueItem, queue_id)
        if item is None:
            raise GameError("not_found", "There is no such queue item.", 404)
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
    _audit(
        session,
        actor_id,
        "installment.create",
        "installment",
        plan.id,
        {"queue_id": queue_id, "payments": [[d.isoformat(), str(a)] for d, a in schedule]},
        now,
    )
    return plan


def _item(session: Session, claim: Claim) -> QueueItem:
    item = session.get(QueueItem, claim.queue_id)
    assert item is not None  # claims.queue_id is a RESTRICT foreign key
    return item


def _write_shares(session: Session, claim: Claim, shares: dict[int, Decimal]) -> set[int]:
    """Replace the claim's share entries with ``shares``; returns every seller touched."""
    item = _item(session, claim)
    existing = {
        e.seller_id: e
        for e in session.scalars(
            select(AttributionShareEntry).where(AttributionShareEntry.claim_id == claim.id)
        )
    }
    touched = set(existing) | set(shares)
    for sid, entry in existing.items():
        if sid not in shares:
            session.delete(entry)
    session.flush()
    for sid, share in shares.items():
        entry = existing.get(sid) or AttributionShareEntry(claim_id=claim.id, seller_id=sid)
        entry.share = share
        entry.revenue_usd = None if item.revenue_usd is None else item.revenue_usd * share
        entry.margin_usd = (
            None if item.margin_amount_usd is None else item.margin_amount_usd * share
        )
        entry.claimed_at = claim.claimed_at
        entry.refunded = claim.refunded
        if sid not in existing:
            session.add(entry)
    session.flush()
    return touched


def _claim_event(claim: Claim, change: str, **extra: Any) -> dict[str, Any]:
    return {
        "claim_id": claim.id,
        "queue_id": claim.queue_id,
        "seller_id": claim.claimed_by,
        "change": change,
        **extra,
    }


def set_share_split(
    session: Session,
    claim: Claim,
    *,
    closer_share: Decimal,
    assisted_seller_id: int | None,
    assisted_share: Decimal,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Attribution:
    """Split a claim between its closer and an assisting seller (shares add up to 1)."""
    now = now or utcnow()
    closer_share, assisted_share = Decimal(closer_share), Decimal(assisted_share)
    if closer_share < 0 or assisted_share < 0 or closer_share + assisted_share != ONE:
        raise GameError("invalid_shares", "The shares must be fractions that add up to 1.", 422)
    if assisted_share > 0 and assisted_seller_id is None:
        raise GameError("invalid_shares", "An assisted share needs an assisting seller.", 422)
    if assisted_seller_id is not None:
        if assisted_seller_id == claim.claimed_by:
            raise GameError("invalid_shares", "The closer cannot also assist.", 422)
        if session.get(Seller, assisted_seller_id) is None:
            raise GameError("not_found", "There is no such seller.", 404)
    attr = session.scalar(select(Attribution).where(Attribution.claim_id == claim.id))
    if attr is None:
        attr = Attribution(claim_id=claim.id, closer_seller_id=claim.claimed_by)
        session.add(attr)
    before = {
        "closer_share": str(attr.closer_share),
        "assisted_seller_id": attr.assisted_seller_id,
        "assisted_share": str(attr.assisted_share),
    }
    attr.closer_seller_id = claim.claimed_by
    attr.closer_share = closer_share
    attr.assisted_seller_id = assisted_seller_id if assisted_share > 0 else None
    attr.assisted_share = assisted_share if assisted_seller_id is not None else Decimal(0)
    attr.updated_at = now
    shares = {claim.claimed_by: closer_share}
    if assisted_seller_id is not None and assisted_share > 0:
        shares[assisted_seller_id] = assisted_share
    touched = _write_shares(session, claim, shares)
    append_event(
        session,
        "claim.adjusted",
        _claim_event(
            claim,
            "share_split",
            closer_share=str(closer_share),
            assisted_seller_id=attr.assisted_seller_id,
            assisted_share=str(attr.assisted_share),
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    _audit(
        session,
        actor_id,
        "claim.share_split",
        "claim",
        claim.id,
        {"before": before, "after": {k: str(v) for k, v in shares.items()}},
        now,
    )
    on_numbers_changed(
        session,
        NumbersChanged(touched, settings, now, "share_split", {claim.id}, ["revenue", "margin"]),
    )
    return attr


def add_adjustment(
    session: Session,
    claim: Claim,
    amount: Decimal,
    reason: str,
    *,
    settings: Settings,
    note: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> ClaimAdjustment:
    """Take ``amount`` off the claim's margin (share-weighted per seller); ``claim.adjusted``."""
    now = now or utcnow()
    amount = Decimal(amount)
    if amount < 0:
        raise GameError("invalid_amount", "An adjustment amount cannot be negative.", 422)
    if reason not in ADJUSTMENT_REASONS:
        raise GameError("invalid_reason", f"Reason is one of {', '.join(ADJUSTMENT_REASONS)}.", 422)
    adj = ClaimAdjustment(
        claim_id=claim.id,
        amount_usd=amount,
        reason=reason,
        note=note,
        created_by=actor_id,
        created_at=now,
    )
    session.add(adj)
    session.flush()
    append_event(
        session,
        "claim.adjusted",
        _claim_event(
            claim, "adjustment", adjustment_id=adj.id, amount_usd=money(amount), reason=reason
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    _audit(
        session,
        actor_id,
        "claim.adjust",
        "claim",
        claim.id,
        {"adjustment_id": adj.id, "amount_usd": str(amount), "reason": reason},
        now,
    )
    on_numbers_changed(
        session,
        NumbersChanged({claim.claimed_by}, settings, now, "adjustment", {claim.id}, ["margin"]),
    )
    return adj


def _reverse_claim_points(
    session: Session, claim: Claim, seller_id: int, why: str, now: datetime
) -> None:
    """Take back the points a claim earned a seller (base, jackpot, streak): one reversal."""
    earned = session.scalars(
        select(PointsEntry).where(
            PointsEntry.seller_id == seller_id,
            PointsEntry.ref_type == "claim",
            PointsEntry.ref_id == claim.id,
        )
    ).all()
    total = sum(e.points for e in earned)
    if total:
        awards.award_points(
            session,
            seller_id,
            -total,
            f"{why}: claim #{claim.id}",
            "reversal",
            now,
            ref_type="claim",
            ref_id=claim.id,
            dedupe_key=f"reversal:{why}:claim:{claim.id}:seller:{seller_id}",
        )


def apply_refund(
    session: Session,
    claim: Claim,
    *,
    settings: Settings,
    amount: Decimal | None = None,
    reason: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Refund:
    """A refunded claim leaves every board; its points are reversed (milestones stay)."""
    now = now or utcnow()
    if claim.refunded:
        raise GameError("already_refunded", "This claim was refunded already.", 409)
    refund = Refund(
        claim_id=claim.id, amount_usd=amount, reason=reason, created_by=actor_id, created_at=now
    )
    session.add(refund)
    claim.refunded = True
    shares = session.scalars(
        select(AttributionShareEntry).where(AttributionShareEntry.claim_id == claim.id)
    ).all()
    for e in shares:
        e.refunded = True
    session.flush()
    append_event(
        session,
        "refund.applied",
        _claim_event(claim, "refund", refund_id=refund.id, amount_usd=money(amount), reason=reason),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    _audit(
        session,
        actor_id,
        "claim.refund",
        "claim",
        claim.id,
        {
            "refund_id": refund.id,
            "amount_usd": None if amount is None else str(amount),
            "reason": reason,
        },
        now,
    )
    _reverse_claim_points(session, claim, claim.claimed_by, "Refund", now)
    touched = {claim.claimed_by} | {e.seller_id for e in shares}
    on_numbers_changed(session, NumbersChanged(touched, settings, now, "refund", {claim.id}))
    return refund


def reassign_claim(
    session: Session,
    claim: Claim,
    new_seller: Seller,
    *,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Claim:
    """Give a claim to another seller: the closer changes (an assist share stays with its
    seller unless they become the closer: then they hold it all); the claim's points move."""
    now = now or utcnow()
    old = claim.claimed_by
    if new_seller.id == old:
        return claim
    attr = session.scalar(select(Attribution).where(Attribution.claim_id == claim.id))
    closer_share = attr.closer_share if attr is not None else ONE
    assisted_id = attr.assisted_seller_id if attr is not None else None
    assisted_share = attr.assisted_share if attr is not None else Decimal(0)
    if assisted_id == new_seller.id:
        closer_share, assisted_id, assisted_share = ONE, None, Decimal(0)
    claim.claimed_by = new_seller.id
    if attr is None:
        attr = Attribution(claim_id=claim.id, closer_seller_id=new_seller.id)
        session.add(attr)
    attr.closer_seller_id, attr.closer_share = new_seller.id, closer_share
    attr.assisted_seller_id, attr.assisted_share, attr.updated_at = assisted_id, assisted_share, now
    shares = {new_seller.id: closer_share}
    if assisted_id is not None and assisted_share > 0:
        shares[assisted_id] = assisted_share
    session.flush()
    touched = _write_shares(session, claim, shares) | {old}
    append_event(
        session,
        "claim.adjusted",
        _claim_event(claim, "reassigned", previous_seller_id=old, seller_name=new_seller.name),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    _audit(
        session,
        actor_id,
        "claim.reassign",
        "claim",
        claim.id,
        {"from": old, "to": new_seller.id},
        now,
    )
    if not claim.refunded:
        _reverse_claim_points(session, claim, old, "Reassigned", now)
        item = _item(session, claim)
        awards.award_points(
            session,
            new_seller.id,
            10 + (50 if item.is_jackpot else 0),
            f"Claim #{claim.id} reassigned to you",
            "claim",
            now,
            ref_type="claim",
            ref_id=claim.id,
            dedupe_key=f"claim:reassigned:{claim.id}:seller:{new_seller.id}",
        )
    on_numbers_changed(session, NumbersChanged(touched, settings, now, "reassignment", {claim.id}))
    return claim


def exclude_item(
    session: Session,
    queue_item: QueueItem,
    reason: str,
    *,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Exclusion:
    """Take an item off the floor (``queue.excluded``); a claimed item's claim leaves the
    boards with it."""
    now = now or utcnow()
    if queue_item.status == "excluded":
        raise GameError("already_excluded", "This item is excluded already.", 409)
    if not reason.strip():
        raise GameError("invalid_reason", "An exclusion needs a reason.", 422)
    was = queue_item.status
    queue_item.status = "excluded"
    ex = Exclusion(
        queue_id=queue_item.id, reason=reason.strip(), excluded_by=actor_id, created_at=now
    )
    session.add(ex)
    session.flush()
    append_event(
        session,
        "queue.excluded",
        {
            "queue_id": queue_item.id,
            "subscription_id": queue_item.subscription_id,
            "reason": ex.reason,
            "previous_status": was,
        },
        subscription_id=queue_item.subscription_id,
        actor=actor_id,
    )
    _audit(
        session,
        actor_id,
        "queue.exclude",
        "queue",
        queue_item.id,
        {"reason": ex.reason, "previous_status": was},
        now,
    )
    claim = session.scalar(select(Claim).where(Claim.queue_id == queue_item.id))
    if claim is not None:
        if not claim.refunded:
            _reverse_claim_points(session, claim, claim.claimed_by, "Excluded", now)
        sellers = set(
            session.scalars(
                select(AttributionShareEntry.seller_id).where(
                    AttributionShareEntry.claim_id == claim.id
                )
            )
        ) | {claim.claimed_by}
        on_numbers_changed(session, NumbersChanged(sellers, settings, now, "exclusion", {claim.id}))
    return ex
