"""Ingest benchmark: a backlog of core subscriptions, and INSERT → ``queue.new`` latency.

    .venv/bin/python bench/ingest.py [--quick] [--rows N] [--pg URL] [--pg-only]
        [--cores indexed,unindexed] [--rounds N]

- backlog: N rows (100,000; ``--quick``: 10,000) written into an empty core database, then
  one worker ingests them all: rows/s, the worker's CPU time per row (this process's), on
  PostgreSQL the CPU time of the worker's server backends per row (``/proc``: the server
  must run on this machine), and the process's peak RSS.
  Every sale has a ``payment_infos`` row and one in five has no ``subs_amount`` (its
  revenue is read from there); four sales share each ``updated_at`` second, written on
  SQLite as raw text without a fraction (``2026-12-07 20:05:00``, CONTRACT §3).
  ``--cores``: the core shapes to run, alternating per round (``--rounds``): ``indexed``
  (the indexes of ``backend.core.tables``) and ``unindexed`` (primary keys only: Win Room
  cannot add indexes to the company's database).
- latency: a worker polling at the default 2000 ms; 30 sales (``--quick``: 10) are inserted
  at random moments; latency = the ``queue.new`` event's commit − the core INSERT's commit.

Runs on SQLite, and on PostgreSQL when ``--pg`` or ``WINROOM_TEST_POSTGRES_URL`` gives a
server (throwaway databases are created and dropped).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from backend.core import CoreDatabase
from backend.core import tables as t
from backend.core.adapter import create_core_tables, make_core_engine
from backend.db.migrate import upgrade
from backend.db.types import utcnow
from backend.eventlog import add_commit_waker
from backend.ingest.worker import IngestWorker
from backend.models import Event
from backend.runtime import database_for_url
from backend.settings import load_settings
from backend.simulate import campaign_catalog


def load() -> str:
    """The machine's 1-minute load average (other processes share the 2 cores)."""
    return f"{os.getloadavg()[0]:.2f}"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def databases(kind: str, pg: str | None) -> Iterator[tuple[str, str]]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            yield f"sqlite:///{d}/winroom.db", f"sqlite:///{d}/core.db"
        return
    assert pg
    if kind == "pg+sqlite-core":  # Win Room on PostgreSQL, the company's core a SQLite file
        with tempfile.TemporaryDirectory() as d, databases("postgres", pg) as (wr_url, _):
            yield wr_url, f"sqlite:///{d}/core.db"
        return
    admin = make_url(pg).set(drivername="postgresql+psycopg")
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    names = [f"wr_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with eng.connect() as c:
        for n in names:
            c.execute(text(f'CREATE DATABASE "{n}"'))
    try:
        yield tuple(admin.set(database=n).render_as_string(hide_password=False) for n in names)  # type: ignore[misc]
    finally:
        with eng.connect() as c:
            for n in names:
                c.execute(text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
        eng.dispose()


def server_cpu(pg: str, urls: tuple[str, ...]) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to the databases of
    ``urls`` (from ``/proc``: the server runs on this machine)."""
    names = [make_url(u).database for u in urls]
    admin = create_engine(make_url(pg).set(drivername="postgresql+psycopg"))
    with admin.connect() as c:
        pids: list[int] = list(
            c.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = ANY(:n)"), {"n": names}
            ).scalars()
        )
        out: dict[int, float] = {}
        tick = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[int(pid)] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    admin.dispose()
    return out


CORE_INDEXES = (
    "ix_subscriptions_updated_id",
    "ix_payment_infos_subscription_id",
    "ix_lead_assignments_assigned_at",
)


def seed_core(url: str, users: int, indexed: bool = True) -> None:
    create_core_tables(url)
    eng = make_core_engine(url, read_only=False)
    if not indexed:
        with eng.begin() as c:
            for name in CORE_INDEXES:
                c.execute(text(f"DROP INDEX IF EXISTS {name}"))
    now = utcnow().replace(tzinfo=None)
    with eng.begin() as c:
        c.execute(insert(t.campaigns), campaign_catalog())
        c.execute(insert(t.custom_settings), [{"key": "dolar", "value": "34,25"}])
        c.execute(
            insert(t.users),
            [
                {
                    "id": i,
                    "name": f"Müşteri {i}",
                    "email": f"m{i}@example.com",
                    "created_at": now - timedelta(days=10),
                }
                for i in range(1, users + 1)
            ],
        )
    eng.dispose()


def sale(i: int, at: object, users: int) -> dict[str, object]:
    return {
        "id": i + 1,
        "user_id": 1 + i % users,
        "campaign_id": 1 + i % 16,
        "subs_amount": None if i % 5 == 4 else Decimal("1000.00") + i % 997,
        "currency": ("TRY", "USD", "SAR")[i % 3],
        "status": "paid",
        "is_free": 0,
        "payment_channel": "Stripe",
        "stripe_sub_id": None,
        "paypal_sub_id": None,
        "created_at": at,
        "updated_at": at,
    }


def write_backlog(core_url: str, rows: int, users: int) -> None:
    """``rows`` sales, four per ``updated_at`` second (raw text without fraction on
    SQLite), each with one ``payment_infos`` row."""
    eng = make_core_engine(core_url, read_only=False)
    start = utcnow().replace(tzinfo=None, microsecond=0) - timedelta(hours=20)
    sqlite = eng.dialect.name == "sqlite"
    for lo in range(0, rows, 10_000):
        subs = []
        for i in range(lo, min(rows, lo + 10_000)):
            at = start + timedelta(seconds=i // 4)
            subs.append(sale(i, f"{at:%Y-%m-%d %H:%M:%S}" if sqlite else at, users))
        infos = [
            {
                "id": r["id"],
                "subscription_id": r["id"],
                "paid_price": Decimal("1000.00") + int(str(r["id"])) % 997,
                "currency": r["currency"],
                "created_at": r["created_at"],
            }
            for r in subs
        ]
        with eng.begin() as c:
            if sqlite:  # the sqlite3 module itself: SQLAlchemy would write .ffffff
                for table, values in ((t.subscriptions, subs), (t.payment_infos, infos)):
                    cols = list(values[0])
                    driver = c.connection.driver_connection
                    assert driver is not None
                    driver.executemany(
                        f"INSERT INTO {table.name} ({', '.join(cols)}) "
                        f"VALUES ({', '.join('?' * len(cols))})",
                        [
                            tuple(str(v) if isinstance(v, Decimal) else v for v in r.values())
                            for r in values
                        ],
                    )
            else:
                c.execute(insert(t.subscriptions), subs)
                c.execute(insert(t.payment_infos), infos)
    eng.dispose()


def backlog(
    kind: str, pg: str | None, rows: int, indexed: bool = True, read_ahead: int = 10
) -> dict[str, float]:
    with databases(kind, pg) as (wr_url, core_url):
        upgrade(wr_url)
        users = rows  # one sale per customer: no duplicates, everything is queued
        seed_core(core_url, users, indexed)
        write_backlog(core_url, rows, users)
        db = database_for_url(wr_url)
        core = CoreDatabase(core_url)
        settings = load_settings(data_dir=Path(tempfile.gettempdir()) / "wr-bench")
        worker = IngestWorker(db, core, settings, read_ahead=read_ahead)
        urls = (wr_url, core_url)
        s0 = server_cpu(pg, urls) if kind != "sqlite" and pg else {}
        t0, c0 = time.perf_counter(), time.process_time()
        done = 0
        while (n := worker.poll_once()) > 0:
            done += n
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0  # this process: the worker (the server is apart)
        s1 = server_cpu(pg, urls) if kind != "sqlite" and pg else {}
        # the worker's server backends (opened during the run: they start from 0)
        server = sum(v - s0.get(pid, 0.0) for pid, v in s1.items())
        with db.read() as s:
            queued = len(s.scalars(select(Event.id).where(Event.type == "queue.new")).all())
        core.dispose()
        db.dispose()
        assert queued == rows, (queued, rows)
        return {
            "rows": rows,
            "seconds": elapsed,
            "rows_per_s": rows / elapsed,
            "cpu_us_per_row": cpu / rows * 1e6,
            "server_us_per_row": server / rows * 1e6,
            "rss_mb": rss_mb(),
        }


def latency(kind: str, pg: str | None, inserts: int) -> dict[str, float]:
    with databases(kind, pg) as (wr_url, core_url):
        upgrade(wr_url)
        seed_core(core_url, inserts)
        db = database_for_url(wr_url)
        core = CoreDatabase(core_url)
        settings = load_settings(data_dir=Path(tempfile.gettempdir()) / "wr-bench")
        assert settings.poller_interval_ms == 2000
        committed: list[float] = []
        remove = add_commit_waker(lambda _events: committed.append(time.perf_counter()))
        stop = threading.Event()
        worker = IngestWorker(db, core, settings)
        th = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        th.start()
        time.sleep(0.5)
        eng = make_core_engine(core_url, read_only=False)
        rng = random.Random(1)
        samples: list[float] = []
        for i in range(inserts):
            time.sleep(rng.uniform(0.3, 2.5))
            before = len(committed)
            with eng.begin() as c:
                now = utcnow().replace(tzinfo=None)
                c.execute(insert(t.subscriptions).values(**sale(i, now, inserts)))
            t_insert = time.perf_counter()
            while len(committed) == before:
                time.sleep(0.001)
            samples.append((committed[before] - t_insert) * 1000)
        stop.set()
        th.join(10)
        remove()
        eng.dispose()
        core.dispose()
        db.dispose()
        q = statistics.quantiles(samples, n=20)
        return {
            "n": inserts,
            "p50_ms": statistics.median(samples),
            "p95_ms": q[18],
            "max_ms": max(samples),
        }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rows", type=int)
    p.add_argument("--pg", default=os.environ.get("WINROOM_TEST_POSTGRES_URL"))
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--pg-only", action="store_true", help="PostgreSQL only (no SQLite run)")
    p.add_argument("--cores", default="indexed", help="indexed,unindexed: core shapes")
    p.add_argument("--rounds", type=int, default=1, help="backlog rounds (shapes alternate)")
    p.add_argument(
        "--read-ahead",
        default="10",
        help="batches per core read, e.g. 1,10 to alternate both (1: a read per batch)",
    )
    args = p.parse_args()
    cores = [x.strip() for x in args.cores.split(",") if x.strip()]
    assert set(cores) <= {"indexed", "unindexed"}, cores
    aheads = [int(x) for x in args.read_ahead.split(",")]
    shapes = [(c, ra) for c in cores for ra in aheads]
    rows = args.rows or (10_000 if args.quick else 100_000)
    inserts = 10 if args.quick else 30
    kinds = ([] if args.pg_only and args.pg else ["sqlite"]) + (
        ["postgres", "pg+sqlite-core"] if args.pg else []
    )
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for rnd, kind, shape in [
        (n, kind, shape)
        for n in range(args.rounds)
        for kind in kinds
        for shape in (shapes if n % 2 == 0 else shapes[::-1])
    ]:
        before = load()
        r = backlog(kind, args.pg, rows, indexed=shape[0] == "indexed", read_ahead=shape[1])
        print(
            f"{time.strftime('%H:%M')} round {rnd + 1} {kind:14s} {shape[0]:9s} core, "
            f"read-ahead {shape[1]:2d}: "
            f"backlog {r['rows']:,} rows in {r['seconds']:.1f} s = "
            f"{r['rows_per_s']:,.0f} rows/s, worker CPU {r['cpu_us_per_row']:.0f} µs/row"
            + (f", server CPU {r['server_us_per_row']:.0f} µs/row" if kind != "sqlite" else "")
            + ", "
            f"peak RSS {r['rss_mb']:.0f} MB "
            f"(load {before} → {load()})",
            flush=True,
        )
    if not args.skip_latency:
        for kind in kinds:
            before = load()
            lat = latency(kind, args.pg, inserts)
            print(
                f"{kind:8s} INSERT→queue.new at 2000 ms: p50 {lat['p50_ms']:.0f} ms, "
                f"p95 {lat['p95_ms']:.0f} ms, max {lat['max_ms']:.0f} ms (n={lat['n']}) "
                f"(load {before} → {load()})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
