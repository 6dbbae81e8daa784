"""The ``dolar`` rate (TRY per USD), read from the core database at most once an hour."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

from backend.rules.money import parse_dolar

RATE_TTL_SECONDS = 3600.0


class DolarRate:
    """Caches the parsed ``dolar`` setting for ``ttl`` seconds of ``clock`` (monotonic).

    A missing or unreadable value is cached too (as None): the rows that need it become
    ``missing_rate`` problems until the next read. Tests pass their own ``clock``.
    """

    def __init__(
        self,
        read: Callable[[], str | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = RATE_TTL_SECONDS,
    ) -> None:
        self._read = read
        self._clock = clock
        self._ttl = ttl
        self._value: Decimal | None = None
        self._read_at: float | None = None
        self._lock = threading.Lock()
        self.reads = 0

    def get(self) -> Decimal | None:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._ttl:
                self._value = parse_dolar(self._read())
                self._read_at = now
                self.reads += 1
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._read_at = None
