"""Scheduled jobs and the small scheduler that runs each of them once per run key.

A job has a *run key* for a moment (e.g. the local date): the ``job_runs`` table's primary
key ``(job, run_key)`` makes a key run once, across restarts and across processes.
Jobs that work on Win Room's database (``fn(session, now)``) run in the same transaction
as their ``job_runs`` row: a crash undoes both, so the key runs again later, never twice.
Jobs that own their transactions (the game's ``sweep`` and ``close_day``) claim their key
first and run afterwards (at most once per key). *Refresh* jobs (today's lead counts) have
no key: they are idempotent and run every few seconds.

Lead counts: ``leads.days`` (once a local day, and so on a worker's first run) sets
``lead_assignments_daily`` for every past day any period or previous period can cover
(:func:`lead_days_needed`: from the earlier of the previous month's first day and the
previous 15-day window's first day, through yesterday); ``leads.today`` refreshes today's
row every minute. Rows are *set* from the core database's counts, never added to, so a
run repeated (a retry, a second worker) gives the same rows. Rows are keyed by the
lower-cased seller email; the reads match sellers by email when they read, so a seller
created later still gets the leads of earlier days. The window's core counts are read
before the job's transaction (``Job.prepare``): on SQLite its lock is the write lock, and
claims would wait for those reads.

All job transactions on PostgreSQL take one advisory lock, so two workers never run jobs
side by side; on SQLite ``BEGIN IMMEDIATE`` serializes them.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.actions.installments import announce_overdue
from backend.core.adapter import CoreDatabase
from backend.db.types import utcnow
from backend.models import (
    CacheKV,
    JobRun,
    LeadAssignmentDaily,
    Seller,
)
from backend.realtime.retention import prune_events as prune
from backend.runtime import Database
from backend.settings import Settings

log = logging.getLogger(__name__)

JOBS_LOCK_KEY = 0x57520003  # "WR" + 3
RETRY_AFTER_FAILURE = 60.0
JOB_RUNS_KEEP_DAYS = 30

KeyFn = Callable[[datetime], str | None]


# ---- run keys ------------------------------------------------------------------------


def daily_key(tz: ZoneInfo, at_hour: int = 0) -> KeyFn:
    """The local date, once local time has reached ``at_hour``:00 (else not due)."""

    def key(now: datetime) -> str | None:
        local = now.astimezone(tz)
        return local.date().isoformat() if local.hour >= at_hour else None

    return key


def every_minutes(tz: ZoneInfo, minutes: int) -> KeyFn:
    """One key per ``minutes``-long slot of the local clock (``2025-01-31T10:15``)."""

    def key(now: datetime) -> str | None:
        local = now.astimezone(tz)
        slot = local.replace(minute=local.minute - local.minute % minutes, second=0)
        return slot.strftime("%Y-%m-%dT%H:%M")

    return key


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


# ---- the jobs ------------------------------------------------------------------------


def lead_days_needed(today: date) -> tuple[date, date]:
    """The past local days the leads reads can take from the aggregate: from the first day
    of the longest previous window (the previous month's first day, or the previous 15-day
    window's, ``today - 29``, whichever is earlier) through yesterday (CONTRACT §4;
    ``backend.game.rules.periods.previous_days``)."""
    prev_month_first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return min(prev_month_first, today - timedelta(days=29)), today - timedelta(days=1)


LeadCounts = dict[str, int]  # lower-cased seller email → leads assigned


def read_lead_days(
    core: CoreDatabase, first: date, last: date, tz: ZoneInfo
) -> dict[date, LeadCounts]:
    """Core ``lead_assignments`` counted per local day ``first``..``last`` (reads only)."""
    out: dict[date, LeadCounts] = {}
    day = first
    while day <= last:
        out[day] = core.lead_counts(*local_day_bounds(day, tz))
        day += timedelta(days=1)
    return out


def aggregate_lead_days(
    session: Session,
    core: CoreDatabase,
    first: date,
    last: date,
    tz: ZoneInfo,
    counts: dict[date, LeadCounts] | None = None,
) -> int:
    """:func:`aggregate_leads` for every local day ``first``..``last``; the leads counted.
    ``counts``: those days' core counts read beforehand (:func:`read_lead_days`), so this
    transaction only writes."""
    if counts is None:
        counts = read_lead_days(core, first, last, tz)
    sellers = _seller_ids(session)
    total, day = 0, first
    while day <= last:
        total += aggregate_leads(session, core, day, tz, sellers, counts.get(day, {}))
        day += timedelta(days=1)
    return total


def _seller_ids(session: Session) -> dict[str, int]:
    return {
        (email or "").strip().lower(): sid
        for sid, email in session.execute(select(Seller.id, Seller.email))
    }


def aggregate_leads(
    session: Session,
    core: CoreDatabase,
    day: date,
    tz: ZoneInfo,
    sellers: dict[str, int] | None = None,
    counts: LeadCounts | None = None,
) -> int:
    """Set ``lead_assignments_daily`` for one local day from core ``lead_assignments``
    (one row per lower-cased seller email; ``seller_id`` is the seller of that email when
    the day was aggregated, for people reading the table: the reads match by email).
    ``counts``: the day's core counts, when read beforehand."""
    if counts is None:
        counts = core.lead_counts(*local_day_bounds(day, tz))
    if sellers is None:
        sellers = _seller_ids(session)
    rows = {
        r.seller_email: r
        for r in session.scalars(select(LeadAssignmentDaily).where(LeadAssignmentDaily.day == day))
    }
    now = utcnow()
    for email, n in counts.items():
        row = rows.pop(email, None)
        if row is None:
            session.add(
                LeadAssignmentDaily(
                    day=day, seller_email=email, seller_id=sellers.get(email), leads=n
                )
            )
        elif row.leads != n or row.seller_id != sellers.get(email):
            row.leads, row.seller_id, row.updated_at = n, sellers.get(email), now
    for stale in rows.values():
        session.delete(stale)
    session.flush()
    return sum(counts.values())


