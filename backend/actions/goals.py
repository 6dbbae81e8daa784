"""Team and personal goals, and challenges: created by leads and admins (CONTRACT §4a);
each action writes its audit row in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from backend.actions import audit
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.models import Challenge, PersonalGoal, SalesGoal, Seller
from backend.models._common import GOAL_PERIODS, GOAL_TARGET_TYPES


def _check_goal(period: str, target_type: str, target: Decimal, title: str) -> None:
    if period not in GOAL_PERIODS:
        raise DomainError(
            422, "invalid_period", f"A goal period is one of {', '.join(GOAL_PERIODS)}."
        )
    if target_type not in GOAL_TARGET_TYPES:
        raise DomainError(422, "invalid_target_type", "A goal counts wins, revenue or margin.")
    if Decimal(target) <= 0:
        raise DomainError(422, "invalid_target", "A goal's target must be positive.")
    if not title.strip():
        raise DomainError(422, "invalid_title", "A goal needs a title.")


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
    audit.record(
        session,
        actor_id,
        "goal.create",
        "goal",
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
        raise DomainError(404, "not_found", "There is no such seller.")
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
    audit.record(
        session,
        actor_id,
        "personal_goal.create",
        "goal",
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
