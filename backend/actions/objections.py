"""Filing an objection to a claim, and listing one's own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions import audit, finance
from backend.actions.errors import ActionError
from backend.actions.versions import bump
from backend.db.types import utcnow
from backend.errors import DomainError, not_found
from backend.eventlog import append_event
from backend.game.engine import ALL_BOARDS
from backend.models import AttributionShareEntry, Claim, Objection, QueueItem, Seller
from backend.reads.claims import claim_shape
from backend.settings import Settings


def objection_out(o: Objection) -> dict[str, Any]:
    return {
        "id": o.id,
        "claim_id": o.claim_id,
        "raised_by": o.raised_by,
        "reason": o.reason,
        "details": o.details,
        "status": o.status,
        "resolution": o.resolution,
        "resolved_at": o.resolved_at.isoformat() if o.resolved_at else None,
        "created_at": o.created_at.isoformat(),
    }


def file_objection(
    session: Session, *, seller_id: int, claim_id: int, reason: str, details: str | None
) -> Objection:
    if session.get(Claim, claim_id) is None:
        raise ActionError(404, "not_found", "There is no such claim.")
    pending = session.scalar(
        select(Objection.id).where(
            Objection.claim_id == claim_id,
            Objection.raised_by == seller_id,
            Objection.status == "pending",
        )
    )
    if pending is not None:
        raise ActionError(
            409, "objection_pending", "You already have an open objection to this claim."
        )
    obj = Objection(claim_id=claim_id, raised_by=seller_id, reason=reason, details=details)
    session.add(obj)
    session.flush()
    return obj


def my_objections(session: Session, seller_id: int, limit: int = 200) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection)
            .where(Objection.raised_by == seller_id)
            .order_by(Objection.created_at.desc(), Objection.id.desc())
            .limit(limit)
        )
    )


# ---- finance's ruling (CONTRACT §4a) --------------------------------------------------

API_STATUSES = {"open": "pending", "accepted": "accepted", "rejected": "rejected"}
ACTIONS = ("reassign", "exclude", "refund")


def api_status(stored: str) -> str:
    """The API's word for a stored status (``pending`` is ``open``)."""
    return "open" if stored == "pending" else stored


def admin_objection_out(session: Session, o: Objection) -> dict[str, Any]:
    raiser = session.get(Seller, o.raised_by)
    return {
        **objection_out(o),
        "status": api_status(o.status),
        "raised_by_name": raiser.name if raiser is not None else None,
        "resolved_by": o.resolved_by,
        "version": o.version,
    }


def claim_summary(session: Session, claim: Claim) -> dict[str, Any]:
    """The claim as the ruling leaves it: the admin claims list's shape (§4a)."""
    session.flush()
    return claim_shape(session, claim.id)


def resolve_objection(
    session: Session,
    objection_id: int,
    *,
    decision: str,
    note: str,
    settings: Settings,
    action: str | None = None,
    seller_id: int | None = None,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Objection, Claim]:
    """Accept (with an optional ``reassign`` / ``exclude`` / ``refund`` of the claim, done by
    :mod:`backend.actions.finance` with its own events) or reject an open objection:
    ``objection.resolved`` and a ``leaderboard:refresh`` follow, all in the caller's
    transaction (an action that fails leaves nothing written). A resolved one: 409
    ``already_resolved``."""
    now = now or utcnow()
    obj = session.get(Objection, objection_id)
    if obj is None:
        raise not_found("objection")
    if obj.status != "pending":
        raise DomainError(
            409,
            "already_resolved",
            f"This objection was {obj.status} already.",
            resolution=obj.status,
        )
    if decision not in ("accept", "reject"):
        raise DomainError(
            422, "invalid_decision", "decision is accept or reject.", field="decision"
        )
    if action is not None and decision != "accept":
        raise DomainError(
            422,
            "action_needs_accept",
            "Only an accepted objection takes an action.",
            field="action",
        )
    if action is not None and action not in ACTIONS:
        raise DomainError(422, "invalid_action", f"action is one of {ACTIONS}.", field="action")
    if (seller_id is not None) != (action == "reassign"):
        raise DomainError(
            422,
            "seller_id_with_reassign",
            "seller_id goes with the reassign action, and only with it.",
            field="seller_id",
        )
    if not note.strip():
        raise DomainError(422, "invalid_note", "A ruling needs a note.", field="note")
    claim = session.get(Claim, obj.claim_id)
    assert claim is not None  # objections.claim_id is a CASCADE foreign key
    before = admin_objection_out(session, obj)
    bump(session, obj, version, "objection")
    affected = {obj.raised_by, claim.claimed_by} | _share_holders(session, claim)
    if action == "reassign":
        assert seller_id is not None
        target = session.get(Seller, seller_id)
        if target is None:
            raise not_found("seller")
        if not target.is_active:
            raise DomainError(
                422, "inactive_seller", "That seller is deactivated.", field="seller_id"
            )
        if target.id == claim.claimed_by:
            raise DomainError(
                422, "same_seller", "The claim is that seller's already.", field="seller_id"
            )
        finance.reassign_claim(
            session,
            claim=claim,
            new_seller=target,
            settings=settings,
            actor_id=actor_id,
            now=now,
        )
    elif action == "exclude":
        item = session.get(QueueItem, claim.queue_id)
        assert item is not None
        finance.exclude_item(
            session,
            queue_item=item,
            reason=note.strip(),
            settings=settings,
            actor_id=actor_id,
            now=now,
        )
    elif action == "refund":
        finance.apply_refund(
            session,
            claim=claim,
            settings=settings,
            reason=note.strip(),
            actor_id=actor_id,
            now=now,
        )
    obj.status = "accepted" if decision == "accept" else "rejected"
    obj.resolution = note.strip()
    obj.resolved_by, obj.resolved_at = actor_id, now
    session.flush()
    affected |= {claim.claimed_by} | _share_holders(session, claim)
    seller = session.get(Seller, claim.claimed_by)
    append_event(
        session,
        "objection.resolved",
        {
            "claim_id": claim.id,
            "queue_id": claim.queue_id,
            "change": "objection",
            "seller_ids": sorted(affected),
            "seller_id": claim.claimed_by,
            "seller_name": seller.name if seller else None,
            "objection_id": obj.id,
            "status": obj.status,
            "resolution": obj.resolution,
            "reason": action,
        },
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    append_event(session, "leaderboard:refresh", {"boards": list(ALL_BOARDS) if action else []})
    audit.record(
        session,
        actor_id,
        f"objection.{obj.status}",
        "objection",
        obj.id,
        {"claim_id": claim.id, "decision": decision, "action": action, "seller_id": seller_id},
        now,
        before=before,
        after=admin_objection_out(session, obj),
        reason=obj.resolution,
    )
    return obj, claim


def _share_holders(session: Session, claim: Claim) -> set[int]:
    return set(
        session.scalars(
            select(AttributionShareEntry.seller_id).where(
                AttributionShareEntry.claim_id == claim.id
            )
        )
    )
