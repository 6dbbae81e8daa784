"""What the ``/metrics`` request-time middleware costs per request (issue 24).

The FastAPI app as ``serve`` builds it, driven in-process through raw ASGI calls (no
socket, no HTTP client: their cost would hide the middleware's), ``GET /healthz`` and
``GET /api/leaderboard/wins`` with no token (the authorization's 401: the route is matched
and answered without a database read). Two apps, one with ``RequestMetricsMiddleware`` and
one without it, timed in alternating rounds of ``--requests`` requests; the median
µs/request of each and their difference.

Usage:
  .venv/bin/python bench/metrics_overhead.py [--rounds 10] [--requests 2000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.api.metrics import RequestMetricsMiddleware
from backend.server import build
from backend.settings import load_settings


def make_api(data_dir: Path, *, with_metrics: bool) -> Any:
    settings = load_settings(data_dir=data_dir, jwt_secret="x" * 40)
    api = build(settings).api
    if not with_metrics:
        api.user_middleware = [
            m for m in api.user_middleware if m.cls is not RequestMetricsMiddleware
        ]
    api.middleware_stack = api.build_middleware_stack()
    return api


async def call(app: Any, path: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def round_us(app: Any, path: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await call(app, path)
    return (time.perf_counter() - start) / n * 1e6


async def main(rounds: int, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        apps = {
            "with": make_api(Path(tmp) / "a", with_metrics=True),
            "without": make_api(Path(tmp) / "b", with_metrics=False),
        }
        for path, want in (("/healthz", 200), ("/api/leaderboard/wins", 401)):
            for app in apps.values():
                assert await call(app, path) == want
                await round_us(app, path, 200)  # warm-up
            times: dict[str, list[float]] = {k: [] for k in apps}
            for i in range(rounds):
                order = list(apps) if i % 2 == 0 else list(reversed(apps))
                for k in order:
                    times[k].append(await round_us(apps[k], path, n))
            w, wo = statistics.median(times["with"]), statistics.median(times["without"])
            diffs = [a - b for a, b in zip(times["with"], times["without"], strict=True)]
            print(
                f"{path}: with {w:.1f} µs/request, without {wo:.1f} µs/request, "
                f"middleware {statistics.median(diffs):+.1f} µs "
                f"(pairs min {min(diffs):+.1f} max {max(diffs):+.1f}; {rounds}×{n} each)"
            )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--quick", action="store_true", help="4 rounds of 500")
    a = p.parse_args()
    if a.quick:
        a.rounds, a.requests = 4, 500
    asyncio.run(main(a.rounds, a.requests))
