"""Team and personal goals, and challenges: created by leads and admins (CONTRACT §4a);
each action writes its audit row in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from backend.actions import audit
from backend.actions.queue_manual import parse_amount
from backend.actions.versions import bump
from backend.db.types import utcnow
from backend.errors import DomainError, invalid, not_found
from backend.eventlog import append_event
from backend.game.daystats import DayNumbers
from backend.game.progress import PeriodSums, evaluate_goal, format_value, metric_value, percent_of
from backend.game.rules.periods import local_day
from backend.models import PersonalGoal, SalesGoal, Seller
from backend.models._common import GOAL_PERIODS, GOAL_TARGET_TYPES
from backend.settings import Settings


def _check_goal(period: str, target_type: str, target: Decimal, title: str) -> None:
    if period not in GOAL_PERIODS:
        raise DomainError(
            422,
            "invalid_period",
            f"A goal period is one of {', '.join(GOAL_PERIODS)}.",
            field="period",
        )
    if target_type not in GOAL_TARGET_TYPES:
        raise DomainError(
            422,
            "invalid_target_type",
            "A goal counts wins, revenue or margin.",
            field="target_type",
        )
    if Decimal(target) <= 0:
        raise DomainError(
            422, "invalid_target", "A goal's target must be positive.", field="target"
        )
    if not title.strip():
        raise DomainError(422, "invalid_title", "A goal needs a title.", field="title")


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


# ---- the admin API (CONTRACT §4a): one id space, API vocabulary, events ------------------

API_TARGET_TYPES = {"count": "count", "revenue": "revenue", "margin_amount": "margin"}
STORED_TARGET_TYPES = {v: k for k, v in API_TARGET_TYPES.items()}
MAX_COUNT_TARGET = 1_000_000


def find_goal(session: Session, goal_id: int) -> SalesGoal | PersonalGoal:
    goal: SalesGoal | PersonalGoal | None = session.get(SalesGoal, goal_id)
    if goal is None:
        goal = session.get(PersonalGoal, goal_id)
    if goal is None:
        raise not_found("goal")
    return goal


def goal_out(
    goal: SalesGoal | PersonalGoal, progress: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A goal as the admin API shows it (``target_type`` in the API's words)."""
    personal = isinstance(goal, PersonalGoal)
    return {
        "id": goal.id,
        "scope": "personal" if personal else "team",
        "seller_id": goal.seller_id if isinstance(goal, PersonalGoal) else None,
        "title": goal.title,
        "period": goal.period,
        "target_type": STORED_TARGET_TYPES.get(goal.target_type, goal.target_type),
        "target": format_value(goal.target, goal.target_type),
        "active": goal.active,
        "ended_at": goal.ended_at.isoformat() if goal.ended_at else None,
        "version": goal.version,
        "created_at": goal.created_at.isoformat() if goal.created_at else None,
        **(progress or {}),
    }


def goal_progress(goal: SalesGoal | PersonalGoal, sums: PeriodSums) -> dict[str, Any]:
    """``value``, ``percent`` (a fraction, 1 = reached) and ``completed`` in the current period."""
    if isinstance(goal, PersonalGoal):
        n = sums.period(goal.period).get(goal.seller_id, DayNumbers())
    else:
        n = sums.team(goal.period)
    value = metric_value(n, goal.target_type)
    return {
        "value": format_value(value, goal.target_type),
        "percent": float(percent_of(value, goal.target)),
        "completed": value >= goal.target,
    }


def check_target(target_type: str, target: Any) -> Decimal:
    """An API target (a count: a whole number; money: at most two decimals), as stored."""
    if target_type == "count":
        if isinstance(target, bool) or not isinstance(target, int | str):
            raise invalid("target", "invalid_target", "A count target is a whole number.")
        text_value = str(target).strip()
        if not text_value.isascii() or not text_value.isdigit():
            raise invalid("target", "invalid_target", "A count target is a whole number.")
        n = int(text_value)
        if not 0 < n <= MAX_COUNT_TARGET:
            raise invalid("target", "invalid_target", f"A count target is 1 to {MAX_COUNT_TARGET}.")
        return Decimal(n)
    try:
        amount = parse_amount(target)
        if amount <= 0:
            raise ValueError("must be above 0")
    except ValueError as exc:
        raise invalid("target", "invalid_target", f"The target {exc}.") from None
    return amount


def _hint(
    session: Session,
    kind: str,
    obj_id: int,
    action: str,
    *,
    room: str | None = None,
    actor_id: int | None = None,
) -> None:
    append_event(session, kind, {"id": obj_id, "action": action}, room=room, actor=actor_id)


