"""A batch of events through the real relay to N screens: a claim (3 events) and an ingest
burst (a ``claimed`` then ``queue.new`` after ``queue.new``), for the relay's waits between
broadcasts.

Each server runs in its own process (uvicorn as ``serve`` configures it): a bare Socket.IO
server with ``backend.realtime.relay.EventRelay`` in front of it (no database: the batch is
handed to the relay's ``_send`` as a commit would hand it). This process connects N clients
(python-socketio, websocket) into the ``everyone`` room and asks the server, one batch at a
time, to send a batch; the next batch follows when every client has the whole batch and a
pause has passed. Three servers, taking turns (``--rounds``):

- ``stock``: python-socketio's manager (a task per recipient; the relay cannot wait for
  the writers, so it queues the whole batch at once);
- ``per-event``: ``DirectFanout`` and a wait for the writers after every event (round 7);
- ``every-8``: ``DirectFanout``, a wait after the first event and then after every 8th
  (``WRITTEN_EVERY``, as shipped).

Measured per batch: the relay's ``_send`` (how long it holds the relay's lock: a claim
committed meanwhile waits that long), the server's CPU, and from the request to the batch's
first event (``claimed``) and to its last event at the last of the N clients.

    .venv/bin/python bench/relay_burst.py [--clients 200] [--sizes 3,200] [--batches 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import socketio
from claim_to_screen import fmt, now
from fanout import EVENT, child_server, cpu_stats, serve_child
from provenance import print_provenance

from backend.realtime import relay as relay_mod
from backend.realtime.fanout import DirectFanout
from backend.realtime.relay import EventRelay, StoredEvent
from backend.server import freeze_startup_heap

KINDS = ("stock", "per-event", "every-8")
PAUSE_S = 0.2
NO_DB = SimpleNamespace(engine=SimpleNamespace(dialect=SimpleNamespace(name="sqlite")))


def child(kind: str, port: int) -> int:
    manager = socketio.AsyncManager() if kind == "stock" else DirectFanout()
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    relay = EventRelay(NO_DB, sio)  # type: ignore[arg-type]
    relay.written_every = 1 if kind == "per-event" else relay_mod.WRITTEN_EVERY
    held: list[float] = []

    @sio.event
    async def connect(sid: str, _environ: Any) -> None:
        await sio.enter_room(sid, "everyone")

    async def send_batch(scope: dict[str, Any]) -> bytes:
        q = parse_qs(scope["query_string"].decode())
        size, k = int(q["size"][0]), int(q["k"][0])
        rows = []
        for i in range(size):
            ev_id = relay.cursor + 1 + i
            payload: dict[str, Any] = {**EVENT["payload"], "k": k, "i": i}  # type: ignore[dict-item]
            env = {**EVENT, "id": ev_id, "type": "claimed" if i == 0 else "queue.new"}
            env["payload"] = payload
            rows.append(StoredEvent(ev_id, "everyone", env))
        t = now()
        await relay._send(rows)
        held.append((now() - t) * 1000)
        return b"{}"

    return serve_child(sio, port, {"/send": send_batch, "/stats": cpu_stats({"held": held})})


async def measure(url: str, n: int, size: int, batches: int) -> dict[str, Any]:
    first: dict[int, int] = {}
    whole: dict[int, int] = {}
    t_first: dict[int, float] = {}
    t_whole: dict[int, float] = {}
    done: dict[int, asyncio.Future[None]] = {}

    def on_event(data: Any) -> None:
        k, i = data["payload"]["k"], data["payload"]["i"]
        if i == 0:
            first[k] = first.get(k, 0) + 1
            if first[k] == n:
                t_first[k] = now()
        if i == size - 1:
            whole[k] = whole.get(k, 0) + 1
            if whole[k] == n:
                t_whole[k] = now()
                done[k].set_result(None)

    clients = []
    for _ in range(n):
        c = socketio.AsyncClient(reconnection=False)
        c.on("claimed", on_event)
        c.on("queue.new", on_event)
        await c.connect(url, transports=["websocket"])
        clients.append(c)
    freeze_startup_heap()
    started: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(url) as http:
        for k in range(-2, batches):  # 2 warm-up batches
            if k == 0:
                await asyncio.sleep(0.5)
                before = await (await http.get("/stats")).json()
            done[k] = loop.create_future()
            started[k] = now()
            await (await http.get(f"/send?size={size}&k={k}")).read()
            await asyncio.wait_for(done[k], 60)
            await asyncio.sleep(PAUSE_S)
        stats = await (await http.get("/stats")).json()
    for c in clients:
        await c.disconnect()
    ks = range(batches)
    return {
        "held": stats["held"],
        "first": [(t_first[k] - started[k]) * 1000 for k in ks],
        "whole": [(t_whole[k] - started[k]) * 1000 for k in ks],
        "cpu": stats["cpu"] - before["cpu"],
    }


def run(kind: str, n: int, size: int, batches: int) -> dict[str, Any]:
    with child_server(__file__, kind) as url:
        return asyncio.run(measure(url, n, size, batches))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--sizes", default="3,200", help="events per batch")
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="one round of 5 batches")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.port)
    rounds, batches = (1, 5) if args.quick else (args.rounds, args.batches)
    sizes = [int(s) for s in args.sizes.split(",")]
    print_provenance(f"{args.clients} clients, {rounds} rounds × {batches} batches of {sizes}")
    for size in sizes:
        out: dict[str, dict[str, Any]] = {}
        for r in range(rounds):
            for kind in KINDS[r % 3 :] + KINDS[: r % 3]:
                res = run(kind, args.clients, size, batches)
                agg = out.setdefault(kind, {"held": [], "first": [], "whole": [], "cpu": 0.0})
                for key in ("held", "first", "whole"):
                    agg[key] += res[key]
                agg["cpu"] += res["cpu"]
        print(f"batches of {size} events to {args.clients} sockets:")
        for kind in KINDS:
            a = out[kind]
            cpu = a["cpu"] / (rounds * batches) * 1000
            print(f"  {kind:9s} relay busy with the batch   {fmt(a['held'])}")
            print(f"  {kind:9s} request → first at all      {fmt(a['first'])}")
            print(f"  {kind:9s} request → whole batch at all {fmt(a['whole'])}")
            print(f"  {kind:9s} server CPU per batch        {cpu:.1f} ms")
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
