"""Leads and conversion count today's core ``lead_assignments`` at once (CONTRACT §4).

The worker's ``leads.today`` job refreshes the stored aggregate only every minute: the
reads take today live from the core database (``backend.core.live``) and earlier days from
``lead_assignments_daily``; when the core database cannot answer they keep the aggregate
(logged once, never an error). No job runs in these tests.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.core.live import LiveLeads, forget_live_leads
from backend.db.types import utcnow
from backend.game import read
from backend.game.rules.periods import DayRange, local_day, utc_bounds
from backend.models import LeadAssignmentDaily
from backend.runtime import Database
from backend.server import build
from backend.settings import Settings
from tests.backend.ingest.core_fixtures import CoreWriter
from tests.backend.realtime.support import (
    People,
    TestClient,
    add_item,
    make_people,
    make_settings,
)
from tests.helpers.core import core_writer_next_to, postgres_core_writer

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/winroom_core"  # refused at once


@pytest.fixture(scope="module")
def _pg_core() -> Iterator[CoreWriter]:
    with postgres_core_writer() as writer:
        yield writer


@pytest.fixture
def core(db: Database, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[CoreWriter]:
    """A writable core database next to ``db`` (SQLite file / PostgreSQL database)."""
    with core_writer_next_to(db, tmp_path, request, "_pg_core") as writer:
        yield writer
    forget_live_leads()


def make_client(data_dir: Path, db: Database, core_url: str) -> tuple[TestClient, Settings]:
    st = make_settings(data_dir, db, core_database_url=core_url)
    return TestClient(build(st, db).api, raise_server_exceptions=False), st


def today_bounds(st: Settings, now: datetime | None = None) -> tuple[date, datetime, datetime]:
    today = local_day(now or utcnow(), st.tz)
    start, end = utc_bounds(DayRange(today, today), st.tz)
    return today, start, end


def naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None)


def store(db: Database, people: People, rows: list[tuple[date, str, int]]) -> None:
    """Rows of the stored aggregate: ``(day, role, leads)``."""
    with db.transaction() as s:
        for day, role, n in rows:
            s.add(
                LeadAssignmentDaily(
                    day=day,
                    seller_email=f"{role}@winroom.io",
                    seller_id=people.ids[role],
                    leads=n,
                )
            )


def get(client: TestClient, path: str, people: People, role: str) -> Any:
    resp = client.get(path, headers=people.headers(role))
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_todays_assignments_show_at_once_everywhere(
    db: Database, core: CoreWriter, data_dir: Path
) -> None:
    client, st = make_client(data_dir, db, core.url)
    people = make_people(db, st)
    today, start, end = today_bounds(st)
    yesterday = today - timedelta(days=1)
    # the aggregate: yesterday final, an older day, and a stale count for today
    store(db, people, [(yesterday, "sales", 5), (today - timedelta(days=3), "sales", 2)])
    store(db, people, [(today, "sales", 99), (today, "sales_lead", 7)])
    # a win today for the seller
    qid = add_item(db)
    resp = client.post(
        "/api/claim",
        json={"queue_id": qid, "claim_type": "first_sales"},
        headers=people.headers("sales"),
    )
    assert resp.status_code == 201, resp.text

    with client:
        m = get(client, "/api/me/metrics?period=today", people, "sales")
        # the core database has no assignment today: 0, not the aggregate's stale 99
        assert m["leads"] == {"value": 0, "previous": 5, "change_percent": -1.0}
        assert m["conversion"]["value"] is None

        core.lead("Sales@WinRoom.io", naive(start))  # the first instant of the local day
        core.lead("  sales@winroom.io ", naive(end) - timedelta(seconds=1))
        core.lead("sales@winroom.io", naive(start) + timedelta(hours=1))
        core.lead("sales_lead@winroom.io", naive(start) + timedelta(minutes=5))
        core.lead("sales@winroom.io", naive(start) - timedelta(seconds=1))  # yesterday
        core.lead("sales@winroom.io", naive(end))  # tomorrow
        core.lead("ghost@winroom.io", naive(start))  # no such seller

        m = get(client, "/api/me/metrics?period=today", people, "sales")
        assert m["leads"] == {"value": 3, "previous": 5, "change_percent": -0.4}
        assert m["wins"]["value"] == 1
        assert m["conversion"]["value"] == 0.3333  # 1 ÷ 3
        assert m["conversion"]["previous"] == 0.0  # no win of 5 leads yesterday

        # earlier days keep coming from the aggregate (yesterday's core row is not re-read)
        m15 = get(client, "/api/me/metrics?period=15d", people, "sales")
        assert m15["leads"]["value"] == 5 + 2 + 3
        assert m15["conversion"]["value"] == 0.1  # 1 ÷ 10

        overview = get(client, "/api/team/overview?period=today", people, "finance")
        by_id = {row["seller_id"]: row for row in overview["sellers"]}
        assert by_id[people.ids["sales"]]["leads"]["value"] == 3
        assert by_id[people.ids["sales_lead"]]["leads"]["value"] == 1  # not the stored 7

        board = get(client, "/api/leaderboard/conversion?period=today", people, "sales")
        entries = {e["seller_id"]: e for e in board["entries"]}
        assert entries[people.ids["sales"]]["value"] == 0.3333
        assert entries[people.ids["sales"]]["rank"] == 1
        assert entries[people.ids["sales_lead"]]["value"] == 0.0  # no win of 1 lead

        # one more assignment: the very next read counts it (no cache, no job)
        core.lead("sales@winroom.io", naive(start) + timedelta(hours=2))
        m = get(client, "/api/me/metrics?period=today", people, "sales")
        assert m["leads"]["value"] == 4
        assert m["conversion"]["value"] == 0.25
        board = get(client, "/api/leaderboard/conversion?period=today", people, "tv")
        assert {e["seller_id"]: e["value"] for e in board["entries"]}[people.ids["sales"]] == 0.25


def test_read_functions_take_the_day_of_now_from_core(
    db: Database, core: CoreWriter, data_dir: Path
) -> None:
    st = make_settings(data_dir, db, core_database_url=core.url)
    people = make_people(db, st)
    now = datetime(2026, 3, 10, 9, 0, tzinfo=st.tz)
    day, start, _ = today_bounds(st, now)
    store(db, people, [(day, "sales", 40), (day - timedelta(days=1), "sales", 6)])
    for minutes in (0, 10, 20):
        core.lead("sales@winroom.io", naive(start) + timedelta(minutes=minutes))
    sid = people.ids["sales"]
    with db.read() as s:
        assert read.my_metrics(s, sid, "today", st, now)["leads"]["value"] == 3
        assert read.my_metrics(s, sid, "today", st, now)["leads"]["previous"] == 6
        assert read.my_metrics(s, sid, "month", st, now)["leads"]["value"] == 9
        rows = {r["seller_id"]: r for r in read.team_overview(s, "15d", st, now)["sellers"]}
        assert rows[sid]["leads"]["value"] == 9


def test_an_unreachable_core_database_falls_back_to_the_aggregate(
    db: Database, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client, st = make_client(data_dir, db, UNREACHABLE)
    people = make_people(db, st)
    today, _, _ = today_bounds(st)
    store(db, people, [(today, "sales", 8), (today - timedelta(days=1), "sales", 4)])
    try:
        with client, caplog.at_level(logging.INFO, logger="backend.core.live"):
            for _ in range(3):
                m = get(client, "/api/me/metrics?period=today", people, "sales")
                assert m["leads"] == {"value": 8, "previous": 4, "change_percent": 1.0}
            overview = get(client, "/api/team/overview?period=today", people, "admin")
            by_id = {row["seller_id"]: row for row in overview["sellers"]}
            assert by_id[people.ids["sales"]]["leads"]["value"] == 8
            board = get(client, "/api/leaderboard/conversion?period=15d", people, "tv")
            assert {e["seller_id"] for e in board["entries"]} >= {people.ids["sales"]}
        warnings = [r for r in caplog.records if r.name == "backend.core.live"]
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
        assert "stored aggregate" in warnings[0].getMessage()
    finally:
        forget_live_leads()


def test_a_core_database_without_the_table_or_file_falls_back(
    db: Database, data_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "core.db"
    client, st = make_client(data_dir, db, f"sqlite:///{missing}")
    people = make_people(db, st)
    today, _, _ = today_bounds(st)
    store(db, people, [(today, "sales", 3)])
    try:
        with client:
            assert get(client, "/api/me/metrics", people, "sales")["leads"]["value"] == 3
        assert not missing.exists()  # reading never creates an empty core database
        empty = tmp_path / "empty.db"
        sqlite3.connect(empty).close()  # an existing file without lead_assignments
        client2, _ = make_client(data_dir, db, f"sqlite:///{empty}")
        with client2:
            assert get(client2, "/api/me/metrics", people, "sales")["leads"]["value"] == 3
    finally:
        forget_live_leads()


def test_live_leads_backs_off_after_a_failure_and_says_when_it_is_back(
    core: CoreWriter, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [100.0]
    live = LiveLeads(core.url, retry_seconds=10.0, monotonic=lambda: clock[0])
    calls: list[int] = []
    real = live._read
    broken = [True]

    def read_once(start: datetime, end: datetime) -> dict[str, int] | None:
        calls.append(1)
        if broken[0]:
            raise ConnectionRefusedError("core is down")
        return real(start, end)

    live._read = read_once  # type: ignore[method-assign]
    start = datetime(2026, 3, 10, tzinfo=UTC)
    end = start + timedelta(days=1)
    core.lead("a@x.io", naive(start))
    try:
        with caplog.at_level(logging.INFO, logger="backend.core.live"):
            assert live.counts(start, end) is None
            assert live.counts(start, end) is None  # within the window: not tried again
            assert len(calls) == 1
            clock[0] += 10.5
            assert live.counts(start, end) is None  # tried, still down: no second warning
            assert len(calls) == 2
            broken[0] = False
            clock[0] += 10.5
            assert live.counts(start, end) == {"a@x.io": 1}
            assert live.counts(start, end) == {"a@x.io": 1}
        levels = [r.levelno for r in caplog.records if r.name == "backend.core.live"]
        assert levels == [logging.WARNING, logging.INFO]
    finally:
        live.dispose()


# ---- past days: the worker's leads.days aggregate, matched to sellers by email -------


def run_lead_jobs(db: Database, st: Settings, core_url: str, now: datetime) -> list[str]:
    """One scheduler tick of the worker's lead jobs (``leads.days`` and ``leads.today``)."""
    from backend.core import CoreDatabase
    from backend.ingest.jobs import Scheduler, default_jobs

    cdb = CoreDatabase(core_url)
    try:
        jobs = [j for j in default_jobs(st, cdb) if j.name.startswith("leads.")]
        return Scheduler(db, jobs).tick(now)
    finally:
        cdb.dispose()


