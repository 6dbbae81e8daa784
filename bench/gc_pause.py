"""Full garbage collection pauses in a serving process, before and after freezing the heap.

A ``winroom-backend serve`` process holds its imports and its app (FastAPI, SQLAlchemy,
pydantic, Socket.IO, uvicorn: hundreds of thousands of objects) for its whole life; every
full (generation 2) collection walks them all. ``serve`` therefore calls
``backend.server.freeze_startup_heap()`` once started. This script measures what that buys,
in one process holding the server side only (no clients in the process, no HTTP):

1. the app built as ``serve`` builds it (``backend.server.build`` on a throwaway SQLite data
   dir), everything the serve path imports (``backend.cli``, the ingest worker, uvicorn's
   protocols through ``Config.load()``), the app started (its relay runs) in an event loop;
2. ``gc.collect()`` (a full collection) timed ``--collections`` times: p50 and max ms, and
   how many objects the collector tracks (``len(gc.get_objects())``);
3. automatic generation 2 collections (seen through ``gc.callbacks``) during ``--churn``
   seconds of steady allocation: messages (an event envelope shaped like the relay's and
   its TV copy) in a reference cycle, as a future and its callbacks are, ``--live`` of
   them in flight at a time (default 200: one per client at 200 clients), the rest cyclic
   garbage only the collector frees, as a server's request, task and session garbage is;
   some are in flight when a young collection runs and get promoted, which is what brings
   on full collections: count, p50, max and total ms. The churn allocates flat out, so the
   counts are an upper bound for a server; the pause lengths are the point (and the
   envelopes/s the share of the time the collections left to the work);
4. ``freeze_startup_heap()``, then 2 and 3 again (plus ``gc.get_freeze_count()``).

Usage:
  .venv/bin/python bench/gc_pause.py [--collections 10] [--churn 3] [--live 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provenance import print_provenance

from backend.db.migrate import upgrade
from backend.realtime.envelopes import tv_copy
from backend.runtime import database_for_url
from backend.server import WinRoomApp, build, freeze_startup_heap, uvicorn_config
from backend.settings import load_settings

JWT_SECRET = "bench-secret-0123456789abcdef-0123456789"
now = time.perf_counter


def fmt_ms(xs: list[float]) -> str:
    if not xs:
        return "p50       -  max       -  ms"
    return f"p50 {statistics.median(xs):7.2f}  max {max(xs):7.2f} ms"


def import_serve_path(app: WinRoomApp) -> None:
    """What ``winroom-backend serve`` has imported by the time it serves."""
    import backend.cli  # the serve command's entry point

    with contextlib.suppress(ImportError):  # the worker is on unless --no-worker
        import backend.ingest.worker  # noqa: F401
    uvicorn_config(app.asgi, "127.0.0.1", 0, log_level="error").load()  # protocols, lifespan


def full_collections(n: int) -> list[float]:
    pauses = []
    for _ in range(n):
        t0 = now()
        gc.collect()
        pauses.append((now() - t0) * 1000)
    return pauses


class Gen2Pauses:
    """Automatic collections by generation, timed through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = now()
        else:
            self.pauses[info["generation"]].append((now() - self._t0) * 1000)


def envelope(i: int) -> dict[str, Any]:
    """An event envelope shaped like ``backend.realtime.envelopes.envelope``'s."""
    return {
        "id": i,
        "type": "queue.claimed",
        "subscription_id": None,
        "actor": {"id": i % 10, "name": f"Seller {i % 10}", "email": f"s{i % 10}@winroom.io"},
        "payload": {
            "item_id": i,
            "seller": {"id": i % 10, "email": f"s{i % 10}@winroom.io"},
            "customer_email": f"c{i}@example.com",
            "revenue": f"{i % 997}.00",
            "items": [{"sku": f"SKU-{i % 50}", "qty": 1 + i % 3}],
        },
        "created_at": "2026-11-20T12:00:00+00:00",
    }


class InFlight:
    """One message on its way out, in a reference cycle as a future and its done-callbacks
    are: freed only by the collector, so it drives automatic collections as a server's
    request, task and session garbage does."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env
        self.tv = tv_copy(env)
        self.callbacks = [self.done]

    def done(self) -> None:
        self.callbacks.clear()


async def churn(seconds: float, live: int) -> tuple[Gen2Pauses, int]:
    """Build messages for ``seconds``, ``live`` of them in flight at a time (the rest cyclic
    garbage); yield to the event loop between batches. Timed once ``live`` are in flight."""
    rec = Gen2Pauses()
    kept: deque[InFlight] = deque(maxlen=live)
    built = 0
    while built < live:
        kept.append(InFlight(envelope(built)))
        built += 1
    built = 0
    gc.callbacks.append(rec)
    try:
        end = now() + seconds
        while now() < end:
            for _ in range(500):
                kept.append(InFlight(envelope(built)))
                built += 1
            await asyncio.sleep(0)
    finally:
        gc.callbacks.remove(rec)
    kept.clear()
    gc.collect()
    return rec, built


def report_churn(rec: Gen2Pauses, built: int, seconds: float) -> None:
    g2 = rec.pauses[2]
    print(
        f"  automatic gen2 collections in {seconds:.0f} s of churn "
        f"({built / seconds / 1000:.0f}k envelopes/s): {len(g2)}, {fmt_ms(g2)}, "
        f"total {sum(g2):.0f} ms"
    )
    g0, g1 = rec.pauses[0], rec.pauses[1]
    print(
        f"  (gen0: {len(g0)}, max {max(g0, default=0):.2f} ms; "
        f"gen1: {len(g1)}, max {max(g1, default=0):.2f} ms)"
    )


async def measure(app: WinRoomApp, args: argparse.Namespace) -> None:
    await app.startup()
    try:
        gc.collect()
        print(f"\n== before freezing ==  (load {os.getloadavg()[0]:.2f})")
        tracked = len(gc.get_objects())
        pauses = full_collections(args.collections)
        print(f"  objects tracked by the collector: {tracked:,}")
        print(f"  gc.collect() x{args.collections}: {fmt_ms(pauses)}")
        rec, built = await churn(args.churn, args.live)
        report_churn(rec, built, args.churn)

        frozen = freeze_startup_heap()
        print(f"\n== after freeze_startup_heap() ==  (load {os.getloadavg()[0]:.2f})")
        tracked = len(gc.get_objects())
        pauses = full_collections(args.collections)
        print(f"  objects frozen (gc.get_freeze_count()): {frozen:,}")
        print(f"  objects still tracked by the collector: {tracked:,}")
        print(f"  gc.collect() x{args.collections}: {fmt_ms(pauses)}")
        rec, built = await churn(args.churn, args.live)
        report_churn(rec, built, args.churn)
    finally:
        await app.shutdown()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--collections", type=int, default=10, help="full collections timed")
    p.add_argument("--churn", type=float, default=3.0, help="seconds of churn per phase")
    p.add_argument("--live", type=int, default=200, help="messages in flight in the churn")
    args = p.parse_args()
    print_provenance()
    print(f"gc thresholds: {gc.get_threshold()}")
    tmp = Path(tempfile.mkdtemp(prefix="wr-bench-"))
    try:
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        db = database_for_url(url)
        try:
            settings = load_settings(data_dir=tmp, database_url=url, jwt_secret=JWT_SECRET)
            app = build(settings, db)  # as `serve` builds it (freeze_gc is ours to call here)
            import_serve_path(app)
            asyncio.run(measure(app, args))
        finally:
            db.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nload average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
