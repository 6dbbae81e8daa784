"""Scheduled game jobs (the worker's scheduler calls them by name):

- ``sweep(db, settings, now)`` every 15 minutes: the safety net. Re-aggregates today and
  yesterday from the base rows (rebuilds everything when the time zone changed), then
  fires any milestone, goal or challenge completion a missed hook left unfired (the unique
  dedupe keys make a second firing impossible).
- ``close_day(db, settings, now)`` at 18:00 local: whoever tops the day's revenue board
  (ties: all of rank 1) earns a spin and the "Top of the Day" achievement — once per day
  (unique spin per seller/source/day and achievement dedupe key).
Both are idempotent; each runs in its own transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from backend.eventlog import append_event
from backend.game import awards, daystats, engine, progress
from backend.game.rules import milestones as mrules
from backend.game.rules.periods import DayRange, local_day
from backend.game.rules.ranking import Row, rank_rows
from backend.models import ChallengeProgress, PersonalGoal, Seller
from backend.models.game import SellerDayStats
from backend.runtime import Database
from backend.settings import Settings


def _snapshot(session: Any, days: DayRange) -> set[tuple[Any, ...]]:
    rows = session.execute(
        select(
            SellerDayStats.day,
            SellerDayStats.seller_id,
            SellerDayStats.wins,
            SellerDayStats.revenue,
            SellerDayStats.margin,
        ).where(SellerDayStats.day >= days.first, SellerDayStats.day <= days.last)
    )
    return {tuple(r) for r in rows}


def sweep(db: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    tz = settings.tz
    today = local_day(now, tz)
    with db.transaction() as session:
        awards.serialize(session)
        rebuilt = False
        if daystats.built_for_tz(session) != settings.timezone:
            daystats.rebuild(session, tz, settings.timezone, now)
            rebuilt = True
            moved = True
        else:
            recent = DayRange(today - timedelta(days=1), today)
            before = _snapshot(session, recent)
            daystats.rebuild(session, tz, settings.timezone, now, recent)
            moved = _snapshot(session, recent) != before
        sums = progress.PeriodSums(session, today)
        active = {sid for sid, n in sums.period("month").items() if not n.is_zero()}
        active |= set(session.scalars(select(PersonalGoal.seller_id).where(PersonalGoal.active)))
        active |= set(session.scalars(select(ChallengeProgress.seller_id)))
        sellers = {s.id: s for s in session.scalars(select(Seller).where(Seller.id.in_(active)))}
        engine._milestones(
            session, sums, today, sellers, now, claim_id=None, completer=None, own_revenue=None
        )
        progress.evaluate_goals(
            session, sums, now, seller_ids=active, completer=None, sellers=sellers
        )
        progress.evaluate_challenges(session, now, active, sellers)
        if moved:
            append_event(session, "leaderboard:refresh", {"boards": engine.ALL_BOARDS})
    return {"rebuilt": rebuilt, "changed": moved, "sellers": len(active)}


def close_day(db: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    today = local_day(now, settings.tz)
    winners: list[int] = []
    with db.transaction() as session:
        awards.serialize(session)
        sums = daystats.sums(session, DayRange(today, today))
        ids = [sid for sid, n in sums.items() if n.revenue > 0]
        sellers = {s.id: s for s in session.scalars(select(Seller).where(Seller.id.in_(ids)))}
        rows = [Row(sid, sellers[sid].name, sums[sid].revenue) for sid in ids if sid in sellers]
        for r in rank_rows(rows):
            if r.rank != 1:
                break
            spin = progress.grant_spin(session, r.seller_id, "top_day", today.isoformat(), now)
            if spin is not None:
                winners.append(r.seller_id)
                awards.fire(
                    session,
                    mrules.top_of_day(r.seller_id, today, sums[r.seller_id].revenue),
                    sellers[r.seller_id],
                    now,
                    milestone_points=False,
                )
    return {"day": today.isoformat(), "spins": winners}
