"""A busy day through the real server: server CPU per event from the first to the last tenth.

``winroom-backend serve`` runs in its own process (with its ingest worker and jobs) on a
fresh Win Room database (SQLite, or a throwaway PostgreSQL database with ``--postgres``)
and a SQLite core database. This process plays the floor:

- the simulator's own code (``backend.simulate.FloorSimulator``) writes ``--sales`` sales
  into the core database at a steady ``--rate`` (sales/s, duplicates and late payments
  included, as ``winroom-backend simulate`` does); the server's worker ingests them;
- the demo sellers claim ``--share`` of what arrives (``queue.new`` → ``POST /api/claim``
  over HTTP after 0–2 s, one connection per seller);
- ``--tvs`` TV sockets (device token) refetch the five boards of the TV's playlist on every
  ``leaderboard:refresh``, as the TV app does; two seller sockets listen.

After each tenth of the sales it samples the server process (psutil ``cpu_times``, RSS) and
the events appended so far (``max(events.id)``), and prints server CPU per event per tenth
and the ratio last/first tenth (target: within 20 %). ``BENCH_PROFILE=DIR`` runs the
server under yappi and writes a profile of each tenth there (``tenth-N.pstat``).

    .venv/bin/python bench/busy_day.py [--sales 20000] [--rate 40] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
import psutil
import socketio
from provenance import print_provenance
from sqlalchemy import func, select

from backend.db.migrate import upgrade
from backend.db.types import utcnow
from backend.demo_data import seed_demo
from backend.models import Event
from backend.runtime import Database, database_for_url
from backend.server import free_port
from backend.simulate import FloorSimulator, prepare_core

ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "bench-secret-0123456789abcdef-0123456789"
PLAYLIST = (
    "/api/leaderboard/revenue?period=today",
    "/api/leaderboard/wins?period=today",
    "/api/leaderboard/margin?period=today",
    "/api/leaderboard/conversion?period=15d",
    "/api/leaderboard/revenue?period=month",
)


# -- the server process --------------------------------------------------------------------
def child_main(argv: list[str]) -> int:
    """``winroom-backend serve`` in this process; with ``BENCH_PROFILE`` under yappi (SIGUSR1
    writes the profile so far to ``BENCH_PROFILE/tenth-N.pstat`` and starts a new one), with
    ``BENCH_TRACEMALLOC`` under tracemalloc (SIGUSR2 writes a snapshot)."""
    from backend.cli import main

    prof_dir = os.environ.get("BENCH_PROFILE")
    snap_dir = os.environ.get("BENCH_TRACEMALLOC")
    counter = {"p": 0, "s": 0}
    if prof_dir:
        import yappi

        yappi.set_clock_type("cpu")
        yappi.start(builtins=False)

        def dump_profile(*_a: Any) -> None:
            counter["p"] += 1
            yappi.get_func_stats().save(f"{prof_dir}/tenth-{counter['p']}.pstat", "pstat")
            yappi.clear_stats()

        signal.signal(signal.SIGUSR1, dump_profile)
    if snap_dir and not os.environ.get("BENCH_MEMSTATS"):
        import tracemalloc

        tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "12")))

        def dump_snapshot(*_a: Any) -> None:
            counter["s"] += 1
            tracemalloc.take_snapshot().dump(f"{snap_dir}/snap-{counter['s']}.tm")

        signal.signal(signal.SIGUSR2, dump_snapshot)
    if os.environ.get("BENCH_FAKE_CLOCK"):
        install_fake_clock(Path(os.environ["BENCH_FAKE_CLOCK"]))
    if os.environ.get("BENCH_MEMSTATS"):
        if snap_dir:
            import tracemalloc

            tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "12")))
        install_memstats(Path(os.environ["BENCH_MEMSTATS"]))
    return main(argv)


def install_fake_clock(path: Path) -> None:
    """Bench only: ``backend.db.types.utcnow`` (the backend's one "now") returns the real
    time plus the seconds in ``path``, re-read on SIGHUP (days pass in minutes). Its code
    object is swapped, so every module that imported the function sees it."""
    from datetime import timedelta

    import backend.db.types as types_mod

    types_mod.__dict__["_bench_offset"] = float(path.read_text() or 0)
    types_mod.__dict__["_bench_timedelta"] = timedelta

    def fake() -> Any:
        return datetime.now(UTC) + _bench_timedelta(seconds=_bench_offset)  # type: ignore[name-defined]  # noqa: F821

    types_mod.utcnow.__code__ = fake.__code__

    def reload(*_a: Any) -> None:
        types_mod.__dict__["_bench_offset"] = float(path.read_text() or 0)

    signal.signal(signal.SIGHUP, reload)


def install_memstats(path: Path) -> None:
    """SIGUSR2 appends one JSON line to ``path``: RSS, SQLite's own heap, glibc's heap in use
    and mapped, Python objects tracked by the collector, threads."""
    import ctypes
    import ctypes.util
    import gc
    import sqlite3  # noqa: F401 - loads the library

    libs = [ctypes.util.find_library("sqlite3"), None]
    sqlite_used: Any = None
    for name in libs:
        with contextlib.suppress(OSError, AttributeError):
            fn = ctypes.CDLL(name).sqlite3_memory_used
            fn.restype = ctypes.c_int64
            sqlite_used = fn
            break

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (n, ctypes.c_size_t)
            for n in (
                "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                "uordblks", "fordblks", "keepcost",
            )
        ]  # fmt: skip

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2

    def dump(*_a: Any) -> None:
        mi = libc.mallinfo2()
        line = {
            "rss_mb": psutil.Process().memory_info().rss / 2**20,
            "sqlite_mb": (sqlite_used() / 2**20) if sqlite_used else None,
            "malloc_in_use_mb": (mi.uordblks + mi.hblkhd) / 2**20,
            "malloc_free_mb": mi.fordblks / 2**20,
            "gc_objects": len(gc.get_objects()),
            "threads": threading.active_count(),
        }
        import tracemalloc

        if tracemalloc.is_tracing():  # BENCH_TRACEMALLOC too: a snapshot beside each line
            line["traced_mb"] = tracemalloc.get_traced_memory()[0] / 2**20
            n = sum(1 for _ in path.parent.glob("snap-*.tm")) + 1
            tracemalloc.take_snapshot().dump(str(path.parent / f"snap-{n}.tm"))
        with path.open("a") as f:
            f.write(json.dumps(line) + "\n")

    signal.signal(signal.SIGUSR2, dump)


@dataclass
class ServerProcess:
    db_url: str
    core_url: str
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            WINROOM_DATABASE_URL=self.db_url,
            WINROOM_CORE_DATABASE_URL=self.core_url,
            WINROOM_DATA_DIR=str(self.data_dir),
            WINROOM_JWT_SECRET=JWT_SECRET,
            WINROOM_CLAIM_RATE_LIMIT="100000/minute",
            WINROOM_POLLER_INTERVAL_MS="200",
        )
        env.update(self.extra_env)
        log = open(self.data_dir / "server.out", "wb")  # noqa: SIM115 - lives with the process
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-child", "serve", "--port", str(self.port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        import httpx

        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.data_dir / 'server.out').read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def sample(self) -> tuple[float, float]:
        """(CPU seconds so far, RSS MB) of the server process."""
        assert self.proc is not None
        p = psutil.Process(self.proc.pid)
        t = p.cpu_times()
        return t.user + t.system, p.memory_info().rss / 2**20

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- databases ----------------------------------------------------------------------------
@contextlib.contextmanager
def winroom_database(kind: str, tmp: Path, pg_base: str | None) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'winroom.db'}"
        return
    assert pg_base
    from tests.helpers.databases import fresh_postgres_database

    gen = fresh_postgres_database(pg_base)
    url = next(gen)
    try:
        yield url
    finally:
        for _ in gen:
            pass


def seed(db_url: str) -> tuple[Database, dict[str, Any]]:
    upgrade(db_url)
    db = database_for_url(db_url)
    with db.transaction() as s:
        demo = seed_demo(s, utcnow())
    return db, {"sellers": demo.sellers, "tv_token": demo.tv_token}


def max_event_id(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.max(Event.id))) or 0)


# -- the floor ----------------------------------------------------------------------------
class Floor:
    """HTTP sellers, TV and seller sockets against one server."""

    def __init__(self, url: str, sellers: list[dict[str, str]], tv_token: str, rng: random.Random):
        self.url = url
        self.accounts = sellers
        self.tv_token = tv_token
        self.rng = rng
        self.tokens: list[str] = []
        self.http: aiohttp.ClientSession | None = None
        self.sockets: list[socketio.AsyncClient] = []
        self.claims = 0
        self.claim_errors = 0
        self.board_gets = 0
        self.queue_new = 0
        self.tasks: set[asyncio.Task[Any]] = set()
        self.share = 0.3
        self.tv_http: list[aiohttp.ClientSession] = []
        self.refreshing: dict[int, bool] = {}  # TV -> a refresh is due after the running one
        self.errors = 0

    async def login(self) -> None:
        self.http = aiohttp.ClientSession(self.url)
        for a in self.accounts:
            async with self.http.post(
                "/api/auth/login", json={"email": a["email"], "password": a["password"]}
            ) as r:
                r.raise_for_status()
                self.tokens.append((await r.json())["token"])

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def connect(self, tvs: int, sellers: int) -> None:
        for i in range(tvs):
            sio = socketio.AsyncClient(reconnection=True)
            if i == 0:
                sio.on("queue.new", self._on_queue_new)
            self.tv_http.append(aiohttp.ClientSession(self.url))

            async def on_refresh(_env: dict[str, Any], tv: int = i) -> None:
                self._on_refresh(tv)

            sio.on("leaderboard:refresh", on_refresh)
            await sio.connect(
                self.url, auth={"token": self.tv_token, "since": None}, transports=["websocket"]
            )
            self.sockets.append(sio)
        for i in range(sellers):
            sio = socketio.AsyncClient(reconnection=True)
            await sio.connect(
                self.url, auth={"token": self.tokens[i], "since": None}, transports=["websocket"]
            )
            self.sockets.append(sio)

    async def _on_queue_new(self, env: dict[str, Any]) -> None:
        self.queue_new += 1
        if self.rng.random() < self.share:
            self.spawn(self._claim(int(env["payload"]["item"]["id"]), self.rng.uniform(0, 2)))

    def _on_refresh(self, tv: int) -> None:
        """The TV refetches its playlist's boards; a TV (one machine) has one refetch in
        flight, and the hints that arrive meanwhile make one more after it."""
        if tv in self.refreshing:
            self.refreshing[tv] = True
            return
        self.refreshing[tv] = False
        self.spawn(self._refresh(tv))

    async def _refresh(self, tv: int) -> None:
        http = self.tv_http[tv]
        headers = {"Authorization": f"Bearer {self.tv_token}"}
        while True:
            try:
                for path in PLAYLIST:
                    async with http.get(path, headers=headers) as r:
                        await r.read()
                        self.board_gets += 1
            except (TimeoutError, aiohttp.ClientError):
                self.errors += 1
            if not self.refreshing.pop(tv):
                return
            self.refreshing[tv] = False

    async def _claim(self, queue_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        assert self.http is not None
        token = self.rng.choice(self.tokens)
        try:
            async with self.http.post(
                "/api/claim",
                json={"queue_id": queue_id, "claim_type": "first_sales"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            ) as r:
                await r.read()
                if r.status == 201:
                    self.claims += 1
                else:
                    self.claim_errors += 1
        except (TimeoutError, aiohttp.ClientError):
            self.errors += 1

    async def close(self) -> None:
        for sio in self.sockets:
            with contextlib.suppress(Exception):
                await sio.disconnect()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=10)
        for http in [self.http, *self.tv_http]:
            if http is not None:
                await http.close()


def feed_sales(core_url: str, count: int, rate: float, written: list[int], seed: int) -> None:
    """Write ``count`` sales at ``rate``/s with the simulator's code (``written[0]`` counts)."""
    sim = FloorSimulator(prepare_core(core_url), seed=seed)
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        sim.write_sale()
        written[0] = i + 1


def tenth_table(rows: list[dict[str, Any]]) -> str:
    out = ["tenth | sales | events | claims | server CPU s | ms/event | RSS MB"]
    for r in rows:
        out.append(
            f"{r['tenth']:>5} | {r['sales']:>5} | {r['events']:>6} | {r['claims']:>6} | "
            f"{r['cpu']:>12.2f} | {r['ms_per_event']:>8.2f} | {r['rss']:>6.1f}"
        )
    return "\n".join(out)


async def run_day(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="busy-day-"))
    prof = os.environ.get("BENCH_PROFILE")
    snaps = os.environ.get("BENCH_TRACEMALLOC")
    with winroom_database(kind, tmp, args.postgres) as db_url:
        db, demo = seed(db_url)
        core_url = f"sqlite:///{tmp / 'core.db'}"
        prepare_core(core_url).dispose()
        server = ServerProcess(db_url, core_url, tmp)
        server.start()
        floor = Floor(server.url, demo["sellers"], demo["tv_token"], random.Random(7))
        floor.share = args.share
        try:
            await floor.login()
            await floor.connect(args.tvs, 2)
            written = [0]
            feeder = threading.Thread(
                target=feed_sales,
                args=(core_url, args.sales, args.rate, written, 11),
                daemon=True,
            )
            cpu0, _rss0 = server.sample()
            ev0 = max_event_id(db)
            t0 = time.monotonic()
            feeder.start()
            rows: list[dict[str, Any]] = []
            step = args.sales / 10
            prev = (cpu0, ev0, 0, 0)
            for tenth in range(1, 11):
                target = round(step * tenth)
                while written[0] < target and feeder.is_alive():
                    await asyncio.sleep(0.1)
                if tenth == 10:  # let the worker and the claims catch up
                    await asyncio.sleep(3)
                cpu, rss = server.sample()
                if prof:
                    server.signal(signal.SIGUSR1)
                if snaps:
                    server.signal(signal.SIGUSR2)
                ev = max_event_id(db)
                d_ev = ev - prev[1]
                rows.append(
                    {
                        "tenth": tenth,
                        "sales": written[0] - prev[2],
                        "events": d_ev,
                        "claims": floor.claims - prev[3],
                        "cpu": cpu - prev[0],
                        "ms_per_event": 1000 * (cpu - prev[0]) / max(d_ev, 1),
                        "rss": rss,
                        "t": time.monotonic() - t0,
                    }
                )
                print(f"  [{kind}] {tenth_table(rows[-1:]).splitlines()[1]}", flush=True)
                prev = (cpu, ev, written[0], floor.claims)
            feeder.join()
        finally:
            await floor.close()
            server.stop()
            db.dispose()
    first, last = rows[0]["ms_per_event"], rows[-1]["ms_per_event"]
    return {
        "kind": kind,
        "rows": rows,
        "ratio": last / first if first else float("nan"),
        "claims": floor.claims,
        "claim_errors": floor.claim_errors,
        "board_gets": floor.board_gets,
        "errors": floor.errors,
        "queue_new": floor.queue_new,
        "seconds": rows[-1]["t"],
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-child":
        return child_main(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sales", type=int, default=20000)
    p.add_argument("--rate", type=float, default=40.0, help="sales per second")
    p.add_argument("--share", type=float, default=0.3, help="share of the sales claimed")
    p.add_argument("--tvs", type=int, default=2)
    p.add_argument("--postgres", help="base URL; a throwaway database is created beside it")
    p.add_argument("--no-sqlite", action="store_true")
    p.add_argument("--quick", action="store_true", help="2,000 sales")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    if args.quick:
        args.sales = 2000
    print_provenance(f"{args.sales} sales at {args.rate}/s, {args.share:.0%} claimed")
    kinds = ([] if args.no_sqlite else ["sqlite"]) + (["postgres"] if args.postgres else [])
    results = []
    for kind in kinds:
        r = asyncio.run(run_day(kind, args))
        results.append(r)
        print(
            f"\n{kind}: {r['seconds']:.0f} s, {r['claims']} claims ({r['claim_errors']} refused),"
        )
        print(
            f"  {r['queue_new']} queue.new seen, {r['board_gets']} board GETs by the TVs, {r['errors']} errors"
        )
        print(tenth_table(r["rows"]))
        ok = "met" if r["ratio"] <= 1.2 else "NOT met"
        print(f"  server CPU per event, last tenth / first: {r['ratio']:.2f} (≤ 1.20: {ok})\n")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
