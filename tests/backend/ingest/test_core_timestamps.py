"""Core timestamps in every storage the contract allows (CONTRACT §3), on unindexed cores.

SQLite cores are written through the ``sqlite3`` module as raw text (with and without a
fraction, mixed in one table, ``T`` separated, ``Z``/``+00:00``), with many rows per
moment across batch boundaries; PostgreSQL cores with ``timestamp`` and ``timestamptz``
columns on a server whose time zone is not UTC. The invariant everywhere: every
paid/active subscription is queued or recorded exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.core import CoreDatabase
from backend.db.types import utcnow
from backend.ingest.worker import IngestWorker
from backend.models import IngestRecord, QueueItem
from backend.runtime import Database
from backend.settings import Settings
from tests.helpers.raw_core import (
    FORMATS,
    RawCore,
    assert_each_once,
    postgres_raw_core,
    sqlite_raw_core,
)


def base_moment() -> datetime:
    """Two hours ago, a whole second (naive UTC): inside the 24-hour first-run lookback."""
    return utcnow().replace(tzinfo=None, microsecond=0) - timedelta(hours=2)


def moments(n: int, tie: int, base: datetime) -> list[datetime]:
    """``n`` moments, ``tie`` rows each, a minute apart (the backlog outlasts the sweep's
    15 minutes); every third moment is not a whole second."""
    out = []
    for i in range(n):
        k = i // tie
        out.append(base + timedelta(minutes=k, microseconds=(k % 3 == 2) * 250_000))
    return out


def fill(core: RawCore, n: int, tie: int, base: datetime | None = None) -> dict[int, str]:
    core.basics()
    at = moments(n, tie, base or base_moment())
    core.subscriptions((i + 1, at[i], "paid") for i in range(n))
    return {i + 1: "paid" for i in range(n)}


def drain(db: Database, url: str, settings: Settings, batch: int, polls: int) -> int:
    """A fresh worker polling up to ``polls`` batches (then its sweep); the rows read."""
    core = CoreDatabase(url)
    try:
        return IngestWorker(db, core, settings, batch_size=batch).catch_up(polls).rows
    finally:
        core.dispose()


@pytest.mark.parametrize("batch", [1, 7, 50, 500])
@pytest.mark.parametrize("fmt", FORMATS)
def test_ties_across_batches_sqlite_text(
    sqlite_db: Database, settings: Settings, tmp_path: Path, fmt: str, batch: int
) -> None:
    n, tie = (1313, 87) if batch >= 50 else (batch * 9 + 4, 5)
    core = sqlite_raw_core(tmp_path / "core.db", fmt)
    statuses = fill(core, n, tie)
    read = drain(sqlite_db, core.url, settings, batch, polls=n + 5)
    assert_each_once(sqlite_db, statuses)
    # never re-reading the same rows forever: each row read once (+ the last, re-checked
    # by no one: the short final batch is empty)
    assert read == n


@pytest.fixture(params=["timestamp", "timestamptz"])
def pg_core(request: pytest.FixtureRequest) -> Iterator[RawCore]:
    # a server west of UTC: a naive value read in its zone lands hours later
    with postgres_raw_core(request.param, "America/New_York") as core:
        yield core


@pytest.mark.postgres
@pytest.mark.parametrize("batch", [1, 7, 50, 500])
def test_ties_across_batches_postgres(
    db: Database, settings: Settings, pg_core: RawCore, batch: int
) -> None:
    n, tie = (1313, 87) if batch >= 50 else (batch * 9 + 4, 5)
    statuses = fill(pg_core, n, tie)
    read = drain(db, pg_core.url, settings, batch, polls=n + 5)
    assert_each_once(db, statuses)
    assert read == n


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_fresh_poller_resumes_from_the_saved_cursor(
    sqlite_db: Database, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    """Stopped after every number of batches, a new worker goes on from the cursor."""
    core = sqlite_raw_core(tmp_path / "core.db", fmt)
    statuses = fill(core, 120, 9)
    for _ in range(40):  # 3 batches per worker, 40 workers at most
        if drain(sqlite_db, core.url, settings, 7, polls=3) < 21:
            break
    assert_each_once(sqlite_db, statuses)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_late_commit_behind_the_cursor_is_still_queued(
    sqlite_db: Database, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    """A row committed after the cursor passed its ``updated_at`` (5 minutes older, and
    one at the cursor's own moment with a smaller id): the sweep queues both."""
    core = sqlite_raw_core(tmp_path / "core.db", fmt)
    base = base_moment()
    core.basics()
    core.subscriptions((i, base + timedelta(seconds=i // 4), "paid") for i in range(10, 50))
    drain(sqlite_db, core.url, settings, 7, polls=50)
    last = base + timedelta(seconds=49 // 4)
    core.subscriptions([(3, last - timedelta(minutes=5), "paid"), (4, last, "paid")])
    drain(sqlite_db, core.url, settings, 7, polls=50)
    statuses = {i: "paid" for i in [3, 4, *range(10, 50)]}
    assert_each_once(sqlite_db, statuses)


@pytest.mark.postgres
def test_a_late_commit_behind_the_cursor_is_still_queued_postgres(
    db: Database, settings: Settings, pg_core: RawCore
) -> None:
    base = base_moment()
    pg_core.basics()
    pg_core.subscriptions((i, base + timedelta(seconds=i // 4), "paid") for i in range(10, 50))
    drain(db, pg_core.url, settings, 7, polls=50)
    last = base + timedelta(seconds=49 // 4)
    pg_core.subscriptions([(3, last - timedelta(minutes=5), "paid"), (4, last, "paid")])
    drain(db, pg_core.url, settings, 7, polls=50)
    assert_each_once(db, {i: "paid" for i in [3, 4, *range(10, 50)]})


@pytest.mark.parametrize("fmt", FORMATS)
def test_first_run_takes_a_sale_made_exactly_at_the_lookback_cutoff(
    sqlite_db: Database, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    now = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    cutoff = now.replace(tzinfo=None) - timedelta(hours=settings.ingest_lookback_hours)
    core = sqlite_raw_core(tmp_path / "core.db", fmt)
    core.basics()
    core.subscriptions(
        [
            (1, cutoff - timedelta(seconds=1), "paid"),  # before the lookback
            (2, cutoff, "paid"),
            (3, cutoff, "paid"),
            (4, cutoff + timedelta(seconds=1), "paid"),
        ]
    )
    c = CoreDatabase(core.url)
    try:
        IngestWorker(sqlite_db, c, settings, clock=lambda: now, batch_size=1).catch_up(10)
    finally:
        c.dispose()
    with sqlite_db.read() as s:
        queued = set(s.scalars(select(QueueItem.subscription_id)))
    assert queued == {2, 3, 4}


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_hour_of_created_at_in_every_spelling(
    sqlite_db: Database, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    """Same customer and campaign within one UTC clock hour of ``created_at``: the second
    is a duplicate; in the next hour it is not."""
    base = base_moment().replace(minute=0, second=0)
    core = sqlite_raw_core(tmp_path / "core.db", fmt)
    core.basics()
    rows = [
        (1, base),
        (2, base + timedelta(minutes=59, seconds=59)),
        (3, base + timedelta(hours=1)),
    ]
    core.execute(
        "INSERT INTO subscriptions (id, user_id, campaign_id, subs_amount, currency, status, "
        "is_free, payment_channel, created_at, updated_at) "
        "VALUES (?, 7, 1, '500.00', 'USD', 'paid', 0, 'Stripe', ?, ?)",
        [(sid, core._time(at), core._time(at)) for sid, at in rows],
    )
    drain(sqlite_db, core.url, settings, 500, polls=5)
    with sqlite_db.read() as s:
        queued = set(s.scalars(select(QueueItem.subscription_id)))
        dups = set(
            s.scalars(select(IngestRecord.subscription_id).where(IngestRecord.kind == "duplicate"))
        )
    assert (queued, dups) == ({1, 3}, {2})


def day_bounds() -> tuple[datetime, datetime]:
    """An Istanbul day in UTC: 21:00 to 21:00."""
    start = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
    return start, start + timedelta(days=1)


def lead_rows(start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    s, e = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return [
        ("before@x.com", s - timedelta(microseconds=1)),
        ("before@x.com", s - timedelta(seconds=1)),
        ("first@x.com", s),  # exactly at the day's start: this day
        ("first@x.com", s + timedelta(microseconds=500_000)),
        ("last@x.com", e - timedelta(seconds=1)),
        ("last@x.com", e - timedelta(microseconds=1)),
        ("after@x.com", e),  # exactly at the day's end: the next day
        ("after@x.com", e + timedelta(seconds=1)),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_lead_counts_at_a_window_edge_sqlite(tmp_path: Path, fmt: str) -> None:
    core = sqlite_raw_core(tmp_path / "core.db", fmt)
    start, end = day_bounds()
    rows = lead_rows(start, end)
    core.leads(rows)
    c = CoreDatabase(core.url)
    try:
        got = c.lead_counts(start, end)
        before = c.lead_counts(start - timedelta(days=1), start)
    finally:
        c.dispose()
    # a spelling without a fraction (or with milliseconds) truncates: e - 1 µs is then
    # e - 1 s (or e - 1 ms), still this day; s - 1 µs still the day before
    expect = {"first@x.com": 2, "last@x.com": 2}
    assert got == expect
    assert before.get("before@x.com") == 2 and "first@x.com" not in before


@pytest.mark.postgres
def test_lead_counts_at_a_window_edge_postgres(pg_core: RawCore) -> None:
    start, end = day_bounds()
    pg_core.leads(lead_rows(start, end))
    c = CoreDatabase(pg_core.url)
    try:
        assert c.lead_counts(start, end) == {"first@x.com": 2, "last@x.com": 2}
    finally:
        c.dispose()


def test_sqlite_core_without_indexes(tmp_path: Path) -> None:
    """The fixture's core really has no index but the primary keys (what this file's
    figures and the unindexed bench rely on)."""
    core = sqlite_raw_core(tmp_path / "core.db", "plain")
    c = CoreDatabase(core.url)
    try:
        with c.engine.connect() as conn:
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ).scalar()
    finally:
        c.dispose()
    assert n == 0
