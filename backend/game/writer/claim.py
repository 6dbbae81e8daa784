"""A new claim's rules, written in steps: :func:`open_claim` (the game lock, the day and
month rows, the floor streak, the seller's totals, the month's and today's sums and which
achievements the claim could fire exist) and :func:`settle` (the ledger entries, the totals
and the new achievements with their badges). On PostgreSQL each step is one round trip
(a :class:`backend.db.batch.Batch`), so the claim holds the game lock — which every claim
queued behind it waits for — for 2 round trips, 3 when it fires an achievement
(``achievements.fire_all``); elsewhere the same statements run one by one.

ORM copies of rows written here that the session may hold are expired, so goal and
challenge code later in the transaction reads the new values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from backend.db.batch import Batch, compiled, forget, naive_utc, pipeline_connection, prebuilt
from backend.db.micros import to_micros
from backend.eventlog import ORDER_LOCK_SQL, mark_order_locked, order_locked
from backend.game.daystats import DayNumbers, month_start, next_month
from backend.game.rules.streak import STREAK_FIRES_AT, StreakStep
from backend.game.writer import statements as st
from backend.game.writer.achievements import fired_keys
from backend.game.writer.batched import write_batch, written
from backend.game.writer.candidates import Candidate, badge_wants
from backend.game.writer.days import add_days, floor_streak, month_rows_of
from backend.game.writer.points import Entry, PointsBook, Totals, totals_of
from backend.game.writer.sums import MonthSums, month_and_today, month_from_days, sums_from
from backend.models import StreakState
from backend.models.game import SellerDayStats, SellerMonthStats

DAY_KEYS = st.columns_of(SellerDayStats, without=())
MONTH_KEYS = st.columns_of(SellerMonthStats, without=())


@dataclass
class Opening:
    step: StreakStep
    totals: Totals | None  # None: the seller has no stats row yet
    month: MonthSums
    fired: set[str]  # which of the ``keys`` asked about are achievements already


def open_claim(
    session: Session,
    *,
    scope: str,
    seller_id: int,
    claim_id: int,
    day: date,
    deltas: dict[int, DayNumbers],
    today: date,
    involved: Sequence[int],
    keys: Sequence[str],
    now: datetime,
) -> Opening:
    """Take the game lock, add the claim to the day and month rows, step the floor streak,
    read (and lock) the seller's running totals, the month's and today's sums and which of
    the achievement dedupe ``keys`` exist — one round trip on PostgreSQL."""
    pg = pipeline_connection(session)
    if pg is None:
        add_days(session, day, deltas, now)
        step = floor_streak(session, scope, seller_id, claim_id, now)
        row = (
            session.connection()
            .execute(prebuilt(session, st.stats_read), {"b_seller": seller_id})
            .first()
        )
        month = month_and_today(session, today, involved, now)
        totals = None if row is None else totals_of(row)
        return Opening(step, totals, month, fired_keys(session, keys))
    day_rows = [
        {
            "day": day,
            "seller_id": sid,
            "wins": d.wins,
            "revenue": to_micros(d.revenue),
            "margin": to_micros(d.margin),
            "updated_at": naive_utc(now),
        }
        for sid, d in sorted(deltas.items())
        if not d.is_zero()
    ]
    first = month_start(today)
    batch = Batch(pg)
    if not order_locked(session):
        batch.add_sql(*ORDER_LOCK_SQL)
    if day_rows:
        day_upsert = compiled(session, st.day_upsert, DAY_KEYS)
        month_upsert = compiled(session, st.month_upsert, MONTH_KEYS)
        for r in day_rows:
            batch.add(day_upsert, r)
        for r in month_rows_of(day_rows):
            batch.add(month_upsert, r)
    at_streak = batch.add(
        compiled(session, st.streak_update),
        {"b_scope": scope, "b_seller": seller_id, "b_claim": claim_id, "b_now": naive_utc(now)},
    )
    at_stats = batch.add(compiled(session, st.stats_read), {"b_seller": seller_id})
    at_month = batch.add(compiled(session, st.month_read), {"b_month": first})
    at_days = batch.add(
        compiled(session, st.days_read),
        {
            "b_today": today,
            "b_next": next_month(first),
            "b_sellers": list(involved),
            "b_now": naive_utc(now),
        },
    )
    at_keys = batch.add(compiled(session, st.fired_keys), {"b_keys": list(keys)}) if keys else None
    results = batch.run()
    streak_row = results[at_streak][0] if results[at_streak] else None
    stats_row = results[at_stats][0] if results[at_stats] else None
    month_rows, today_rows = results[at_month], results[at_days]
    fired = set() if at_keys is None else {str(r[0]) for r in results[at_keys]}
    mark_order_locked(session)
    for r in day_rows:
        forget(session, SellerDayStats, (day, r["seller_id"]))
        forget(session, SellerMonthStats, (month_start(day), r["seller_id"]))
    if streak_row is None:  # the very first claim: create the row
        step = floor_streak(session, scope, seller_id, claim_id, now)
    else:
        forget(session, StreakState, scope)
        count = int(streak_row[0])
        step = StreakStep(seller_id=seller_id, count=count, fires=count >= STREAK_FIRES_AT)
    totals = None
    if stats_row is not None:
        totals = Totals(int(stats_row[0]), int(stats_row[1]), int(stats_row[2]), stats_row[3])
    sums = sums_from(month_rows, today_rows, today)
    if sums is None:  # day rows dated after today: sum the month's day rows instead
        sums = month_from_days(session, today, involved, now)
    return Opening(step, totals, sums, fired)


def settle(
    session: Session,
    book: PointsBook,
    entries: Sequence[Entry],
    todo: Sequence[Candidate] = (),
) -> dict[str, int] | None:
    """Insert the ledger entries, credit the new ones and write the running totals; on
    PostgreSQL also insert the achievements of the :func:`unfired` candidates ``todo``
    (returns dedupe key → id of the new ones, for ``achievements.fire_all``; None: not inserted).

    On PostgreSQL one round trip: the totals are written as they will be if every entry is
    new (the usual case: the claim's own entries) in the same batch as the ledger insert;
    if one was not (its dedupe key was in the ledger already), only the new ones are credited
    and the totals are written again by ``book.save``."""
    entries = [e for e in entries if e.points != 0]
    pg = pipeline_connection(session)
    if pg is None or not (entries or todo):
        book.award(entries)
        return None
    result = write_batch(session, pg, book, entries, todo, badge_wants=badge_wants(todo))
    book.badges, book.held = result.badges, result.held
    book.award(entries, result.inserted)
    written(session, book, result.expected)
    return result.new_ids
