"""Request field types of the floor-setup routes (goals, challenges, promotions,
installments, objections, game): instants and dates from JSON strings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from backend.api.schemas import MAX_ID, Amount

MAX_VERSION = MAX_ID


def parse_instant(v: Any) -> datetime:
    """An ISO-8601 instant with its offset (``2026-12-01T09:00:00+03:00`` or ``...Z``)."""
    if not isinstance(v, str) or len(v) > 40:
        raise ValueError("must be an ISO-8601 date and time with its UTC offset")
    try:
        d = datetime.fromisoformat(v.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO-8601 date and time with its UTC offset") from None
    if d.tzinfo is None:
        raise ValueError("needs its UTC offset (such as +03:00 or Z)")
    if not 2000 <= d.year <= 2200:
        raise ValueError("is out of range")
    return d.astimezone(UTC)


def parse_day(v: Any) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    if not isinstance(v, str) or len(v) != 10:
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        d = date.fromisoformat(v)
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None
    if not 2000 <= d.year <= 2200:
        raise ValueError("is out of range")
    return d


Instant = Annotated[
    datetime,
    BeforeValidator(parse_instant),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Day = Annotated[
    date, BeforeValidator(parse_day), WithJsonSchema({"type": "string", "format": "date"})
]


def _positive(d: Any) -> Any:
    if d <= 0:
        raise ValueError("must be above 0")
    return d


# money in an admin request: 0 < amount <= 10,000,000, whole cents (CONTRACT §4a)
PositiveAmount = Annotated[Amount, AfterValidator(_positive)]
