"""Goals and challenges: progress in the current period, ``goal.progress`` on change,
completion fired once (progress cache / challenge progress rows + achievement dedupe keys)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.eventlog import append_event
from backend.game import awards, daystats
from backend.game import numbers as game_numbers
from backend.game.daystats import DayNumbers
from backend.game.rules import milestones as mrules
from backend.game.rules.periods import DayRange, period_days, period_key
from backend.models import (
    Challenge,
    ChallengeProgress,
    PersonalGoal,
    ProgressCache,
    SalesGoal,
    Seller,
    Spin,
)
from backend.schemas.common import money

Q6 = Decimal("0.000001")


class PeriodSums:
    """Memoized per-seller sums over local day ranges (one query per range)."""

    def __init__(self, session: Session, today: date) -> None:
        self.session = session
        self.today = today
        self._cache: dict[DayRange, dict[int, DayNumbers]] = {}

    def by_seller(self, days: DayRange) -> dict[int, DayNumbers]:
        if days not in self._cache:
            self._cache[days] = daystats.sums(self.session, days)
        return self._cache[days]

    def prime(self, days: DayRange, numbers: dict[int, DayNumbers]) -> None:
        """Use ``numbers`` (read by the caller, as ``daystats.sums`` gives them) for ``days``."""
        self._cache[days] = numbers

    def period(self, period: str) -> dict[int, DayNumbers]:
        return self.by_seller(period_days(period, self.today))

    def team(self, period: str) -> DayNumbers:
        total = DayNumbers()
        for n in self.period(period).values():
            total.wins += n.wins
            total.revenue += n.revenue
            total.margin += n.margin
        return total


def metric_value(n: DayNumbers, target_type: str) -> Decimal:
    if target_type == "count" or target_type == "wins":
        return Decimal(n.wins)
    if target_type == "revenue":
        return n.revenue
    return n.margin


def format_value(value: Decimal, target_type: str) -> int | str:
    """A goal's or challenge's number as JSON shows it: a count is a number (like the wins
    board's values), money a string with two decimals (CONTRACT §3)."""
    if target_type in ("count", "wins"):
        return int(value)
    return money(value) or "0.00"


def percent_of(value: Decimal, target: Decimal) -> Decimal:
    """Progress as a fraction of the target (1 = reached; may exceed 1; never negative)."""
    if target <= 0:
        return Decimal(0)
    return max(Decimal(0), (value / target).quantize(Q6))


def evaluate_goals(
    session: Session,
    sums: PeriodSums,
    now: datetime,
    *,
    seller_ids: Iterable[int],
    completer: Seller | None,
    sellers: dict[int, Seller],
) -> bool:
    """Update every active team goal and the personal goals of ``seller_ids``. Returns
    whether any progress changed."""
    changed = False
    for goal in session.scalars(select(SalesGoal).where(SalesGoal.active.is_(True))):
        team = sums.team(goal.period)
        changed |= _update_goal(
            session,
            "team",
            goal.id,
            goal.title,
            goal.period,
            goal.target_type,
            goal.target,
            metric_value(team, goal.target_type),
            sums.today,
            now,
            None,
            completer,
        )
    ids = sorted(set(seller_ids))
    if ids:
        q = select(PersonalGoal).where(
            PersonalGoal.active.is_(True), PersonalGoal.seller_id.in_(ids)
        )
        for pgoal in session.scalars(q):
            n = sums.period(pgoal.period).get(pgoal.seller_id, DayNumbers())
            owner = sellers.get(pgoal.seller_id) or session.get(Seller, pgoal.seller_id)
            changed |= _update_goal(
                session,
                "personal",
                pgoal.id,
                pgoal.title,
                pgoal.period,
                pgoal.target_type,
                pgoal.target,
                metric_value(n, pgoal.target_type),
                sums.today,
                now,
                pgoal.seller_id,
                owner,
            )
    return changed


def evaluate_goal(
    session: Session, goal: SalesGoal | PersonalGoal, sums: PeriodSums, now: datetime
) -> None:
    """Re-evaluate one goal after an admin changed it (target, period, metric): its
    ``goal.progress`` goes out even when the value did not move, and a raised target
    re-opens a completed period (the goal-reached story and points still fire only once
    per period: their dedupe keys stay)."""
    if isinstance(goal, PersonalGoal):
        scope, owner_id = "personal", goal.seller_id
        n = sums.period(goal.period).get(goal.seller_id, DayNumbers())
        completer = session.get(Seller, goal.seller_id)
    else:
        scope, owner_id, completer = "team", None, None
        n = sums.team(goal.period)
    _update_goal(
        session,
        scope,
        goal.id,
        goal.title,
        goal.period,
        goal.target_type,
        goal.target,
        metric_value(n, goal.target_type),
        sums.today,
        now,
        owner_id,
        completer,
        force=True,
    )


def _update_goal(
    session: Session,
    scope: str,
    goal_id: int,
    title: str,
    goal_period: str,
    target_type: str,
    target: Decimal,
    value: Decimal,
    today: date,
    now: datetime,
    owner_id: int | None,
    completer: Seller | None,
    *,
    force: bool = False,
) -> bool:
    key = period_key(goal_period, today)
    percent = percent_of(value, target)
    cache = session.scalar(
        select(ProgressCache).where(
            ProgressCache.scope == scope,
            ProgressCache.goal_id == goal_id,
            ProgressCache.period_key == key,
        )
    )
    if cache is None:
        cache = ProgressCache(
            scope=scope,
            goal_id=goal_id,
            period_key=key,
            value=Decimal(0),
            percent=Decimal(0),
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(cache)
                session.flush()
        except IntegrityError:  # a concurrent first writer (SQLite/PG serialized anyway)
            cache = session.scalars(
                select(ProgressCache).where(
                    ProgressCache.scope == scope,
                    ProgressCache.goal_id == goal_id,
                    ProgressCache.period_key == key,
                )
            ).one()
    if (
        not force
        and cache.value == value.quantize(Q6)
        and (cache.completed_at is not None or value < target)
    ):
        return False
    if force and value < target:
        cache.completed_at = None  # a raised target: not reached (again) yet
    cache.value, cache.percent, cache.updated_at = value, percent, now
    completes = value >= target and cache.completed_at is None
    if completes:
        cache.completed_at = now
    session.flush()
    room = "everyone" if scope == "team" else f"user:{owner_id}"
    append_event(
        session,
        "goal.progress",
        {
            "goal_id": goal_id,
            "scope": scope,
            "title": title,
            "target_type": target_type,
            "period": goal_period,
            "value": format_value(value, target_type),
            "target": format_value(target, target_type),
            "percent": float(percent),
            "completed": cache.completed_at is not None,
        },
        room=room,
    )
    if completes:
        m = mrules.goal_reached(scope, goal_id, goal_period, title, key, percent)
        a = awards.fire(session, m, completer, now, milestone_points=False)
        if a is not None and completer is not None:
            awards.award_points(
                session,
                completer.id,
                game_numbers.current(session).goal_points,
                f"Goal reached: {title}",
                "goal",
                now,
                ref_type="achievement",
                ref_id=a.id,
                dedupe_key=f"goal:{m.dedupe_key}:seller:{completer.id}",
            )
    return True


def evaluate_challenges(
    session: Session, now: datetime, seller_ids: Iterable[int], sellers: dict[int, Seller]
) -> bool:
    """Progress of the active challenges for ``seller_ids`` (team challenges: the team's
    total); completion once → reward points, an achievement and a spin."""
    ids = sorted(set(seller_ids))
    changed = False
    q = select(Challenge).where(
        Challenge.active.is_(True), Challenge.starts_at <= now, Challenge.ends_at > now
    )
    for ch in session.scalars(q):
        changed |= evaluate_challenge(session, ch, now, ids, sellers)
    return changed


def challenge_numbers(
    session: Session, ch: Challenge, seller_ids: Iterable[int] | None
) -> dict[int, DayNumbers]:
    """Each seller's numbers in the challenge's window, its ``claim_type`` only when set
    (``seller_ids`` None: every seller)."""
    return daystats.compute_range(session, ch.starts_at, ch.ends_at, seller_ids, ch.claim_type)


def evaluate_challenge(
    session: Session,
    ch: Challenge,
    now: datetime,
    seller_ids: Iterable[int],
    sellers: dict[int, Seller],
) -> bool:
    """One challenge's progress for ``seller_ids`` (a team challenge: every seller with
    numbers). A test run (``visible`` False) is computed but completes nothing."""
    ids = sorted(set(seller_ids))
    changed = False
    if ch.scope == "team":
        numbers = challenge_numbers(session, ch, None)
        total = DayNumbers()
        for n in numbers.values():
            total.wins += n.wins
            total.revenue += n.revenue
            total.margin += n.margin
        value = metric_value(total, ch.metric)
        targets = {sid: value for sid, n in numbers.items() if not n.is_zero()}
    else:
        if not ids:
            return False
        numbers = challenge_numbers(session, ch, ids)
        targets = {sid: metric_value(numbers.get(sid, DayNumbers()), ch.metric) for sid in ids}
    for sid, value in sorted(targets.items()):
        changed |= _update_challenge(session, ch, sid, value, now, sellers)
    return changed


def _update_challenge(
    session: Session,
    ch: Challenge,
    seller_id: int,
    value: Decimal,
    now: datetime,
    sellers: dict[int, Seller],
) -> bool:
    row = session.scalar(
        select(ChallengeProgress).where(
            ChallengeProgress.challenge_id == ch.id, ChallengeProgress.seller_id == seller_id
        )
    )
    if row is None:
        row = ChallengeProgress(challenge_id=ch.id, seller_id=seller_id, value=Decimal(0))
        session.add(row)
        session.flush()
    if row.value == value.quantize(Q6) and (row.completed_at is not None or value < ch.target):
        return False
    row.value = value
    # a test run completes nothing: no story, points or spin (and nothing owed later)
    completes = ch.visible and value >= ch.target and row.completed_at is None
    if completes:
        row.completed_at = now
    session.flush()
    if completes:
        seller = sellers.get(seller_id) or session.get(Seller, seller_id)
        m = mrules.challenge_completed(ch.id, seller_id, ch.title, value)
        awards.fire(session, m, seller, now, milestone_points=False)
        awards.award_points(
            session,
            seller_id,
            ch.reward_points,
            f"Challenge: {ch.title}",
            "challenge",
            now,
            ref_type="challenge",
            ref_id=ch.id,
            dedupe_key=f"challenge:{ch.id}:seller:{seller_id}",
        )
        if ch.awards_spin:
            grant_spin(session, seller_id, "challenge", str(ch.id), now)
    return True


def grant_spin(
    session: Session, seller_id: int, source: str, source_ref: str, now: datetime
) -> Spin | None:
    """A spin earned once per (seller, source, ref) (unique constraint)."""
    spin = Spin(seller_id=seller_id, source=source, source_ref=source_ref, earned_at=now, draw={})
    try:
        with session.begin_nested():
            session.add(spin)
            session.flush()
    except IntegrityError:
        exists = session.scalar(
            select(Spin.id).where(
                Spin.seller_id == seller_id, Spin.source == source, Spin.source_ref == source_ref
            )
        )
        if exists is None:  # not the "earned already" constraint: a real error
            raise
        return None
    return spin
