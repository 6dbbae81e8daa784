"""A flood of reconnects, each replaying ``--events`` events, while claims flow.

The server is ``winroom-backend serve --no-worker`` of a code tree (``--code``, default this
one; the baseline: another checkout, run with its own venv) in its own process, on SQLite in
a temporary data dir seeded by this script (sellers, a TV token, ``--events`` stored
events, queue items to claim). This process is the probe: one live TV socket (``since``
null), a claim every ``1/--rate`` s over HTTP (claim → ``claimed`` at the live socket) and a
``GET /healthz`` every 20 ms. Two phases: quiet (no other socket), then the flood:
``--sockets`` TV sockets, in ``--procs`` child processes, all connecting at once with
``since`` = the newest id − ``--events``, each waiting for its whole replay. Measured:
claim → screen and ``/healthz`` p50/p99 per phase, the flood's duration and failures, the
server's RSS before, at its peak and ``--settle`` s after the flood's sockets left.

    .venv/bin/python bench/replay_flood.py [--sockets 300] [--events 2000] [--code DIR --python PY]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import socketio

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-0123456789abcdef0123456789"


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q / 100 * (len(xs) - 1)))]


def seed(data_dir: Path, events: int, claims: int) -> dict[str, Any]:
    from backend.accounts import issue_device_token
    from backend.auth import issue_token
    from backend.db.types import utcnow
    from backend.eventlog import append_events
    from backend.models import QueueItem, Seller
    from backend.passwords import hash_password
    from backend.runtime import open_database
    from backend.settings import load_settings

    settings = load_settings(data_dir=data_dir, jwt_secret=SECRET)
    db = open_database(settings, migrate=True)
    with db.transaction() as s:
        seller = Seller(
            email="s@winroom.io", name="S", role="sales", password_hash=hash_password("x" * 12)
        )
        s.add(seller)
        s.flush()
        token = issue_token(settings, seller)
        tv = issue_device_token(s, "Bench TV")
        items = []
        for i in range(claims):
            item = QueueItem(
                customer_email=f"c{i}@mail.com",
                customer_name="C",
                campaign_id=7,
                campaign_name="Gold 12",
                currency="USD",
                status="pending",
                finance_status="waiting",
                revenue_usd=Decimal("100"),
                cost_usd=Decimal("40"),
                margin_amount_usd=Decimal("60"),
                margin_percent=Decimal("0.6"),
                margin_quality="high",
                sale_created_at=utcnow(),
            )
            s.add(item)
            s.flush()
            items.append(item.id)
    payload = {"boards": ["wins", "revenue", "margin", "streaks", "points", "x" * 150]}
    for start in range(0, events, 1000):
        with db.transaction() as s:
            ids = append_events(
                s,
                [("leaderboard:refresh", payload, None) for _ in range(min(1000, events - start))],
            )
    db.dispose()
    return {"token": token, "tv": tv, "items": items, "latest": ids[-1], "db": db_file(data_dir)}


def db_file(data_dir: Path) -> str:
    return str(data_dir / "winroom.db")


def newest_id(path: str) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT max(id) FROM events").fetchone()[0])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---- the flood's sockets (child processes) ---------------------------------------------
def flood_child(url: str, tv: str, since: int, n: int, want: int, out: Any) -> None:
    async def one() -> tuple[bool, float]:
        got = 0
        done = asyncio.Event()
        c = socketio.AsyncClient(reconnection=False)

        @c.on("*")
        async def _any(_e: str, _d: Any) -> None:
            nonlocal got
            got += 1
            if got >= want:
                done.set()

        t = time.monotonic()
        try:
            await c.connect(
                url, auth={"token": tv, "since": since}, transports=["websocket"], wait_timeout=60
            )
            await asyncio.wait_for(done.wait(), 120)
            return True, time.monotonic() - t
        except Exception:
            return False, time.monotonic() - t
        finally:
            with contextlib.suppress(Exception):
                await c.disconnect()

    async def main() -> list[tuple[bool, float]]:
        return list(await asyncio.gather(*(one() for _ in range(n))))

    out.put(asyncio.run(main()))


# ---- the probe ------------------------------------------------------------------------
async def probe(url: str, seeded: dict[str, Any], args: argparse.Namespace, pid: int) -> dict:
    items = list(seeded["items"])
    arrived: dict[int, float] = {}
    live = socketio.AsyncClient(reconnection=False)

    @live.on("claimed")
    async def _claimed(d: Any) -> None:
        arrived[d["payload"]["queue_id"]] = time.monotonic()

    await live.connect(url, auth={"token": seeded["tv"], "since": None}, transports=["websocket"])
    headers = {"Authorization": f"Bearer {seeded['token']}"}

    async def phase(seconds: float, during: Any = None) -> dict[str, Any]:
        health: list[float] = []
        claims: list[float] = []
        stop = asyncio.Event()
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:

            async def healthz() -> None:
                while not stop.is_set():
                    t = time.monotonic()
                    with contextlib.suppress(httpx.HTTPError):  # a timeout counts as its time
                        await http.get("/healthz")
                    health.append((time.monotonic() - t) * 1000)
                    await asyncio.sleep(0.02)

            async def claimer() -> None:
                while not stop.is_set() and items:
                    qid = items.pop()
                    t = time.monotonic()
                    try:
                        r = await http.post(
                            "/api/claim",
                            json={"queue_id": qid, "claim_type": "upgrade"},
                            headers=headers,
                        )
                    except httpx.HTTPError:
                        claims.append((time.monotonic() - t) * 1000)  # timed out: its time
                        continue
                    if r.status_code == 201:
                        deadline = time.monotonic() + 30
                        while qid not in arrived and time.monotonic() < deadline:
                            await asyncio.sleep(0.001)
                        if qid in arrived:
                            claims.append((arrived[qid] - t) * 1000)
                    await asyncio.sleep(1 / args.rate)

            tasks = [asyncio.create_task(healthz()), asyncio.create_task(claimer())]
            extra: dict[str, Any] = {}
            if during is None:
                await asyncio.sleep(seconds)
            else:
                extra = await during()
            stop.set()
            await asyncio.gather(*tasks)
        return {"health": health, "claims": claims, **extra}

    quiet = await phase(args.quiet_s)
    await asyncio.sleep(1)
    rss_before = rss_mb(pid)

    async def flood() -> dict[str, Any]:
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        # from the newest id now (the quiet phase's claims added events): exactly
        # --events behind, within the default WINROOM_REPLAY_MAX
        since = await asyncio.to_thread(newest_id, seeded["db"]) - args.events
        per = args.sockets // args.procs
        procs = [
            ctx.Process(target=flood_child, args=(url, seeded["tv"], since, per, args.events, q))
            for _ in range(args.procs)
        ]
        peak = rss_before
        t = time.monotonic()
        for p in procs:
            p.start()
        results: list[tuple[bool, float]] = []
        while len(results) < per * args.procs:
            with contextlib.suppress(Exception):
                results.extend(await asyncio.to_thread(q.get, True, 0.5))
            peak = max(peak, rss_mb(pid))
            if time.monotonic() - t > 300:
                break
        for p in procs:
            p.join(10)
        ok = [d for good, d in results if good]
        return {
            "flood_s": time.monotonic() - t,
            "ok": len(ok),
            "failed": per * args.procs - len(ok),
            "replay_p50_s": pct(ok, 50),
            "replay_max_s": max(ok) if ok else float("nan"),
            "peak": peak,
        }

    busy = await phase(0, flood)
    await asyncio.sleep(args.settle)
    rss_after = rss_mb(pid)
    await live.disconnect()
    return {"quiet": quiet, "busy": busy, "rss": (rss_before, busy["peak"], rss_after)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--code", type=Path, default=ROOT, help="the code tree to serve")
    ap.add_argument("--python", default=sys.executable, help="its Python")
    ap.add_argument("--sockets", type=int, default=300)
    ap.add_argument("--procs", type=int, default=3)
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=4.0, help="claims per second")
    ap.add_argument("--quiet-s", type=float, default=10.0)
    ap.add_argument("--settle", type=float, default=10.0)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="replay-flood-"))
    seeded = seed(data, args.events, 400)
    port = int(
        subprocess.check_output(
            [sys.executable, "-c", "from backend.server import free_port; print(free_port())"],
            cwd=ROOT,
        )
    )
    env = {
        **os.environ,
        "WINROOM_DATA_DIR": str(data),
        "WINROOM_JWT_SECRET": SECRET,
        "WINROOM_CLAIM_RATE_LIMIT": "100000/minute",
        "PYTHONPATH": str(args.code),
        "PYTHONDONTWRITEBYTECODE": "1",  # a read-only baseline checkout stays untouched
    }
    server = subprocess.Popen(
        [args.python, "-m", "backend.cli", "serve", "--port", str(port), "--no-worker"],
        cwd=args.code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data / "server.err").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except Exception:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        res = asyncio.run(probe(url, seeded, args, server.pid))
    finally:
        server.terminate()
        server.wait(20)
    log_lines = (data / "server.err").read_text().splitlines()
    errors = sum(1 for line in log_lines if "ERROR" in line or "Traceback" in line)
    q, b = res["quiet"], res["busy"]
    before, peak, after = res["rss"]
    out = {
        "label": args.label or str(args.code),
        "sockets": args.sockets,
        "events": args.events,
        "quiet_claim_p50": pct(q["claims"], 50),
        "quiet_claim_p99": pct(q["claims"], 99),
        "quiet_healthz_p99": pct(q["health"], 99),
        "flood_claim_p50": pct(b["claims"], 50),
        "flood_claim_p99": pct(b["claims"], 99),
        "flood_claims": len(b["claims"]),
        "flood_healthz_p50": pct(b["health"], 50),
        "flood_healthz_p99": pct(b["health"], 99),
        "flood_healthz_max": max(b["health"]) if b["health"] else float("nan"),
        "flood_s": b["flood_s"],
        "replays_ok": b["ok"],
        "replays_failed": b["failed"],
        "replay_p50_s": b["replay_p50_s"],
        "replay_max_s": b["replay_max_s"],
        "rss_before_mb": before,
        "rss_peak_mb": peak,
        "rss_after_mb": after,
        "server_error_lines": errors,
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
