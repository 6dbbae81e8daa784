"""Today's lead counts read from the core database while a request is answered.

CONTRACT §4 counts today's assignments in conversion at once, while the worker's
``leads.today`` job refreshes the stored aggregate (``lead_assignments_daily``) only every
minute. So the leads/conversion reads (``backend.game.read``) take *today* from here and
earlier days from the aggregate.

One :class:`LiveLeads` per core URL (:func:`live_leads`), shared by the API's threads: a
read-only :class:`~backend.core.adapter.CoreDatabase` of its own with short limits (2 s to
connect, 2 s per statement), autocommit on PostgreSQL (still read-only: no BEGIN/ROLLBACK
round trips for a one-statement read) and no pre-ping round trip (a dropped pooled
connection is retried once on a fresh one). :meth:`LiveLeads.counts` answers ``None`` when the core
database cannot: a missing SQLite file, no ``lead_assignments`` table yet, a refused
connection, a timeout. The caller then uses the stored aggregate. The first failure is
logged (once per outage, as is the recovery); after a failed connection or statement the
core database is left alone for :data:`RETRY_SECONDS`, so an unreachable one costs one
timeout per window rather than one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.core.adapter import CoreDatabase
from backend.db.urls import database_file, is_sqlite, normalize_url

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2  # connect and statement limit of a read made for a request
RETRY_SECONDS = 10.0  # after a failed connection or statement: the aggregate meanwhile
MAX_URLS = 8  # LiveLeads kept (tests use many core URLs; a server one)


class LiveLeads:
    """Leads per seller email in a window, straight from the core database (or ``None``)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: int = TIMEOUT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = normalize_url(url)
        self.timeout_seconds = timeout_seconds
        self.retry_seconds = retry_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._core: CoreDatabase | None = None
        self._file = database_file(self.url) if is_sqlite(self.url) else None
        self._skip_until = 0.0
        self._down = False

    def dispose(self) -> None:
        with self._lock:
            core, self._core = self._core, None
        if core is not None:
            core.dispose()

    def _database(self) -> CoreDatabase:
        with self._lock:
            if self._core is None:
                self._core = CoreDatabase(
                    self.url, timeout_seconds=self.timeout_seconds, pre_ping=False, autocommit=True
                )
            return self._core

    def counts(self, start: datetime, end: datetime) -> dict[str, int] | None:
        """Leads assigned per lower-cased seller email in ``[start, end)``; ``None`` when the
        core database cannot answer now (the caller falls back to the stored aggregate)."""
        if self._monotonic() < self._skip_until:
            return None
        if self._file is not None and not self._file.exists():
            # no core database here (yet): never create an empty file by connecting
            self._failed("its SQLite file does not exist", retry=False)
            return None
        try:
            counts = self._read(start, end)
        except PoolTimeout:
            # every pooled connection is busy: this request only takes the aggregate
            log.debug("core connections busy: today's lead counts from the aggregate")
            return None
        except Exception as exc:  # unreachable, timed out, refused: never a 500
            first_line = (str(exc).strip().splitlines() or [""])[0][:200]
            self._failed(f"{type(exc).__name__}: {first_line}")
            return None
        if counts is None:
            self._failed("it has no lead_assignments table", retry=False)
            return None
        if self._down:
            with self._lock:
                self._down = False
            log.info("core database answers again: today's lead counts are live")
        return counts

    def _read(self, start: datetime, end: datetime) -> dict[str, int] | None:
        core = self._database()
        try:
            return core.lead_counts_if_present(start, end)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # a pooled connection the server dropped (restart, idle timeout): the pool
            # was invalidated, so one more try connects afresh
            return core.lead_counts_if_present(start, end)

    def _failed(self, reason: str, *, retry: bool = True) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            if retry:
                self._skip_until = self._monotonic() + self.retry_seconds
        if first:
            log.warning(
                "core database unavailable for today's lead counts (%s): leads and "
                "conversion use the stored aggregate (refreshed every minute) until it answers",
                reason,
            )


_registry: OrderedDict[str, LiveLeads] = OrderedDict()
_registry_lock = threading.Lock()


def live_leads(url: str) -> LiveLeads:
    """The shared :class:`LiveLeads` of a core URL (the least recently used of more than
    :data:`MAX_URLS` is disposed)."""
    key = normalize_url(url)
    with _registry_lock:
        found = _registry.get(key)
        if found is not None:
            _registry.move_to_end(key)
            return found
        found = _registry[key] = LiveLeads(key)
        evicted = _registry.popitem(last=False)[1] if len(_registry) > MAX_URLS else None
    if evicted is not None:
        evicted.dispose()
    return found


def forget_live_leads() -> None:
    """Dispose every shared :class:`LiveLeads` (tests; a process shutting down)."""
    with _registry_lock:
        items = list(_registry.values())
        _registry.clear()
    for item in items:
        item.dispose()
