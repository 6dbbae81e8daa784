"""Challenges through the admin API (CONTRACT §4a): create, change, end. ``visible`` False
is a test run: computed like any other, shown to admins only (``GET /api/challenges``, the
``admin`` room for its live hints), and completing it awards nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions import audit
from backend.actions.goals import check_target
from backend.actions.versions import bump
from backend.db.types import utcnow
from backend.errors import DomainError, invalid, not_found
from backend.eventlog import append_event
from backend.game.daystats import DayNumbers
from backend.game.progress import (
    challenge_numbers,
    evaluate_challenge,
    format_value,
    metric_value,
)
from backend.models import Challenge, ChallengeProgress, Seller
from backend.models._common import CLAIM_TYPES

API_METRICS = {"count": "wins", "revenue": "revenue", "margin_amount": "margin"}
STORED_METRICS = {v: k for k, v in API_METRICS.items()}
MAX_REWARD = 100_000


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
        raise DomainError(422, "invalid_metric", "A challenge counts wins, revenue or margin.")
    if scope not in ("individual", "team"):
        raise DomainError(422, "invalid_scope", "A challenge is individual or team.")
    if Decimal(target) <= 0 or reward_points < 0:
        raise DomainError(422, "invalid_target", "Target must be positive, reward not negative.")
    if ends_at <= starts_at:
        raise DomainError(422, "invalid_window", "A challenge must end after it starts.")
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
    audit.record(
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


def _room(ch: Challenge) -> str | None:
    """Where its hints go: everyone, or the admins only for a test run."""
    return None if ch.visible else "admin"


def challenge_out(ch: Challenge, progress: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": ch.id,
        "title": ch.title,
        "description": ch.description,
        "metric": STORED_METRICS.get(ch.metric, ch.metric),
        "claim_type": ch.claim_type,
        "scope": ch.scope,
        "target": format_value(ch.target, ch.metric),
        "reward_points": ch.reward_points,
        "awards_spin": ch.awards_spin,
        "starts_at": ch.starts_at.isoformat(),
        "ends_at": ch.ends_at.isoformat(),
        "visible": ch.visible,
        "active": ch.active,
        "ended_at": ch.ended_at.isoformat() if ch.ended_at else None,
        "version": ch.version,
        "created_at": ch.created_at.isoformat() if ch.created_at else None,
        **({"progress": progress} if progress is not None else {}),
    }


def challenge_progress(session: Session, ch: Challenge) -> dict[str, Any]:
    """What the admin window shows: the leaders' values in the window (the team's total
    for a team challenge), and how many reached the target."""
    numbers = challenge_numbers(session, ch, None)
    if ch.scope == "team":
        total = DayNumbers()
        for n in numbers.values():
            total.wins += n.wins
            total.revenue += n.revenue
            total.margin += n.margin
        value = metric_value(total, ch.metric)
        return {
            "team": format_value(value, ch.metric),
            "completed": value >= ch.target,
            "sellers": [],
            "completed_count": 1 if value >= ch.target else 0,
        }
    values = {sid: metric_value(n, ch.metric) for sid, n in numbers.items() if not n.is_zero()}
    names: dict[int, str] = {
        sid: name
        for sid, name in session.execute(
            select(Seller.id, Seller.name).where(Seller.id.in_(sorted(values)))
        )
    }
    done = set(
        session.scalars(
            select(ChallengeProgress.seller_id).where(
                ChallengeProgress.challenge_id == ch.id,
                ChallengeProgress.completed_at.is_not(None),
            )
        )
    )
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "team": None,
        "completed": None,
        "completed_count": sum(1 for v in values.values() if v >= ch.target),
        "sellers": [
            {
                "seller_id": sid,
                "name": names.get(sid, ""),
                "value": format_value(v, ch.metric),
                "completed": v >= ch.target,
                "awarded": sid in done,
            }
            for sid, v in ranked[:50]
        ],
    }


def _check(
    *,
    title: str,
    metric: str,
    target: Any,
    reward_points: int,
    starts_at: datetime,
    ends_at: datetime,
    claim_type: str | None,
) -> tuple[str, Decimal]:
    stored = API_METRICS.get(metric)
    if stored is None:
        raise invalid("metric", "invalid_metric", "metric is count, revenue or margin_amount.")
    if not title.strip():
        raise invalid("title", "invalid_title", "A challenge needs a title.")
    if claim_type is not None and claim_type not in CLAIM_TYPES:
        raise invalid("claim_type", "invalid_claim_type", f"claim_type is one of {CLAIM_TYPES}.")
    if isinstance(reward_points, bool) or not 0 <= reward_points <= MAX_REWARD:
        raise invalid("reward_points", "invalid_reward", f"reward_points is 0 to {MAX_REWARD}.")
    if ends_at <= starts_at:
        raise invalid("ends_at", "invalid_window", "A challenge must end after it starts.")
    return stored, check_target(metric, target)


def _evaluate(session: Session, ch: Challenge, now: datetime) -> None:
    """Progress of every seller with numbers in the window, at once (a lowered target may
    complete it for someone now)."""
    if ch.active and ch.starts_at <= now < ch.ends_at:
        ids = sorted(challenge_numbers(session, ch, None))
        if ids or ch.scope == "team":
            evaluate_challenge(session, ch, now, ids, {})


def admin_create_challenge(
    session: Session,
    *,
    title: str,
    metric: str,
    target: Any,
    reward_points: int,
    starts_at: datetime,
    ends_at: datetime,
    visible: bool = True,
    description: str = "",
    claim_type: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Challenge:
    now = now or utcnow()
    stored, amount = _check(
        title=title,
        metric=metric,
        target=target,
        reward_points=reward_points,
        starts_at=starts_at,
        ends_at=ends_at,
        claim_type=claim_type,
    )
    ch = create_challenge(
        session,
        title=title,
        metric=stored,
        target=amount,
        reward_points=reward_points,
        starts_at=starts_at,
        ends_at=ends_at,
        description=description,
        actor_id=actor_id,
        now=now,
    )
    ch.visible, ch.claim_type = visible, claim_type
    session.flush()
    append_event(session, "challenges.changed", {"id": ch.id, "action": "created"}, room=_room(ch))
    _evaluate(session, ch, now)
    return ch


def find_challenge(session: Session, challenge_id: int) -> Challenge:
    ch = session.get(Challenge, challenge_id)
    if ch is None:
        raise not_found("challenge")
    return ch


EDITABLE = (
    "title",
    "description",
    "metric",
    "claim_type",
    "target",
    "reward_points",
    "starts_at",
    "ends_at",
    "visible",
)


def admin_update_challenge(
    session: Session,
    challenge_id: int,
    changes: dict[str, Any],
    *,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Challenge:
    """Change any of :data:`EDITABLE`; an ended challenge is 409 ``challenge_ended``.
    Making a test run visible announces it to everyone; hiding one tells everyone to
    refetch (it disappears)."""
    now = now or utcnow()
    ch = find_challenge(session, challenge_id)
    if not ch.active:
        raise DomainError(409, "challenge_ended", "This challenge has ended.")
    before = challenge_out(ch)
    metric = changes.get("metric", STORED_METRICS.get(ch.metric, ch.metric))
    if "target" not in changes and "metric" in changes and API_METRICS.get(metric) != ch.metric:
        raise invalid("target", "target_required", "A new metric needs its target.")
    target = changes.get("target", format_value(ch.target, ch.metric))
    stored, amount = _check(
        title=changes.get("title", ch.title),
        metric=metric,
        target=target,
        reward_points=changes.get("reward_points", ch.reward_points),
        starts_at=changes.get("starts_at", ch.starts_at),
        ends_at=changes.get("ends_at", ch.ends_at),
        claim_type=changes.get("claim_type", ch.claim_type),
    )
    was_visible = ch.visible
    bump(session, ch, version, "challenge")
    ch.title = changes.get("title", ch.title).strip()
    ch.description = changes.get("description", ch.description) or ""
    ch.metric, ch.target = stored, amount
    ch.claim_type = changes.get("claim_type", ch.claim_type)
    ch.reward_points = changes.get("reward_points", ch.reward_points)
    ch.starts_at = changes.get("starts_at", ch.starts_at)
    ch.ends_at = changes.get("ends_at", ch.ends_at)
    ch.visible = changes.get("visible", ch.visible)
    session.flush()
    after = challenge_out(ch)
    audit.record(
        session,
        actor_id,
        "challenge.update",
        "challenge",
        ch.id,
        {},
        now,
        before=before,
        after=after,
    )
    room = None if (was_visible or ch.visible) else "admin"
    append_event(session, "challenges.changed", {"id": ch.id, "action": "updated"}, room=room)
    _evaluate(session, ch, now)
    return ch


def admin_end_challenge(
    session: Session,
    challenge_id: int,
    *,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Challenge:
    """The challenge ends now (kept for history); again: 409 ``challenge_ended``."""
    now = now or utcnow()
    ch = find_challenge(session, challenge_id)
    if not ch.active:
        raise DomainError(409, "challenge_ended", "This challenge has ended already.")
    before = challenge_out(ch)
    bump(session, ch, version, "challenge")
    ch.active, ch.ended_at = False, now
    session.flush()
    audit.record(
        session,
        actor_id,
        "challenge.end",
        "challenge",
        ch.id,
        {},
        now,
        before=before,
        after=challenge_out(ch),
    )
    append_event(session, "challenges.changed", {"id": ch.id, "action": "ended"}, room=_room(ch))
    return ch
