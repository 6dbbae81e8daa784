"""The ingest invariant under stops and kills: every paid/active subscription is queued or
recorded exactly once (raw-text SQLite cores without indexes, see tests/helpers/raw_core)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backend.core import CoreDatabase
from backend.db.types import utcnow
from backend.ingest.worker import IngestWorker
from backend.models import IngestState, SubscriptionMetrics
from backend.runtime import Database, database_for_url
from backend.settings import Settings, load_settings
from tests.helpers.databases import migrate_url, truncate_all
from tests.helpers.raw_core import FORMATS, assert_each_once, sqlite_raw_core

STATUSES = ("paid", "active", "pending", "cancelled", "refunded")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fmt=st.sampled_from(FORMATS),
    tie=st.integers(1, 30),
    n=st.integers(1, 160),
    batch=st.sampled_from([1, 2, 3, 7, 50, 500]),
    kills=st.lists(st.integers(0, 6), max_size=4),
    shuffle_ids=st.booleans(),
    statuses=st.lists(st.sampled_from(STATUSES), min_size=1, max_size=8),
)
def test_every_paid_subscription_once_whatever_the_format_and_stops(
    _sqlite_database: Database,
    fmt: str,
    tie: int,
    n: int,
    batch: int,
    kills: list[int],
    shuffle_ids: bool,
    statuses: list[str],
) -> None:
    """A backlog in any spelling, ties of any size, any batch size; the worker stopped
    after some batches (kill points) and a fresh one started from the saved cursor."""
    db = _sqlite_database
    truncate_all(db)
    with tempfile.TemporaryDirectory() as d:
        cfg = load_settings(data_dir=Path(d))
        core = sqlite_raw_core(Path(d) / "core.db", fmt)
        core.basics()
        base = utcnow().replace(tzinfo=None, microsecond=0) - timedelta(hours=2)
        # a tie a minute: the backlog can outlast the sweep's 15 minutes
        ids = list(range(1, n + 1))
        if shuffle_ids:  # ids not in updated_at order (concurrent writers)
            ids = ids[::2] + ids[1::2]
        want: dict[int, str] = {}
        rows = []
        for i, sid in enumerate(ids):
            status = statuses[i % len(statuses)]
            want[sid] = status
            rows.append((sid, base + timedelta(minutes=i // tie), status))
        core.subscriptions(rows)
        for k in kills:  # each worker polls k batches, then "dies"; the next one resumes
            run(db, core.url, cfg, batch, k)
        run(db, core.url, cfg, batch, n + 5)
        assert_each_once(db, want)


def run(db: Database, url: str, cfg: Settings, batch: int, polls: int) -> None:
    core = CoreDatabase(url)
    try:
        worker = IngestWorker(db, core, cfg, batch_size=batch)
        for _ in range(polls):
            if worker.poll_once() < batch:
                worker.sweep()
                break
    finally:
        core.dispose()


def wait_for(check, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_9_of_a_worker_process_in_the_middle(tmp_path: Path) -> None:
    """A real ``winroom-backend worker`` killed with SIGKILL mid-backlog, then restarted:
    every sale once (87 per moment, text without fraction, batches of 50)."""
    n, tie = 3000, 87
    wr_url = migrate_url(f"sqlite:///{tmp_path / 'winroom.db'}")
    core = sqlite_raw_core(tmp_path / "core.db", "plain")
    core.basics()
    base = utcnow().replace(tzinfo=None, microsecond=0) - timedelta(hours=2)
    # a tie every minute: the backlog spans more than the sweep's 15 minutes
    core.subscriptions((i, base + timedelta(minutes=i // tie), "paid") for i in range(1, n + 1))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")},
        "WINROOM_DATABASE_URL": wr_url,
        "WINROOM_CORE_DATABASE_URL": core.url,
        "WINROOM_DATA_DIR": str(tmp_path / "data"),
        "WINROOM_POLLER_BATCH_SIZE": "50",
        "WINROOM_POLLER_INTERVAL_MS": "100",
    }
    cmd = [str(Path(sys.executable).parent / "winroom-backend"), "worker"]
    db = database_for_url(wr_url)

    def seen() -> int:
        with db.read() as s:
            return int(s.scalar(select(func.count()).select_from(SubscriptionMetrics)) or 0)

    def at_end() -> bool:
        with db.read() as s:
            state = s.get(IngestState, "core.subscriptions")
            return state is not None and state.last_id == n

    try:
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: seen() >= 600, 60, "the first worker to ingest 600 rows")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert seen() < n  # killed in the middle
        second = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(at_end, 120, "the restarted worker's cursor to reach the last row")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        assert_each_once(db, dict.fromkeys(range(1, n + 1), "paid"))
    finally:
        db.dispose()


def test_two_live_workers_with_read_ahead_and_a_change_inside_the_page(
    _sqlite_database: Database, tmp_path: Path
) -> None:
    """Two workers alternate, each keeping rows read ahead, and a row commits late inside
    a page already read: every paid one once; the core is read once per ten batches while
    one worker keeps the cursor to itself, and afresh once another moved it."""
    db = _sqlite_database
    truncate_all(db)
    cfg = load_settings(data_dir=tmp_path / "data")
    core = sqlite_raw_core(tmp_path / "core.db", "mixed")
    core.basics()
    base = utcnow().replace(tzinfo=None, microsecond=0) - timedelta(hours=2)
    core.subscriptions((i, base + timedelta(seconds=i // 5), "paid") for i in range(10, 400))
    c1, c2 = CoreDatabase(core.url), CoreDatabase(core.url)
    reads = 0
    original = c1.changed_after

    def counted(*a, **kw):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return original(*a, **kw)

    c1.changed_after = counted  # type: ignore[method-assign]
    try:
        a = IngestWorker(db, c1, cfg, batch_size=7)
        b = IngestWorker(db, c2, cfg, batch_size=7)
        for _ in range(20):  # a alone: 20 batches, 2 core reads
            a.poll_once()
        assert reads == 2
        b.poll_once()  # b moves the cursor: a's page no longer starts there
        a.poll_once()
        assert reads == 3
        # a late commit inside a's page, 3 s behind the cursor
        core.subscriptions([(5, base + timedelta(seconds=160 // 5 - 3), "paid")])
        for _ in range(200):
            for w in (a, b, a):
                if w.poll_once() < 7:
                    w.sweep()
        assert_each_once(db, {i: "paid" for i in [5, *range(10, 400)]})
    finally:
        c1.dispose()
        c2.dispose()