def lead_on(core: CoreWriter, st: Settings, day: date, email: str, n: int = 1) -> None:
    """``n`` assignments at local noon of ``day``."""
    at = datetime.combine(day, datetime.min.time(), st.tz) + timedelta(hours=12)
    for _ in range(n):
        core.lead(email, naive(at.astimezone(UTC)))


def test_every_period_and_its_previous_count_the_leads_of_past_days(
    db: Database, core: CoreWriter, data_dir: Path
) -> None:
    from tests.backend.game.floor import add_item as add_floor_item
    from tests.backend.game.floor import claim

    st = make_settings(data_dir, db, core_database_url=core.url)
    people = make_people(db, st)
    sid = people.ids["sales"]
    now = datetime(2026, 3, 17, 12, 0, tzinfo=st.tz)
    today = now.date()
    # 15d = 3..17 March, previous 15d = 16 Feb..2 March; month = 1..17 March, previous
    # month = 1..17 February
    for day, n in (
        (today, 4),
        (date(2026, 3, 15), 1),  # 2 days ago
        (date(2026, 3, 7), 1),  # 10 days ago
        (date(2026, 3, 1), 1),  # month; previous 15d
        (date(2026, 2, 25), 1),  # 20 days ago: previous 15d, after the previous month's 17th
        (date(2026, 2, 10), 2),  # previous month only
        (date(2026, 1, 31), 5),  # no window
    ):
        lead_on(core, st, day, "sales@winroom.io", n)
    with db.transaction() as s:
        for _ in range(3):
            item = add_floor_item(s, "100", "40", at=now)
            claim(s, sid, item.id, st, now)

    ran = run_lead_jobs(db, st, core.url, now.astimezone(UTC))
    assert "leads.days:2026-03-17" in ran

    with db.read() as s:
        m15 = read.my_metrics(s, sid, "15d", st, now)
        mm = read.my_metrics(s, sid, "month", st, now)
        mt = read.my_metrics(s, sid, "today", st, now)
        overview = {r["seller_id"]: r for r in read.team_overview(s, "15d", st, now)["sellers"]}
        om = {r["seller_id"]: r for r in read.team_overview(s, "month", st, now)["sellers"]}
        b15 = read.leaderboard(s, "conversion", "15d", st, now)["entries"]
        bm = read.leaderboard(s, "conversion", "month", st, now)["entries"]
    assert m15["leads"] == {"value": 6, "previous": 2, "change_percent": 2.0}
    assert m15["conversion"]["value"] == 0.5  # 3 wins ÷ 6 leads
    assert mm["leads"] == {"value": 7, "previous": 2, "change_percent": 2.5}
    assert mm["conversion"]["value"] == 0.4286  # 3 ÷ 7
    assert mt["leads"] == {"value": 4, "previous": 0, "change_percent": None}
    assert overview[sid]["leads"] == m15["leads"]
    assert overview[sid]["conversion"] == m15["conversion"]
    assert om[sid]["leads"] == mm["leads"]
    assert {e["seller_id"]: e["value"] for e in b15}[sid] == 0.5
    assert {e["seller_id"]: e["value"] for e in bm}[sid] == 0.4286

    # the audit's case: 4 today, 1 two days ago, 3 claims → 5 leads, 0.6 in 15d
    lead_on(core, st, date(2026, 3, 14), "sales_lead@winroom.io")
    for _ in range(4):
        lead_on(core, st, today, "sales_lead@winroom.io")
    lead_id = people.ids["sales_lead"]
    with db.transaction() as s:
        for _ in range(3):
            item = add_floor_item(s, "100", "40", at=now)
            claim(s, lead_id, item.id, st, now)
    # the next day's run sets the past days again (late core rows count)
    later = now + timedelta(days=1)
    assert "leads.days:2026-03-18" in run_lead_jobs(db, st, core.url, later.astimezone(UTC))
    with db.read() as s:
        m = read.my_metrics(s, lead_id, "15d", st, later)
    assert m["leads"]["value"] == 5
    assert m["conversion"]["value"] == 0.6


