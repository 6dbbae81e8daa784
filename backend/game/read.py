"""Read side of the game for the HTTP API (INTERFACE: stable signatures and shapes).

The API routes call these and return their results as JSON. Money values are two-decimal
strings; fractions are floats (0.3856) — every ``*percent*`` field here is a FRACTION
(``percent`` 0.625 = 62.5 % of a goal, ``change_percent`` 0.25 = +25 % against the previous
period); times ISO 8601 UTC.

``board`` ∈ {"wins", "revenue", "margin", "conversion"}; ``period`` ∈ {"today", "15d",
"month"} (CONTRACT §4). ``now`` defaults to the current time (tests pass a fixed one).
Boards sum the per-seller-per-local-day aggregate (``seller_day_stats``, kept exact by the
engine); leads come from ``lead_assignments_daily`` for earlier days and from the core
database for today (``backend.core.live``; the aggregate when it cannot answer), both per
seller email, matched to sellers when read.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from backend.core.live import live_leads
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.eventlog import append_event
from backend.game import awards, daystats
from backend.game import numbers as game_numbers
from backend.game.daystats import DayNumbers
from backend.game.progress import PeriodSums, format_value, metric_value, percent_of
from backend.game.rules.metrics import as_fraction, change, ratio
from backend.game.rules.periods import DayRange, local_day, period_days, previous_days, utc_bounds
from backend.game.rules.points import level_for_xp, xp_for_level
from backend.game.rules.ranking import Row, rank_rows
from backend.game.rules.spin import draw
from backend.game.writer.achievements import achievement_payload
from backend.models import (
    Achievement,
    Badge,
    Challenge,
    ChallengeProgress,
    PersonalGoal,
    PointsEntry,
    Reaction,
    SalesGoal,
    Seller,
    SellerBadge,
    SellerStats,
    Spin,
)
from backend.models import LeadAssignmentDaily as Lad
from backend.schemas.common import money
from backend.settings import Settings

BOARDS = ("wins", "revenue", "margin", "conversion")
PERIODS = ("today", "15d", "month")
SELLER_ROLES = ("sales", "sales_lead")


# the domain's one error type, under the name the game's callers and tests know
GameError = DomainError


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise DomainError(422, "invalid_period", "The period is one of today, 15d or month.")


def _sums_and_leads(
    session: Session,
    period: str,
    settings: Settings,
    now: datetime,
    previous: bool = False,
    seller_ids: list[int] | None = None,
):  # type: ignore[no-untyped-def]
    """Per-seller sums and leads of the period (or the previous one). Leads: today's read
    live from the core database (:func:`_live_leads`), earlier days from the stored
    aggregate ``lead_assignments_daily`` (kept for every day of the longest previous window
    by the worker's ``leads.days``); today's too when the core database cannot answer.
    Both are per lower-cased seller email, matched to sellers here, when read: a seller
    created after a day was aggregated still gets that day's leads."""

    today = local_day(now, settings.tz)
    days = previous_days(period, today) if previous else period_days(period, today)
    sums = daystats.sums(session, days, seller_ids)
    emails = _seller_emails(session, seller_ids)
    live = _live_leads(settings, today, emails) if days.contains(today) else None
    leads: dict[int, int] = dict(live) if live is not None else {}
    if emails and (live is None or days.first < today):
        q = (
            select(Lad.seller_email, func.sum(Lad.leads))
            .where(Lad.day >= days.first, Lad.day <= days.last)
            .group_by(Lad.seller_email)
        )
        if live is not None:
            q = q.where(Lad.day != today)
        if seller_ids is not None:
            q = q.where(Lad.seller_email.in_(sorted(emails)))
        for email, n in session.execute(q):
            for sid in emails.get(email, ()):
                leads[sid] = leads.get(sid, 0) + int(n or 0)
    return sums, leads


def _seller_emails(session: Session, seller_ids: list[int] | None) -> dict[str, list[int]]:
    """Seller ids by lower-cased, trimmed email (as the core counts and the aggregate key
    leads); every seller, or those of ``seller_ids``."""

    q = select(Seller.id, Seller.email)
    if seller_ids is not None:
        if not seller_ids:
            return {}
        q = q.where(Seller.id.in_(seller_ids))
    out: dict[str, list[int]] = defaultdict(list)
    for sid, email in session.execute(q):
        key = (email or "").strip().lower()
        if key:
            out[key].append(int(sid))
    return dict(out)


def _live_leads(
    settings: Settings, day: date, emails: dict[str, list[int]]
) -> dict[int, int] | None:
    """Leads assigned on local ``day`` per seller id (of ``emails``, by lower-cased email),
    read from the core database now (CONTRACT §4: today's assignments count at once; the
    worker's ``leads.today`` refreshes the aggregate only every minute). ``None`` when the
    core database cannot answer (logged once by ``backend.core.live``): the caller keeps
    the aggregate's numbers."""

    start, end = utc_bounds(DayRange(day, day), settings.tz)
    counts = live_leads(settings.core_db_url).counts(start, end)
    if counts is None:
        return None
    out: dict[int, int] = {}
    for email, sids in emails.items():
        n = counts.get(email)
        if n:
            for sid in sids:
                out[sid] = n
    return out


def _board_sellers(session: Session, extra: set[int]) -> dict[int, str]:

    cond: Any = (Seller.is_active.is_(True)) & (Seller.role.in_(SELLER_ROLES))
    if extra:
        cond = or_(cond, Seller.id.in_(sorted(extra)))
    return {sid: name for sid, name in session.execute(select(Seller.id, Seller.name).where(cond))}


def leaderboard(
    session: Session, board: str, period: str, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """``{"board","period","entries": [{"seller_id","name","value","normalized","rank"}]}``.

    ``value``: int for wins, money string for revenue/margin, float fraction for conversion
    (None with no leads: ranked last); ``normalized``: 0–1 for bars; ties share a rank
    (1, 2, 2, 4); equal values are ordered by name, then id. Every active seller (roles
    sales, sales_lead) is listed, plus anyone else with numbers in the period.
    """

    if board not in BOARDS:
        raise DomainError(
            422, "invalid_board", "The board is one of wins, revenue, margin, conversion."
        )
    _check_period(period)
    now = now or utcnow()
    sums, leads = _sums_and_leads(session, period, settings, now)
    names = _board_sellers(session, {s for s, n in sums.items() if not n.is_zero()})
    rows: list[Row] = []
    for sid, name in names.items():
        n = sums.get(sid)
        wins = n.wins if n else 0
        value: Any
        if board == "wins":
            value = wins
        elif board == "revenue":
            value = n.revenue if n else Decimal(0)
        elif board == "margin":
            value = n.margin if n else Decimal(0)
        else:
            value = ratio(wins, leads.get(sid, 0))
        rows.append(Row(sid, name, value))
    entries = []
    for r in rank_rows(rows):
        if board == "wins":
            out: Any = r.value
        elif board == "conversion":
            out = as_fraction(r.value)  # type: ignore[arg-type]
        else:
            out = money(r.value)  # type: ignore[arg-type]
        entries.append(
            {
                "seller_id": r.seller_id,
                "name": r.name,
                "value": out,
                "normalized": round(r.normalized, 4),
                "rank": r.rank,
            }
        )
    return {"board": board, "period": period, "entries": entries}


def _goal_row(goal: Any, value: Decimal) -> dict[str, Any]:

    return {
        "id": goal.id,
        "title": goal.title,
        "period": goal.period,
        "target_type": goal.target_type,
        "target": format_value(goal.target, goal.target_type),
        "value": format_value(value, goal.target_type),
        "percent": float(percent_of(value, goal.target)),
        "completed": value >= goal.target,
    }


def team_goals(
    session: Session, settings: Settings, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Active team goals: ``id, title, period, target_type, target, value, percent, completed``
    (``percent`` a fraction of the target, 1.0 = reached)."""

    now = now or utcnow()
    sums = PeriodSums(session, local_day(now, settings.tz))
    goals = session.scalars(
        select(SalesGoal).where(SalesGoal.active.is_(True)).order_by(SalesGoal.id)
    )
    return [_goal_row(g, metric_value(sums.team(g.period), g.target_type)) for g in goals]


def personal_goals(
    session: Session, seller_id: int, settings: Settings, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The seller's active personal goals, same shape as ``team_goals``."""

    now = now or utcnow()
    sums = PeriodSums(session, local_day(now, settings.tz))
    goals = session.scalars(
        select(PersonalGoal)
        .where(PersonalGoal.active.is_(True), PersonalGoal.seller_id == seller_id)
        .order_by(PersonalGoal.id)
    )
    return [
        _goal_row(
            g, metric_value(sums.period(g.period).get(seller_id, DayNumbers()), g.target_type)
        )
        for g in goals
    ]


def _metrics(n: Any, leads: int, pn: Any, pleads: int) -> dict[str, Any]:

    def block(v: Any, p: Any, fmt: Any) -> dict[str, Any]:
        return {"value": fmt(v), "previous": fmt(p), "change_percent": change(v, p)}

    wins, pwins = n.wins, pn.wins
    avg, pavg = ratio(n.margin, n.revenue), ratio(pn.margin, pn.revenue)
    conv, pconv = ratio(wins, leads), ratio(pwins, pleads)
    return {
        "wins": block(wins, pwins, int),
        "revenue": block(n.revenue, pn.revenue, money),
        "margin": block(n.margin, pn.margin, money),
        "avg_margin_percent": block(avg, pavg, as_fraction),
        "leads": block(leads, pleads, int),
        "conversion": block(conv, pconv, as_fraction),
    }


def my_metrics(
    session: Session, seller_id: int, period: str, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """``{"period", "wins"|"revenue"|"margin"|"avg_margin_percent"|"leads"|"conversion": {"value",
    "previous", "change_percent"}}``. ``avg_margin_percent`` = margin ÷ revenue and
    ``conversion`` = wins ÷ leads are fractions (None when the divisor is 0);
    ``change_percent`` is a fraction of the previous value (None when that is 0)."""

    _check_period(period)
    now = now or utcnow()
    cur, leads = _sums_and_leads(session, period, settings, now, seller_ids=[seller_id])
    prev, pleads = _sums_and_leads(session, period, settings, now, True, [seller_id])
    return {
        "period": period,
        **_metrics(
            cur.get(seller_id, DayNumbers()),
            leads.get(seller_id, 0),
            prev.get(seller_id, DayNumbers()),
            pleads.get(seller_id, 0),
        ),
    }


def team_overview(
    session: Session, period: str, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """``{"period", "sellers": [{"seller_id","name", <my_metrics fields>}]}`` by name."""

    _check_period(period)
    now = now or utcnow()
    cur, leads = _sums_and_leads(session, period, settings, now)
    prev, pleads = _sums_and_leads(session, period, settings, now, True)
    names = _board_sellers(session, {s for s, n in cur.items() if not n.is_zero()})
    sellers = [
        {
            "seller_id": sid,
            "name": name,
            **_metrics(
                cur.get(sid, DayNumbers()),
                leads.get(sid, 0),
                prev.get(sid, DayNumbers()),
                pleads.get(sid, 0),
            ),
        }
        for sid, name in sorted(names.items(), key=lambda kv: (kv[1].casefold(), kv[0]))
    ]
    return {"period": period, "sellers": sellers}


def points(session: Session, seller_id: int) -> dict[str, Any]:
    """``{"points", "xp", "level", "xp_for_next_level", "xp_to_next_level", "daily_streak"}``.
    XP = points earned = the ledger's sum; level n needs round(100 × n^1.5) XP."""

    stats = session.get(SellerStats, seller_id)
    pts = stats.points if stats else 0
    xp = max(0, pts)
    level = level_for_xp(xp)
    nxt = xp_for_level(level + 1)
    return {
        "points": pts,
        "xp": xp,
        "level": level,
        "xp_for_level": xp_for_level(level),
        "xp_for_next_level": nxt,
        "xp_to_next_level": nxt - xp,
        "daily_streak": stats.daily_streak if stats else 0,
    }


def points_history(
    session: Session, seller_id: int, limit: int | None = None
) -> list[dict[str, Any]]:
    """Every ledger entry (or the newest ``limit``), newest first: ``id, points, reason,
    source, ref_type, ref_id, created_at``."""

    query = (
        select(PointsEntry)
        .where(PointsEntry.seller_id == seller_id)
        .order_by(PointsEntry.id.desc())
    )
    rows = session.scalars(query if limit is None else query.limit(max(1, limit)))
    return [
        {
            "id": e.id,
            "points": e.points,
            "reason": e.reason,
            "source": e.source,
            "ref_type": e.ref_type,
            "ref_id": e.ref_id,
            "created_at": e.created_at.isoformat(),
        }
        for e in rows
    ]


def badges(session: Session, seller_id: int) -> list[dict[str, Any]]:
    """Badges held: ``code, name, description, emoji, awarded_at``."""

    rows = session.execute(
        select(Badge, SellerBadge.awarded_at)
        .join(SellerBadge, SellerBadge.badge_id == Badge.id)
        .where(SellerBadge.seller_id == seller_id)
        .order_by(SellerBadge.awarded_at, Badge.id)
    )
    return [
        {
            "code": b.code,
            "name": b.name,
            "description": b.description,
            "emoji": b.emoji,
            "awarded_at": at.isoformat(),
        }
        for b, at in rows
    ]


def challenges(
    session: Session,
    seller_id: int | None,
    settings: Settings,
    now: datetime | None = None,
    *,
    include_tests: bool = False,
) -> list[dict[str, Any]]:
    """Active challenges: ``id, title, description, metric, target, reward_points, starts_at,
    ends_at, progress`` (the caller's, for sellers; ``None`` for TVs and finance — team
    challenges always show the team's) ``, completed, scope, seconds_left``. Test runs
    (``visible`` False) only with ``include_tests`` (admins)."""

    now = now or utcnow()
    q = select(Challenge).where(
        Challenge.active.is_(True), Challenge.starts_at <= now, Challenge.ends_at > now
    )
    if not include_tests:
        q = q.where(Challenge.visible.is_(True))
    rows = session.scalars(q.order_by(Challenge.ends_at, Challenge.id))
    out = []
    for ch in rows:
        progress: int | str | None = None
        completed = False
        if ch.scope == "team":
            total = daystats.DayNumbers()
            team = daystats.compute_range(session, ch.starts_at, ch.ends_at, None, ch.claim_type)
            for n in team.values():
                total.wins += n.wins
                total.revenue += n.revenue
                total.margin += n.margin
            value = metric_value(total, ch.metric)
            progress, completed = format_value(value, ch.metric), value >= ch.target
        elif seller_id is not None:
            n = daystats.compute_range(
                session, ch.starts_at, ch.ends_at, [seller_id], ch.claim_type
            ).get(seller_id, daystats.DayNumbers())
            value = metric_value(n, ch.metric)
            done = session.scalar(
                select(ChallengeProgress.completed_at).where(
                    ChallengeProgress.challenge_id == ch.id,
                    ChallengeProgress.seller_id == seller_id,
                )
            )
            progress, completed = format_value(value, ch.metric), done is not None
        out.append(
            {
                "id": ch.id,
                "title": ch.title,
                "description": ch.description,
                "metric": ch.metric,
                "scope": ch.scope,
                "target": format_value(ch.target, ch.metric),
                "reward_points": ch.reward_points,
                "awards_spin": ch.awards_spin,
                "claim_type": ch.claim_type,
                "visible": ch.visible,
                "starts_at": ch.starts_at.isoformat(),
                "ends_at": ch.ends_at.isoformat(),
                "seconds_left": max(0, int((ch.ends_at - now).total_seconds())),
                "progress": progress,
                "completed": completed,
            }
        )
    return out


def _spin_out(s: Any) -> dict[str, Any]:
    prize = None
    if s.used_at is not None:
        prize = {
            "code": s.prize_code,
            "label": s.prize_label,
            "points": (s.draw or {}).get("points", 0),
        }
    return {
        "id": s.id,
        "source": s.source,
        "source_ref": s.source_ref,
        "earned_at": s.earned_at.isoformat(),
        "used_at": s.used_at.isoformat() if s.used_at else None,
        "prize": prize,
    }


def spins(session: Session, seller_id: int) -> list[dict[str, Any]]:
    """Spins earned: ``id, source, source_ref, earned_at, used_at, prize`` (None until spent)."""

    rows = session.scalars(select(Spin).where(Spin.seller_id == seller_id).order_by(Spin.id.desc()))
    return [_spin_out(s) for s in rows]


def spend_spin(
    session: Session,
    seller_id: int,
    spin_id: int,
    settings: Settings,
    *,
    random_value: float | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Draw the prize on the server (an action: appends ``spin.result``) → ``{"prize","draw"}``.

    The prize comes from the weighted table (CONTRACT §6) at ``random_value`` (default: a
    fresh ``secrets.SystemRandom`` value), recorded in ``spins.draw``; points prizes go to
    the ledger. Raises ``DomainError(404, "not_found", ...)`` / ``DomainError(409, "spin_used", ...)``."""

    now = now or utcnow()
    spin = session.get(Spin, spin_id)
    if spin is None or spin.seller_id != seller_id:
        raise DomainError(404, "not_found", "No such spin.")
    r = secrets.SystemRandom().random() if random_value is None else random_value
    prizes = game_numbers.current(session).prizes()
    index, prize = draw(r, prizes)
    record = {
        "random": r,
        "index": index,
        "points": prize.points,
        "table": [{"code": p.code, "weight": p.weight} for p in prizes],
        "rule": "the prize whose cumulative weight first exceeds random × total weight",
    }
    claimed = session.execute(
        update(Spin)
        .where(Spin.id == spin_id, Spin.used_at.is_(None))
        .values(used_at=now, prize_code=prize.code, prize_label=prize.label, draw=record)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(409, "spin_used", "This spin was used already.")
    session.refresh(spin)
    if prize.points:
        awards.award_points(
            session,
            seller_id,
            prize.points,
            f"Spin & win: {prize.label}",
            "spin",
            now,
            ref_type="spin",
            ref_id=spin.id,
            dedupe_key=f"spin:{spin.id}",
        )
    seller = session.get(Seller, seller_id)
    prize_out = {"code": prize.code, "label": prize.label, "points": prize.points, "index": index}
    append_event(
        session,
        "spin.result",
        {
            "spin_id": spin.id,
            "seller_id": seller_id,
            "seller_name": seller.name if seller else "",
            "prize": prize_out,
        },
        actor=seller_id,
    )
    return {"prize": prize_out, "draw": record}


def achievements(session: Session, limit: int = 12) -> list[dict[str, Any]]:
    """Newest first: ``id`` and the ``achievement.created`` payload fields (its
    ``achievement_id`` is the same id) plus ``reactions`` (``[{"emoji","count","seller_ids"}]``)."""

    limit = max(1, min(limit, 100))
    rows = session.execute(
        select(Achievement, Seller.name)
        .outerjoin(Seller, Seller.id == Achievement.seller_id)
        .order_by(Achievement.created_at.desc(), Achievement.id.desc())
        .limit(limit)
    ).all()
    ids = [a.id for a, _ in rows]
    reactions: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    if ids:
        rq = (
            select(Reaction.target_id, Reaction.emoji, Reaction.seller_id)
            .where(Reaction.target_type == "achievement", Reaction.target_id.in_(ids))
            .order_by(Reaction.id)
        )
        for target_id, emoji, sid in session.execute(rq):
            reactions[target_id][emoji].append(sid)
    out = []
    for a, name in rows:
        item = {"id": a.id, **achievement_payload(a, name)}  # ``id`` as every list has
        item["refunded"] = bool(a.refunded)  # the claim that set it off was refunded
        item["reactions"] = [
            {"emoji": e, "count": len(s), "seller_ids": s} for e, s in reactions[a.id].items()
        ]
        out.append(item)
    return out
