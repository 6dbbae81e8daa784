"""One broadcast to N sockets: python-socketio's manager (a task per recipient) against
``backend.realtime.fanout.DirectFanout`` (one pass over the recipients' send queues).

Each manager runs in a bare Socket.IO server in its own process (uvicorn as ``serve``
configures it); this process connects N clients and asks the server, every 200 ms, to
broadcast a claim-sized event three times (a claim's ``claimed``, ``streak`` and
``leaderboard:refresh``). Three servers: ``stock`` (python-socketio's manager), ``direct``
(DirectFanout, no wait), ``direct-written`` (DirectFanout and the wait for the writers
between two broadcasts, as the relay does). Measured: one ``emit`` call (what holds the
relay and the event loop before the writers run), the server's CPU per request (three
broadcasts, writes included) and the time from the request to the first event at the last
of the N clients. The servers take turns (``--rounds``), so a drift of the machine's
speed falls on all three.

    .venv/bin/python bench/fanout.py [--clients 200] [--rounds 3] [--broadcasts 40]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import httpx
import socketio
import uvicorn
from claim_to_screen import _answer, _body, _lifespan, fmt, now
from provenance import print_provenance

from backend.realtime.fanout import DirectFanout
from backend.server import free_port, freeze_startup_heap, uvicorn_config

EVENT = {
    "id": 1,
    "type": "claimed",
    "subscription_id": 123456,
    "actor": 7,
    "payload": {
        "queue_id": 42,
        "claim_id": 17,
        "seller_id": 7,
        "seller_name": "Bench Seller",
        "claim_type": "first_sales",
        "revenue_usd": "1234.00",
        "subscription_id": 123456,
        "is_jackpot": False,
        "claimed_at": "2026-12-03T09:00:00+00:00",
    },
    "created_at": "2026-12-03T09:00:00+00:00",
}
PER_REQUEST = 3
KINDS = ("stock", "direct", "direct-written")


Route = Callable[[dict[str, Any]], Awaitable[bytes]]


def serve_child(sio: Any, port: int, routes: dict[str, Route]) -> int:
    """A bench server child: Socket.IO on ``sio`` and HTTP ``routes`` (path → handler of
    the scope, answering the body of a 200) on one port, under uvicorn as ``serve``
    configures it, with the startup heap frozen."""

    async def http(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        await _body(receive)
        route = routes.get(scope["path"])
        await _answer(send, 200, b"{}" if route is None else await route(scope))

    app = socketio.ASGIApp(sio, other_asgi_app=http)
    freeze_startup_heap()
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, log_level="error")).run()
    return 0


def cpu_stats(samples: dict[str, list[float]]) -> Route:
    """``/stats``: the samples so far (then cleared) and the process's CPU seconds."""

    async def stats(_scope: dict[str, Any]) -> bytes:
        cpu = os.times()
        body = json.dumps({**samples, "cpu": cpu.user + cpu.system}).encode()
        for xs in samples.values():
            xs.clear()
        return body

    return stats


def child(kind: str, port: int) -> int:
    manager = DirectFanout() if kind.startswith("direct") else socketio.AsyncManager()
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    inside: list[float] = []

    async def emit(_scope: dict[str, Any]) -> bytes:
        for i in range(PER_REQUEST):
            t = now()
            await sio.emit("claimed" if i == 0 else "other", EVENT)
            inside.append((now() - t) * 1000)
            if kind == "direct-written" and i < PER_REQUEST - 1:  # as the relay does
                await manager.written(None, 0.01)
        return b"{}"

    return serve_child(sio, port, {"/emit": emit, "/stats": cpu_stats({"inside": inside})})


async def measure(url: str, n: int, broadcasts: int) -> dict[str, list[float] | float]:
    started: dict[int, float] = {}
    last: dict[int, float] = {}
    seen: dict[int, int] = {}
    current = [0]

    def on_claimed(_data: Any) -> None:
        k = current[0]
        seen[k] = seen.get(k, 0) + 1
        if seen[k] == n:
            last[k] = now()

    clients = []
    for _ in range(n):
        c = socketio.AsyncClient(reconnection=False)
        c.on("claimed", on_claimed)
        await c.connect(url, transports=["websocket"])
        clients.append(c)
    freeze_startup_heap()
    async with aiohttp.ClientSession(url) as http:
        for k in range(-3, broadcasts):  # 3 warm-up broadcasts
            if k == 0:  # the measured part starts
                await asyncio.sleep(0.5)
                before = await (await http.get("/stats")).json()
            current[0] = k
            started[k] = now()
            await (await http.get("/emit")).read()
            await asyncio.sleep(0.2)
        stats = await (await http.get("/stats")).json()
    for c in clients:
        await c.disconnect()
    arrive = [(last[k] - started[k]) * 1000 for k in range(broadcasts) if k in last]
    return {"inside": stats["inside"], "arrive": arrive, "cpu": stats["cpu"] - before["cpu"]}


@contextlib.contextmanager
def child_server(script: str, kind: str) -> Iterator[str]:
    """``script --child KIND`` in its own process, once its ``/stats`` answers: its URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, script, "--child", kind, "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/stats", timeout=1)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def run(kind: str, n: int, broadcasts: int) -> dict[str, Any]:
    with child_server(__file__, kind) as url:
        return asyncio.run(measure(url, n, broadcasts))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--broadcasts", type=int, default=40)
    p.add_argument("--quick", action="store_true", help="one round of 10")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.port)
    rounds, broadcasts = (1, 10) if args.quick else (args.rounds, args.broadcasts)
    print_provenance(f"{args.clients} clients, {rounds} rounds × {broadcasts} requests")
    out: dict[str, dict[str, Any]] = {}
    for r in range(rounds):
        for kind in KINDS[r % 3 :] + KINDS[: r % 3]:
            res = run(kind, args.clients, broadcasts)
            agg = out.setdefault(kind, {"inside": [], "arrive": [], "cpu": 0.0, "n": 0})
            agg["inside"] += res["inside"]
            agg["arrive"] += res["arrive"]
            agg["cpu"] += res["cpu"]
            agg["n"] += broadcasts
    print(f"{PER_REQUEST} broadcasts per request to {args.clients} sockets:")
    for kind in KINDS:
        a = out[kind]
        cpu = a["cpu"] / a["n"] * 1000
        print(f"  {kind:14s} one emit (queuing)         {fmt(a['inside'])}")
        print(f"  {kind:14s} request → `claimed` at all {fmt(a['arrive'])}")
        print(f"  {kind:14s} server CPU per request     {cpu:.1f} ms")
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
