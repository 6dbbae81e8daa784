"""Full garbage collections at quiet moments, in a serving process.

Once ``serve`` has frozen its startup heap (``backend.server.freeze_startup_heap``), a full
(generation 2) collection still walks everything allocated since: the sockets' sessions,
caches, compiled statements. At 200 screens that is ~10-30 ms, about once every few
seconds of claims (``docs/bench/realtime.md``, round 12 and 13). Left automatic, it runs
whenever an allocation crosses the threshold, which is mostly in the middle of a claim or a
broadcast: every screen then gets that claim that much later.

:class:`QuietCollector` takes generation 2 off the automatic schedule (its threshold set
out of reach; generations 0 and 1 stay automatic: they are short) and runs it itself, on
the event loop, when it is due and the server is quiet: no HTTP request in flight and
nothing sent for :attr:`quiet_s`. "Due" is what CPython's own rule counts: more
generation-1 collections since the last full one than the original threshold. A server
that is never quiet still gets its full collection, :attr:`overdue_s` after it fell due, so
cyclic garbage cannot pile up. Stopping restores the thresholds.

Activity comes from :class:`BusyTracker` (an ASGI wrapper counting HTTP requests; Socket.IO
long-polls are left out, they hang for seconds by design) and from :meth:`touch` (the relay,
after each send).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# a generation-2 threshold no server reaches (threshold is a C int in CPython 3.11)
OUT_OF_REACH = 2**31 - 1


class QuietCollector:
    """Run full collections when the server is quiet (see the module's docstring)."""

    def __init__(
        self,
        *,
        quiet_s: float = 0.1,
        overdue_s: float = 10.0,
        idle_poll_s: float = 0.5,
        due_poll_s: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet_s = quiet_s
        self.overdue_s = overdue_s
        self.idle_poll_s = idle_poll_s
        self.due_poll_s = due_poll_s
        self.clock = clock
        self.in_flight = 0
        self.last_active = clock()
        self.due_since: float | None = None
        self.collections = 0  # full collections run at a quiet moment
        self.forced = 0  # full collections run because they were overdue
        self._saved: tuple[int, int, int] | None = None
        self._task: asyncio.Task[None] | None = None

    # ---- activity (on the event loop: the ASGI wrapper, the relay) ------------------------
    def begin(self) -> None:
        self.in_flight += 1

    def end(self) -> None:
        self.in_flight -= 1
        self.last_active = self.clock()

    def touch(self) -> None:
        self.last_active = self.clock()

    @property
    def running(self) -> bool:
        return self._saved is not None

    @property
    def every(self) -> int | None:
        """Generation-1 collections between two full ones (the original threshold), or None
        while the collector keeps its own schedule."""
        return None if self._saved is None else max(1, self._saved[2])

    # ---- lifecycle (on the event loop) ----------------------------------------------------
    def take_over(self) -> None:
        """Take generation 2 off the automatic schedule (:meth:`step` then runs it)."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], OUT_OF_REACH)

    def give_back(self) -> None:
        """Give the collector its own schedule back."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def start(self) -> None:
        """:meth:`take_over` and watch from a task of the running loop."""
        if self._task is None:
            self.take_over()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="quiet-gc")

    async def stop(self) -> None:
        """Stop watching, then :meth:`give_back`."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.give_back()

    # ---- the decision -------------------------------------------------------------------
    def step(self) -> str | None:
        """Look once: run a full collection if it is due and the server is quiet (or it is
        overdue). Returns ``"quiet"`` or ``"overdue"`` when it ran one, else None."""
        every = self.every
        if every is None or gc.get_count()[2] < every:
            self.due_since = None
            return None
        now = self.clock()
        if self.due_since is None:
            self.due_since = now
        quiet = self.in_flight <= 0 and now - self.last_active >= self.quiet_s
        overdue = now - self.due_since >= self.overdue_s
        if not (quiet or overdue):
            return None
        started = time.perf_counter()
        found = gc.collect(2)
        self.due_since = None
        if quiet:
            self.collections += 1
        else:
            self.forced += 1
        log.debug(
            "full collection (%s): %d unreachable, %.1f ms",
            "quiet" if quiet else "overdue",
            found,
            (time.perf_counter() - started) * 1000,
        )
        return "quiet" if quiet else "overdue"

    async def _run(self) -> None:
        while True:
            try:
                self.step()
            except Exception:  # never let the watch die: the thresholds stay as they are
                log.exception("quiet collector: a full collection failed")
            await asyncio.sleep(self.due_poll_s if self.due_since is not None else self.idle_poll_s)


class BusyTracker:
    """ASGI middleware: each HTTP request is activity for a :class:`QuietCollector` (in
    flight from its start until its response is done). Socket.IO's own HTTP requests are
    not counted: a long-poll hangs for up to its ping interval by design."""

    winroom: Any = None  # the server's WinRoomApp (set by ``backend.server.build``)

    def __init__(
        self, app: Any, collector: QuietCollector, skip_prefix: str = "/socket.io"
    ) -> None:
        self.app = app
        self.collector = collector
        self.skip_prefix = skip_prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(self.skip_prefix):
            await self.app(scope, receive, send)
            return
        self.collector.begin()
        try:
            await self.app(scope, receive, send)
        finally:
            self.collector.end()
