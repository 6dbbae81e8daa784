"""What a claim's rules read of the boards: each involved seller's month and today (from
the month rows and today's day rows, as raw micro-dollar integers: no Decimal per row), and
whether any goal or challenge is active (the goal/challenge code runs only then)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from backend.db.batch import driver_text, prebuilt
from backend.db.micros import from_micros
from backend.game.daystats import DayNumbers, month_start, next_month
from backend.game.writer import statements as st

Numbers = tuple[int, int, int]  # wins, revenue, margin (raw micro-dollars)


@dataclass
class MonthSums:
    """Per-seller sums of the month to date (``month``) and of today (``today``) as raw
    micro-dollar integers, and whether goals / challenges are active (None: not known)."""

    month_rows: dict[int, Numbers]
    today_rows: dict[int, Numbers]
    activity: tuple[bool, bool] | None

    def month_revenue_micros(self) -> dict[int, int]:
        return {sid: r[1] for sid, r in self.month_rows.items()}

    def team_today_revenue(self) -> Decimal:
        return from_micros(sum(r[1] for r in self.today_rows.values()))

    def month(self, sid: int) -> DayNumbers:
        r = self.month_rows.get(sid)
        return DayNumbers() if r is None else DayNumbers(r[0], from_micros(r[1]), from_micros(r[2]))

    def today(self, sid: int) -> DayNumbers:
        r = self.today_rows.get(sid)
        return DayNumbers() if r is None else DayNumbers(r[0], from_micros(r[1]), from_micros(r[2]))

    def month_all(self) -> dict[int, DayNumbers]:
        """As ``daystats.sums`` gives them for ``period_days("month")``."""
        return {sid: self.month(sid) for sid in self.month_rows}

    def today_all(self) -> dict[int, DayNumbers]:
        """As ``daystats.sums`` gives them for ``period_days("today")``."""
        return {sid: self.today(sid) for sid in self.today_rows}


def sums_from(month_rows: Any, day_rows: Any, today: date | str) -> MonthSums | None:
    """The sums from the month rows and today's day rows (whether goals / challenges are
    active comes with the latter); None when the month has day rows after ``today`` (the
    month rows count them: the caller sums the day rows instead)."""
    activity: tuple[bool, bool] | None = None
    today_rows: dict[int, Numbers] = {}
    for sid, wins, revenue, margin, day, team, personal, challenge in day_rows:
        if day != today:  # a later day of the month
            return None
        today_rows[sid] = (wins, revenue, margin)
        activity = (bool(team or personal), bool(challenge))
    month = {sid: (wins, revenue, margin) for sid, wins, revenue, margin in month_rows}
    return MonthSums(month, today_rows, activity)


def _sums_from_days(rows: Any) -> MonthSums:
    """The sums from ``st.month_sums`` rows (the month's day rows summed by the database)."""
    month: dict[int, Numbers] = {}
    today: dict[int, Numbers] = {}
    activity: tuple[bool, bool] | None = None
    row: Any
    for row in rows:
        sid, wins, revenue, margin, n_today, t_wins, t_revenue, t_margin = (
            int(x or 0) for x in row[:8]
        )
        month[sid] = (wins, revenue, margin)
        if n_today:
            today[sid] = (t_wins, t_revenue, t_margin)
        activity = (bool(row[8] or row[9]), bool(row[10]))
    return MonthSums(month, today, activity)


def month_and_today(
    session: Session, today: date, seller_ids: Sequence[int], now: datetime
) -> MonthSums:
    """The month's and today's per-seller sums, with whether any team goal, personal goal of
    ``seller_ids`` or challenge is active (see :func:`active_goals_and_challenges`): the
    month rows and today's day rows (two small reads; the month's day rows summed if there
    are rows dated after today)."""
    conn = session.connection()
    month = month_start(today)
    if conn.dialect.name == "sqlite":
        # ~200 rows: read through the driver (SQLAlchemy's per-row cost is the larger part)
        raw = conn.connection.driver_connection
        assert raw is not None
        month_rows = raw.execute(
            driver_text(session, st.month_read, ("b_month",)), (month.isoformat(),)
        ).fetchall()
        day_rows = raw.execute(
            driver_text(session, st.today_rows, ("b_today", "b_next")),
            (today.isoformat(), next_month(month).isoformat()),
        ).fetchall()
        goals, challenges = active_goals_and_challenges(session, seller_ids, now)
        day_rows = [(*r, goals, False, challenges) for r in day_rows]
        got = sums_from(month_rows, day_rows, today.isoformat())
        if got is not None:
            got.activity = (goals, challenges)  # also known when there is no row today
    else:
        got = sums_from(
            conn.execute(prebuilt(session, st.month_read), {"b_month": month}),
            conn.execute(
                prebuilt(session, st.days_read),
                {
                    "b_today": today,
                    "b_next": next_month(month),
                    "b_sellers": list(seller_ids),
                    "b_now": now,
                },
            ),
            today,
        )
    return got if got is not None else month_from_days(session, today, seller_ids, now)


def month_from_days(
    session: Session, today: date, seller_ids: Sequence[int], now: datetime
) -> MonthSums:
    """:func:`month_and_today` summing the month's day rows (one query)."""
    result = session.connection().execute(
        prebuilt(session, st.month_sums),
        {
            "b_first": month_start(today),
            "b_today": today,
            "b_sellers": list(seller_ids),
            "b_now": now,
        },
    )
    return _sums_from_days(result)


def active_goals_and_challenges(
    session: Session, seller_ids: Sequence[int], now: datetime
) -> tuple[bool, bool]:
    """(any active team goal or personal goal of ``seller_ids``, any running challenge)."""
    team, personal, challenge = (
        session.connection()
        .execute(prebuilt(session, st.activity), {"b_sellers": list(seller_ids), "b_now": now})
        .one()
    )
    return bool(team or personal), bool(challenge)
