"""Spin & win: the weighted prize table (CONTRACT §6) and the draw from a random value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prize:
    code: str
    label: str
    weight: int
    points: int = 0  # points prizes go to the ledger


PRIZES: tuple[Prize, ...] = (
    Prize("points_50", "50 points", 40, 50),
    Prize("points_100", "100 points", 25, 100),
    Prize("points_200", "200 points", 10, 200),
    Prize("coffee", "Coffee on the house", 15),
    Prize("leave_early", "Leave 30 minutes early", 5),
    Prize("points_500", "500 points", 5, 500),
)


def draw(random_value: float, prizes: tuple[Prize, ...] = PRIZES) -> tuple[int, Prize]:
    """The prize a random value in [0, 1) lands on: the table laid out by cumulative weight.
    Returns ``(index, prize)``."""
    if not 0.0 <= random_value < 1.0:
        raise ValueError("random_value must be in [0, 1)")
    total = sum(p.weight for p in prizes)
    point = random_value * total
    cumulative = 0
    for i, prize in enumerate(prizes):
        cumulative += prize.weight
        if point < cumulative:
            return i, prize
    last = max(i for i, p in enumerate(prizes) if p.weight > 0)  # pragma: no cover
    return last, prizes[last]  # pragma: no cover - float edge at 1.0 - ε