def mark_overdue_installments(session: Session, today: date) -> int:
    """The plans with a payment that turned overdue today (``backend.rules.installments``:
    not confirmed by the end of ``due_on + tolerance_days``) get their
    ``installment.changed``; overdue itself is computed on every read, never stored."""

    return announce_overdue(session, today)


def clean_cache(session: Session, now: datetime) -> int:
    """Delete expired ``cache_kv`` rows and ``job_runs`` older than 30 days."""
    res = session.execute(
        delete(CacheKV).where(CacheKV.expires_at.is_not(None), CacheKV.expires_at < now)
    )
    session.execute(
        delete(JobRun).where(JobRun.started_at < now - timedelta(days=JOB_RUNS_KEEP_DAYS))
    )
    return int(getattr(res, "rowcount", 0) or 0)


# ---- the scheduler -------------------------------------------------------------------


@dataclass
class Job:
    """``key``: the run key for a moment (None = not due). Exactly one of ``in_session``
    (runs in the ``job_runs`` transaction), ``external`` (owns its transactions; runs after
    the key is claimed) or ``refresh_seconds`` + ``in_session`` with ``key`` None."""

    name: str
    key: KeyFn | None
    in_session: Callable[..., Any] | None = None  # (session, now[, prepared])
    external: Callable[[datetime], Any] | None = None
    refresh_seconds: float | None = None
    ready: Callable[[], bool] | None = None  # not due while this says False
    # reads for ``in_session`` done BEFORE its transaction and lock (the core database:
    # on SQLite the job lock is the write lock, which claims wait for); its result is
    # passed as ``in_session(session, now, prepared)``
    prepare: Callable[[datetime], Any] | None = None


@dataclass
class Scheduler:
    db: Database
    jobs: list[Job]
    monotonic: Callable[[], float] = time.monotonic
    _done: dict[str, str] = field(default_factory=dict)
    _not_before: dict[str, float] = field(default_factory=dict)

    def _lock(self, session: Session) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": JOBS_LOCK_KEY})
        else:
            session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock

    def tick(self, now: datetime) -> list[str]:
        """Run every job that is due; returns ``job:key`` of the runs done here."""
        ran: list[str] = []
        for job in self.jobs:
            if self._not_before.get(job.name, 0.0) > self.monotonic():
                continue
            try:
                if job.ready is not None and not job.ready():
                    continue
                key = self._run(job, now)
            except Exception:
                log.exception("scheduled job %s failed; retrying in a minute", job.name)
                self._not_before[job.name] = self.monotonic() + RETRY_AFTER_FAILURE
                continue
            if key is not None:
                ran.append(f"{job.name}:{key}")
        return ran

    def _run(self, job: Job, now: datetime) -> str | None:
        if job.key is None:  # refresh job
            assert job.in_session is not None and job.refresh_seconds is not None
            with self.db.transaction() as s:
                self._lock(s)
                job.in_session(s, now)
            self._not_before[job.name] = self.monotonic() + job.refresh_seconds
            return "refresh"
        key = job.key(now)
        if key is None or self._done.get(job.name) == key:
            return None
        prepared = job.prepare(now) if job.prepare is not None else None
        try:
            with self.db.transaction() as s:
                self._lock(s)
                if s.get(JobRun, (job.name, key)) is not None:
                    self._done[job.name] = key
                    return None
                run = JobRun(job=job.name, run_key=key, status="running")
                s.add(run)
                s.flush()
                if job.in_session is not None:
                    if job.prepare is not None:
                        details = job.in_session(s, now, prepared)
                    else:
                        details = job.in_session(s, now)
                    run.status, run.finished_at = "done", utcnow()
                    run.details = details if isinstance(details, dict) else {"result": details}
        except IntegrityError:  # another process claimed the key first
            self._done[job.name] = key
            return None
        self._done[job.name] = key
        if job.external is not None:
            details = job.external(now)
            with self.db.transaction() as s:
                r = s.get(JobRun, (job.name, key))
                if r is not None:
                    r.status, r.finished_at = "done", utcnow()
                    r.details = details if isinstance(details, dict) else {"result": str(details)}
        log.info("ran scheduled job %s for %s", job.name, key)
        return key