def test_a_seller_created_after_the_aggregation_gets_their_past_leads(
    db: Database, core: CoreWriter, data_dir: Path
) -> None:
    from backend.models import Seller

    st = make_settings(data_dir, db, core_database_url=core.url)
    people = make_people(db, st)
    now = datetime(2026, 3, 17, 12, 0, tzinfo=st.tz)
    lead_on(core, st, date(2026, 3, 12), "New.Seller@WinRoom.io", 2)  # 15d, month
    lead_on(core, st, date(2026, 2, 20), "new.seller@winroom.io", 3)  # previous 15d
    lead_on(core, st, date(2026, 2, 5), "new.seller@winroom.io")  # previous month
    lead_on(core, st, now.date(), "new.seller@winroom.io")  # today: live
    assert "leads.days:2026-03-17" in run_lead_jobs(db, st, core.url, now.astimezone(UTC))

    # the seller's account is created after the day's run: no job runs again
    with db.transaction() as s:
        seller = Seller(email="new.seller@winroom.io", name="New", role="sales", password_hash="x")
        s.add(seller)
        s.flush()
        sid = seller.id
    with db.read() as s:
        m15 = read.my_metrics(s, sid, "15d", st, now)
        mm = read.my_metrics(s, sid, "month", st, now)
        rows = {r["seller_id"]: r for r in read.team_overview(s, "month", st, now)["sellers"]}
        board = read.leaderboard(s, "conversion", "15d", st, now)["entries"]
    assert m15["leads"] == {"value": 3, "previous": 3, "change_percent": 0.0}
    assert mm["leads"] == {"value": 3, "previous": 1, "change_percent": 2.0}
    assert rows[sid]["leads"] == mm["leads"]
    assert {e["seller_id"]: e["value"] for e in board}[sid] == 0.0  # 0 wins of 3 leads
    assert people.ids["sales"] in {e["seller_id"] for e in board}


