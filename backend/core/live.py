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

Today's count does not re-read the whole day on every request: the rows up to an id seen at
least :data:`SETTLE_SECONDS` ago are counted once and kept (per window: today), and a
request reads only the rows after that id (a primary-key range), so its cost follows the
last minutes' assignments, not the day's. A row inserted later counts at once, whatever its
``assigned_at``; a row whose transaction committed more than a minute after a higher id was
seen is picked up by the full recount every :data:`RECOUNT_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.core.adapter import CoreDatabase
from backend.db.urls import database_file, is_sqlite, normalize_url

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2  # connect and statement limit of a read made for a request
RETRY_SECONDS = 10.0  # after a failed connection or statement: the aggregate meanwhile
MAX_URLS = 8  # LiveLeads kept (tests use many core URLs; a server one)
SETTLE_SECONDS = 60.0  # ids seen this long ago are settled: their counts are kept
RECOUNT_SECONDS = 600.0  # the kept counts are recounted in full this often
MAX_SIGHTINGS = 64  # (time, id) sightings kept while waiting to settle


@dataclass
class _Settled:
    """The counts of a window's rows with ``id <= upto`` (kept between requests)."""

    start: datetime
    end: datetime
    upto: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    counted_at: float = float("-inf")  # monotonic time of the last full count
    sightings: deque[tuple[float, int]] = field(default_factory=deque)


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, n in b.items():
        out[k] = out.get(k, 0) + n
    return out


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
        self._settled: _Settled | None = None  # one window (today): bounded

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
        """Today's counts: the kept settled part plus the rows after it."""
        mono = self._monotonic()
        with self._lock:
            kept = self._settled
        if kept is None or (kept.start, kept.end) != (start, end):
            kept = _Settled(start, end)
        else:
            kept = _Settled(
                start, end, kept.upto, kept.counts, kept.counted_at, deque(kept.sightings)
            )
        settled_id = 0
        while kept.sightings and kept.sightings[0][0] <= mono - SETTLE_SECONDS:
            settled_id = kept.sightings.popleft()[1]
        if mono - kept.counted_at >= RECOUNT_SECONDS:
            upto = max(settled_id, kept.upto)
            got = self._range(start, end, 0, upto)
            if got is None:
                return None
            kept.counts, kept.upto, kept.counted_at = got[0], upto, mono
        elif settled_id > kept.upto:
            got = self._range(start, end, kept.upto, settled_id)
            if got is None:
                return None
            kept.counts, kept.upto = _add(kept.counts, got[0]), settled_id
        fresh = self._range(start, end, kept.upto, None)
        if fresh is None:
            return None
        if fresh[1] > kept.upto and (not kept.sightings or kept.sightings[-1][1] < fresh[1]):
            kept.sightings.append((mono, fresh[1]))
            while len(kept.sightings) > MAX_SIGHTINGS:
                kept.sightings.popleft()
        with self._lock:
            self._settled = kept
        return _add(kept.counts, fresh[0])

    def _range(
        self, start: datetime, end: datetime, after: int, upto: int | None
    ) -> tuple[dict[str, int], int] | None:
        if upto is not None and upto <= after:
            return {}, after
        core = self._database()
        try:
            return core.lead_counts_after(start, end, after, upto)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # a pooled connection the server dropped (restart, idle timeout): the pool
            # was invalidated, so one more try connects afresh
            return core.lead_counts_after(start, end, after, upto)

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
