"""Money as integer micro-dollars: the conversions the ``Micros`` column type makes, in
plain Python (the pure rules and the batched writes use them without SQLAlchemy)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MICRO = Decimal("0.000001")
# The largest magnitude a Micros column holds: 2^63 - 1 millionths (a BIGINT).
MICROS_MAX = Decimal(2**63 - 1) * MICRO


def to_micros(value: Decimal) -> int:
    """A Decimal as stored: millionths, rounded half-up."""
    return int((value / MICRO).to_integral_value(rounding=ROUND_HALF_UP))


def from_micros(micros: int | None) -> Decimal:
    """Stored millionths as a Decimal (None reads as 0)."""
    return (Decimal(int(micros or 0)) * MICRO).quantize(MICRO)


def stored(value: Decimal) -> Decimal:
    """A Decimal as the database keeps it (six decimals, half-up)."""
    return value.quantize(MICRO, rounding=ROUND_HALF_UP)


def share_of(amount: Decimal, share: Decimal) -> Decimal:
    """``amount × share`` as stored (rounded half-up to the micro-dollar)."""
    return stored(amount * share)
