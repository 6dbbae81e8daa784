"""Rows a new claim adds to, one statement each: the floor streak and the sellers' day and
month rows (a month row stays exactly the sum of its day rows: the same integers are added
to both). On PostgreSQL the claim sends the same statements in its first batch
(:mod:`backend.game.writer.claim`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.db.batch import forget, prebuilt, table_of
from backend.game.daystats import DayNumbers, month_start
from backend.game.rules.streak import STREAK_FIRES_AT, StreakStep
from backend.game.writer import statements as st
from backend.models import StreakState
from backend.models.game import SellerDayStats, SellerMonthStats


def floor_streak(
    session: Session, scope: str, seller_id: int, claim_id: int, now: datetime
) -> StreakStep:
    """``rules.streak.next_streak`` applied to the stored state in one statement: the same
    seller adds one, anyone else starts at 1 (the row is created on the first claim)."""
    conn = session.connection()
    count = conn.execute(
        prebuilt(session, st.streak_update),
        {"b_scope": scope, "b_seller": seller_id, "b_claim": claim_id, "b_now": now},
    ).scalar()
    if count is None:
        count = 1
        conn.execute(
            table_of(StreakState).insert(),
            {
                "scope": scope,
                "seller_id": seller_id,
                "count": 1,
                "last_claim_id": claim_id,
                "updated_at": now,
            },
        )
    forget(session, StreakState, scope)
    return StreakStep(seller_id=seller_id, count=int(count), fires=count >= STREAK_FIRES_AT)


def month_rows_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The day rows' numbers as rows of their month (the same integers: the month row stays
    exactly the sum of the day rows)."""
    return [
        {
            "month": month_start(r["day"]),
            "seller_id": r["seller_id"],
            "wins": r["wins"],
            "revenue": r["revenue"],
            "margin": r["margin"],
            "updated_at": r["updated_at"],
        }
        for r in rows
    ]


def add_days(session: Session, day: date, deltas: dict[int, DayNumbers], now: datetime) -> None:
    """Add a new claim's numbers to the (seller, ``day``) rows of several sellers, in one
    upsert (and the same numbers to their month rows in one more)."""
    rows = [
        {
            "day": day,
            "seller_id": sid,
            "wins": d.wins,
            "revenue": d.revenue,
            "margin": d.margin,
            "updated_at": now,
        }
        for sid, d in sorted(deltas.items())
        if not d.is_zero()
    ]
    if not rows:
        return
    conn = session.connection()
    conn.execute(prebuilt(session, st.day_upsert), rows)
    conn.execute(prebuilt(session, st.month_upsert), month_rows_of(rows))
    for r in rows:
        forget(session, SellerDayStats, (day, r["seller_id"]))
        forget(session, SellerMonthStats, (month_start(day), r["seller_id"]))
