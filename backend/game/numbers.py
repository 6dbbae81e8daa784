"""The game numbers of CONTRACT §6 as they are now: the defaults, overridden by what admins
set (``GameSetting`` key "game", ``PATCH /api/admin/game``).

Every rule that uses one of these numbers reads it through :func:`current`, so a change
applies to claims from then on. ``current`` keeps the numbers in a small per-database cache
(the claim path pays a dict lookup, not a query): a PATCH in this process drops it when its
transaction commits; other processes pick a change up within :data:`TTL_S` seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.game.rules import points as prules
from backend.game.rules import spin as srules
from backend.game.rules import streak as strules
from backend.models import GameSetting

KEY = "game"
TTL_S = 5.0


@dataclass(frozen=True)
class GameNumbers:
    claim_points: int = prules.CLAIM_POINTS
    jackpot_bonus: int = prules.JACKPOT_BONUS
    streak_multiplier: Decimal = prules.STREAK_MULTIPLIER
    streak_from: int = strules.STREAK_FIRES_AT  # the multiplier applies from this claim on
    milestone_points: int = prules.MILESTONE_POINTS
    badge_points: int = prules.BADGE_POINTS
    goal_points: int = prules.GOAL_POINTS
    daily_streak_points: int = prules.DAILY_STREAK_POINTS
    spin_weights: dict[str, int] = field(
        default_factory=lambda: {p.code: p.weight for p in srules.PRIZES}
    )
    moderation_words: tuple[str, ...] = ()

    def prizes(self) -> tuple[srules.Prize, ...]:
        """The spin table with these weights (a prize of weight 0 is never drawn)."""
        return tuple(
            srules.Prize(p.code, p.label, self.spin_weights.get(p.code, p.weight), p.points)
            for p in srules.PRIZES
        )

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["streak_multiplier"] = str(self.streak_multiplier)
        out["spin_weights"] = dict(self.spin_weights)
        out["moderation_words"] = list(self.moderation_words)
        return out


DEFAULTS = GameNumbers()
INT_FIELDS: dict[str, tuple[int, int]] = {  # name → (min, max)
    "claim_points": (0, 10_000),
    "jackpot_bonus": (0, 10_000),
    "streak_from": (2, 100),
    "milestone_points": (0, 10_000),
    "badge_points": (0, 10_000),
    "goal_points": (0, 10_000),
    "daily_streak_points": (0, 10_000),
}
MULTIPLIER_RANGE = (Decimal(1), Decimal(10))
MAX_WORDS, MAX_WORD_LEN = 1000, 60


def from_overrides(overrides: dict[str, Any] | None) -> GameNumbers:
    """The numbers with ``overrides`` (as stored: JSON) applied; unknown keys are ignored."""
    o = overrides or {}
    kw: dict[str, Any] = {k: int(o[k]) for k in INT_FIELDS if isinstance(o.get(k), int)}
    if isinstance(o.get("streak_multiplier"), str):
        kw["streak_multiplier"] = Decimal(o["streak_multiplier"])
    if isinstance(o.get("spin_weights"), dict):
        kw["spin_weights"] = {**DEFAULTS.spin_weights, **o["spin_weights"]}
    if isinstance(o.get("moderation_words"), list):
        kw["moderation_words"] = tuple(str(w) for w in o["moderation_words"])
    return GameNumbers(**kw)


_cache: dict[str, tuple[float, int, GameNumbers]] = {}
_lock = threading.Lock()


def _db_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def stored(session: Session) -> tuple[int, dict[str, Any]]:
    """The stored overrides and their version (0 and ``{}`` when none were ever set)."""

    row = session.execute(
        select(GameSetting.version, GameSetting.value).where(GameSetting.key == KEY)
    ).first()
    if row is None:
        return 0, {}
    return int(row[0]), dict(row[1] or {})


def current(session: Session) -> GameNumbers:
    """The numbers now (cached per database for :data:`TTL_S` s; dropped on a PATCH)."""
    key = _db_key(session)
    now = time.monotonic()
    got = _cache.get(key)
    if got is not None and now - got[0] < TTL_S:
        return got[2]
    version, overrides = stored(session)
    numbers = from_overrides(overrides)
    with _lock:
        _cache[key] = (now, version, numbers)
    return numbers


def invalidate() -> None:
    """Drop the cached numbers (after a committed change)."""
    with _lock:
        _cache.clear()
