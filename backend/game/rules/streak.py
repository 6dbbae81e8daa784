"""The floor-wide streak: consecutive claims by the same seller across the whole floor."""

from __future__ import annotations

from dataclasses import dataclass

STREAK_FIRES_AT = 3


@dataclass(frozen=True)
class StreakStep:
    seller_id: int
    count: int
    fires: bool  # True from the 3rd consecutive claim on (3, 4, 5, ...)


def next_streak(holder: int | None, count: int, claimer: int) -> StreakStep:
    """The state after ``claimer`` claims: the same seller adds one; anyone else resets to 1."""
    new = count + 1 if holder == claimer else 1
    return StreakStep(seller_id=claimer, count=new, fires=new >= STREAK_FIRES_AT)
