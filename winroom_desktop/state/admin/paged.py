"""``PagedList``: one server-side list as the window holds it (CONTRACT §4a lists).

Rows arrive a page at a time (``next_cursor``/``total``); a new query (filter or sort)
bumps ``generation`` so a page of the old query that lands late is dropped. Rows are found
by id for in-place updates from live events and 409 reloads; a row another user changed
is marked (``changed_by``) until it is looked at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None


def parse_page(body: Any, items_key: str) -> Page:
    """A list answer → ``Page``; a bare list (small endpoints) is one page with no cursor."""
    if isinstance(body, list):
        return Page([r for r in body if isinstance(r, dict)], None, len(body))
    if not isinstance(body, dict):
        return Page([], None, 0)
    raw = body.get(items_key)
    rows = [r for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []
    cursor = body.get("next_cursor")
    total = body.get("total")
    return Page(
        rows,
        str(cursor) if cursor not in (None, "") else None,
        int(total) if isinstance(total, int) else None,
    )


@dataclass
class PagedList:
    rows: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None
    total: int | None = None
    generation: int = 0
    loading: bool = False
    loaded_once: bool = False
    changed_by: dict[Any, str] = field(default_factory=dict)
    _index: dict[Any, int] = field(default_factory=dict)

    # -- queries ---------------------------------------------------------------------
    def reset(self) -> int:
        """A new query: forget the rows; returns the generation its pages must carry."""
        self.generation += 1
        self.rows = []
        self._index = {}
        self.next_cursor = None
        self.total = None
        self.loading = False
        self.loaded_once = False
        self.changed_by = {}
        return self.generation

    def can_fetch_more(self) -> bool:
        return self.loaded_once and self.next_cursor is not None and not self.loading

    def begin_fetch(self) -> tuple[int, str | None] | None:
        """Mark a page as being fetched → ``(generation, cursor)``; ``None`` when one is
        already on its way or there is nothing more."""
        if self.loading or (self.loaded_once and self.next_cursor is None):
            return None
        self.loading = True
        return self.generation, self.next_cursor

    def add_page(self, generation: int, page: Page) -> tuple[int, int] | None:
        """Append a page of query ``generation`` → the ``(first, last)`` new row numbers,
        ``None`` for a stale page or an empty one. Rows already held (a live insert that
        the page also carries) are updated, not repeated."""
        if generation != self.generation:
            return None
        self.loading = False
        self.loaded_once = True
        self.next_cursor = page.next_cursor
        if page.total is not None:
            self.total = page.total
        fresh = []
        for row in page.rows:
            key = row.get("id")
            if key in self._index:
                self.rows[self._index[key]] = row
            else:
                fresh.append(row)
        if not fresh:
            return None
        first = len(self.rows)
        for row in fresh:
            self._index[row.get("id")] = len(self.rows)
            self.rows.append(row)
        return first, len(self.rows) - 1

    def fetch_failed(self, generation: int) -> None:
        if generation == self.generation:
            self.loading = False

    # -- rows ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def row_of(self, key: Any) -> int | None:
        return self._index.get(key)

    def get(self, key: Any) -> dict[str, Any] | None:
        i = self._index.get(key)
        return self.rows[i] if i is not None else None

    def replace(self, obj: dict[str, Any], changed_by: str | None = None) -> int | None:
        """Put a fresher copy of a held row in place → its row number (``None``: not held).
        ``changed_by`` marks it as changed by someone else."""
        i = self._index.get(obj.get("id"))
        if i is None:
            return None
        merged = dict(self.rows[i])
        merged.update(obj)
        self.rows[i] = merged
        if changed_by:
            self.changed_by[obj.get("id")] = changed_by
        return i

    def insert_first(self, obj: dict[str, Any]) -> bool:
        """A new object (live ``queue.new``) at the top; ``False`` when already held."""
        if obj.get("id") in self._index:
            return False
        self.rows.insert(0, obj)
        self._index = {r.get("id"): n for n, r in enumerate(self.rows)}
        if self.total is not None:
            self.total += 1
        return True

    def remove(self, key: Any) -> int | None:
        i = self._index.get(key)
        if i is None:
            return None
        del self.rows[i]
        self._index = {r.get("id"): n for n, r in enumerate(self.rows)}
        self.changed_by.pop(key, None)
        if self.total:
            self.total -= 1
        return i

    def seen(self, key: Any) -> None:
        self.changed_by.pop(key, None)

    def status_text(self, noun: str = "rows") -> str:
        if not self.loaded_once:
            return "Loading…"
        total = self.total if self.total is not None else len(self.rows)
        if total == 0:
            return f"No {noun} match."
        if len(self.rows) >= total:
            one = total == 1 and noun.endswith("s") and noun != "TVs"
            return f"{total:,} {noun[:-1] if one else noun}"
        return f"{len(self.rows):,} of {total:,} {noun} loaded — scroll for more"
