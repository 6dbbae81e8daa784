"""What finance does to a claim or a queue item after the fact: share splits,
adjustments, refunds, reassignment and exclusion. Each one does its change, appends its
events, writes its audit row and re-runs the game (``on_numbers_changed``) in the CALLER's
transaction: the caller commits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions import audit
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.eventlog import append_event
from backend.game import awards
from backend.game.hooks import NumbersChanged, on_numbers_changed
from backend.models import (
    Attribution,
    AttributionShareEntry,
    Claim,
    ClaimAdjustment,
    Exclusion,
    PointsEntry,
    QueueItem,
    Refund,
    Seller,
)
from backend.models._common import ADJUSTMENT_REASONS
from backend.schemas.common import money
from backend.schemas.queue import queue_item_out
from backend.settings import Settings

ONE = Decimal(1)


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


def _claim_event(claim: Claim, change: str, seller_ids: set[int], **extra: Any) -> dict[str, Any]:
    """The payload of ``claim.adjusted`` / ``refund.applied`` (``ClaimChanged``)."""
    return {
        "claim_id": claim.id,
        "queue_id": claim.queue_id,
        "seller_id": claim.claimed_by,
        "change": change,
        "seller_ids": sorted(seller_ids),
        **extra,
    }


def queue_changed(item: QueueItem, **extra: Any) -> dict[str, Any]:
    """The payload of ``queue.excluded`` / ``queue.updated`` / ``finance.status_changed``."""
    return {
        "queue_id": item.id,
        "item": queue_item_out(item).model_dump(mode="json"),
        **extra,
    }


def _sellers_of(session: Session, claim: Claim) -> set[int]:
    """The claim's closer and every seller holding a share of it."""
    return {claim.claimed_by} | set(
        session.scalars(
            select(AttributionShareEntry.seller_id).where(
                AttributionShareEntry.claim_id == claim.id
            )
        )
    )


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
        raise DomainError(422, "invalid_shares", "The shares must be fractions that add up to 1.")
    if assisted_share > 0 and assisted_seller_id is None:
        raise DomainError(422, "invalid_shares", "An assisted share needs an assisting seller.")
    if assisted_seller_id is not None:
        if assisted_seller_id == claim.claimed_by:
            raise DomainError(422, "invalid_shares", "The closer cannot also assist.")
        if session.get(Seller, assisted_seller_id) is None:
            raise DomainError(404, "not_found", "There is no such seller.")
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
            "shares",
            touched,
            shares=[{"seller_id": k, "share": f"{v:.4f}"} for k, v in shares.items()],
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    audit.record(
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
        raise DomainError(422, "invalid_amount", "An adjustment amount cannot be negative.")
    if reason not in ADJUSTMENT_REASONS:
        raise DomainError(
            422, "invalid_reason", f"Reason is one of {', '.join(ADJUSTMENT_REASONS)}."
        )
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
            claim,
            "adjustment",
            _sellers_of(session, claim),
            adjustment_id=adj.id,
            amount_usd=money(amount),
            reason=reason,
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    audit.record(
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
        raise DomainError(409, "already_refunded", "This claim was refunded already.")
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
        _claim_event(
            claim,
            "refund",
            {claim.claimed_by} | {e.seller_id for e in shares},
            refund_id=refund.id,
            amount_usd=money(amount),
            reason=reason,
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    audit.record(
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
        _claim_event(
            claim, "reassigned", touched, previous_seller_id=old, seller_name=new_seller.name
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    audit.record(
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
        raise DomainError(409, "already_excluded", "This item is excluded already.")
    if not reason.strip():
        raise DomainError(422, "invalid_reason", "An exclusion needs a reason.")
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
        queue_changed(queue_item, reason=ex.reason, previous_status=was),
        subscription_id=queue_item.subscription_id,
        actor=actor_id,
    )
    audit.record(
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
