"""The ingestion worker: polls the core database and ingests new and updated subscriptions.

How it stays exactly-once (CONTRACT §3):

- **Cursor.** ``ingest_state`` keeps a keyset cursor ``(updated_at, id)`` over core
  ``subscriptions``; each batch reads the next ``WINROOM_POLLER_BATCH_SIZE`` rows after it.
  On SQLite the cursor's ``updated_at`` is also kept as the row's own text
  (``details["cursor_text"]``) and compared as such: the same moment has several
  spellings (``20:05:00`` sorts before ``20:05:00.000000``), and a cursor spelled
  otherwise than its row skipped (or re-read forever) the rows sharing its moment.
  The cursor moves in the same transaction as the batch's metrics, queue rows and events,
  so a crash at any point either keeps all of a batch or none of it.
- **Late commits.** Core ids and ``updated_at`` are not committed in order under concurrent
  writers: a row can appear behind the cursor. Once the cursor has caught up, a *sweep*
  re-reads the versions ``(id, status, updated_at)`` of every row updated within
  ``overlap`` (default 15 minutes) before the cursor and ingests any version that
  ``subscription_metrics`` (the seen-set) does not hold yet.
- **Several workers.** Every batch runs under a lock in Win Room's database: on PostgreSQL
  a transaction-scoped advisory lock, on SQLite the ``BEGIN IMMEDIATE`` write lock. The
  cursor and the seen-set are read under it, so two workers never ingest the same version;
  ``queue.subscription_id`` is unique as the last line of defence.
- **Bad rows.** A batch runs without savepoints first; if anything in it fails, it is
  rolled back and retried with one savepoint per row, where a failing row is recorded as
  rejected and the rest go through.

``IngestWorker.run(stop_event)`` (or :func:`run_worker`) is a blocking loop meant for a
thread: ``threading.Thread(target=run_worker, args=(db, settings, stop))``, or from asyncio
``await asyncio.to_thread(run_worker, db, settings, stop)``. It returns soon after
``stop_event`` is set.
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend import metrics
from backend.core.adapter import CoreDatabase, CoreSubscription, parse_timestamp
from backend.db.types import utcnow
from backend.eventlog import take_order_lock
from backend.ingest.actions import (
    BatchInputs,
    BatchResult,
    Version,
    ingest_batch,
    load_metrics,
    version_of,
)
from backend.ingest.jobs import Scheduler, default_jobs
from backend.ingest.rates import DolarRate
from backend.models import IngestState, SubscriptionMetrics
from backend.rules import money
from backend.rules.intake import normalize_status
from backend.runtime import Database, open_database
from backend.settings import Settings

log = logging.getLogger(__name__)

SOURCE = "core.subscriptions"
INGEST_LOCK_KEY = 0x57520002  # "WR" + 2
DEFAULT_OVERLAP = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1)
CURSOR_TEXT = "cursor_text"  # ingest_state.details: the cursor row's updated_at text
READ_AHEAD = 10  # batches read per keyset read of the core (one scan on an unindexed core)


@dataclass
class _ReadAhead:
    """Rows read past the current batch, valid while the cursor is at ``(after, last_id)``
    (the batch's last row): the next batch takes them instead of reading the core again.
    ``infos``: the ``payment_infos`` of the page's rows without ``subs_amount``."""

    after: Any
    last_id: int
    rows: list[CoreSubscription]
    infos: dict[int, list[tuple[Any, Any]]]
    info_ids: frozenset[int]


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch runs (re-entrant, thread-safe).

    A 500-row batch allocates tens of thousands of short-lived objects (freed by reference
    counting), which trigger many collections scanning every live object: ~15 % of the
    worker's CPU in a backlog. Collection resumes (as before) when the last batch running
    in the process ends; a collector that was off stays off."""
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def _holds(metrics: SubscriptionMetrics | None, version: Version) -> bool:
    """``is_seen(row, metrics)`` given ``version_of(row)``."""
    return metrics is not None and (metrics.core_status, metrics.core_updated_at) == version


@dataclass
class PollStats:
    batches: int = 0
    rows: int = 0
    queued: int = 0
    swept: int = 0


class IngestWorker:
    """Polls one core database into one Win Room database. Thread-safe to run in a thread;
    several instances (threads or processes) may run at once."""

    def __init__(
        self,
        db: Database,
        core: CoreDatabase,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        overlap: timedelta = DEFAULT_OVERLAP,
        batch_size: int | None = None,
        read_ahead: int = READ_AHEAD,
    ) -> None:
        self.db = db
        self.core = core
        self.settings = settings
        self.clock = clock
        self.overlap = overlap
        self.batch_size = batch_size or settings.poller_batch_size
        self.dolar = DolarRate(lambda: core.setting("dolar"), clock=monotonic)
        # versions this worker knows are in the seen-set: id -> (status, updated_at)
        self._known: dict[int, tuple[str | None, datetime | None]] = {}
        self._ahead: _ReadAhead | None = None
        self._page_infos: tuple[dict[int, list[tuple[Any, Any]]], frozenset[int]] | None = None
        self.read_ahead = read_ahead
        self.after_batch: Callable[[BatchResult], None] | None = None  # test hook
        self._cursor_at: datetime | None = None  # the cursor's updated_at, after a batch

    # ---- one batch ---------------------------------------------------------------------

    def _lock(self, session: Session) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": INGEST_LOCK_KEY})
        else:  # SQLite: take the write lock now (BEGIN IMMEDIATE) before reading the cursor
            session.execute(text("SELECT 1"))

    def _state(self, session: Session) -> IngestState:
        state = session.get(IngestState, SOURCE)
        if state is None:
            cutoff = self.clock() - timedelta(hours=self.settings.ingest_lookback_hours)
            state = IngestState(
                source=SOURCE,
                last_id=0,
                last_updated_at=cutoff,
                details={"lookback_cutoff": cutoff.isoformat()},
            )
            session.add(state)
            session.flush()
        return state

    @staticmethod
    def _cutoff(state: IngestState) -> datetime | None:
        raw = (state.details or {}).get("lookback_cutoff")
        return parse_timestamp(raw) if raw else None

    def _inputs(self, rows: Sequence[CoreSubscription], cutoff: datetime | None) -> BatchInputs:
        # parse each distinct raw value once (a batch has few campaigns)
        raw_users = {r.user_id for r in rows}
        raw_camps = {r.campaign_id for r in rows}
        user_ids = {u for v in raw_users if (u := money.parse_int(v)) is not None}
        camp_ids = {c for v in raw_camps if (c := money.parse_int(v)) is not None}
        need_infos = [r.id for r in rows if r.subs_amount is None]
        page = self._page_infos
        if not need_infos:
            infos: dict[int, list[tuple[Any, Any]]] = {}
        elif page is not None and page[1].issuperset(need_infos):
            infos = page[0]  # read with the page (one scan of an unindexed payment_infos)
        else:
            infos = self.core.payment_infos(need_infos)
        return BatchInputs(
            users=self.core.users(user_ids),
            campaigns=self.core.campaigns(camp_ids),
            payment_infos=infos,
            rates=money.Rates(self.dolar.get(), self.settings.sar_per_usd),
            threshold_try=self.settings.jackpot_threshold_try,
            trial_campaign_ids=self.settings.trial_ids,
            lookback_cutoff=cutoff,
        )

    def _run_batch(
        self,
        read: Callable[[Session, IngestState], list[CoreSubscription]],
        *,
        advance: bool = True,
    ) -> int:
        """One locked transaction: read the cursor, fetch rows, ingest, move the cursor."""
        for safe in (False, True):
            try:
                with gc_paused():
                    return self._batch_once(read, safe, advance)
            except SQLAlchemyError:
                if safe:
                    raise
                log.warning("batch failed; retrying row by row", exc_info=True)
            except Exception:
                if safe:
                    raise
                log.exception("batch failed; retrying row by row")
        raise AssertionError("unreachable")  # pragma: no cover

    def _batch_once(
        self,
        read: Callable[[Session, IngestState], list[CoreSubscription]],
        safe: bool,
        advance: bool,
    ) -> int:
        versions: list[tuple[int, Version]] = []
        with self.db.transaction() as s:
            self._lock(s)
            state = self._state(s)
            rows = read(s, state)
            if not rows:
                return 0
            cutoff = self._cutoff(state)
            existing = load_metrics(s, [r.id for r in rows])
            versions = [(r.id, version_of(r)) for r in rows]
            todo = [
                r
                for r, (_id, v) in zip(rows, versions, strict=True)
                if not _holds(existing.get(r.id), v)
            ]
            result = BatchResult(unchanged=len(rows) - len(todo))
            if todo:
                if safe:
                    # Row by row the events are appended inside savepoints: take the event
                    # order lock out here, for the whole transaction, so a rolled-back
                    # savepoint cannot release it. (The fast path appends its events once,
                    # at the end of the batch, and the append takes the lock itself: other
                    # event writers wait only for that append and the commit.)
                    take_order_lock(s)
                inputs = self._inputs(todo, cutoff)
                result = ingest_batch(
                    s, todo, inputs, existing=existing, safe=safe, versions=dict(versions)
                )
                result.unchanged += len(rows) - len(todo)
            if advance:
                self._advance(state, rows)
                self._cursor_at = parse_timestamp(state.last_updated_at)
            if self.after_batch is not None:
                self.after_batch(result)
        self._known.update(versions)
        metrics.ingest_batch(result)
        return len(rows)

    def _advance(self, state: IngestState, rows: Sequence[CoreSubscription]) -> None:
        """Move the cursor to the last row of the batch that has a readable ``updated_at``
        (the rows come in keyset order after the cursor, so this is always forward)."""
        for r in reversed(rows):
            ts = parse_timestamp(r.updated_at)
            if ts is not None:
                self._move(state, r, ts)
                return
        if len(rows) >= self.batch_size:  # a full batch of unreadable times: never loop
            log.error("%d subscriptions in a row have an unreadable updated_at", len(rows))
            self._move(state, rows[-1], state.last_updated_at)

    @staticmethod
    def _move(state: IngestState, row: CoreSubscription, ts: datetime | None) -> None:
        details = dict(state.details or {})
        if isinstance(row.updated_at, str):
            details[CURSOR_TEXT] = row.updated_at
        else:
            details.pop(CURSOR_TEXT, None)
        state.last_updated_at, state.last_id, state.details = ts, row.id, details
        state.updated_at = utcnow()

    @staticmethod
    def _after(state: IngestState) -> Any:
        """The cursor's ``updated_at`` as the core compares it: the row's own text when
        kept, else the moment (every spelling of it then counts as after)."""
        raw = (state.details or {}).get(CURSOR_TEXT)
        return raw if isinstance(raw, str) else (state.last_updated_at or EPOCH)

    # ---- polling -----------------------------------------------------------------------

    def poll_once(self) -> int:
        """Ingest the next batch after the cursor; returns how many rows were read."""

        def read(_s: Session, state: IngestState) -> list[CoreSubscription]:
            return self._read_page(state)

        try:
            return self._run_batch(read)
        finally:
            self._page_infos = None

    def _read_page(self, state: IngestState) -> list[CoreSubscription]:
        """The next batch after the cursor: from the rows read ahead when they start
        exactly there (same cursor: no other worker moved it), else from the core, with up
        to ``read_ahead`` batches more kept for the next calls."""
        after, ahead, self._ahead = self._after(state), self._ahead, None
        if ahead is not None and ahead.last_id == state.last_id and _same(ahead.after, after):
            rows, infos, info_ids = ahead.rows, ahead.infos, ahead.info_ids
        else:
            limit = self.batch_size * max(1, self.read_ahead)
            rows = self.core.changed_after(after, state.last_id, limit)
            # the page's payment infos in one read when it spans several batches
            need = [r.id for r in rows if r.subs_amount is None]
            whole = bool(need) and len(rows) > self.batch_size
            infos = self.core.payment_infos(need) if whole else {}
            info_ids = frozenset(need) if whole else frozenset()
        batch, rest = rows[: self.batch_size], rows[self.batch_size :]
        if rest:
            last = batch[-1]
            self._ahead = _ReadAhead(last.updated_at, last.id, rest, infos, info_ids)
        self._page_infos = (infos, info_ids) if info_ids else None
        return batch

    def sweep(self) -> int:
        """Re-check the rows updated within ``overlap`` before the cursor (late commits);
        returns how many versions were ingested."""
        with self.db.read() as s:
            state = s.get(IngestState, SOURCE)
            if state is None or state.last_updated_at is None:
                return 0
            since = state.last_updated_at - self.overlap
            until, until_id = self._after(state), state.last_id
        versions = self.core.versions_between(since, until, until_id)
        candidates = {
            vid: (normalize_status(status), parse_timestamp(upd)) for vid, status, upd in versions
        }
        unknown = [vid for vid, v in candidates.items() if self._known.get(vid) != v]
        if unknown:
            with self.db.read() as s:
                seen = load_metrics(s, unknown)
                for vid in unknown:
                    m = seen.get(vid)
                    if m is not None:
                        self._known[vid] = (m.core_status, m.core_updated_at)
        missing = [vid for vid in unknown if self._known.get(vid) != candidates[vid]]
        # forget what fell out of the window
        for vid in [k for k in self._known if k not in candidates]:
            del self._known[vid]
        if not missing:
            return 0
        done = 0
        for i in range(0, len(missing), self.batch_size):
            chunk = missing[i : i + self.batch_size]

            def read(_s: Session, _state: IngestState, ids: list[int] = chunk) -> list[Any]:
                return self.core.subscriptions_by_ids(ids)

            self._run_batch(read, advance=False)
            done += len(chunk)
        log.info("sweep ingested %d late or changed subscription versions", done)
        return done

    def catch_up(self, max_batches: int | None = None) -> PollStats:
        """Poll until a batch comes back short (caught up), then sweep."""
        stats = PollStats()
        while max_batches is None or stats.batches < max_batches:
            n = self.poll_once()
            stats.batches += 1
            stats.rows += n
            if n < self.batch_size:
                stats.swept = self.sweep()
                metrics.ingest_lag(0.0)
                return stats
        metrics.ingest_lag(self.lag())
        return stats

    def lag(self) -> float:
        """Seconds the rows being ingested trail now, while behind (a full last batch):
        the age of the cursor's row, the oldest rows still waiting are about as old."""
        if self._cursor_at is None:
            return 0.0
        return max(0.0, (self.clock() - self._cursor_at).total_seconds())

    def core_ready(self) -> bool:
        try:
            return self.core.ready()
        except SQLAlchemyError:
            log.warning("the core database cannot be reached", exc_info=True)
            return False

    def run(
        self,
        stop_event: threading.Event,
        *,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """Poll every ``WINROOM_POLLER_INTERVAL_MS`` until ``stop_event`` is set."""
        interval = self.settings.poller_interval
        next_tick = time.monotonic()
        waiting_logged = False
        while not stop_event.is_set():
            try:
                if self.core_ready():
                    waiting_logged = False
                    self.catch_up(max_batches=50)
                elif not waiting_logged:
                    log.info("waiting for the core database tables to exist")
                    waiting_logged = True
                if on_tick is not None:
                    on_tick()
            except Exception:
                log.exception("ingest poll failed; retrying at the next interval")
            next_tick += interval
            delay = next_tick - time.monotonic()
            if delay < 0:  # fell behind (a big backlog): poll again at once
                next_tick = time.monotonic()
                delay = 0
            stop_event.wait(delay)


def _same(row_value: Any, cursor: Any) -> bool:
    """Whether a row's ``updated_at`` is the cursor's (text as text; else the moment)."""
    if isinstance(row_value, str) or isinstance(cursor, str):
        return row_value == cursor
    a = parse_timestamp(row_value)
    return a is not None and a == parse_timestamp(cursor)


def run_worker(
    db: Database,
    settings: Settings,
    stop_event: threading.Event,
    *,
    core: CoreDatabase | None = None,
    with_jobs: bool = True,
) -> None:
    """The poller and (optionally) the scheduled jobs, blocking until ``stop_event`` is set.

    Run it in a thread (``serve`` does) or via ``asyncio.to_thread``.
    """
    own_core = core is None
    core = core or CoreDatabase(settings.core_db_url)
    worker = IngestWorker(db, core, settings)
    tick: Callable[[], None] | None = None
    if with_jobs:
        scheduler = Scheduler(db, default_jobs(settings, core, db))

        def tick() -> None:
            scheduler.tick(utcnow())

    try:
        worker.run(stop_event, on_tick=tick)
    finally:
        if own_core:
            core.dispose()


def worker_command(settings: Settings, args: argparse.Namespace) -> int:
    """``winroom-backend worker``: the poller and the scheduled jobs until Ctrl+C/SIGTERM."""

    db = open_database(settings)  # NotMigrated → one line from the CLI
    stop = threading.Event()

    def _stop(*_a: Any) -> None:
        stop.set()

    old = signal.signal(signal.SIGTERM, _stop)
    log.info(
        "worker polling %s every %d ms",
        settings.core_db_url.split("@")[-1],
        settings.poller_interval_ms,
    )
    try:
        run_worker(db, settings, stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        signal.signal(signal.SIGTERM, old)
        db.dispose()
    return 0


__all__ = [
    "INGEST_LOCK_KEY",
    "SOURCE",
    "IngestWorker",
    "PollStats",
    "SubscriptionMetrics",
    "run_worker",
    "worker_command",
]
