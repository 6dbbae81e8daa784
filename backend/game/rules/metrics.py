"""Derived numbers of personal metrics and boards (fractions, not percentages ×100)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Q4 = Decimal("0.0001")


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """``numerator ÷ denominator``, None when the denominator is not positive."""
    if denominator is None or Decimal(denominator) <= 0:
        return None
    return Decimal(numerator) / Decimal(denominator)


def change(value: Decimal | int | None, previous: Decimal | int | None) -> float | None:
    """Change against the previous period as a fraction (0.25 = +25 %); None when the
    previous value is missing or zero."""
    if value is None or previous is None or Decimal(previous) == 0:
        return None
    delta = (Decimal(value) - Decimal(previous)) / abs(Decimal(previous))
    return float(delta.quantize(Q4, rounding=ROUND_HALF_UP))


def as_fraction(value: Decimal | None) -> float | None:
    if value is None:
        return None
    return float(value.quantize(Q4, rounding=ROUND_HALF_UP))
