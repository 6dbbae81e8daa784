"""Presence over the socket: connect / disconnect / heartbeat / typing → presence events.

Loaded by the Socket.IO server through ``backend.realtime.extensions``. One
:class:`~backend.social.presence.PresenceBook` per API context (so per server process)
holds who is connected here; with Redis (several instances, CONTRACT §7) every book is
merged there (``shared_presence``) and each change is reported by one instance only. The
changes are written as ``presence.changed`` / ``typing`` events
through the event log (room ``staff``: TVs never see them), so they reach every client in
order and replay after a reconnect like every other event.

Client → server events:

- ``presence:heartbeat`` ``{"idle_seconds": N}`` every 30 s, and at once when the person
  comes back after being idle; acknowledged with ``{"status"}``;
- ``chat:typing`` (or ``typing``, the name of the broadcast) ``{"typing": true|false}``
  while typing (at most every ~2 s) and false on send; acknowledged with ``{"ok": true}``.

Timed transitions (idle → away, typing that clears itself after 5 s) are applied by a
sweep every second while anyone is connected (and on every socket signal), and written
like every other change. ``GET /api/presence`` reads the book as of the request without
changing it, so what it answers and what the events said never disagree for longer than a
sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio.to_thread

from backend.db.types import utcnow
from backend.eventlog import defer_events
from backend.realtime import extensions
from backend.social.actions import record_presence
from backend.social.presence import Change, PresenceBook, Status
from backend.social.shared_presence import SharedPresence, namespace_for

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 1.0
LEFT_EARLY_S = 60.0


@dataclass
class SocialLive:
    """The process's presence book, guarded for the loop and the API's worker threads."""

    book: PresenceBook = field(default_factory=PresenceBook)
    lock: threading.Lock = field(default_factory=threading.Lock)
    write_lock: asyncio.Lock | None = None
    sweeper: asyncio.Task[None] | None = None
    # sockets that left before their join was applied (the join must not add them then);
    # entries older than LEFT_EARLY_S are dropped, so the map stays small
    left_early: dict[str, float] = field(default_factory=dict)
    shared: SharedPresence | None = None  # with Redis: every instance's books merged

    def statuses(self) -> tuple[dict[int, Status], list[int]]:
        now = utcnow()
        if self.shared is not None:
            merged = self.shared.snapshot(now)
            if merged is not None:
                return merged.statuses, merged.typing
        with self.lock:  # read only: the sweeper reports the timed transitions as events
            return self.book.snapshot(now), self.book.typing_now(now)


_registry_lock = threading.Lock()


def live_for(ctx: Any) -> SocialLive:
    """The :class:`SocialLive` of an API context (created on first use)."""
    with _registry_lock:
        live = getattr(ctx, "_social_live", None)
        if live is None:
            live = SocialLive()
            settings = getattr(ctx, "settings", None)
            url = getattr(settings, "redis_url", None)
            if isinstance(url, str) and url:
                live.shared = SharedPresence(url, namespace_for(settings.db_url))  # type: ignore[union-attr]
            ctx._social_live = live
        return live


async def _apply(sctx: extensions.SocketContext, fn: Any) -> list[Change]:
    """Run ``fn(book, now)`` plus a sweep and write the changes in order."""
    live = live_for(sctx.ctx)
    if live.write_lock is None:
        live.write_lock = asyncio.Lock()
    async with live.write_lock:
        now = utcnow()
        with live.lock:
            changes = list(fn(live.book, now)) + live.book.sweep(now)
            entries = live.book.entries()
        if live.shared is not None:
            shared = await anyio.to_thread.run_sync(live.shared.sync, entries, now)
            if shared is not None:  # else Redis is down: this book's own changes
                changes = shared
        if changes:
            await anyio.to_thread.run_sync(_write, sctx.ctx, changes)
    return changes


def _ensure_sweeper(sctx: extensions.SocketContext) -> None:
    live = live_for(sctx.ctx)
    if live.sweeper is None or live.sweeper.done():
        live.sweeper = asyncio.create_task(_sweep_while_connected(sctx), name="presence-sweep")


async def _sweep_while_connected(sctx: extensions.SocketContext) -> None:
    """Every SWEEP_EVERY_S, apply and write the timed transitions; ends when the last
    person has disconnected (the next connect starts it again)."""
    live = live_for(sctx.ctx)
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            await _apply(sctx, lambda _book, _now: [])
        except Exception:
            log.exception("presence sweep failed; retrying")
        with live.lock:
            if not live.book.anyone_connected():
                return


async def stopped(ctx: Any) -> None:
    live = live_for(ctx)
    if live.sweeper is not None:
        live.sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await live.sweeper
        live.sweeper = None
    if live.shared is not None:  # this instance's sockets leave the shared view
        changes = await anyio.to_thread.run_sync(live.shared.leave, utcnow())
        if changes:
            await anyio.to_thread.run_sync(_write, ctx, changes)
        live.shared.close()
        live.shared = None


def _write(ctx: Any, changes: list[Change]) -> None:
    with ctx.db.transaction() as session:
        defer_events(session)  # inserted at the commit and handed to the relay (no read)
        record_presence(session, changes)


def _seller(sctx: extensions.SocketContext) -> int | None:
    return sctx.principal.seller_id


async def joined(sctx: extensions.SocketContext) -> None:
    seller_id = _seller(sctx)
    if seller_id is None:
        return  # TVs have no presence
    name = sctx.principal.name
    live = live_for(sctx.ctx)

    def join(book: PresenceBook, now: datetime) -> list[Change]:
        if live.left_early.pop(sctx.sid, None) is not None:
            return []  # it disconnected while its replay ran: never online
        return book.connect(seller_id, name, sctx.sid, now)

    await _apply(sctx, join)
    _ensure_sweeper(sctx)


async def left(sctx: extensions.SocketContext) -> None:
    if _seller(sctx) is None:
        return
    live = live_for(sctx.ctx)

    def leave(book: PresenceBook, now: datetime) -> list[Change]:
        if not book.knows(sctx.sid):  # its join is still to come (or never comes)
            at = time.monotonic()
            for sid in [s for s, t in live.left_early.items() if t < at - LEFT_EARLY_S]:
                del live.left_early[sid]
            live.left_early[sctx.sid] = at
            return []
        return book.disconnect(sctx.sid, now)

    await _apply(sctx, leave)


async def heartbeat(sctx: extensions.SocketContext, data: Any) -> Any:
    if _seller(sctx) is None:
        return {"error": "forbidden"}
    idle = 0.0
    if isinstance(data, dict):
        try:
            idle = float(data.get("idle_seconds", 0) or 0)
        except (TypeError, ValueError):
            idle = 0.0
    await _apply(sctx, lambda book, now: book.heartbeat(sctx.sid, idle, now))
    live = live_for(sctx.ctx)
    with live.lock:
        status = live.book.status(sctx.principal.seller_id or 0, utcnow())
    return {"status": status}


async def typing(sctx: extensions.SocketContext, data: Any) -> Any:
    if _seller(sctx) is None:
        return {"error": "forbidden"}
    flag = bool(data.get("typing")) if isinstance(data, dict) else bool(data)
    await _apply(sctx, lambda book, now: book.typing(sctx.sid, flag, now))
    return {"ok": True}


extensions.on_connect.append(joined)
extensions.on_disconnect.append(left)
extensions.on_stop.append(stopped)
extensions.register_handler("presence:heartbeat")(heartbeat)
extensions.register_handler("chat:typing")(typing)
# the name CONTRACT §5 gives the broadcast, accepted from clients too
extensions.register_handler("typing")(typing)
