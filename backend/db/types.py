"""Column types: exact money in integer micro-units, UTC datetimes, JSON text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Text
from sqlalchemy.types import TypeDecorator

from backend.db.micros import MICRO, MICROS_MAX, from_micros, to_micros

__all__ = ["MICRO", "MICROS_MAX", "JSONText", "Micros", "UTCDateTime", "utcnow"]


class Micros(TypeDecorator[Decimal]):
    """A Decimal stored exactly as an integer count of millionths.

    Money (USD) and fractions (margin %) use it: sums stay exact in SQL on SQLite and
    PostgreSQL alike (SQLite would turn NUMERIC into floating point). A value is rounded
    half-up to six decimals when stored; two-decimal display rounds from there.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        return to_micros(value if isinstance(value, Decimal) else Decimal(str(value)))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return from_micros(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (naive UTC in storage)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(TypeDecorator[Any]):
    """JSON kept as text so both databases store it the same way."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


def utcnow() -> datetime:
    return datetime.now(UTC)
