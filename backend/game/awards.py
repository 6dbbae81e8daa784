"""Writing what the rules decide: achievements (once, by their unique dedupe key), badges
(once per seller), points (ledger + running totals) and their events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.eventlog import append_event, take_order_lock
from backend.game import numbers as game_numbers
from backend.game.rules import points as prules
from backend.game.rules.milestones import BADGES, Milestone
from backend.models import Achievement, Badge, PointsEntry, Seller, SellerBadge, SellerStats
from backend.schemas.common import money


def serialize(session: Session) -> None:
    """Take the floor's write lock (PostgreSQL): game writes run one at a time, so the numbers
    each transaction reads after this include every earlier commit. Re-entrant; the same key
    the event log takes (no lock-order inversion). SQLite writers are serialized already."""
    take_order_lock(session)


def serialize_sqlite(session: Session) -> None:
    """``serialize`` where it costs no round trip (SQLite: only marks the lock as held);
    on PostgreSQL the caller sends the lock statement itself (``claimpath.open_claim``)."""
    if session.get_bind().dialect.name != "postgresql":
        take_order_lock(session)


def achievement_payload(a: Achievement, seller_name: str | None) -> dict[str, object]:
    value: str | None
    if a.value is None:
        value = None
    elif a.kind in ("daily_revenue", "team_daily_revenue", "monthly_revenue", "jackpot", "top_day"):
        value = money(a.value)
    elif a.kind in ("personal_goal", "team_goal", "daily_goal"):
        value = f"{(a.value * 100).quantize(Decimal(1))}%"
    elif a.kind == "rank_change":
        value = f"#{int(a.value)}"
    elif a.value == a.value.to_integral_value():
        value = str(int(a.value))
    else:
        value = money(a.value)
    return {
        "achievement_id": a.id,
        "seller_id": a.seller_id,
        "seller_name": seller_name,
        "kind": a.kind,
        "title": a.title,
        "description": a.description,
        "emoji": a.emoji,
        "value": value,
        "created_at": a.created_at.isoformat() if a.created_at else None,
    }


def fired_keys(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.scalars(select(Achievement.dedupe_key).where(Achievement.dedupe_key.in_(keys)))
    )


def fire(
    session: Session,
    m: Milestone,
    seller: Seller | None,
    now: datetime,
    *,
    claim_id: int | None = None,
    milestone_points: bool = True,
) -> Achievement | None:
    """Insert the achievement under its dedupe key (SAVEPOINT; a duplicate means "already
    fired": nothing happens) and append its three events; award the milestone points and
    the badge that comes with it. Returns the new achievement or None."""
    a = Achievement(
        seller_id=seller.id if seller else None,
        kind=m.kind,
        title=m.title,
        description=m.description,
        emoji=m.emoji,
        value=m.value,
        period_key=m.period_key,
        dedupe_key=m.dedupe_key,
        claim_id=claim_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(a)
            session.flush()
    except IntegrityError:
        if not fired_keys(session, [m.dedupe_key]):  # not the dedupe key: a real error
            raise
        return None
    payload = achievement_payload(a, seller.name if seller else None)
    append_event(session, "achievement.created", payload)
    if seller is not None:
        append_event(session, "achievement:earned", payload, room=f"user:{seller.id}")
    append_event(session, "achievement:celebration", payload, room="tv-display")
    if seller is not None:
        if milestone_points:
            award_points(
                session,
                seller.id,
                game_numbers.current(session).milestone_points,
                f"Milestone: {m.title}",
                "milestone",
                now,
                ref_type="achievement",
                ref_id=a.id,
                dedupe_key=f"milestone:{m.dedupe_key}",
            )
        if m.badge:
            award_badge(session, seller.id, m.badge, now)
    return a


def award_badge(session: Session, seller_id: int, code: str, now: datetime) -> bool:
    """Give a badge once per seller (unique seller+badge); +50 points the first time."""
    badge = session.scalar(select(Badge).where(Badge.code == code))
    if badge is None:  # seeded by migration 0004; a missing row is not fatal
        name = BADGES[code][0]
        badge = Badge(code=code, name=name, description=BADGES[code][1], emoji=BADGES[code][2])
        session.add(badge)
        session.flush()
    try:
        with session.begin_nested():
            session.add(SellerBadge(seller_id=seller_id, badge_id=badge.id, awarded_at=now))
            session.flush()
    except IntegrityError:
        held = session.scalar(
            select(SellerBadge.id).where(
                SellerBadge.seller_id == seller_id, SellerBadge.badge_id == badge.id
            )
        )
        if held is None:
            raise
        return False
    award_points(
        session,
        seller_id,
        game_numbers.current(session).badge_points,
        f"Badge: {badge.name}",
        "badge",
        now,
        ref_type="badge",
        ref_id=badge.id,
        dedupe_key=f"badge:{code}:seller:{seller_id}",
    )
    return True


def stats_row(session: Session, seller_id: int, now: datetime) -> SellerStats:
    locked: set[int] = session.info.setdefault("game_stats_locked", set())
    if seller_id in locked:  # already read (and locked) in this transaction
        cached = session.get(SellerStats, seller_id)
        if cached is not None:
            return cached
    locked.add(seller_id)
    row = session.get(SellerStats, seller_id, with_for_update=True)
    if row is None:
        row = SellerStats(
            seller_id=seller_id, points=0, xp=0, level=0, daily_streak=0, updated_at=now
        )
        session.add(row)
        session.flush()
    return row


def award_points(
    session: Session,
    seller_id: int,
    points: int,
    reason: str,
    source: str,
    now: datetime,
    *,
    ref_type: str | None = None,
    ref_id: int | None = None,
    dedupe_key: str | None = None,
    fresh: bool = False,
) -> PointsEntry | None:
    """One ledger entry (once per ``dedupe_key`` when given), the running totals and a
    ``points.awarded`` event to the seller. Points = XP = the ledger's sum (never < 0).
    ``fresh``: the key names something created in this very transaction (a new claim), so
    it cannot exist yet: no SAVEPOINT round trip (the unique key still guards it)."""
    if points == 0:
        return None
    entry = PointsEntry(
        seller_id=seller_id,
        points=points,
        reason=reason[:200],
        source=source,
        ref_type=ref_type,
        ref_id=ref_id,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    if dedupe_key is None or fresh:
        session.add(entry)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(entry)
                session.flush()
        except IntegrityError:
            if (
                session.scalar(select(PointsEntry.id).where(PointsEntry.dedupe_key == dedupe_key))
                is None
            ):
                raise
            return None
    stats = stats_row(session, seller_id, now)
    stats.points += points
    stats.xp = max(0, stats.points)
    stats.level = prules.level_for_xp(stats.xp)
    stats.updated_at = now
    session.flush()
    append_event(
        session,
        "points.awarded",
        {
            "points": points,
            "reason": entry.reason,
            "source": source,
            "total": stats.points,
            "level": stats.level,
        },
        room=f"user:{seller_id}",
    )
    return entry


def daily_activity(session: Session, seller_id: int, today: date, now: datetime) -> None:
    """The daily activity streak: +5 points on a seller's first claim of a local day."""
    stats = stats_row(session, seller_id, now)
    step = prules.next_day_streak(stats.last_active_day, stats.daily_streak, today)
    if not step.award:
        return
    stats.daily_streak, stats.last_active_day = step.streak, step.last_active_day
    session.flush()
    award_points(
        session,
        seller_id,
        game_numbers.current(session).daily_streak_points,
        f"Daily streak: day {step.streak}",
        "daily_streak",
        now,
        dedupe_key=f"daily_streak:seller:{seller_id}:{today.isoformat()}",
    )
