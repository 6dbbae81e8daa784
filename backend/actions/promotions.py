"""Promotion banners through the admin API (CONTRACT §4a): create, change, end; each with
its audit row and a ``promotions.changed`` hint (``GET /api/promotions/active`` follows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.actions import audit
from backend.actions.versions import bump
from backend.db.types import utcnow
from backend.errors import DomainError, not_found
from backend.eventlog import append_event
from backend.models import Promotion
from backend.models._common import PROMOTION_VARIANTS

EDITABLE = ("variant", "title", "body", "starts_at", "ends_at")


def promotion_out(p: Promotion, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "id": p.id,
        "variant": p.variant,
        "title": p.title,
        "body": p.body,
        "starts_at": p.starts_at.isoformat(),
        "ends_at": p.ends_at.isoformat(),
        "ended_at": p.ended_at.isoformat() if p.ended_at else None,
        "showing": p.ended_at is None and p.starts_at <= now < p.ends_at,
        "version": p.version,
        "created_at": p.created_at.isoformat() if p.created_at else None,
    }


def _check(variant: str, title: str, starts_at: datetime, ends_at: datetime) -> None:
    if variant not in PROMOTION_VARIANTS:
        raise DomainError(
            422, "invalid_variant", f"variant is one of {PROMOTION_VARIANTS}.", field="variant"
        )
    if not title.strip():
        raise DomainError(422, "invalid_title", "A banner needs a title.", field="title")
    if ends_at <= starts_at:
        raise DomainError(
            422, "invalid_window", "A banner must end after it starts.", field="ends_at"
        )


def _hint(session: Session, p: Promotion, action: str, actor_id: int | None) -> None:
    append_event(session, "promotions.changed", {"id": p.id, "action": action}, actor=actor_id)


def create_promotion(
    session: Session,
    *,
    variant: str,
    title: str,
    body: str,
    starts_at: datetime,
    ends_at: datetime,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Promotion:
    now = now or utcnow()
    _check(variant, title, starts_at, ends_at)
    p = Promotion(
        variant=variant,
        title=title.strip(),
        body=body,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor_id,
        created_at=now,
    )
    session.add(p)
    session.flush()
    audit.record(
        session, actor_id, "promotion.create", "promotion", p.id, {}, now, after=promotion_out(p)
    )
    _hint(session, p, "created", actor_id)
    return p


def find_promotion(session: Session, promotion_id: int) -> Promotion:
    p = session.get(Promotion, promotion_id)
    if p is None:
        raise not_found("promotion")
    return p


def update_promotion(
    session: Session,
    promotion_id: int,
    changes: dict[str, Any],
    *,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Promotion:
    """Change any of :data:`EDITABLE`; an ended banner is 409 ``promotion_ended``."""
    now = now or utcnow()
    p = find_promotion(session, promotion_id)
    if p.ended_at is not None:
        raise DomainError(409, "promotion_ended", "This banner has ended.")
    merged = {k: changes.get(k, getattr(p, k)) for k in EDITABLE}
    _check(merged["variant"], merged["title"], merged["starts_at"], merged["ends_at"])
    before = promotion_out(p, now)
    bump(session, p, version, "promotion")
    for k, v in merged.items():
        setattr(p, k, v.strip() if k == "title" else v)
    session.flush()
    audit.record(
        session,
        actor_id,
        "promotion.update",
        "promotion",
        p.id,
        {},
        now,
        before=before,
        after=promotion_out(p, now),
    )
    _hint(session, p, "updated", actor_id)
    return p


def end_promotion(
    session: Session,
    promotion_id: int,
    *,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Promotion:
    """The banner comes down now (kept for history); again: 409 ``promotion_ended``."""
    now = now or utcnow()
    p = find_promotion(session, promotion_id)
    if p.ended_at is not None:
        raise DomainError(409, "promotion_ended", "This banner has ended already.")
    before = promotion_out(p, now)
    bump(session, p, version, "promotion")
    p.ended_at = now
    session.flush()
    audit.record(
        session,
        actor_id,
        "promotion.end",
        "promotion",
        p.id,
        {},
        now,
        before=before,
        after=promotion_out(p, now),
    )
    _hint(session, p, "ended", actor_id)
    return p