def test_todays_live_count_reads_only_the_rows_after_the_settled_ones(core: CoreWriter) -> None:
    """A busy day must not cost more per board read at 18:00 than at 09:00: after the first
    reads, a request reads only the lead rows after an id seen a minute ago (issue 28: every
    board read counted the whole day's assignments, 3.5 → 10 ms a board after 10,000)."""
    clock = [1000.0]
    live = LiveLeads(core.url, monotonic=lambda: clock[0])
    start = datetime(2026, 3, 10, tzinfo=UTC)
    end = start + timedelta(days=1)
    for i in range(40):
        core.lead(f"s{i % 4}@x.io", naive(start) + timedelta(minutes=i))
    core.lead("s0@x.io", naive(start) - timedelta(seconds=1))  # yesterday
    ranges: list[tuple[int, int | None]] = []
    db = live._database()
    real = db.lead_counts_after

    def spy(s: datetime, e: datetime, after: int, upto: int | None = None) -> Any:
        ranges.append((after, upto))
        return real(s, e, after, upto)

    db.lead_counts_after = spy  # type: ignore[method-assign]
    full = db.lead_counts

    try:
        assert live.counts(start, end) == full(start, end) == {f"s{i}@x.io": 10 for i in range(4)}
        clock[0] += 61  # the ids seen then are settled now: counted once, kept
        assert live.counts(start, end) == full(start, end)
        settled = max(a for a, _ in ranges[-1:])
        assert settled > 0
        for n in range(3):
            clock[0] += 1
            core.lead("s1@x.io", naive(start))  # a late row counts at once, even backdated
            core.lead("s2@x.io", naive(end) - timedelta(seconds=1))
            ranges.clear()
            got = live.counts(start, end)
            assert got == full(start, end)
            assert got["s1@x.io"] == 11 + n
            # one statement, over the rows after the settled id only
            assert ranges == [(settled, None)]
        clock[0] += 600  # the periodic recount (a row that committed late is taken in)
        ranges.clear()
        assert live.counts(start, end) == full(start, end)
        assert ranges[0][0] == 0 and ranges[-1][1] is None
    finally:
        live.dispose()


