"""Claim-to-screen latency of the real-time service, beside its floor and the seed's relay.

For 50 and 200 connected Socket.IO clients, claims are made at a steady rate over HTTP;
the latency is from the start of each claim request to the ``claimed`` event at EVERY
client (p50/p95/p99 over all client×claim samples). In the same run:

- floor: a bare python-socketio server (same uvicorn, same process layout) whose HTTP
  endpoint broadcasts one event to the same number of clients — no database at all;
- peer: our server with the relay reduced to the seed's design (poll the events table
  every 500 ms, no commit wake-up, no LISTEN).

``--viewers distinct`` (default): each client is another seller's screen, so the claimer's
personal events (points, badges) reach one screen, as on a real floor; ``--viewers same``:
every client is the claiming seller (how the first version measured: 200 copies of every
personal event).

Then the claim request itself: p50/p95 with 10 sellers claiming concurrently, beside a
bare ``INSERT`` + ``COMMIT`` on the same database, and claims/s.

    .venv/bin/python bench/claim_to_screen.py [--quick] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import socketio
import uvicorn
from sqlalchemy import text

from backend.db.migrate import upgrade
from backend.runtime import Database, database_for_url
from backend.server import build, free_port, uvicorn_config
from backend.settings import load_settings
from tests.backend.realtime.support import add_item, add_seller
from tests.helpers.databases import truncate_all


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def fmt(xs: list[float]) -> str:
    return (
        f"p50 {pct(xs, 50):7.2f}  p95 {pct(xs, 95):7.2f}  p99 {pct(xs, 99):7.2f} ms (n={len(xs)})"
    )


class Served:
    """An ASGI app under uvicorn in a thread (as ``serve`` runs it)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)


async def connect_clients(
    url: str, n: int, tokens: list[str], on_claimed: Callable[[int, Any], None]
) -> list[socketio.AsyncClient]:
    clients = []
    for i in range(n):
        token = tokens[i % len(tokens)]
        c = socketio.AsyncClient(reconnection=False)

        def handler(data: Any, i: int = i) -> None:
            on_claimed(i, data)

        c.on("claimed", handler)
        await c.connect(url, auth={"token": token, "since": None}, transports=["websocket"])
        clients.append(c)
    return clients


