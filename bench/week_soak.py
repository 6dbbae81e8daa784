"""A busy floor's week, compressed: backend RSS from the first to the last tenth.

``winroom-backend serve`` in its own process (``bench/busy_day.py``'s child, with its
worker and jobs) on a fresh Win Room database (SQLite, or PostgreSQL with ``--postgres``;
``--redis URL`` sets ``WINROOM_REDIS_URL``), a SQLite core database, and:

- ``--sellers`` sellers (the demo's plus generated ones), all logged in; they claim
  ``--share`` of the sales over HTTP, and one of them posts a chat message every
  ``--chat-every`` sales; ``--seller-sockets`` of them keep a socket open;
- ``--tvs`` TV sockets, each with its own device token; two of them refetch the TV's
  board playlist on every ``leaderboard:refresh``; four times a simulated day a quarter of
  them drop and reconnect with ``since`` (the replay);
- ``--sales`` sales written with the simulator's code over ``--days`` simulated days.

Days pass in minutes: the server's ``utcnow`` (the backend's one "now",
``backend.db.types``) is shifted by an offset this process moves (bench only:
``busy_day.install_fake_clock``): each day runs from 09:00 local, jumps to 18:05 (the day
close) after 60 % of its sales, and the next day starts at 09:00, so the daily jobs, the
midnight roll-over and event pruning (``WINROOM_EVENT_RETENTION_DAYS``) run as in a week.
After each tenth of the sales it prints the server's RSS, SQLite's and malloc's heaps and
the collector's objects (``busy_day.install_memstats``). Target: last tenth's RSS within
10 % of the first's.

    .venv/bin/python bench/week_soak.py [--sales 50000] [--postgres URL] [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
import socketio
from busy_day import PLAYLIST, ServerProcess, max_event_id, winroom_database
from provenance import print_provenance

from backend.accounts import create_user, issue_device_token
from backend.db.migrate import upgrade
from backend.db.types import utcnow
from backend.demo_data import DEMO_PASSWORD, seed_demo
from backend.runtime import Database, database_for_url
from backend.settings import load_settings
from backend.simulate import FloorSimulator, prepare_core

WORDS = ("harika", "süper", "tebrikler", "devam", "bravo", "great", "nice", "go", "team")


def seed(db_url: str, sellers: int, tvs: int) -> tuple[Database, list[dict[str, str]], list[str]]:
    upgrade(db_url)
    db = database_for_url(db_url)
    with db.transaction() as s:
        demo = seed_demo(s, utcnow())
        accounts = list(demo.sellers)
        for i in range(len(accounts), sellers):
            email = f"seller{i:03d}@winroom.io"
            create_user(
                s, email=email, name=f"Seller {i:03d}", role="sales", password=DEMO_PASSWORD
            )
            accounts.append({"email": email, "password": DEMO_PASSWORD})
        tokens = [issue_device_token(s, f"Floor TV {i:02d}") for i in range(tvs)]
    return db, accounts[:sellers], tokens


class WeekFloor:
    def __init__(self, url: str, rng: random.Random, share: float) -> None:
        self.url = url
        self.rng = rng
        self.share = share
        self.http: aiohttp.ClientSession | None = None
        self.tokens: list[str] = []
        self.tvs: list[tuple[socketio.AsyncClient, str]] = []
        self.tv_last: dict[int, int] = {}
        self.tv_http: dict[int, aiohttp.ClientSession] = {}
        self.refreshing: dict[int, bool] = {}
        self.seller_socks: list[socketio.AsyncClient] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.claims = self.chats = self.reconnects = self.errors = self.board_gets = 0

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def login(self, accounts: list[dict[str, str]]) -> None:
        self.http = aiohttp.ClientSession(self.url, connector=aiohttp.TCPConnector(limit=50))
        for a in accounts:
            async with self.http.post(
                "/api/auth/login", json={"email": a["email"], "password": a["password"]}
            ) as r:
                r.raise_for_status()
                self.tokens.append((await r.json())["token"])

    async def _tv_socket(self, i: int, token: str) -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=True)

        async def any_event(_name: str, data: Any = None) -> None:
            if isinstance(data, dict) and isinstance(data.get("id"), int):
                self.tv_last[i] = max(self.tv_last.get(i, 0), data["id"])
                claim = i == 0 and data.get("type") == "queue.new"
                if claim and self.rng.random() < self.share:
                    self.spawn(self._claim(int(data["payload"]["item"]["id"])))
                if i in self.tv_http and data.get("type") == "leaderboard:refresh":
                    self._refresh(i)

        sio.on("*", any_event)
        since = self.tv_last.get(i)
        await sio.connect(self.url, auth={"token": token, "since": since}, transports=["websocket"])
        return sio

    async def connect(self, tv_tokens: list[str], seller_sockets: int) -> None:
        for i, token in enumerate(tv_tokens):
            if i < 2:
                self.tv_http[i] = aiohttp.ClientSession(self.url)
            self.tvs.append((await self._tv_socket(i, token), token))
        for i in range(seller_sockets):
            sio = socketio.AsyncClient(reconnection=True)
            await sio.connect(
                self.url, auth={"token": self.tokens[i], "since": None}, transports=["websocket"]
            )
            self.seller_socks.append(sio)

    async def reconnect_some(self, n: int) -> None:
        for i in self.rng.sample(range(len(self.tvs)), n):
            sio, token = self.tvs[i]
            with contextlib.suppress(Exception):
                await sio.disconnect()
            try:
                self.tvs[i] = (await self._tv_socket(i, token), token)
                self.reconnects += 1
            except Exception:
                self.errors += 1

    def _refresh(self, tv: int) -> None:
        if tv in self.refreshing:
            self.refreshing[tv] = True
            return
        self.refreshing[tv] = False
        self.spawn(self._refetch(tv))

    async def _refetch(self, tv: int) -> None:
        token = self.tvs[tv][1]
        while True:
            try:
                for path in PLAYLIST:
                    async with self.tv_http[tv].get(
                        path, headers={"Authorization": f"Bearer {token}"}
                    ) as r:
                        await r.read()
                        self.board_gets += 1
            except (TimeoutError, aiohttp.ClientError):
                self.errors += 1
            if not self.refreshing.pop(tv):
                return
            self.refreshing[tv] = False

    async def _post(self, path: str, body: dict[str, Any], token: str) -> int:
        assert self.http is not None
        try:
            async with self.http.post(
                path,
                json=body,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            ) as r:
                await r.read()
                return r.status
        except (TimeoutError, aiohttp.ClientError):
            self.errors += 1
            return 0

    async def _claim(self, queue_id: int) -> None:
        await asyncio.sleep(self.rng.uniform(0, 2))
        body = {"queue_id": queue_id, "claim_type": "first_sales"}
        if await self._post("/api/claim", body, self.rng.choice(self.tokens)) == 201:
            self.claims += 1

    def chat(self) -> None:
        text = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(2, 6)))
        text += f" {self.rng.randint(1, 10**6)}"

        async def go() -> None:
            if (
                await self._post("/api/chats", {"message": text}, self.rng.choice(self.tokens))
                == 201
            ):
                self.chats += 1

        self.spawn(go())

    async def close(self) -> None:
        for sio in [s for s, _ in self.tvs] + self.seller_socks:
            with contextlib.suppress(Exception):
                await sio.disconnect()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=10)
        for http in [self.http, *self.tv_http.values()]:
            if http is not None:
                await http.close()


def local_at(day0: datetime, tz: Any, day: int, hour: int, minute: int) -> datetime:
    d = (day0 + timedelta(days=day)).date()
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=tz)


async def run_week(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="week-soak-"))
    tz = load_settings(require_jwt_secret=False).tz
    clock_file = tmp / "clock"
    memstats = tmp / "memstats.jsonl"
    offset = [0.0]

    def set_clock(at: datetime) -> None:
        offset[0] = (at - utcnow()).total_seconds()
        clock_file.write_text(str(offset[0]))

    day0 = utcnow().astimezone(tz)
    set_clock(local_at(day0, tz, 0, 9, 0))
    with winroom_database(kind, tmp, args.postgres) as db_url:
        db, accounts, tv_tokens = seed(db_url, args.sellers, args.tvs)
        core_url = f"sqlite:///{tmp / 'core.db'}"
        core = prepare_core(core_url)
        env = {"BENCH_FAKE_CLOCK": str(clock_file), "BENCH_MEMSTATS": str(memstats)}
        if args.redis:
            env["WINROOM_REDIS_URL"] = args.redis
        server = ServerProcess(db_url, core_url, tmp, extra_env=env)
        server.start()
        floor = WeekFloor(server.url, random.Random(5), args.share)
        sim = FloorSimulator(
            core,
            seed=3,
            clock=lambda: utcnow() + timedelta(seconds=offset[0]),
            seller_emails=tuple(a["email"] for a in accounts),
        )
        rows: list[dict[str, Any]] = []
        try:
            await floor.login(accounts)
            await floor.connect(tv_tokens, args.seller_sockets)
            per_day = args.sales // args.days
            tenth = args.sales / 10
            written = 0
            t0 = time.monotonic()
            next_sample = tenth
            for day in range(args.days):
                if day:
                    set_clock(local_at(day0, tz, day, 9, 0))
                    server.signal(signal.SIGHUP)
                for k in range(per_day):
                    if k == int(per_day * 0.6):
                        set_clock(local_at(day0, tz, day, 18, 5))
                        server.signal(signal.SIGHUP)
                    if k and k % max(per_day // 4, 1) == 0:
                        await floor.reconnect_some(max(args.tvs // 4, 1))
                    due = t0 + written / args.rate
                    pause = due - time.monotonic()
                    await asyncio.sleep(max(pause, 0))
                    await asyncio.to_thread(sim.write_sale)
                    written += 1
                    if written % args.chat_every == 0:
                        floor.chat()
                    if written >= next_sample:
                        next_sample += tenth
                        server.signal(signal.SIGUSR2)
                        await asyncio.sleep(0.5)
                        stats = json.loads(memstats.read_text().splitlines()[-1])
                        stats.update(
                            tenth=len(rows) + 1,
                            day=day + 1,
                            sales=written,
                            events=max_event_id(db),
                            claims=floor.claims,
                            t=time.monotonic() - t0,
                        )
                        rows.append(stats)
                        print(f"  [{kind}] {row_line(stats)}", flush=True)
        finally:
            await floor.close()
            server.stop()
            db.dispose()
            core.dispose()
    first, last = rows[0]["rss_mb"], rows[-1]["rss_mb"]
    return {
        "kind": kind,
        "redis": bool(args.redis),
        "rows": rows,
        "growth": last / first - 1,
        "claims": floor.claims,
        "chats": floor.chats,
        "reconnects": floor.reconnects,
        "board_gets": floor.board_gets,
        "errors": floor.errors,
    }


def row_line(r: dict[str, Any]) -> str:
    return (
        f"{r['tenth']:>5} | {r['day']:>3} | {r['sales']:>6} | {r['events']:>7} | "
        f"{r['claims']:>6} | {r['rss_mb']:>6.1f} | {r['sqlite_mb'] or 0:>6.1f} | "
        f"{r['malloc_in_use_mb']:>7.1f} | {r['gc_objects']:>8} | {r['threads']:>3}"
    )


HEADER = "tenth | day |  sales |  events | claims | RSS MB | SQLite | malloc | gc objs | thr"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sales", type=int, default=50_000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--rate", type=float, default=40.0, help="sales per second")
    p.add_argument("--share", type=float, default=0.3)
    p.add_argument("--sellers", type=int, default=100)
    p.add_argument("--tvs", type=int, default=40)
    p.add_argument("--seller-sockets", type=int, default=10)
    p.add_argument("--chat-every", type=int, default=20)
    p.add_argument("--postgres", help="base URL; a throwaway database is created beside it")
    p.add_argument("--no-sqlite", action="store_true")
    p.add_argument("--redis", help="WINROOM_REDIS_URL for the server")
    p.add_argument("--json")
    args = p.parse_args()
    print_provenance(
        f"{args.sales} sales over {args.days} days at {args.rate}/s, {args.sellers} sellers, "
        f"{args.tvs} TVs, redis {'on' if args.redis else 'off'}"
    )
    kinds = ([] if args.no_sqlite else ["sqlite"]) + (["postgres"] if args.postgres else [])
    out = []
    for kind in kinds:
        r = asyncio.run(run_week(kind, args))
        out.append(r)
        print(f"\n{kind} (redis {'on' if r['redis'] else 'off'}): {r['claims']} claims, ", end="")
        print(f"{r['chats']} chats, {r['reconnects']} reconnects, {r['errors']} errors")
        print(HEADER)
        for row in r["rows"]:
            print(row_line(row))
        ok = "met" if r["growth"] <= 0.10 else "NOT met"
        print(f"  RSS growth first → last tenth: {r['growth']:+.1%} (≤ +10 %: {ok})\n")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "week-soak"
    sys.exit(main())
