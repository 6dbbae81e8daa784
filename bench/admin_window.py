"""Admin window benchmark: the Claims tab over 100,000 claims served over loopback.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/admin_window.py [--claims N] [--pages P]

The fake §4a API (``tests/desktop/admin/fake_api.py``) runs in a child process with a
Socket.IO server; this process runs the real window, controller, ``AdminApi`` and
``LiveFeed`` on a qasync loop, logged in as finance. A 2 ms heartbeat timer on the Qt thread
measures how long the thread was blocked (a gap beyond the interval). Measured:
- first rows painted: from opening the Claims tab to the first paint of its table with rows;
- scrolling through P pages (100 claims each, fetched as the view reaches the end; 10 rows
  a frame at 60 Hz, about 600 rows a second): the longest UI-thread block; a frame = the
  scroll (Qt blits the viewport) plus painting the strip it uncovered, synchronously; and
  every 10th frame a repaint of the whole table (the worst case: a reset or a resize);
- a burst of 200 live events (claim.adjusted, finance.status_changed, queue.updated,
  queue.new) while the Claims and Queue tables are open: the longest block until every
  reload they caused has landed;
- a soak: every tab opened, then ``--soak-bursts`` bursts of 200 events (10,000 by default,
  more than a busy floor sends in an hour): RSS after a warm-up and at the end, and the
  longest block meanwhile; and every cyclic-GC pause of the run.
The burst trigger is posted from a worker thread, so the bench's own HTTP client does not
cost the Qt thread it measures. The box is shared: run it a few times, the load of other
processes moves every figure.
Targets: first rows ≤ 300 ms; no block > 50 ms; frame p99 ≤ 16 ms; RSS growth < 10 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_fake(port: int, claims: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.desktop.admin.fake_api",
            "--port",
            str(port),
            "--claims",
            str(claims),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the URL once it listens
    return proc


class Heartbeat:
    """Ticks every ``interval_ms`` on the Qt thread; a late tick is a block."""

    def __init__(self, interval_ms: int = 2) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self.last = time.perf_counter()
        self.blocks: list[float] = []

    def start(self) -> None:
        self.reset()
        self.timer.start()

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.blocks = []

    def tick(self) -> None:
        now = time.perf_counter()
        self.blocks.append(max(0.0, now - self.last - self.interval))
        self.last = now

    def worst_ms(self) -> float:
        return max(self.blocks, default=0.0) * 1000


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


async def scenario(args: argparse.Namespace, server: str) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, QObject

    from winroom_desktop.admin_app import AdminController, make_feed, settle_heap
    from winroom_desktop.net.admin_api import AdminApi
    from winroom_desktop.net.api import ApiClient
    from winroom_desktop.views.admin.window import AdminWindow

    window = AdminWindow(server)
    window.resize(1920, 1080)
    window.show()
    client = ApiClient(server, timeout=10)
    ref: list[AdminController] = []
    feed = make_feed(client, ref)
    controller = AdminController(window, AdminApi(client), feed, None)
    ref.append(controller)
    settle_heap()  # as setup_admin does
    user = await client.login("finance@example.com", "secret")
    gc_pauses: list[tuple[float, int]] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            on_gc.t = time.perf_counter()  # type: ignore[attr-defined]
        else:
            gc_pauses.append(((time.perf_counter() - on_gc.t) * 1000, info["generation"]))  # type: ignore[attr-defined]

    import gc

    gc.callbacks.append(on_gc)
    window.set_user(user)
    window.show_tab("sellers")  # start elsewhere: the Claims tab opens in the measurement
    controller.start(user)
    claims = window.pages["claims"]

    async def until(cond: Any, timeout: float = 30) -> None:
        end = time.perf_counter() + timeout
        while not cond():
            if time.perf_counter() > end:
                raise TimeoutError("benchmark condition not reached")
            await asyncio.sleep(0.002)

    await until(lambda: feed.state == "connected" and bool(controller.sellers))
    await until(lambda: window.pages["sellers"].model.rowCount() > 0)
    await asyncio.sleep(0.5)

    painted: list[float] = []

    class PaintWatch(QObject):
        def eventFilter(self, obj: Any, ev: Any) -> bool:
            if ev.type() == QEvent.Type.Paint and claims.model.rowCount() and not painted:
                painted.append(time.perf_counter())
            return False

    watch = PaintWatch()
    claims.table.viewport().installEventFilter(watch)
    hb = Heartbeat()
    hb.start()
    t0 = time.perf_counter()
    window.show_tab("claims")
    await until(lambda: bool(painted))
    first_rows_ms = (painted[0] - t0) * 1000
    open_block = hb.worst_ms()
    claims.table.viewport().removeEventFilter(watch)

    # -- scroll through pages: 10 rows a frame at ~60 Hz
    await asyncio.sleep(0.3)
    hb.reset()
    frames: list[float] = []
    full: list[float] = []
    from PySide6.QtCore import QRect

    bar = claims.table.verticalScrollBar()
    target = args.pages * 100
    start = time.perf_counter()
    while claims.model.rowCount() < target:
        if time.perf_counter() - start > 120:
            break
        step = 10 * claims.table.verticalHeader().defaultSectionSize()
        f0 = time.perf_counter()
        bar.setValue(bar.value() + step)  # Qt blits the viewport and paints what it uncovered:
        vp = claims.table.viewport()
        vp.repaint(QRect(0, max(0, vp.height() - step), vp.width(), step))  # that strip, now
        frames.append((time.perf_counter() - f0) * 1000)
        if len(frames) % 10 == 0:  # and now and then the whole table (worst case)
            f0 = time.perf_counter()
            claims.table.viewport().repaint()
            full.append((time.perf_counter() - f0) * 1000)
        await asyncio.sleep(1 / 60)
    scroll_s = time.perf_counter() - start
    scroll_block = hb.worst_ms()
    scroll_blocks = [b * 1000 for b in hb.blocks]
    rows_loaded = claims.model.rowCount()

    # -- a burst of 200 live events with the Claims and Queue tables open
    window.show_tab("queue")
    await until(lambda: window.pages["queue"].model.rowCount() > 0)
    window.show_tab("claims")
    await asyncio.sleep(0.3)
    visible = [r["id"] for r in claims.model.list.rows[:40]]
    before_events = controller.last_event_id or 0
    import httpx

    poster = httpx.Client(base_url=server, timeout=30)

    async def trigger(spec: dict[str, Any]) -> None:
        """Ask the fake for a burst from a worker thread: the bench's own HTTP client must
        not cost the Qt thread it measures (an httpx client's SSL set-up takes ~40 ms)."""
        await asyncio.to_thread(poster.post, "/_fake/burst", json=spec)

    hb.reset()
    await trigger({"n": 200, "claims": visible})
    await until(lambda: (controller.last_event_id or 0) >= before_events + 200, 30)
    await asyncio.sleep(0.2)
    await until(lambda: controller.pending.empty() and len(controller.tasks) == 0, 30)
    burst_block = hb.worst_ms()
    changed = len(claims.model.list.changed_by)

    # -- soak: every tab opened, then bursts of live events; RSS before and after
    rss_before = rss_after = 0.0
    soak_block = 0.0
    if args.soak_bursts:
        import psutil

        for spec in window.visible_specs():
            window.show_tab(spec.name)
            await asyncio.sleep(0.4)
        window.show_tab("claims")
        for _ in range(3):  # warm up: caches and pools reach their size
            await trigger({"n": 200, "claims": visible})
            await asyncio.sleep(0.5)
        await until(lambda: controller.pending.empty() and len(controller.tasks) == 0, 30)
        gc.collect()
        rss_before = psutil.Process().memory_info().rss / 2**20
        hb.reset()
        for k in range(args.soak_bursts):
            some = [r["id"] for r in claims.model.list.rows[(k * 37) % 1500 :][:40]]
            await trigger({"n": 200, "claims": some})
            await asyncio.sleep(0.3)
        await until(lambda: controller.pending.empty() and len(controller.tasks) == 0, 60)
        soak_block = hb.worst_ms()
        gc.collect()
        rss_after = psutil.Process().memory_info().rss / 2**20
    hb.timer.stop()
    poster.close()
    await controller.close()
    return {
        "claims": args.claims,
        "first_rows_painted_ms": round(first_rows_ms, 1),
        "open_worst_block_ms": round(open_block, 1),
        "scroll_pages": rows_loaded // 100,
        "scroll_seconds": round(scroll_s, 2),
        "scroll_worst_block_ms": round(scroll_block, 1),
        "scroll_block_p99_ms": round(pct(scroll_blocks, 0.99), 1),
        "frame_p50_ms": round(statistics.median(frames), 2) if frames else None,
        "frame_p99_ms": round(pct(frames, 0.99), 2),
        "full_repaint_p50_ms": round(statistics.median(full), 2) if full else None,
        "full_repaint_p99_ms": round(pct(full, 0.99), 2),
        "burst_events": 200,
        "burst_worst_block_ms": round(burst_block, 1),
        "burst_rows_marked_changed": changed,
        "soak_events": args.soak_bursts * 200,
        "soak_rss_mb_before": round(rss_before, 1),
        "soak_rss_mb_after": round(rss_after, 1),
        "soak_rss_growth_percent": round((rss_after / rss_before - 1) * 100, 1)
        if rss_before
        else None,
        "soak_worst_block_ms": round(soak_block, 1),
        "gc_worst_pause_ms": round(max((p for p, _ in gc_pauses), default=0.0), 1),
        "gc_collections": len(gc_pauses),
        "gc_worst_generation": max(gc_pauses, default=(0.0, -1))[1],
        "gc_full_collections": sum(1 for _, g in gc_pauses if g == 2),
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--claims", type=int, default=100_000)
    p.add_argument("--pages", type=int, default=20)
    p.add_argument(
        "--soak-bursts",
        type=int,
        default=50,
        help="bursts of 200 events for the RSS soak (0: none)",
    )
    args = p.parse_args()
    port = free_port()
    proc = start_fake(port, args.claims)
    try:
        import qasync
        from PySide6.QtWidgets import QApplication

        from winroom_desktop.app import QtThreadGc

        app = QApplication.instance() or QApplication(sys.argv[:1])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        gc = QtThreadGc()
        with loop:
            result = loop.run_until_complete(scenario(args, f"http://127.0.0.1:{port}"))
        gc.stop()
    finally:
        proc.terminate()
        proc.wait(10)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
