"""Claim-to-screen latency of the real-time service, beside its floor and the seed's relay.

For 50 and 200 connected Socket.IO clients, claims are made at a steady rate over HTTP;
the latency is from the start of each claim request to the ``claimed`` event at EVERY
client (p50/p95/p99 over all client×claim samples). In the same run:

- floor: a bare python-socketio server (same uvicorn) whose HTTP endpoint broadcasts one
  event to the same number of clients — no database at all;
- peer: our server with the relay reduced to the seed's design (poll the events table
  every 500 ms, no commit wake-up, no LISTEN).

Then the claim request itself with 10 sellers claiming concurrently, beside a bare
``INSERT`` + ``COMMIT`` on the same database.

Layouts (``--layout``):

- ``split`` (default; production's layout: ``winroom-backend serve`` runs alone and the
  TVs/phones are other machines): every server under test runs in its OWN process (this
  script re-run with ``--child MODE``, building the same app variants as ``inproc``), the
  socket clients and the claimers (async aiohttp, one connection per seller) run in this
  process's asyncio loop. The claim request is measured under three load shapes, each also
  run against the floors (a bare ``INSERT`` + ``COMMIT`` behind the same kind of HTTP
  endpoint in its own process, the same straight from this process, and an HTTP no-op that
  shows what the load generator and HTTP cost by themselves):
  ``paced`` (each seller claims on its own Poisson timer, 20 claims/s in all),
  ``burst`` (all sellers press at the same instant, rounds with a pause) and
  ``saturation`` (closed loop: each seller's next claim as soon as the previous answers;
  gives claims/s). The winroom server also reports a server-side breakdown (request time
  inside the server, ``claim_item``, commit, the write transaction, the game lock held),
  from probes the child process installs around the backend's functions (no backend code
  changed). CPU seconds of the server process and of this process are printed per phase.
- ``inproc`` (rounds 1–2): everything in ONE process — the server under uvicorn in a
  thread, the clients and the claimers (10 threads, closed loop) beside it.

Steady state, as a floor runs all day: each claim-to-screen mode first makes ``WARMUP``
(``--warmup``) unmeasured claims by another seller, enough to take every code path of the
measured ones (milestones, bonus tiers, a badge; the floor: emits), and every process under test — the servers, the
floors, and this one with its n clients standing for n screens — freezes its startup heap
(``backend.server.freeze_startup_heap``, what ``winroom-backend serve`` does), so no full
garbage collection walks the imports (a 100+ ms pause each, ``bench/gc_pause.py``).
``BENCH_WORST_CLAIMS=1`` prints each mode's five slowest claims (answered / first client /
last client); with ``BENCH_TIMELINE=FILE`` too, each with its steps in the server (request,
auth, route, claim, each statement and rules batch, the game lock, commit, `claimed` handed
to the sockets' writers, every writer done) and the garbage collections of >= 1 ms that ran
in the server or in this process while it was on its way.

``--viewers distinct`` (default): each client is another seller's screen, so the claimer's
personal events (points, badges) reach one screen, as on a real floor; ``--viewers same``:
every client is the claiming seller.

    .venv/bin/python bench/claim_to_screen.py [--quick] [--postgres URL] [--layout split|inproc]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import gc
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import httpx
import socketio
import uvicorn
from provenance import print_provenance
from sqlalchemy import text

from backend.db.migrate import upgrade
from backend.runtime import Database, database_for_url
from backend.server import build, free_port, freeze_startup_heap, uvicorn_config
from backend.settings import Settings, load_settings
from tests.backend.realtime.support import add_item, add_seller
from tests.helpers.databases import truncate_all

JWT_SECRET = "bench-secret-0123456789abcdef-0123456789"
SHAPES = ("paced", "burst", "saturation")
PACED_RATE = 20.0  # claims/s offered by the 10 sellers together (a very busy floor)
BURST_PAUSE_S = 0.5
# unmeasured claims (emits) per claim-to-screen mode before the measured ones, made by
# another seller ("Warm"): 20 take every code path of the measured claims once or more
# (the move into the top 3, the 10-, 15- and 20-win milestones with their bonus tiers, a
# badge) — a server that has just started spends ~2 ms more CPU on each of its first five or
# six milestone claims (5.5–5.8 against 3.6–3.8 ms in one process, docs/bench/realtime.md)
WARMUP = 20
# The load generator's own cyclic garbage collector during a measured claim-to-screen pass:
# "paused" (default since round 12): off for the pass, a full collection after it; "on": as
# before. The n clients stand for n screens on n machines; in one process, each of its
# collections (up to ~18 ms for a full one, ~6 of them a pass at 200 clients, and three times
# as many for a server that sends three events a claim as for the floor's one) stalls every
# screen at once, which n real screens never do.
CLIENT_GC = "paused"
now = time.perf_counter


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


def summary(xs: list[float]) -> dict[str, float]:
    return {"p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99), "n": len(xs)}


def bench_settings(db_url: str, data_dir: Path) -> Settings:
    return load_settings(
        data_dir=data_dir,
        database_url=db_url,
        jwt_secret=JWT_SECRET,
        claim_rate_limit="100000/minute",
    )


def db_url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def own_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---- the apps under test (built in the child process for ``split``) ----------------------


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        msg = await receive()
        await send({"type": msg["type"] + ".complete"})
        if msg["type"] == "lifespan.shutdown":
            return


async def _body(receive: Any) -> bytes:
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            return body


async def _answer(send: Any, status: int, body: bytes = b"{}") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def floor_app(follow: bool = False) -> Any:
    """A bare python-socketio server: ``POST /emit`` broadcasts one ``claimed`` event to every
    client; any other HTTP request (``/healthz``, ``/noop``) answers ``{}`` and does nothing.
    ``follow`` (mode ``floor-2``): then a ``leaderboard:refresh`` too, as our server sends
    every screen two events a claim (CONTRACT §5)."""
    sio = socketio.AsyncServer(async_mode="asgi")
    counter = {"id": 0}

    @sio.on("connect")
    async def _connect(sid: str, environ: Any, auth: Any) -> bool:
        return True

    async def http_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        body = await _body(receive)
        if scope["path"] == "/emit":
            key = int(body or b"0")
            counter["id"] += 1
            t_b = now()
            await sio.emit(
                "claimed", {"id": counter["id"], "type": "claimed", "payload": {"queue_id": key}}
            )
            if follow:
                counter["id"] += 1
                await sio.emit(
                    "leaderboard:refresh",
                    {
                        "id": counter["id"],
                        "type": "leaderboard:refresh",
                        "payload": {"boards": ["wins", "revenue", "margin", "conversion"]},
                    },
                )
            if _TL_PATH:
                t_e = now()

                async def _w() -> None:
                    for sock in list(sio.eio.sockets.values()):
                        await sock.queue.join()
                    tl(key, "bcast_start", t_b)
                    tl(key, "bcast_end", t_e)
                    tl(key, "written")

                task = asyncio.ensure_future(_w())
                _TL_TASKS.add(task)
                task.add_done_callback(_TL_TASKS.discard)
            await _answer(send, 201)
            return
        await _answer(send, 200)

    return socketio.ASGIApp(sio, other_asgi_app=http_app)


def insert_one(db: Database, counter: itertools.count[int]) -> None:
    with db.engine.begin() as c:  # SQLite: BEGIN IMMEDIATE, like the server's writes
        c.execute(text("INSERT INTO bench_insert (id, v) VALUES (:i, 'x')"), {"i": next(counter)})


def insert_app(db: Database) -> Any:
    """``POST /insert``: one bare INSERT + COMMIT in a worker thread (as FastAPI runs a sync
    route); anything else answers ``{}``."""
    import anyio.to_thread

    counter = itertools.count(1)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        await _body(receive)
        if scope["path"] == "/insert":
            await anyio.to_thread.run_sync(insert_one, db, counter)
            await _answer(send, 201)
            return
        await _answer(send, 200)

    return app


# BENCH_TIMELINE=FILE (with BENCH_WORST_CLAIMS): the server under test appends when each
# claim passed its steps (request, auth, route, claim, statements and rules batches, game
# lock, commit, `claimed` handed out, every writer done) and its collections of >= 1 ms
# to FILE, on the clock the load generator uses (perf_counter: CLOCK_MONOTONIC, one for the
# machine), and the worst claims are printed with their timelines.
_TL_PATH = os.environ.get("BENCH_TIMELINE")
_TL_LOCK = threading.Lock()
_TL_CUR: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "bench_timeline", default=None
)
_TL_TASKS: set[asyncio.Task[None]] = set()


def tl(qid: Any, stage: str, t: float | None = None) -> None:
    """Note that claim (queue item) ``qid`` passed ``stage`` at ``t`` (now by default)."""
    if not _TL_PATH or qid is None:
        return
    with _TL_LOCK, open(_TL_PATH, "a") as f:
        f.write(json.dumps([qid, stage, now() if t is None else t]) + "\n")


_GC_NOTED: set[str] = set()


def note_gc_pauses(who: str) -> None:
    """BENCH_TIMELINE: note every garbage collection of this process that took >= 1 ms (its
    start, on the timeline's clock), so the worst claims can be checked against them."""
    if not _TL_PATH or who in _GC_NOTED:
        return
    _GC_NOTED.add(who)
    started: list[float] = []

    def cb(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [now()]
        elif started and (took := (now() - started[0]) * 1000) >= 1.0:
            tl("gc", f"{who} gen{info['generation']} {took:.1f}ms", started[0])

    gc.callbacks.append(cb)


def read_timelines() -> dict[Any, dict[str, float]]:
    out: dict[Any, dict[str, float]] = defaultdict(dict)
    if _TL_PATH and os.path.exists(_TL_PATH):
        with open(_TL_PATH) as f:
            for line in f:
                q, st, tt = json.loads(line)
                if tt is not None:
                    out[q][st] = tt
    return out


class Probes:
    """Server-side samples (ms), handed out (and reset) by ``GET /__bench/stats``."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()

    def add(self, name: str, ms: float) -> None:
        with self.lock:
            self.samples[name].append(ms)

    def take(self) -> dict[str, list[float]]:
        with self.lock:
            out = dict(self.samples)
            self.samples = defaultdict(list)
        return out


class Timed:
    """Wraps the ASGI app: times every measured HTTP request inside the server and serves
    the samples at ``/__bench/stats``."""

    MEASURED = ("/api/claim", "/insert", "/noop", "/emit")

    def __init__(self, app: Any, probes: Probes) -> None:
        self.app = app
        self.probes = probes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/__bench/stats":
            await _answer(send, 200, json.dumps(self.probes.take()).encode())
            return
        if scope["type"] == "http" and scope["path"] in self.MEASURED:
            t = now()
            cur: dict[str, Any] = {}
            _TL_CUR.set(cur)
            try:
                await self.app(scope, receive, send)
            finally:
                self.probes.add("request in server", (now() - t) * 1000)
                q = cur.get("qid")
                tl(q, "req_start", t)
                tl(q, "req_end")
                for k2, v2 in cur.items():
                    if k2 != "qid":
                        tl(q, k2, v2)
            return
        await self.app(scope, receive, send)


_BEGIN, _CLAIM, _CLAIM_END, _LOCK, _COMMIT = (
    "bench_begin",
    "bench_claim",
    "bench_claim_end",
    "bench_lock",
    "bench_commit",
)


def install_probes(probes: Probes) -> list[str]:
    """Time each claim's transaction from outside the backend: wrap ``claim_item`` and the
    game/event-order lock functions wherever a backend module holds them, and listen to the
    session's begin/commit. Returns what could be probed (the backend may change)."""
    from sqlalchemy import event as sa_event
    from sqlalchemy.orm import Session

    import backend.actions.claims as claims_mod
    import backend.eventlog as eventlog

    swaps: list[tuple[str, Any, Any]] = []
    probed: list[str] = []

    def lock_marker(orig: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(session: Any, *a: Any, **k: Any) -> Any:
            r = orig(session, *a, **k)
            session.info.setdefault(_LOCK, now())
            return r

        return wrapped

    for name in ("take_order_lock", "mark_order_locked"):
        orig = getattr(eventlog, name, None)
        if orig is not None:
            swaps.append((name, orig, lock_marker(orig)))
            probed.append(name)

    def claim_marker(orig_claim: Callable[..., Any]) -> Callable[..., Any]:
        def claim_item(session: Any, *a: Any, **k: Any) -> Any:
            session.info[_CLAIM] = now()
            cur = _TL_CUR.get()
            if cur is not None:
                cur["qid"] = k.get("queue_id")
                cur["claim_start"] = session.info[_CLAIM]
                session.info["tl_cur"] = cur
            try:
                return orig_claim(session, *a, **k)
            finally:
                session.info[_CLAIM_END] = now()

        return claim_item

    for mod in [claims_mod]:
        orig_claim = getattr(mod, "claim_item", None)
        if orig_claim is not None:
            swaps.append(("claim_item", orig_claim, claim_marker(orig_claim)))
            probed.append(f"{mod.__name__}.claim_item")
    import backend.api.deps as deps

    # the claim's auth: the token alone (``authorize_from_token``, on the event loop, since
    # round 11), or ``authorize_request`` where the backend has no such step
    auth_name = (
        "authorize_from_token" if hasattr(deps, "authorize_from_token") else "authorize_request"
    )
    orig_auth = getattr(deps, auth_name, None)
    if orig_auth is not None:

        def timed_auth(request: Any) -> Any:
            t = now()
            try:
                return orig_auth(request)
            finally:
                if request.url.path == "/api/claim":
                    probes.add("auth (token → principal)", (now() - t) * 1000)
                    if (cur := _TL_CUR.get()) is not None:
                        cur["auth_end"] = now()

        swaps.append((auth_name, orig_auth, timed_auth))
        probed.append(auth_name)
    try:  # the claim route's first step in its worker thread (the claim rate limit)
        from backend.api.ratelimit import RateLimits

        orig_hit = RateLimits.hit_claim

        def hit_claim(self: Any, seller_id: int) -> bool:
            if (cur := _TL_CUR.get()) is not None:
                cur["route_start"] = now()
            return orig_hit(self, seller_id)

        RateLimits.hit_claim = hit_claim  # type: ignore[method-assign]
        probed.append("RateLimits.hit_claim")
    except (ImportError, AttributeError):
        pass
    try:  # the rules' batched statements (PostgreSQL): when each was sent and answered
        from backend.db.batch import Batch

        orig_run = Batch.run

        def run(self: Any) -> Any:
            cur = _TL_CUR.get()
            n = 0 if cur is None else sum(1 for k in cur if k.startswith("batch")) // 2
            if cur is not None:
                cur[f"batch{n}_sent"] = now()
            try:
                return orig_run(self)
            finally:
                if cur is not None:
                    cur[f"batch{n}_done"] = now()

        Batch.run = run  # type: ignore[method-assign]
        probed.append("db.batch.Batch.run")
    except (ImportError, AttributeError):
        pass
    for mod in list(sys.modules.values()):
        if mod is None or not getattr(mod, "__name__", "").startswith("backend"):
            continue
        for name, orig, new in swaps:
            if getattr(mod, name, None) is orig:
                setattr(mod, name, new)

    def after_begin(session: Any, _tx: Any, _conn: Any) -> None:
        session.info.setdefault(_BEGIN, now())
        if (cur := _TL_CUR.get()) is not None:
            cur.setdefault("connected", now())

    def after_cursor_execute(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        # each statement the claim sends through SQLAlchemy, named by its first word
        if (cur := _TL_CUR.get()) is not None and "claim_start" in cur:
            word = statement.split(None, 1)[0].lower() if statement.strip() else "?"
            n = sum(1 for k in cur if k.startswith("sql"))
            cur[f"sql{n}_{word}"] = now()

    from sqlalchemy.engine import Engine

    sa_event.listen(Engine, "after_cursor_execute", after_cursor_execute)

    def before_commit(session: Any) -> None:
        if not session.in_nested_transaction():
            session.info[_COMMIT] = now()

    def after_commit(session: Any) -> None:
        if session.in_nested_transaction():
            return
        end = now()
        info = session.info
        cur = info.pop("tl_cur", None)
        if cur is not None:
            cur["claim_end"] = info.get(_CLAIM_END)
            cur["commit_start"] = info.get(_COMMIT)
            cur["commit_end"] = end
            if _LOCK in info:
                cur["lock"] = info[_LOCK]
        if _CLAIM in info and _CLAIM_END in info:
            probes.add("claim_item (before commit)", (info[_CLAIM_END] - info[_CLAIM]) * 1000)
            if _COMMIT in info:
                probes.add("commit (events insert + COMMIT)", (end - info[_COMMIT]) * 1000)
            if _BEGIN in info:
                probes.add("write transaction (BEGIN→COMMIT done)", (end - info[_BEGIN]) * 1000)
            if _LOCK in info:
                probes.add("game lock held (taken→COMMIT done)", (end - info[_LOCK]) * 1000)
        for key in (_BEGIN, _CLAIM, _CLAIM_END, _LOCK, _COMMIT):
            info.pop(key, None)

    def after_rollback(session: Any) -> None:
        if session.get_nested_transaction() is None:
            for key in (_BEGIN, _CLAIM, _CLAIM_END, _LOCK, _COMMIT):
                session.info.pop(key, None)

    sa_event.listen(Session, "after_begin", after_begin)
    sa_event.listen(Session, "before_commit", before_commit, insert=True)
    sa_event.listen(Session, "after_commit", after_commit)
    sa_event.listen(Session, "after_rollback", after_rollback)
    return probed


def install_relay_probes(relay: Any, probes: Probes) -> None:
    """Time the relay's steps for each claim: commit wake-up → read → `claimed` sent."""
    woke: list[float] = []
    orig_commit, orig_fetch, orig_broadcast = relay.on_commit, relay._fetch, relay._broadcast

    def on_commit(events: Any) -> None:
        woke.append(now())
        if events is None:
            probes.add("relay: commits not handed over (read)", 0.0)
        orig_commit(events)

    def fetch(*a: Any, **k: Any) -> Any:
        t = now()
        try:
            return orig_fetch(*a, **k)
        finally:
            probes.add("relay: read events (thread)", (now() - t) * 1000)

    last_qid: list[Any] = [None]
    orig_written = relay._written

    async def written(*a: Any, **k: Any) -> Any:
        r = await orig_written(*a, **k)
        if last_qid[0] is not None:
            tl(last_qid[0], "written")
            last_qid[0] = None
        return r

    if orig_written is not None:
        relay._written = written

    async def broadcast(ev: Any) -> None:
        t = now()
        await orig_broadcast(ev)
        if ev.env["type"] == "claimed":
            q = ev.env["payload"]["queue_id"]
            tl(q, "bcast_start", t)
            tl(q, "bcast_end")
            last_qid[0] = q
            probes.add("relay: `claimed` sent to every socket", (now() - t) * 1000)
            if woke:
                probes.add("relay: commit → `claimed` sent", (now() - woke[0]) * 1000)
            woke.clear()

    relay.on_commit, relay._fetch, relay._broadcast = on_commit, fetch, broadcast


def child_main(mode: str, db_url: str, data_dir: Path, port: int) -> int:
    """One server under test, alone in this process, under uvicorn in the main thread."""
    probes = Probes()
    db: Database | None = None
    if mode in ("floor", "floor-2"):
        app = floor_app(follow=mode == "floor-2")
    elif mode == "insert":
        db = database_for_url(db_url)
        app = insert_app(db)
    elif mode in ("winroom", "winroom-core", "seed-500ms"):
        import backend.actions.claims as claims_mod

        if mode != "winroom":  # -core and seed: game rules off (same claim path for both)
            claims_mod.on_claim = lambda *_a: None  # type: ignore[assignment]
        db = database_for_url(db_url)
        wr = build(bench_settings(db_url, data_dir), db)
        if mode == "seed-500ms":
            wr.relay.poll_interval = 0.5
            wr.relay.on_commit = lambda _events: None  # type: ignore[method-assign,assignment]
            wr.relay.is_postgres = False  # no LISTEN either
        install_probes(probes)
        install_relay_probes(wr.relay, probes)
        wr.freeze_gc = True  # as `winroom-backend serve` does once started
        app = wr.asgi
    else:
        raise SystemExit(f"unknown child mode {mode}")
    if mode in ("floor", "floor-2", "insert"):
        # the floors get the same GC policy as our server: this process carries the
        # benchmark's imports (the whole backend), which a bare server would not; unfrozen,
        # each full collection here would stall it 100+ ms (bench/gc_pause.py)
        freeze_startup_heap()
    note_gc_pauses(f"server({mode})")
    server = uvicorn.Server(
        uvicorn_config(Timed(app, probes), "127.0.0.1", port, log_level="error")
    )
    try:
        server.run()
    finally:
        if db is not None:
            db.dispose()
    return 0


class Child:
    """A server under test in its own process (``split`` layout)."""

    def __init__(self, mode: str, db_url: str, data_dir: Path) -> None:
        self.mode = mode
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                mode,
                "--db-url",
                db_url,
                "--data-dir",
                str(data_dir),
                "--port",
                str(self.port),
            ]
        )
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {mode} server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the {mode} server did not start")
            time.sleep(0.05)

    def cpu_s(self) -> float:
        """CPU seconds (user + system, all threads) the server process has used."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stats(self) -> dict[str, list[float]]:
        data: dict[str, list[float]] = httpx.get(self.url + "/__bench/stats", timeout=10).json()
        return data

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---- claim-to-screen -----------------------------------------------------------------------


class Http:
    """One client connection of the load generator. ``aiohttp`` for ``split``: measured the
    lighter client here (a no-op request to a server in another process: p50 0.6 / p95 1.8 ms,
    against 1.9 / 7.8 ms with httpx); ``httpx`` for ``inproc`` (as rounds 1–2 measured)."""

    def __init__(self, base_url: str, kind: str = "aiohttp") -> None:
        self._aio: aiohttp.ClientSession | None = None
        self._httpx: httpx.AsyncClient | None = None
        if kind == "aiohttp":
            self._aio = aiohttp.ClientSession(base_url, timeout=aiohttp.ClientTimeout(total=60))
        else:
            self._httpx = httpx.AsyncClient(base_url=base_url, timeout=60)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        if self._aio is not None:
            async with self._aio.request(
                method, path, json=json_body, data=content, headers=headers
            ) as r:
                return r.status, await r.text()
        assert self._httpx is not None
        res = await self._httpx.request(
            method, path, json=json_body, content=content, headers=headers
        )
        return res.status_code, res.text

    async def close(self) -> None:
        if self._aio is not None:
            await self._aio.close()
        if self._httpx is not None:
            await self._httpx.aclose()


class Served:
    """An ASGI app under uvicorn in a thread of this process (``inproc`` layout)."""

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
    fire: Callable[[Http, int], Any],
    keys: list[int],
    rate: float,
    key_of: Callable[[Any], int],
    server_cpu: Callable[[], float] | None = None,
    client_kind: str = "aiohttp",
    warmup: list[int] | None = None,
) -> dict[str, Any]:
    """Fire one action per key at ``rate``/s; latency from fire start to arrival at each
    client. Also the wall time and CPU seconds (this process, the server's) of that phase.
    The ``warmup`` keys go first, unmeasured: a server that has just started compiles and
    caches on its first requests, once; the figures are for the steady state."""
    started: dict[int, float] = {}
    arrivals: dict[int, list[float]] = {k: [] for k in keys}
    warm = set(warmup or ())
    warm_seen = 0
    warm_done = asyncio.Event()
    done = asyncio.Event()
    expected = len(keys) * n
    count = 0

    def on_claimed(_i: int, data: Any) -> None:
        nonlocal count, warm_seen
        k = key_of(data)
        if k in arrivals:
            arrivals[k].append(now())
            count += 1
            if count >= expected:
                done.set()
        elif k in warm:
            warm_seen += 1
            if warm_seen >= len(warm) * n:
                warm_done.set()

    clients = await connect_clients(url, n, tokens, on_claimed)
    http = Http(url, client_kind)
    if warm:
        for k in sorted(warm):
            await fire(http, k)
            await asyncio.sleep(1 / rate)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(warm_done.wait(), 20)
        await http.request("GET", "/__bench/stats")  # the server's samples start now
    # the n clients stand for n screens on n machines: this process's own full collections
    # (walking n clients' state and the backend's imports: 100+ ms) are not the server's
    freeze_startup_heap()
    note_gc_pauses("clients")
    if CLIENT_GC == "paused":
        gc.disable()
    await asyncio.sleep(0.5)
    if _TL_PATH:  # this pass's timelines only (queue ids start again in every pass)
        with _TL_LOCK:
            open(_TL_PATH, "w").close()
    try:
        await http.request("GET", "/healthz")
        t0, c0, s0 = now(), own_cpu_s(), server_cpu() if server_cpu else 0.0
        tasks = []
        answered: dict[int, float] = {}

        async def fire_one(k: int) -> None:
            await fire(http, k)
            answered[k] = now()

        for k in keys:
            started[k] = now()
            tasks.append(asyncio.create_task(fire_one(k)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
        try:
            await asyncio.wait_for(done.wait(), 20)
        except TimeoutError:
            print(f"  ! only {count}/{expected} deliveries arrived")
        wall, client_cpu = now() - t0, own_cpu_s() - c0
        srv_cpu = server_cpu() - s0 if server_cpu else float("nan")
    finally:
        gc.enable()
        await http.close()
    for c in clients:
        await c.disconnect()
    gc.collect()
    if os.environ.get("BENCH_WORST_CLAIMS"):  # what the p99 is made of (one claim = n samples)
        worst = sorted(
            (max(ts) - started[k], i, k) for i, (k, ts) in enumerate(arrivals.items()) if ts
        )[-5:]
        print("   worst claims (index: answered / first / last client, ms after the request):")
        tlines = read_timelines()
        for w, i, k in worst:
            t0 = started[k]
            ts = sorted(arrivals[k])
            print(
                f"     #{i}: {(answered[k] - t0) * 1000:.1f} / "
                f"{(min(arrivals[k]) - t0) * 1000:.1f} / {w * 1000:.1f}"
                f"  [p50 client {(ts[len(ts) // 2] - t0) * 1000:.1f}, p90 {(ts[int(len(ts) * 0.9)] - t0) * 1000:.1f}]"
            )
            gcs = [
                f"{st} at {(tt - t0) * 1000:.1f}"
                for st, tt in tlines.get("gc", {}).items()
                if -0.05 <= tt - t0 <= w
            ]
            if gcs:
                print("        gc: " + ", ".join(gcs))
            if k in tlines:
                print(
                    "        "
                    + "  ".join(
                        f"{st} {(tt - t0) * 1000:.1f}"
                        for st, tt in sorted(tlines[k].items(), key=lambda x: x[1])
                    )
                )
    return {
        "lat": [(t - started[k]) * 1000 for k, ts in arrivals.items() for t in ts],
        "wall": wall,
        "client_cpu": client_cpu,
        "server_cpu": srv_cpu,
    }


def fresh(db: Database) -> None:
    truncate_all(db)


def viewer_tokens(db: Database, settings: Settings, tok: str, n: int, viewers: str) -> list[str]:
    # distinct: every client is another seller's screen (the claimer's personal events,
    # points and badges, go to the claimer only, as on a real floor); same: every client
    # is the claimer (the first version of this benchmark: 200× the personal events)
    if viewers == "same":
        return [tok]
    return [
        add_seller(db, settings, f"v{i}@winroom.io", f"Viewer {i}", "sales")[1] for i in range(n)
    ]


def claim_fire(
    tok: str, warm_tok: str | None = None, warm: frozenset[int] = frozenset()
) -> Callable[[Http, int], Awaitable[None]]:
    """Claims as ``tok``; the ``warm`` items as ``warm_tok`` (the warm-up seller)."""

    async def fire(http: Http, k: int) -> None:
        who = warm_tok if warm_tok is not None and k in warm else tok
        status, body = await http.request(
            "POST",
            "/api/claim",
            json_body={"queue_id": k, "claim_type": "first_sales"},
            headers={"Authorization": f"Bearer {who}"},
        )
        assert status == 201, body

    return fire


async def fire_floor(http: Http, k: int) -> None:
    status, body = await http.request("POST", "/emit", content=str(k).encode())
    assert status == 201, body


SCREEN_MODES = ("winroom", "winroom-core", "seed-500ms", "floor")
# also measurable (--modes): the floor sending the two events a claim sends every screen
EXTRA_SCREEN_MODES = ("floor-2",)


def run_latency_rounds(
    rounds: int, modes: tuple[str, ...], *args: Any, warmup: int = WARMUP
) -> dict[str, dict[str, Any]]:
    """``rounds`` passes of :func:`run_latency_split` (``args``) over ``modes``, each pass in
    another order (the first mode of one pass is the last of the next), every mode a fresh
    server process; the samples of a mode are pooled over the passes, and each pass's p99 is
    kept (``round_p99``) to show the spread. Drift of the machine's speed during the run
    falls on every mode alike."""
    out: dict[str, dict[str, Any]] = {}
    for r in range(rounds):
        order = modes[r % len(modes) :] + modes[: r % len(modes)]
        one = run_latency_split(*args, modes=order, warmup=warmup)
        for mode, res in one.items():
            agg = out.setdefault(
                mode,
                {"lat": [], "wall": 0.0, "client_cpu": 0.0, "server_cpu": 0.0, "round_p99": []},
            )
            agg["lat"] += res["lat"]
            agg["round_p99"].append(round(pct(res["lat"], 99), 1))
            for k in ("wall", "client_cpu", "server_cpu"):
                agg[k] += res[k]
            for sname, xs in (res.get("server") or {}).items():
                agg.setdefault("server", {}).setdefault(sname, []).extend(xs)
    return out


def run_latency_split(
    db: Database,
    data_dir: Path,
    n: int,
    claims: int,
    rate: float,
    viewers: str,
    *,
    modes: tuple[str, ...] = SCREEN_MODES,
    warmup: int = WARMUP,
) -> dict[str, dict[str, Any]]:
    url = db_url_of(db)
    settings = bench_settings(url, data_dir)
    out: dict[str, dict[str, Any]] = {}
    fire: Callable[[Http, int], Awaitable[None]]
    for mode in modes:
        fresh(db)
        if mode in ("floor", "floor-2"):
            tokens, fire = ["x"], fire_floor
            warm = list(range(1, warmup + 1))
            keys = list(range(warmup + 1, warmup + claims + 1))
        else:
            _sid, tok = add_seller(db, settings, "bench@winroom.io", "Bench", "sales")
            tokens = viewer_tokens(db, settings, tok, n, viewers)
            _wid, warm_tok = add_seller(db, settings, "warm@winroom.io", "Warm", "sales")
            warm = [add_item(db, email=f"w{i}@mail.com") for i in range(warmup)]
            keys = [add_item(db, email=f"c{i}@mail.com") for i in range(claims)]
            fire = claim_fire(tok, warm_tok, frozenset(warm))
        child = Child(mode, url, data_dir)
        try:
            res = asyncio.run(
                measure(
                    child.url,
                    n,
                    tokens,
                    fire,
                    keys,
                    rate,
                    lambda d: d["payload"]["queue_id"],
                    server_cpu=child.cpu_s,
                    warmup=warm,
                )
            )
            res["server"] = child.stats()
        finally:
            child.stop()
        out[mode] = res
    return out


def run_latency(
    db: Database, data_dir: Path, n: int, claims: int, rate: float, viewers: str = "distinct"
) -> dict[str, dict[str, Any]]:
    """``inproc``: the rounds 1–2 method (server in a thread of this process)."""
    settings = bench_settings(db_url_of(db), data_dir)
    out: dict[str, dict[str, Any]] = {}
    import backend.actions.claims as claims_mod

    game_on_claim = claims_mod.on_claim
    for mode in ("winroom", "winroom-core", "seed-500ms"):
        # winroom: as shipped (game rules in the claim); -core and seed: game rules off, so
        # the two relay designs are compared on the same claim path
        claims_mod.on_claim = game_on_claim if mode == "winroom" else (lambda *_a: None)
        fresh(db)
        _sid, tok = add_seller(db, settings, "bench@winroom.io", "Bench", "sales")
        tokens = viewer_tokens(db, settings, tok, n, viewers)
        keys = [add_item(db, email=f"c{i}@mail.com") for i in range(claims)]
        app = build(settings, db)
        if mode == "seed-500ms":
            app.relay.poll_interval = 0.5
            app.relay.on_commit = lambda _events: None  # type: ignore[method-assign,assignment]
            app.relay.is_postgres = False  # no LISTEN either
        served = Served(app.asgi)
        try:
            out[mode] = asyncio.run(
                measure(
                    served.url,
                    n,
                    tokens,
                    claim_fire(tok),
                    keys,
                    rate,
                    lambda d: d["payload"]["queue_id"],
                    client_kind="httpx",
                )
            )
        finally:
            served.stop()
    claims_mod.on_claim = game_on_claim
    served = Served(floor_app())
    try:
        out["floor"] = asyncio.run(
            measure(
                served.url,
                n,
                ["x"],
                fire_floor,
                list(range(1, claims + 1)),
                rate,
                lambda d: d["payload"]["queue_id"],
                client_kind="httpx",
            )
        )
    finally:
        served.stop()
    return out


def report_latency(res: dict[str, dict[str, Any]], n: int, claims: int, rate: float) -> None:
    print(f"claim-to-screen, {n} clients, {claims} claims at {rate}/s:")
    for mode in ("floor", "floor-2", "winroom", "winroom-core", "seed-500ms"):
        if mode not in res:
            continue
        r = res[mode]
        cpu = ""
        if r["server_cpu"] == r["server_cpu"]:  # not NaN (split layout)
            cpu = (
                f"  cpu: server {r['server_cpu'] / r['wall']:4.0%}, "
                f"clients {r['client_cpu'] / r['wall']:4.0%}"
            )
        rounds = f"  p99 per round {r['round_p99']}" if len(r.get("round_p99", ())) > 1 else ""
        print(f"  {mode:12s} {fmt(r['lat'])}{cpu}{rounds}")
    p99 = {m: pct(r["lat"], 99) for m, r in res.items()}
    p50 = {m: pct(r["lat"], 50) for m, r in res.items()}
    ratios = [
        (
            f"{label} {p99[a] / p99[b]:.2f}x"
            if b.startswith("floor")
            else f"{label} {p99[a] / p99[b]:.1f}x"
        )
        for label, a, b in (
            ("full/floor", "winroom", "floor"),
            ("full/floor-2", "winroom", "floor-2"),
            ("floor-2/floor", "floor-2", "floor"),
            ("core/floor", "winroom-core", "floor"),
            ("seed/full", "seed-500ms", "winroom"),
            ("seed/core", "seed-500ms", "winroom-core"),
        )
        if a in p99 and b in p99
    ]
    extra = [
        f"{label} {p50[a] / p50[b]:.2f}x"
        for label, a, b in (
            ("full/floor", "winroom", "floor"),
            ("seed/full", "seed-500ms", "winroom"),
        )
        if a in p50 and b in p50
    ]
    print(f"  p99 ratios: {', '.join(ratios)}; p50: {', '.join(extra)}")


# ---- claim request latency ---------------------------------------------------------------


async def drive(
    shape: str,
    url: str | None,
    sellers: int,
    per_seller: int,
    fire: Callable[[Http | None, int, int], Awaitable[None]],
    server_cpu: Callable[[], float] | None = None,
    seed: int = 7,
) -> dict[str, Any]:
    """Seller ``i``'s ``j``-th claim is ``fire(http_i, i, j)``; ``shape`` says when it starts.
    Latency = from the start of the request to its answer."""
    lat: list[float] = []
    rounds: list[float] = []
    https: list[Http | None] = [Http(url) if url else None for _ in range(sellers)]
    for h in https:  # connections open before the clock starts
        if h is not None:
            await h.request("GET", "/healthz")

    async def timed(i: int, j: int) -> None:
        t = now()
        await fire(https[i], i, j)
        lat.append((now() - t) * 1000)

    t0, c0, s0 = now(), own_cpu_s(), server_cpu() if server_cpu else 0.0
    if shape == "paced":  # each seller on its own Poisson timer (never two of its own at once)
        each = PACED_RATE / sellers

        async def paced(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            due = t0 + rng.expovariate(each)
            for j in range(per_seller):
                delay = due - now()
                if delay > 0:
                    await asyncio.sleep(delay)
                await timed(i, j)
                due += rng.expovariate(each)

        await asyncio.gather(*(paced(i) for i in range(sellers)))
        busy = now() - t0
    elif shape == "burst":  # everyone presses at once; a pause; again
        busy = 0.0
        for j in range(per_seller):
            tr = now()
            await asyncio.gather(*(timed(i, j) for i in range(sellers)))
            rounds.append((now() - tr) * 1000)
            busy += now() - tr
            await asyncio.sleep(BURST_PAUSE_S)
    else:  # saturation: closed loop

        async def closed(i: int) -> None:
            for j in range(per_seller):
                await timed(i, j)

        await asyncio.gather(*(closed(i) for i in range(sellers)))
        busy = now() - t0
    wall, client_cpu = now() - t0, own_cpu_s() - c0
    srv_cpu = server_cpu() - s0 if server_cpu else float("nan")
    for h in https:
        if h is not None:
            await h.close()
    return {
        "lat": lat,
        "rounds": rounds,
        "per_s": len(lat) / busy,
        "wall": wall,
        "client_cpu": client_cpu,
        "server_cpu": srv_cpu,
    }


def run_requests_split(
    db: Database, data_dir: Path, sellers: int, per_seller: int, shapes: tuple[str, ...]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per shape: our server with the game rules, with them off, and the floors."""
    url = db_url_of(db)
    settings = bench_settings(url, data_dir)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with db.engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS bench_insert (id INTEGER PRIMARY KEY, v TEXT)"))
    try:
        for shape in shapes:
            res: dict[str, dict[str, Any]] = {}
            for target in ("winroom", "winroom-core"):
                fresh(db)
                tokens = [
                    add_seller(db, settings, f"s{i}@winroom.io", f"S{i}", "sales")[1]
                    for i in range(sellers)
                ]
                items = [
                    [add_item(db, email=f"c{i}-{j}@mail.com") for j in range(per_seller)]
                    for i in range(sellers)
                ]

                async def claim(
                    http: Http | None,
                    i: int,
                    j: int,
                    tokens: list[str] = tokens,
                    items: list[list[int]] = items,
                ) -> None:
                    assert http is not None
                    status, body = await http.request(
                        "POST",
                        "/api/claim",
                        json_body={"queue_id": items[i][j], "claim_type": "first_sales"},
                        headers={"Authorization": f"Bearer {tokens[i]}"},
                    )
                    assert status == 201, body

                child = Child(target, url, data_dir)
                try:
                    r = asyncio.run(
                        drive(shape, child.url, sellers, per_seller, claim, child.cpu_s)
                    )
                    r["server"] = child.stats()
                finally:
                    child.stop()
                res[target] = r

            async def post(http: Http | None, _i: int, _j: int, path: str) -> None:
                assert http is not None
                status, body = await http.request("POST", path)
                assert status in (200, 201), body

            async def insert_http(http: Http | None, i: int, j: int) -> None:
                await post(http, i, j, "/insert")

            async def noop_http(http: Http | None, i: int, j: int) -> None:
                await post(http, i, j, "/noop")

            for target, mode, fire in (
                ("HTTP INSERT+COMMIT", "insert", insert_http),
                ("HTTP no-op", "floor", noop_http),
            ):
                with db.engine.begin() as c:
                    c.execute(text("DELETE FROM bench_insert"))
                child = Child(mode, url, data_dir)
                try:
                    r = asyncio.run(drive(shape, child.url, sellers, per_seller, fire, child.cpu_s))
                    r["server"] = child.stats()
                finally:
                    child.stop()
                res[target] = r

            with db.engine.begin() as c:
                c.execute(text("DELETE FROM bench_insert"))
            pool = ThreadPoolExecutor(sellers)
            counter = itertools.count(1)

            async def insert_direct(
                _http: Http | None,
                _i: int,
                _j: int,
                pool: ThreadPoolExecutor = pool,
                counter: itertools.count[int] = counter,
            ) -> None:
                await asyncio.get_running_loop().run_in_executor(pool, insert_one, db, counter)

            try:
                res["bare INSERT+COMMIT"] = asyncio.run(
                    drive(shape, None, sellers, per_seller, insert_direct)
                )
            finally:
                pool.shutdown()
            out[shape] = res
    finally:
        with db.engine.begin() as c:
            c.execute(text("DROP TABLE IF EXISTS bench_insert"))
    return out


SHAPE_TEXT = {
    "paced": f"each seller on its own Poisson timer, {PACED_RATE:.0f} claims/s offered in all",
    "burst": f"all press at the same instant, {BURST_PAUSE_S} s pause between rounds",
    "saturation": "closed loop: next claim as soon as the previous answers",
}


def report_requests(
    out: dict[str, dict[str, dict[str, Any]]], sellers: int, per_seller: int
) -> None:
    for shape, res in out.items():
        print(f"claim request, {sellers} sellers × {per_seller}, {shape} ({SHAPE_TEXT[shape]}):")
        for target, r in res.items():
            cpu = f"cpu: client {r['client_cpu'] / r['wall']:4.0%}"
            if r["server_cpu"] == r["server_cpu"]:  # not NaN
                cpu += f", server {r['server_cpu'] / r['wall']:4.0%}"
                cpu += f" = {r['server_cpu'] * 1000 / len(r['lat']):.2f} ms per request"
            extra = ""
            if r["rounds"]:
                extra = f"; a round clears in p50 {pct(r['rounds'], 50):.1f} / "
                extra += f"p95 {pct(r['rounds'], 95):.1f} ms"
            print(f"  {target:20s} {fmt(r['lat'])}; {r['per_s']:6.1f}/s{extra}; {cpu}")
        for target in ("winroom", "winroom-core"):
            server = res[target].get("server") or {}
            for name, xs in server.items():
                print(f"    {target} in the server: {name:40s} {fmt(xs)}")


def run_claim_requests(
    db: Database, data_dir: Path, sellers: int, per_seller: int
) -> dict[str, Any]:
    """``inproc``: the rounds 1–2 method (10 threads, closed loop, server in a thread)."""
    settings = bench_settings(db_url_of(db), data_dir)
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
                t0 = now()
                r = http.post(
                    "/api/claim",
                    json={"queue_id": qid, "claim_type": "first_sales"},
                    headers={"Authorization": f"Bearer {tokens[i]}"},
                )
                dt = (now() - t0) * 1000
                assert r.status_code == 201, r.text
                with lock:
                    lat.append(dt)

    t0 = now()
    threads = [threading.Thread(target=seller, args=(i,)) for i in range(sellers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = now() - t0
    served.stop()

    # the floor: a bare INSERT + COMMIT per request, same concurrency, same database
    with db.engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS bench_insert (id INTEGER PRIMARY KEY, v TEXT)"))
        c.execute(text("DELETE FROM bench_insert"))
    ins: list[float] = []
    counter = itertools.count(1)

    def inserter() -> None:
        for _ in range(per_seller):
            t = now()
            insert_one(db, counter)
            with lock:
                ins.append((now() - t) * 1000)

    threads = [threading.Thread(target=inserter) for _ in range(sellers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.engine.begin() as c:
        c.execute(text("DROP TABLE bench_insert"))
    return {"claim": lat, "insert": ins, "claims_per_s": len(lat) / wall}


# ---- main -----------------------------------------------------------------------------------


def brief(res: dict[str, Any]) -> dict[str, Any]:
    """What ``--json`` keeps of a result: percentiles, rates, CPU, server-side percentiles."""
    out: dict[str, Any] = {}
    for k, v in res.items():
        if k in ("lat", "claim", "insert", "rounds") and isinstance(v, list):
            out[k] = summary(v) if v else None
        elif k == "server" and isinstance(v, dict):
            out[k] = {name: summary(xs) for name, xs in v.items()}
        elif isinstance(v, dict):
            out[k] = brief(v)
        else:
            out[k] = v
    return out


def main() -> int:
    global CLIENT_GC
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="a short run")
    p.add_argument(
        "--postgres",
        default=os.environ.get("WINROOM_TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL (a throwaway database is created on it)",
    )
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--layout", choices=["split", "inproc"], default="split")
    p.add_argument("--clients", default="50,200")
    p.add_argument("--shapes", default=",".join(SHAPES), help="claim request load shapes")
    p.add_argument("--skip-screen", action="store_true", help="claim requests only")
    p.add_argument("--skip-requests", action="store_true", help="claim-to-screen only")
    p.add_argument(
        "--viewers",
        choices=["distinct", "same"],
        default="distinct",
        help="clients are other sellers (distinct) or all the claiming seller (same)",
    )
    p.add_argument(
        "--modes",
        default=",".join(SCREEN_MODES),
        help="claim-to-screen servers to measure (split layout)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="claim-to-screen passes over the modes, pooled (split layout)",
    )
    p.add_argument("--claims", type=int, help="claims per claim-to-screen mode and pass")
    p.add_argument(
        "--warmup",
        type=int,
        default=WARMUP,
        help=f"unmeasured claims per mode and pass, by another seller (default {WARMUP})",
    )
    p.add_argument(
        "--client-gc",
        choices=["paused", "on"],
        default=CLIENT_GC,
        help="the load generator's garbage collector during a claim-to-screen pass",
    )
    p.add_argument("--json", help="write the percentiles to this file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--db-url", help=argparse.SUPPRESS)
    p.add_argument("--data-dir", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child_main(args.child, args.db_url, Path(args.data_dir), args.port)
    claims = args.claims or (10 if args.quick else 40)
    CLIENT_GC = args.client_gc
    modes = tuple(m for m in args.modes.split(",") if m)
    if unknown := set(modes) - set(SCREEN_MODES) - set(EXTRA_SCREEN_MODES):
        p.error(f"unknown modes: {', '.join(sorted(unknown))}")
    rate = 5.0
    per_seller = 10 if args.quick else 40
    shapes = tuple(s for s in args.shapes.split(",") if s)
    print_provenance(
        f"layout {args.layout}; viewers {args.viewers}; load generator's gc {CLIENT_GC}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="wr-bench-"))
    targets: list[tuple[str, Database, Callable[[], None]]] = []
    if not args.no_sqlite:
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
    results: dict[str, Any] = {"layout": args.layout, "quick": args.quick}
    try:
        for name, db, _close in targets:
            print(f"\n== {name} ==  (load {os.getloadavg()[0]:.2f})")
            results[name] = mine = {}
            if not args.skip_screen:
                for n in (int(x) for x in args.clients.split(",")):
                    if args.layout == "split":
                        res = run_latency_rounds(
                            args.rounds,
                            modes,
                            db,
                            tmp,
                            n,
                            claims,
                            rate,
                            args.viewers,
                            warmup=args.warmup,
                        )
                    else:
                        res = run_latency(db, tmp, n, claims, rate, args.viewers)
                    report_latency(res, n, claims, rate)
                    mine[f"screen-{n}"] = brief(res)
                    if args.layout == "split" and "winroom" in res:
                        server = res["winroom"].get("server") or {}
                        for sname, xs in server.items():
                            print(f"    winroom in the server: {sname:40s} {fmt(xs)}")
            if args.skip_requests:
                continue
            if args.layout == "split":
                out = run_requests_split(db, tmp, 10, per_seller, shapes)
                report_requests(out, 10, per_seller)
                mine["requests"] = brief(out)
                continue
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
                mine[f"requests {label}"] = brief(cr)
            claims_mod.on_claim = game_on_claim
            print(f"bare INSERT+COMMIT, 10 threads: {fmt(cr['insert'])}")
    finally:
        for _n, _db, close in targets:
            close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
