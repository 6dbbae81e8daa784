"""Lists of the admin API (CONTRACT §4a): ``limit`` (1–500, default 100) and an opaque
``cursor`` in, ``{"<items>": [...], "next_cursor", "total"}`` out.

Paging is by keyset: the cursor holds the sort key of the last row sent (and its id, the
tie-breaker), so page 500 costs what page 1 costs and rows inserted meanwhile neither
repeat nor vanish. A cursor that does not decode, or that belongs to another sort, is 422.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from backend.errors import DomainError

LimitQuery = Annotated[int, Query(ge=1, le=500)]
CursorQuery = Annotated[str | None, Query(max_length=2000)]


def bad_cursor() -> DomainError:
    return DomainError(
        422, "invalid_cursor", "The cursor is not one this list gave out.", field="cursor"
    )


def _dump(v: Any) -> Any:
    if isinstance(v, datetime):
        return ["t", v.isoformat()]
    if isinstance(v, Decimal):
        return ["d", str(v)]
    return v


def _load(v: Any) -> Any:
    if isinstance(v, list) and len(v) == 2 and v[0] in ("t", "d") and isinstance(v[1], str):
        try:
            return datetime.fromisoformat(v[1]) if v[0] == "t" else Decimal(v[1])
        except (ValueError, InvalidOperation) as exc:
            raise bad_cursor() from exc
    if v is None or isinstance(v, (int, str, bool)):
        return v
    raise bad_cursor()


def encode_cursor(tag: str, values: Sequence[Any]) -> str:
    raw = json.dumps([tag, [_dump(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(tag: str, cursor: str, n: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_tag, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise bad_cursor() from exc
    if got_tag != tag or not isinstance(values, list) or len(values) != n:
        raise bad_cursor()
    return [_load(v) for v in values]


@dataclass(frozen=True)
class Key:
    """One sort key: a column (or expression, never NULL: coalesce it), its direction."""

    expr: ColumnElement[Any]
    descending: bool = False


@dataclass(frozen=True)
class Keyset:
    """The order of a list: ``keys`` then a unique tie-breaker (last key, usually the id).
    ``tag`` names the order inside the cursor (a cursor of another order is refused)."""

    tag: str
    keys: Sequence[Key]

    def order_by(self) -> list[ColumnElement[Any]]:
        return [k.expr.desc() if k.descending else k.expr.asc() for k in self.keys]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after ``values`` in this order (lexicographic, per-key direction)."""
        ors = []
        for i, key in enumerate(self.keys):
            eqs = [k.expr == v for k, v in zip(self.keys[:i], values[:i], strict=True)]
            beyond = key.expr < values[i] if key.descending else key.expr > values[i]
            ors.append(and_(*eqs, beyond))
        return or_(*ors)


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None
    total: int


def page(
    session: Any,
    stmt: Select[Any],
    keyset: Keyset,
    key_of: Callable[[Any], Sequence[Any]],
    limit: int,
    cursor: str | None,
    *,
    count: bool = True,
) -> Page:
    """Run ``stmt`` (filters applied, no order) one page at a time. ``key_of(row)`` gives
    the row's values of ``keyset.keys``, in order; ``total`` counts every match."""
    total = 0
    if count:
        total = int(
            session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        )
    q = stmt
    if cursor:
        q = q.where(keyset.after(decode_cursor(keyset.tag, cursor, len(keyset.keys))))
    rows = list(session.execute(q.order_by(*keyset.order_by()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(keyset.tag, key_of(rows[-1])) if more and rows else None
    return Page(rows, nxt, total)


def listing(name: str, items: list[Any], pg: Page) -> dict[str, Any]:
    """The list answer: ``{name: items, "next_cursor", "total"}``."""
    return {name: items, "next_cursor": pg.next_cursor, "total": pg.total}
