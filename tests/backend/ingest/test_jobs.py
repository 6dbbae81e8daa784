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
    with db.transaction() as s:
        assert mark_overdue_installments(s, today) == 1
    with db.read() as s:
        statuses = dict(s.execute(select(InstallmentPayment.seq, InstallmentPayment.status)).all())
    assert statuses == {1: "overdue", 2: "pending", 3: "confirmed"}


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
            "leads.daily",
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
