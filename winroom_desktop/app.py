"""One ``QApplication`` + qasync loop for every ``winroom`` mode, and the options they share.

A mode (TV, seller, admin) calls ``run_app(args, setup)``; ``setup(ctx)`` is a coroutine
that builds its windows, starts its feeds and calls ``ctx.set_main_window(w)``. This module
then handles what every mode does the same way:

- ``--size WxH``: the window is shown at exactly that size (windowed);
- ``--screenshot PATH --quit-after S``: S seconds after start the main window is grabbed,
  saved as PNG and the app exits 0 — whatever the server's state (the window shows it);
- ``--quit-after S`` alone: exit 0 after S seconds;
- no display (no ``DISPLAY``/``WAYLAND_DISPLAY``, ``QT_QPA_PLATFORM`` unset): say so in one
  line and run on the ``offscreen`` platform;
- cleanups (``ctx.on_exit(coro_fn)``) run before the loop closes, so feeds disconnect;
- the cyclic garbage collector runs on the Qt thread only (:class:`QtThreadGc`).

Blocking calls on the Qt thread are not allowed: network goes through ``winroom_desktop.net``
(async on this loop).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x", 1)
        size = int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: use WxH, e.g. 1920x1080") from None
    if not (160 <= size[0] <= 16384 and 120 <= size[1] <= 16384):
        raise argparse.ArgumentTypeError(f"size {text!r} out of range")
    return size


def positive_seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if v <= 0 or v > 86400:
        raise argparse.ArgumentTypeError(f"seconds out of range: {text!r}")
    return v


def add_window_arguments(p: argparse.ArgumentParser) -> None:
    """The options every ``winroom`` mode takes (CONTRACT §1)."""
    p.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window and exit 0")
    p.add_argument(
        "--quit-after", metavar="SECONDS", type=positive_seconds, help="exit after SECONDS"
    )
    p.add_argument("--size", metavar="WxH", type=parse_size, help="window size in logical px")


def has_display() -> bool:
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def ensure_platform(quiet: bool = False) -> bool:
    """Fall back to the offscreen platform without a display; ``True`` if one was found."""
    if has_display():
        return True
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if not quiet:
        print(
            "winroom: no display found (DISPLAY/WAYLAND_DISPLAY unset): running headless",
            file=sys.stderr,
        )
    return False


class QtThreadGc:
    """Run Python's cyclic garbage collector on the Qt thread only.

    Left automatic, a collection runs in whichever thread allocates when a threshold is hit
    — an executor thread here — and a Qt object caught in a cycle is then destroyed off the
    Qt thread, which can crash Qt later. The usual cure (as pyqtgraph's
    ``GarbageCollector``): turn automatic collection off and collect, generation by
    generation as the thresholds say, from a Qt timer. Stopping restores the old state."""

    def __init__(self, interval_ms: int = 1000) -> None:
        from PySide6.QtCore import QTimer

        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer()
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        counts = gc.get_count()
        generation = -1
        for gen in range(3):
            if counts[gen] > self.threshold[gen]:
                generation = gen
            else:
                break
        if generation >= 0:
            gc.collect(generation)

    def stop(self) -> None:
        self.timer.stop()
        if self.was_enabled:
            gc.enable()


class AppContext:
    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop, args: argparse.Namespace):
        self.app = app
        self.loop = loop
        self.args = args
        self.main_window: Any = None
        self.exit_code = 0
        self.done: asyncio.Future[int] = loop.create_future()
        self._cleanups: list[Callable[[], Awaitable[None]]] = []

    def set_main_window(self, window: Any) -> None:
        self.main_window = window

    def on_exit(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._cleanups.append(fn)

    def quit(self, code: int = 0) -> None:
        if not self.done.done():
            self.done.set_result(code)

    async def run_cleanups(self) -> None:
        for fn in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(fn(), timeout=5)

    def screenshot(self, path: str | Path) -> bool:
        """Grab the main window into a PNG (``True`` on success)."""
        w = self.main_window
        if w is None:
            return False
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return bool(w.grab().save(str(path), "PNG"))


def run_app(
    args: argparse.Namespace,
    setup: Callable[[AppContext], Awaitable[None]],
    app_name: str = "Win Room",
) -> int:
    """Run a mode to the end; returns the exit code."""
    import qasync
    from PySide6.QtWidgets import QApplication

    ensure_platform(quiet=bool(getattr(args, "screenshot", None)))
    held = QApplication.instance()
    app = held if isinstance(held, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(app_name)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    ctx = AppContext(app, loop, args)
    app.lastWindowClosed.connect(lambda: ctx.quit(0))
    collector = QtThreadGc()
    shot = getattr(args, "screenshot", None)
    quit_after = getattr(args, "quit_after", None)
    if shot and not quit_after:
        quit_after = 3.0

    def _finish() -> None:
        if shot:
            if ctx.screenshot(shot):
                print(f"winroom: screenshot saved to {shot}", file=sys.stderr)
            else:
                print(f"winroom: could not save a screenshot to {shot}", file=sys.stderr)
                ctx.quit(1)
                return
        ctx.quit(0)

    code = 1
    try:
        # One run_until_complete for setup and the app's life: qasync processes a last batch
        # of Qt events after each run_until_complete with no running loop, and a task
        # started in setup and stepped there could not use httpx/anyio.
        async def main() -> int:
            await setup(ctx)
            if quit_after:
                loop.call_later(quit_after, _finish)
            return await ctx.done

        with loop:
            code = loop.run_until_complete(main())
            loop.run_until_complete(ctx.run_cleanups())
    except KeyboardInterrupt:
        code = 130
    finally:
        collector.stop()
        asyncio.set_event_loop(None)
    return code
