"""Ten claims at the same instant: one instance against four (CONTRACT §7, issue 24).

Four ``winroom-backend serve`` processes on one throwaway PostgreSQL database and one Redis.
Each round puts ten pending items on the queue, then ten sellers press claim at the same
instant (a thread barrier, one HTTP connection each). Rounds alternate between sending all
ten to instance 1 ("one instance") and spreading them over the four ("four instances"), so
both see the same machine, database and load. Prints p50/p95 per mode, the takeover time of
ingestion after ``kill -9`` of one instance, and a line for ``docs/benchmarks.md``.

    .venv/bin/python bench/instances.py [--rounds 30] [--postgres URL] [--redis URL]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.auth import issue_token  # noqa: E402
from backend.models import QueueItem, Seller  # noqa: E402
from backend.runtime import database_for_url  # noqa: E402
from backend.server import free_port  # noqa: E402
from backend.settings import load_settings  # noqa: E402
from tests.backend.ingest.core_fixtures import CoreWriter  # noqa: E402
from tests.backend.realtime.support import JWT_SECRET, add_item, fast_hash  # noqa: E402
from tests.helpers.databases import fresh_postgres_database, migrate_url  # noqa: E402

SELLERS = 10


def start(env: dict[str, str], data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
        env=dict(env, WINROOM_DATA_DIR=str(data / f"i{port}")),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("an instance did not start")
        time.sleep(0.1)


def burst(urls: list[str], tokens: list[str], items: list[int]) -> list[float]:
    barrier = threading.Barrier(len(items))
    out: list[float] = [0.0] * len(items)
    clients = [httpx.Client(timeout=30) for _ in items]
    for i, c in enumerate(clients):  # open the connections before the instant
        c.get(f"{urls[i % len(urls)]}/healthz")

    def one(i: int) -> None:
        url = urls[i % len(urls)]
        barrier.wait()
        t0 = time.perf_counter()
        r = clients[i].post(
            f"{url}/api/claim",
            json={"queue_id": items[i], "claim_type": "first_sales"},
            headers={"Authorization": f"Bearer {tokens[i]}"},
        )
        out[i] = (time.perf_counter() - t0) * 1000
        assert r.status_code == 201, r.text

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument(
        "--postgres",
        default=os.environ.get(
            "WINROOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    ap.add_argument(
        "--redis", default=os.environ.get("WINROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for url in fresh_postgres_database(args.postgres):
            migrate_url(url)
            db = database_for_url(url)
            settings = load_settings(data_dir=tmp, database_url=url, jwt_secret=JWT_SECRET)
            tokens = []
            with db.transaction() as s:
                for i in range(SELLERS):
                    seller = Seller(
                        email=f"s{i}@bench.io",
                        name=f"S{i}",
                        role="sales",
                        password_hash=fast_hash(),
                    )
                    s.add(seller)
                    s.flush()
                    tokens.append(issue_token(settings, seller))
            core = CoreWriter(f"sqlite:///{tmp / 'core.db'}")
            core.campaign(1)
            env = {k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")}
            env.update(
                WINROOM_DATABASE_URL=url,
                WINROOM_CORE_DATABASE_URL=core.url,
                WINROOM_REDIS_URL=args.redis,
                WINROOM_JWT_SECRET=JWT_SECRET,
                WINROOM_POLLER_INTERVAL_MS="500",
                WINROOM_CLAIM_RATE_LIMIT="100000/minute",
                PYTHONPATH=str(ROOT),
            )
            procs = [start(env, tmp) for _ in range(4)]
            urls = [u for _, u in procs]
            try:
                lat: dict[str, list[float]] = {"one": [], "four": []}
                for r in range(args.rounds):
                    mode = ("one", "four")[r % 2]
                    items = [add_item(db, email=f"r{r}c{i}@x.io") for i in range(SELLERS)]
                    lat[mode] += burst(urls[:1] if mode == "one" else urls, tokens, items)
                # takeover: kill -9 three instances, time the next backlog's ingestion
                with db.transaction() as s:
                    before = int(s.scalar(select(func.count()).select_from(QueueItem)) or 0)
                for proc, _ in procs[:3]:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                t0 = time.monotonic()
                for i in range(20):
                    core.sub(user_id=core.user(1000 + i))
                while True:
                    with db.transaction() as s:
                        n = int(s.scalar(select(func.count()).select_from(QueueItem)) or 0)
                    if n >= before + 20:
                        break
                    time.sleep(0.05)
                takeover = time.monotonic() - t0
            finally:
                for proc, _ in procs:
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGTERM)
                for proc, _ in procs:
                    proc.wait(timeout=30)
                core.dispose()
                db.dispose()
            load = os.getloadavg()[0]
            for mode, vals in lat.items():
                print(
                    f"{mode:>5} instance(s): {len(vals)} claims, p50 {p(vals, 50):.1f} ms,"
                    f" p95 {p(vals, 95):.1f} ms"
                )
            print(
                f"ingestion after kill -9 of 3 of 4 instances: backlog queued in {takeover:.2f} s"
            )
            print(
                f"| 24 instances | ten claims at one instant, p95, 4 instances | ≤ 40 ms |"
                f" {p(lat['four'], 95):.1f} ms (load {load:.1f}) | {p(lat['one'], 95):.1f} ms"
                " on one instance | |"
            )


if __name__ == "__main__":
    main()