def _game_jobs(db: Database, settings: Settings) -> list[Job]:
    try:
        mod = importlib.import_module("backend.game.jobs")
    except ModuleNotFoundError as exc:
        if exc.name not in ("backend.game.jobs", "backend.game"):
            raise
        return []
    tz = settings.tz
    jobs: list[Job] = []
    sweep = getattr(mod, "sweep", None)
    if callable(sweep):
        jobs.append(
            Job(
                "game.sweep",
                every_minutes(tz, 15),
                external=lambda now: sweep(db, settings, now),
            )
        )
    close_day = getattr(mod, "close_day", None)
    if callable(close_day):
        jobs.append(
            Job(
                "game.close_day",
                daily_key(tz, at_hour=18),
                external=lambda now: close_day(db, settings, now),
            )
        )
    return jobs


def default_jobs(settings: Settings, core: CoreDatabase, db: Database | None = None) -> list[Job]:
    """The worker's jobs: lead counts (the past days of every period once a day, today
    every minute), overdue installments, cache cleanup, and the game's jobs when that
    module exists."""
    tz = settings.tz

    def leads_days_read(now: datetime) -> tuple[date, date, dict[date, LeadCounts]]:
        # the core reads (up to 62 counts), before the job's transaction takes its lock
        first, last = lead_days_needed(now.astimezone(tz).date())
        return first, last, read_lead_days(core, first, last, tz)

    def leads_days(
        s: Session, now: datetime, read: tuple[date, date, dict[date, LeadCounts]]
    ) -> dict[str, Any]:
        # every past day a period or its previous period can cover, set again each day
        # (late core rows, sellers renamed): idempotent, in the job_runs transaction
        first, last, counts = read
        return {
            "first": first.isoformat(),
            "last": last.isoformat(),
            "leads": aggregate_lead_days(s, core, first, last, tz, counts),
        }

    def leads_today(s: Session, now: datetime) -> None:
        # the leads/conversion reads take today live from the core database
        # (backend.core.live); this keeps the aggregate they fall back on (core database
        # unreachable) at most a minute behind, and becomes yesterday's until leads.days
        aggregate_leads(s, core, now.astimezone(tz).date(), tz)

    def overdue(s: Session, now: datetime) -> dict[str, Any]:
        return {"overdue": mark_overdue_installments(s, now.astimezone(tz).date())}

    def cache(s: Session, now: datetime) -> dict[str, Any]:
        return {"deleted": clean_cache(s, now)}

    def leads_ready() -> bool:
        return core.ready("lead_assignments")

    def prune_events(s: Session, now: datetime) -> dict[str, Any]:
        # events older than WINROOM_EVENT_RETENTION_DAYS (backend/realtime/retention.py)

        return {"deleted": prune(s, settings, now)}

    jobs = [
        # "leads.days", not the former "leads.daily" (yesterday only): a database upgraded
        # today has that key done already, and the new job must backfill the window now
        Job(
            "leads.days",
            daily_key(tz),
            in_session=leads_days,
            ready=leads_ready,
            prepare=leads_days_read,
        ),
        Job(
            "leads.today",
            None,
            in_session=leads_today,
            refresh_seconds=60.0,
            ready=leads_ready,
        ),
        Job("installments.overdue", daily_key(tz), in_session=overdue),
        Job("cache.cleanup", daily_key(tz), in_session=cache),
        Job("events.prune", daily_key(tz), in_session=prune_events),
    ]
    if db is not None:
        jobs.extend(_game_jobs(db, settings))
    return jobs