def _reevaluate(
    session: Session, goal: SalesGoal | PersonalGoal, settings: Settings, now: datetime
) -> None:
    if goal.active:
        sums = PeriodSums(session, local_day(now, settings.tz))
        evaluate_goal(session, goal, sums, now)


def admin_create_goal(
    session: Session,
    *,
    scope: str,
    title: str,
    period: str,
    target_type: str,
    target: Any,
    settings: Settings,
    seller_id: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> SalesGoal | PersonalGoal:
    """``POST /api/admin/goals``: a team or personal goal; ``goals.changed`` and its first
    ``goal.progress``."""
    now = now or utcnow()
    stored_type = API_TARGET_TYPES.get(target_type)
    if stored_type is None:
        raise invalid(
            "target_type", "invalid_target_type", "target_type is count, revenue or margin_amount."
        )
    amount = check_target(target_type, target)
    goal: SalesGoal | PersonalGoal
    if scope == "team":
        if seller_id is not None:
            raise invalid("seller_id", "invalid_scope", "A team goal has no seller_id.")
        goal = create_goal(
            session,
            title=title,
            period=period,
            target_type=stored_type,
            target=amount,
            actor_id=actor_id,
            now=now,
        )
    elif scope == "personal":
        if seller_id is None:
            raise invalid("seller_id", "seller_required", "A personal goal needs a seller_id.")
        seller = session.get(Seller, seller_id)
        if seller is None:
            raise not_found("seller")
        if not seller.is_active:
            raise invalid("seller_id", "inactive_seller", "That seller is deactivated.")
        goal = create_personal_goal(
            session,
            seller_id=seller_id,
            title=title,
            period=period,
            target_type=stored_type,
            target=amount,
            actor_id=actor_id,
            now=now,
        )
    else:
        raise invalid("scope", "invalid_scope", "scope is team or personal.")
    _hint(session, "goals.changed", goal.id, "created", actor_id=actor_id)
    _reevaluate(session, goal, settings, now)
    return goal


def admin_update_goal(
    session: Session,
    goal_id: int,
    changes: dict[str, Any],
    *,
    settings: Settings,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> SalesGoal | PersonalGoal:
    """``PATCH /api/admin/goals/{id}``: ``title``, ``period``, ``target_type``, ``target``;
    an ended goal is 409 ``goal_ended``. Progress is re-evaluated at once."""
    now = now or utcnow()
    goal = find_goal(session, goal_id)
    if not goal.active:
        raise DomainError(409, "goal_ended", "This goal has ended; create a new one.")
    before = goal_out(goal)
    api_type = changes.get(
        "target_type", STORED_TARGET_TYPES.get(goal.target_type, goal.target_type)
    )
    stored_type = API_TARGET_TYPES.get(api_type)
    if stored_type is None:
        raise invalid(
            "target_type", "invalid_target_type", "target_type is count, revenue or margin_amount."
        )
    if "target" in changes:
        target = check_target(api_type, changes["target"])
    elif "target_type" in changes and stored_type != goal.target_type:
        raise invalid("target", "target_required", "A new target_type needs its target.")
    else:
        target = goal.target
    title = changes.get("title", goal.title)
    period = changes.get("period", goal.period)
    _check_goal(period, stored_type, target, title)
    bump(session, goal, version, "goal")
    goal.title, goal.period, goal.target_type, goal.target = (
        title.strip(),
        period,
        stored_type,
        target,
    )
    session.flush()
    after = goal_out(goal)
    audit.record(
        session,
        actor_id,
        "goal.update",
        "goal",
        goal.id,
        {"scope": after["scope"]},
        now,
        before=before,
        after=after,
    )
    _hint(session, "goals.changed", goal.id, "updated", actor_id=actor_id)
    _reevaluate(session, goal, settings, now)
    return goal


def admin_end_goal(
    session: Session,
    goal_id: int,
    *,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> SalesGoal | PersonalGoal:
    """``DELETE /api/admin/goals/{id}``: the goal ends (kept for history: ``active``
    False, ``ended_at``); again: 409 ``goal_ended``."""
    now = now or utcnow()
    goal = find_goal(session, goal_id)
    if not goal.active:
        raise DomainError(409, "goal_ended", "This goal has ended already.")
    before = goal_out(goal)
    bump(session, goal, version, "goal")
    goal.active, goal.ended_at = False, now
    session.flush()
    audit.record(
        session, actor_id, "goal.end", "goal", goal.id, {}, now, before=before, after=goal_out(goal)
    )
    _hint(session, "goals.changed", goal.id, "ended", actor_id=actor_id)
    return goal
