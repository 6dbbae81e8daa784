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
