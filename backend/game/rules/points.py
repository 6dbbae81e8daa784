"""Points (CONTRACT §6), the level curve and the daily activity streak."""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CLAIM_POINTS = 10
JACKPOT_BONUS = 50
STREAK_MULTIPLIER = Decimal("1.5")
MILESTONE_POINTS = 25
BADGE_POINTS = 50
GOAL_POINTS = 100
DAILY_STREAK_POINTS = 5


@dataclass(frozen=True)
class Award:
    points: int
    source: str
    reason: str


def claim_awards(
    is_jackpot: bool,
    streak_count: int,
    streak_fires: bool,
    *,
    claim_points: int = CLAIM_POINTS,
    jackpot_bonus: int = JACKPOT_BONUS,
    multiplier: Decimal = STREAK_MULTIPLIER,
) -> list[Award]:
    """Base points of a claim, the jackpot bonus, and the streak multiplier's extra
    (×1.5 on the claim's points from the 3rd consecutive claim on, by default; the numbers
    admins set come in as the keyword arguments)."""
    awards = [Award(claim_points, "claim", "Claimed a sale")]
    if is_jackpot:
        awards.append(Award(jackpot_bonus, "jackpot_bonus", "Jackpot sale bonus"))
    if streak_fires:
        base = sum(a.points for a in awards)
        extra = int((base * (multiplier - 1)).to_integral_value(ROUND_HALF_UP))
        if extra:
            awards.append(
                Award(extra, "streak_multiplier", f"Streak ×{multiplier} ({streak_count} in a row)")
            )
    return awards


def xp_for_level(level: int) -> int:
    """Total XP level ``level`` needs: round(100 × n^1.5) (level 0 needs nothing)."""
    if level <= 0:
        return 0
    return int((Decimal(100) * Decimal(level) ** Decimal("1.5")).to_integral_value(ROUND_HALF_UP))


_LEVEL_XP: list[int] = [0]  # xp_for_level(0), xp_for_level(1), ... (grown on demand)
_LEVEL_LOCK = threading.Lock()


def level_for_xp(xp: int) -> int:
    """The highest level whose XP requirement ``xp`` meets (the thresholds are computed
    once: every claim asks)."""
    if xp < 0:
        return 0
    if _LEVEL_XP[-1] <= xp:
        with _LEVEL_LOCK:
            while _LEVEL_XP[-1] <= xp:
                _LEVEL_XP.append(xp_for_level(len(_LEVEL_XP)))
    return bisect_right(_LEVEL_XP, xp) - 1


@dataclass(frozen=True)
class DayStreak:
    streak: int
    last_active_day: date
    award: bool  # True on the first activity of a new day


def next_day_streak(last_active_day: date | None, streak: int, today: date) -> DayStreak:
    """The daily activity streak after activity on local ``today``: +1 after yesterday,
    1 after a gap, unchanged (no award) when already active today."""
    if last_active_day == today:
        return DayStreak(streak, today, award=False)
    if last_active_day == today - timedelta(days=1):
        return DayStreak(streak + 1, today, award=True)
    return DayStreak(1, today, award=True)