@pytest.mark.parametrize("fmt", ["plain", "T", "mixed"])
def test_todays_live_count_is_exact_on_raw_text_cores(tmp_path: Path, fmt: str) -> None:
    """The settled-rows read compares times the way the poller does: a lead assigned at
    exactly the day's start, spelled without a fraction (or with a ``T``), is today's."""
    from tests.helpers.raw_core import FORMATS, sqlite_raw_core

    assert fmt in FORMATS
    raw = sqlite_raw_core(tmp_path / "core.db", fmt)
    start = datetime(2026, 3, 10, tzinfo=UTC)
    end = start + timedelta(days=1)
    day0, day1 = naive(start), naive(end)
    raw.leads(
        [
            ("a@x.io", day0),  # the first second of the day
            ("a@x.io", day0 + timedelta(hours=3)),
            ("b@x.io", day1 - timedelta(seconds=1)),  # the last second
            ("b@x.io", day1),  # tomorrow
            ("c@x.io", day0 - timedelta(seconds=1)),  # yesterday
        ]
    )
    clock = [1000.0]
    live = LiveLeads(raw.url, monotonic=lambda: clock[0])
    try:
        assert live.counts(start, end) == {"a@x.io": 2, "b@x.io": 1}
        clock[0] += 61  # the rows are settled now: kept, only later rows read
        assert live.counts(start, end) == {"a@x.io": 2, "b@x.io": 1}
    finally:
        forget_live_leads()
