"""The scheduler (once per run key across instances) and the daily jobs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from backend.core import CoreDatabase
from backend.ingest.jobs import (
    Job,
    Scheduler,
    aggregate_leads,
    clean_cache,
    daily_key,
    default_jobs,
    every_minutes,
    mark_overdue_installments,
)
from backend.models import (
    CacheKV,
    Event,
    Installment,
    InstallmentPayment,
    JobRun,
    LeadAssignmentDaily,
    Seller,
)
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.ingest.core_fixtures import CoreWriter


def make_seller(session: object, email: str, name: str) -> int:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    seller = Seller(email=email, name=name, role="sales", password_hash="x")
    session.add(seller)
    session.flush()
    return seller.id


NOON = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # 12:00 in Istanbul


def test_a_key_runs_once_across_two_schedulers_and_restarts(
    db: Database, settings: Settings
) -> None:
    runs: list[str] = []

    def job(_s: object, now: datetime) -> dict[str, str]:
        runs.append(now.isoformat())
        return {"ok": "yes"}

    jobs = [Job("t.daily", daily_key(settings.tz), in_session=job)]
    a, b = Scheduler(db, jobs), Scheduler(db, list(jobs))
    assert a.tick(NOON) == ["t.daily:2025-03-10"]
    assert b.tick(NOON) == []
    assert a.tick(NOON + timedelta(hours=1)) == []
    assert Scheduler(db, jobs).tick(NOON + timedelta(hours=2)) == []  # a restart
    assert b.tick(NOON + timedelta(days=1)) == ["t.daily:2025-03-11"]
    assert len(runs) == 2
    with db.read() as s:
        row = s.get(JobRun, ("t.daily", "2025-03-10"))
        assert row is not None and row.status == "done" and row.details == {"ok": "yes"}


def test_a_failing_job_leaves_no_run_and_is_retried(db: Database, settings: Settings) -> None:
    clock = [0.0]
    calls = [0]

    def job(_s: object, _now: datetime) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("core down")

    sched = Scheduler(
        db, [Job("t.flaky", daily_key(settings.tz), in_session=job)], lambda: clock[0]
    )
    assert sched.tick(NOON) == []
    assert sched.tick(NOON) == []  # backing off
    clock[0] += 61
    assert sched.tick(NOON) == ["t.flaky:2025-03-10"]


def test_keys() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Istanbul")
    assert daily_key(tz, 18)(NOON) is None
    assert daily_key(tz, 18)(NOON + timedelta(hours=6)) == "2025-03-10"
    assert every_minutes(tz, 15)(NOON + timedelta(minutes=29)) == "2025-03-10T12:15"


def test_external_jobs_claim_their_key_first(db: Database, settings: Settings) -> None:
    seen: list[datetime] = []
    job = Job("t.ext", every_minutes(settings.tz, 15), external=seen.append)
    a, b = Scheduler(db, [job]), Scheduler(db, [job])
    assert a.tick(NOON) and not b.tick(NOON + timedelta(minutes=5))
    assert b.tick(NOON + timedelta(minutes=15))
    assert len(seen) == 2


def test_lead_counts_per_local_day(
    db: Database, core_writer: CoreWriter, settings: Settings
) -> None:
    with db.transaction() as s:
        ayse = make_seller(s, "ayse@winroom.local", "Ayşe Yılmaz")
    day_start = datetime(2025, 3, 9, 21, 0)  # 10 March 00:00 in Istanbul, as naive UTC
    core_writer.lead("Ayse@WinRoom.local", day_start)
    core_writer.lead("ayse@winroom.local", day_start + timedelta(hours=23))
    core_writer.lead("ghost@winroom.local", day_start + timedelta(hours=5))
    core_writer.lead("ayse@winroom.local", day_start - timedelta(seconds=1))  # the day before
    core = CoreDatabase(core_writer.url)
    try:
        with db.transaction() as s:
            assert aggregate_leads(s, core, date(2025, 3, 10), settings.tz) == 3
        core_writer.lead("ayse@winroom.local", day_start + timedelta(hours=12))
        with db.transaction() as s:  # refreshing today's row updates it in place
            assert aggregate_leads(s, core, date(2025, 3, 10), settings.tz) == 4
    finally:
        core.dispose()
    with db.read() as s:
        rows = {
            r.seller_email: (r.seller_id, r.leads)
            for r in s.scalars(
                select(LeadAssignmentDaily).where(LeadAssignmentDaily.day == date(2025, 3, 10))
            )
        }
    assert rows == {"ayse@winroom.local": (ayse, 3), "ghost@winroom.local": (None, 1)}


def test_overdue_installments_respect_tolerance(db: Database) -> None:
    today = date(2025, 3, 10)
    with db.transaction() as s:
        plan = Installment(total_installments=3, tolerance_days=3)
        s.add(plan)
        s.flush()
        for seq, due, status in (
            (1, today - timedelta(days=4), "pending"),  # past due + tolerance
            (2, today - timedelta(days=3), "pending"),  # still within tolerance
            (3, today - timedelta(days=9), "confirmed"),
        ):
            s.add(
                InstallmentPayment(
                    installment_id=plan.id,
                    seq=seq,
                    due_date=due,
                    amount_usd=Decimal(10),
                    status=status,
                )
            )
    with db.transaction() as s:  # seq 1 turned overdue today: announced, not stored
        assert mark_overdue_installments(s, today) == 1
    with db.transaction() as s:  # seq 2 turns overdue tomorrow; then nothing new
        assert mark_overdue_installments(s, today + timedelta(days=1)) == 1
        assert mark_overdue_installments(s, today + timedelta(days=2)) == 0
    with db.read() as s:
        statuses = dict(s.execute(select(InstallmentPayment.seq, InstallmentPayment.status)).all())
        changed = s.scalars(select(Event.payload).where(Event.type == "installment.changed")).all()
    assert statuses == {1: "pending", 2: "pending", 3: "confirmed"}
    assert [p["status"] for p in changed] == ["overdue", "overdue"]


def test_cache_cleanup(db: Database) -> None:
    now = datetime(2025, 3, 10, tzinfo=UTC)
    with db.transaction() as s:
        s.add_all(
            [
                CacheKV(key="old", value=1, expires_at=now - timedelta(seconds=1)),
                CacheKV(key="new", value=2, expires_at=now + timedelta(hours=1)),
                CacheKV(key="forever", value=3, expires_at=None),
            ]
        )
    with db.transaction() as s:
        assert clean_cache(s, now) == 1
    with db.read() as s:
        assert set(s.scalars(select(CacheKV.key))) == {"new", "forever"}


def test_default_jobs_run_once_a_day(
    db: Database, core_writer: CoreWriter, settings: Settings
) -> None:
    core = CoreDatabase(core_writer.url)
    try:
        sched = Scheduler(db, default_jobs(settings, core))
        ran = sched.tick(NOON)
        assert {r.split(":")[0] for r in ran} == {
            "leads.days",
            "leads.today",
            "installments.overdue",
            "cache.cleanup",
            "events.prune",
        }
        assert Scheduler(db, default_jobs(settings, core)).tick(NOON) == ["leads.today:refresh"]
    finally:
        core.dispose()
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(JobRun)) == 4


def test_lead_days_cover_the_longest_previous_window_through_yesterday() -> None:
    from backend.game.rules.periods import PERIODS, period_days, previous_days
    from backend.ingest.jobs import lead_days_needed

    assert lead_days_needed(date(2026, 3, 17)) == (date(2026, 2, 1), date(2026, 3, 16))
    assert lead_days_needed(date(2026, 3, 1)) == (date(2026, 1, 31), date(2026, 2, 28))
    assert lead_days_needed(date(2026, 1, 31)) == (date(2025, 12, 1), date(2026, 1, 30))
    day = date(2024, 1, 1)
    while day < date(2025, 1, 1):  # every window a read can ask for, every day of a year
        first, last = lead_days_needed(day)
        for p in PERIODS:
            for w in (period_days(p, day), previous_days(p, day)):
                assert first <= w.first and min(w.last, day - timedelta(days=1)) <= last
        assert (last - first).days <= 62
        day += timedelta(days=1)


def test_the_daily_lead_job_backfills_every_past_day_once_and_idempotently(
    db: Database, core_writer: CoreWriter, settings: Settings
) -> None:
    from backend.ingest.jobs import aggregate_lead_days

    # NOON is 10 March in Istanbul: the window is 1 February .. 9 March
    def at(day: date, hour: int = 12) -> datetime:
        return datetime(day.year, day.month, day.day, hour) - timedelta(hours=3)  # naive UTC

    core_writer.lead("Ayse@winroom.local", at(date(2025, 3, 8)))  # 2 days ago
    core_writer.lead("ayse@winroom.local", at(date(2025, 2, 28)))  # 10 days ago
    core_writer.lead("ayse@winroom.local", at(date(2025, 2, 28), 0))  # local midnight
    core_writer.lead("later@winroom.local", at(date(2025, 2, 1)))  # the window's first day
    core_writer.lead("ayse@winroom.local", at(date(2025, 1, 31)))  # before the window
    core_writer.lead("ayse@winroom.local", at(date(2025, 3, 10)))  # today: leads.today

    def stored() -> dict[tuple[date, str], tuple[int | None, int]]:
        with db.read() as s:
            return {
                (r.day, r.seller_email): (r.seller_id, r.leads)
                for r in s.scalars(select(LeadAssignmentDaily))
            }

    core = CoreDatabase(core_writer.url)
    try:
        with db.transaction() as s:
            ayse = make_seller(s, "ayse@winroom.local", "Ayşe Yılmaz")
        daily = [j for j in default_jobs(settings, core) if j.name == "leads.days"]
        assert Scheduler(db, daily).tick(NOON) == ["leads.days:2025-03-10"]
        expected = {
            (date(2025, 3, 8), "ayse@winroom.local"): (ayse, 1),
            (date(2025, 2, 28), "ayse@winroom.local"): (ayse, 2),
            (date(2025, 2, 1), "later@winroom.local"): (None, 1),
        }
        assert stored() == expected
        # a second worker, a restart: the key ran already
        assert Scheduler(db, list(daily)).tick(NOON + timedelta(hours=1)) == []
        with db.read() as s:
            run = s.get(JobRun, ("leads.days", "2025-03-10"))
            assert run is not None and run.details == {
                "first": "2025-02-01",
                "last": "2025-03-09",
                "leads": 4,
            }
        # run again by hand (a retried transaction): the same rows, not doubled
        for _ in range(2):
            with db.transaction() as s:
                n = aggregate_lead_days(s, core, date(2025, 2, 1), date(2025, 3, 9), settings.tz)
            assert n == 4
            assert stored() == expected
    finally:
        core.dispose()


def test_the_daily_lead_job_reads_the_core_database_before_it_takes_the_write_lock(
    db: Database, core_writer: CoreWriter, settings: Settings
) -> None:
    """The window's ~30-62 core counts are read outside the job's transaction: on SQLite that
    transaction holds the write lock (BEGIN IMMEDIATE), which every claim waits for."""
    core_writer.lead("ayse@winroom.local", NOON - timedelta(days=3))
    core = CoreDatabase(core_writer.url)
    free_during_reads: list[bool] = []
    real = core.lead_counts

    def lead_counts(start: datetime, end: datetime) -> dict[str, int]:
        free_during_reads.append(_write_lock_is_free(db))
        return real(start, end)

    core.lead_counts = lead_counts  # type: ignore[method-assign]
    try:
        daily = [j for j in default_jobs(settings, core) if j.name == "leads.days"]
        assert Scheduler(db, daily).tick(NOON) == ["leads.days:2025-03-10"]
    finally:
        core.dispose()
    assert len(free_during_reads) == 37  # 1 February .. 9 March
    assert all(free_during_reads)
    with db.read() as s:
        assert [r.leads for r in s.scalars(select(LeadAssignmentDaily))] == [1]


def _write_lock_is_free(db: Database) -> bool:
    """Can another writer start now? SQLite: BEGIN IMMEDIATE with no waiting; PostgreSQL:
    the jobs' advisory lock, tried."""
    from sqlalchemy import text

    from backend.ingest.jobs import JOBS_LOCK_KEY

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            got = conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": JOBS_LOCK_KEY}
            ).scalar_one()
            conn.rollback()
            return bool(got)
    # SQLite: a connection of its own (not the pool's: its busy timeout stays as it was)
    import sqlite3

    path = db.engine.url.database
    assert path
    raw = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        raw.close()  # rolls back the BEGIN if it began
    return True
