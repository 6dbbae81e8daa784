"""Periods in the floor's time zone: ``today``, ``15d`` (15 calendar days incl. today),
``month`` (calendar month to date), and the previous period of each.

A period is an inclusive range of local calendar days; its UTC bounds are the instants of
local midnight at the start of the first day and after the last day (DST-aware through
``zoneinfo``: a day may last 23 or 25 hours).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

PERIODS = ("today", "15d", "month")
# Goal periods use "day" for "today".
GOAL_PERIOD_ALIASES = {"day": "today", "today": "today", "15d": "15d", "month": "month"}


@dataclass(frozen=True)
class DayRange:
    """Local calendar days ``first``..``last`` inclusive."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The local calendar day of an aware instant."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: game times are UTC-aware")
    return moment.astimezone(tz).date()


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The UTC instant at which local ``day`` begins."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def utc_bounds(days: DayRange, tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC covering the local days of ``days``."""
    return local_midnight(days.first, tz), local_midnight(days.last + timedelta(days=1), tz)


def period_days(period: str, today: date) -> DayRange:
    """The days of ``period`` (``today``/``day``, ``15d``, ``month``) as of local ``today``."""
    name = GOAL_PERIOD_ALIASES.get(period)
    if name == "today":
        return DayRange(today, today)
    if name == "15d":
        return DayRange(today - timedelta(days=14), today)
    if name == "month":
        return DayRange(today.replace(day=1), today)
    raise ValueError(f"unknown period {period!r}")


def previous_days(period: str, today: date) -> DayRange:
    """The window of the same length just before; for ``month`` the previous month up to
    the same day of the month (clamped to that month's last day)."""
    name = GOAL_PERIOD_ALIASES.get(period)
    if name == "month":
        last_of_prev = today.replace(day=1) - timedelta(days=1)
        last = last_of_prev.replace(day=min(today.day, last_of_prev.day))
        return DayRange(last_of_prev.replace(day=1), last)
    current = period_days(period, today)
    return DayRange(current.first - timedelta(days=current.days), current.first - timedelta(1))


def period_key(period: str, today: date) -> str:
    """A stable key of the current period (e.g. for progress caches and dedupe keys):
    ``2026-11-22`` (day), ``15d:2026-11-08..2026-11-22``, ``2026-11`` (month)."""
    name = GOAL_PERIOD_ALIASES.get(period)
    if name == "today":
        return today.isoformat()
    if name == "month":
        return f"{today.year:04d}-{today.month:02d}"
    days = period_days(period, today)
    return f"15d:{days.first.isoformat()}..{days.last.isoformat()}"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def iter_days(days: DayRange) -> list[date]:
    return [days.first + timedelta(days=i) for i in range(days.days)]
