"""Ranking with ties (standard competition ranking: 1, 2, 2, 4) and 0–1 bar values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

Number = int | float | Decimal


@dataclass(frozen=True)
class Row:
    seller_id: int
    name: str
    value: Number | None  # None: no value (e.g. conversion with no leads): ranked last


@dataclass(frozen=True)
class Ranked:
    seller_id: int
    name: str
    value: Number | None
    rank: int
    normalized: float


def rank_rows(rows: Sequence[Row]) -> list[Ranked]:
    """Order by value (highest first; ``None`` last), then name, then id; equal values
    share a rank and the next rank skips (1, 2, 2, 4). ``normalized`` = value ÷ the
    highest value, clamped to 0–1 (0 when the highest is not positive or value is None)."""
    present = sorted(
        (r for r in rows if r.value is not None),
        key=lambda r: (-Decimal(str(r.value)), r.name.casefold(), r.seller_id),
    )
    missing = sorted(
        (r for r in rows if r.value is None), key=lambda r: (r.name.casefold(), r.seller_id)
    )
    top = Decimal(str(present[0].value)) if present else Decimal(0)
    out: list[Ranked] = []
    prev: Decimal | None = None
    rank = 0
    for i, r in enumerate(present, start=1):
        v = Decimal(str(r.value))
        if prev is None or v != prev:
            rank = i
            prev = v
        out.append(Ranked(r.seller_id, r.name, r.value, rank, _normalized(v, top)))
    last_rank = len(present) + 1
    out.extend(Ranked(r.seller_id, r.name, None, last_rank, 0.0) for r in missing)
    return out


def _normalized(value: Decimal, top: Decimal) -> float:
    if top <= 0 or value <= 0:
        return 0.0
    return float(min(Decimal(1), value / top))


def rank_of(rows: Sequence[Row], seller_id: int) -> int | None:
    """The seller's rank among ``rows`` (None when absent)."""
    for r in rank_rows(rows):
        if r.seller_id == seller_id:
            return r.rank
    return None