async def measure(
    url: str,
    n: int,
    tokens: list[str],
    fire: Callable[[httpx.AsyncClient, int], Any],
    keys: list[int],
    rate: float,
    key_of: Callable[[Any], int],
) -> list[float]:
    """Fire one action per key at ``rate``/s; latency from fire start to arrival at each client."""
    started: dict[int, float] = {}
    arrivals: dict[int, list[float]] = {k: [] for k in keys}
    done = asyncio.Event()
    expected = len(keys) * n
    count = 0

    def on_claimed(_i: int, data: Any) -> None:
        nonlocal count
        k = key_of(data)
        if k in arrivals:
            arrivals[k].append(time.perf_counter())
            count += 1
            if count >= expected:
                done.set()

    clients = await connect_clients(url, n, tokens, on_claimed)
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        tasks = []
        for k in keys:
            started[k] = time.perf_counter()
            tasks.append(asyncio.create_task(fire(http, k)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
        try:
            await asyncio.wait_for(done.wait(), 20)
        except TimeoutError:
            print(f"  ! only {count}/{expected} deliveries arrived")
    for c in clients:
        await c.disconnect()
    return [(t - started[k]) * 1000 for k, ts in arrivals.items() for t in ts]


def floor_app() -> Any:
    sio = socketio.AsyncServer(async_mode="asgi")
    counter = {"id": 0}

    @sio.on("connect")
    async def _connect(sid: str, environ: Any, auth: Any) -> bool:
        return True

    async def http_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                await send({"type": msg["type"] + ".complete"})
                if msg["type"] == "lifespan.shutdown":
                    return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        key = int(body or b"0")
        counter["id"] += 1
        await sio.emit(
            "claimed", {"id": counter["id"], "type": "claimed", "payload": {"queue_id": key}}
        )
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return socketio.ASGIApp(sio, other_asgi_app=http_app)


def fresh(db: Database) -> None:
    truncate_all(db)


def run_latency(
    db: Database, data_dir: Path, n: int, claims: int, rate: float, viewers: str = "distinct"
) -> dict[str, list[float]]:
    settings = load_settings(
        data_dir=data_dir,
        database_url=db.engine.url.render_as_string(hide_password=False),
        jwt_secret="bench-secret-0123456789abcdef",
        claim_rate_limit="100000/minute",
    )
    out: dict[str, list[float]] = {}
    import backend.actions.claims as claims_mod

    game_on_claim = claims_mod.on_claim
    for mode in ("winroom", "winroom-core", "seed-500ms"):
        # winroom: as shipped (game rules in the claim); -core and seed: game rules off, so
        # the two relay designs are compared on the same claim path
        claims_mod.on_claim = game_on_claim if mode == "winroom" else (lambda *_a: None)
        fresh(db)
        _sid, tok = add_seller(db, settings, "bench@winroom.io", "Bench", "sales")
        # distinct: every client is another seller's screen (the claimer's personal events,
        # points and badges, go to the claimer only, as on a real floor); same: every client
        # is the claimer (the first version of this benchmark: 200× the personal events)
        tokens = (
            [tok]
            if viewers == "same"
            else [
                add_seller(db, settings, f"v{i}@winroom.io", f"Viewer {i}", "sales")[1]
                for i in range(n)
            ]
        )
        keys = [add_item(db, email=f"c{i}@mail.com") for i in range(claims)]
        app = build(settings, db)
        if mode == "seed-500ms":
            app.relay.poll_interval = 0.5
            app.relay.wake_threadsafe = lambda: None  # type: ignore[method-assign]
            app.relay.is_postgres = False  # no LISTEN either
        served = Served(app.asgi)
        try:

            async def fire(http: httpx.AsyncClient, k: int, tok: str = tok) -> None:
                r = await http.post(
                    "/api/claim",
                    json={"queue_id": k, "claim_type": "first_sales"},
                    headers={"Authorization": f"Bearer {tok}"},
                )
                assert r.status_code == 201, r.text

            out[mode] = asyncio.run(
                measure(served.url, n, tokens, fire, keys, rate, lambda d: d["payload"]["queue_id"])
            )
        finally:
            served.stop()
    claims_mod.on_claim = game_on_claim
    served = Served(floor_app())
    try:

        async def fire_floor(http: httpx.AsyncClient, k: int) -> None:
            await http.post("/emit", content=str(k).encode())

        out["floor"] = asyncio.run(
            measure(
                served.url,
                n,
                ["x"],
                fire_floor,
                list(range(1, claims + 1)),
                rate,
                lambda d: d["payload"]["queue_id"],
            )
        )
    finally:
        served.stop()
    return out


def run_claim_requests(
    db: Database, data_dir: Path, sellers: int, per_seller: int
) -> dict[str, Any]:
    settings = load_settings(
        data_dir=data_dir,
        database_url=db.engine.url.render_as_string(hide_password=False),
        jwt_secret="bench-secret-0123456789abcdef",
        claim_rate_limit="100000/minute",
    )
    fresh(db)
    tokens = [
        add_seller(db, settings, f"s{i}@winroom.io", f"S{i}", "sales")[1] for i in range(sellers)
    ]
    items = [
        [add_item(db, email=f"c{i}-{j}@mail.com") for j in range(per_seller)]
        for i in range(sellers)
    ]
    app = build(settings, db)
    served = Served(app.asgi)
    lat: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(sellers)

    def seller(i: int) -> None:
        with httpx.Client(base_url=served.url, timeout=30) as http:
            http.get("/healthz")
            barrier.wait()
            for qid in items[i]:
                t0 = time.perf_counter()
                r = http.post(
                    "/api/claim",
                    json={"queue_id": qid, "claim_type": "first_sales"},
                    headers={"Authorization": f"Bearer {tokens[i]}"},
                )
                dt = (time.perf_counter() - t0) * 1000
                assert r.status_code == 201, r.text
                with lock:
                    lat.append(dt)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=seller, args=(i,)) for i in range(sellers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    served.stop()

    # the floor: a bare INSERT + COMMIT per request, same concurrency, same database
    with db.engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS bench_insert (id INTEGER PRIMARY KEY, v TEXT)"))
        c.execute(text("DELETE FROM bench_insert"))
    ins: list[float] = []
    counter = iter(range(1, 10**9))
    ids_lock = threading.Lock()

    def inserter() -> None:
        for _ in range(per_seller):
            with ids_lock:
                k = next(counter)
            t = time.perf_counter()
            with db.engine.begin() as c:
                c.execute(text("INSERT INTO bench_insert (id, v) VALUES (:i, 'x')"), {"i": k})
            with lock:
                ins.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=inserter) for _ in range(sellers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.engine.begin() as c:
        c.execute(text("DROP TABLE bench_insert"))
    return {"claim": lat, "insert": ins, "claims_per_s": len(lat) / wall}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="a short run")
    p.add_argument(
        "--postgres",
        default=os.environ.get("WINROOM_TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL (a throwaway database is created on it)",
    )
    p.add_argument("--clients", default="50,200")
    p.add_argument(
        "--viewers",
        choices=["distinct", "same"],
        default="distinct",
        help="clients are other sellers (distinct) or all the claiming seller (same)",
    )
    args = p.parse_args()
    claims = 10 if args.quick else 40
    rate = 5.0
    per_seller = 10 if args.quick else 40
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; viewers {args.viewers}"
    )
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmp = Path(tempfile.mkdtemp(prefix="wr-bench-"))
    targets: list[tuple[str, Database, Callable[[], None]]] = []
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    sqlite_db = database_for_url(url)
    targets.append(("sqlite", sqlite_db, sqlite_db.dispose))
    if args.postgres:
        from tests.helpers.databases import fresh_postgres_database

        gen = fresh_postgres_database(args.postgres)
        pg_url = next(gen)
        upgrade(pg_url)
        pg_db = database_for_url(pg_url)

        def close_pg() -> None:
            pg_db.dispose()
            for _ in gen:
                pass

        targets.append(("postgres", pg_db, close_pg))
    try:
        for name, db, _close in targets:
            print(f"\n== {name} ==")
            for n in (int(x) for x in args.clients.split(",")):
                res = run_latency(db, tmp, n, claims, rate, args.viewers)
                print(f"claim-to-screen, {n} clients, {claims} claims at {rate}/s:")
                for mode in ("floor", "winroom", "winroom-core", "seed-500ms"):
                    print(f"  {mode:12s} {fmt(res[mode])}")
                f99, w99, c99, s99 = (
                    pct(res[m], 99) for m in ("floor", "winroom", "winroom-core", "seed-500ms")
                )
                print(
                    f"  p99 ratios: core/floor {c99 / f99:.2f}x, full/floor {w99 / f99:.2f}x, "
                    f"seed/core {s99 / c99:.1f}x, seed/full {s99 / w99:.1f}x"
                )
            import backend.actions.claims as claims_mod

            game_on_claim = claims_mod.on_claim
            for label in ("with game rules", "game rules off"):
                claims_mod.on_claim = (
                    game_on_claim if label == "with game rules" else (lambda *_a: None)
                )
                cr = run_claim_requests(db, tmp, 10, per_seller)
                print(
                    f"claim request ({label}), 10 sellers concurrently: {fmt(cr['claim'])}; "
                    f"{cr['claims_per_s']:.0f} claims/s"
                )
            claims_mod.on_claim = game_on_claim
            print(f"bare INSERT+COMMIT, 10 threads: {fmt(cr['insert'])}")
    finally:
        for _n, _db, close in targets:
            close()
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
