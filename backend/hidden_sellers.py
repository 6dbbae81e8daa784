"""Sellers hidden from the TV (``sellers.hidden_from_tv``): they still play and see
everything, but every TV copy — HTTP answers to TV tokens and the TV copies of socket
events — shows them as "A teammate" (CONTRACT §4a).

:func:`mask_hidden` is the pure rule: in any dict whose ``seller_id`` is hidden, the name
fields (``seller_name``, ``name``) become :data:`TEAMMATE` and the seller's name inside its
``title``/``description`` too (recursively through dicts and lists). :class:`HiddenSellers`
is the per-app cache of hidden ids and names the masking reads without I/O: reloaded at
most every :data:`MAX_AGE_S` (the relay's loop and TV requests do it, in worker threads),
at once after a seller is patched in this process, and a seller being hidden is added
before that transaction commits (so no event of theirs is relayed unmasked meanwhile).
Other processes see a change within ``MAX_AGE_S``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from backend.models import Seller

TEAMMATE = "A teammate"
NAME_KEYS = frozenset({"seller_name", "name"})
TEXT_KEYS = frozenset({"title", "description"})
MAX_AGE_S = 2.0


def mask_hidden(value: Any, hidden: Mapping[int, str]) -> Any:
    """``value`` (JSON-shaped) as a TV may see it; unchanged (the same object) when nobody
    is hidden."""
    if not hidden:
        return value
    return _walk(value, hidden)


def _walk(value: Any, hidden: Mapping[int, str]) -> Any:
    if isinstance(value, dict):
        sid = value.get("seller_id")
        name = hidden.get(sid) if isinstance(sid, int) and not isinstance(sid, bool) else None
        if name is None:
            return {k: _walk(v, hidden) for k, v in value.items()}
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if k in NAME_KEYS and (v is None or isinstance(v, str)):
                out[k] = TEAMMATE
            elif k in TEXT_KEYS and isinstance(v, str) and name:
                out[k] = v.replace(name, TEAMMATE)
            else:
                out[k] = _walk(v, hidden)
        return out
    if isinstance(value, list | tuple):
        return [_walk(v, hidden) for v in value]
    return value


class HiddenSellers:
    """The hidden sellers of one database (id → name), for one app."""

    def __init__(self, db: Any, max_age: float = MAX_AGE_S) -> None:
        self.db = db
        self.max_age = max_age
        self._names: Mapping[int, str] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()
        self.version = 0  # moves whenever the set changes (keys of cached TV copies)

    @property
    def names(self) -> Mapping[int, str]:
        """The current snapshot (no I/O: safe on the event loop)."""
        return self._names

    def stale(self) -> bool:
        return time.monotonic() - self._loaded_at >= self.max_age

    def current(self) -> Mapping[int, str]:
        """The snapshot, reloaded first when older than ``max_age`` (blocking)."""
        if self.stale():
            self.refresh()
        return self._names

    def refresh(self) -> None:
        """Reload from the database (blocking)."""
        with self.db.read() as s:
            rows = s.execute(select(Seller.id, Seller.name).where(Seller.hidden_from_tv))
            names = {int(sid): str(name) for sid, name in rows}
        self._set(names)

    def hide_now(self, seller_id: int, name: str) -> None:
        """Mask ``seller_id`` from now on, before the change that hides them commits."""
        self._set({**self._names, seller_id: name}, loaded=False)

    def _set(self, names: dict[int, str], loaded: bool = True) -> None:
        with self._lock:
            if names != self._names:
                self._names = names
                self.version += 1
            if loaded:
                self._loaded_at = time.monotonic()
