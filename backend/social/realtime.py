"""Presence over the socket: connect / disconnect / heartbeat / typing → presence events.

Loaded by the Socket.IO server through ``backend.realtime.extensions``. One
:class:`~backend.social.presence.PresenceBook` per API context (so per server process)
holds who is connected; its changes are written as ``presence.changed`` / ``typing`` events
through the event log (room ``staff``: TVs never see them), so they reach every client in
order and replay after a reconnect like every other event.

Client → server events:

- ``presence:heartbeat`` ``{"idle_seconds": N}`` every 30 s, and at once when the person
  comes back after being idle; acknowledged with ``{"status"}``;
- ``chat:typing`` (or ``typing``, the name of the broadcast) ``{"typing": true|false}``
  while typing (at most every ~2 s) and false on send; acknowledged with ``{"ok": true}``.

Timed transitions (idle → away, typing expiry) are applied lazily on every socket signal
and every ``GET /api/presence``; with each app heartbeating every 30 s, away is noticed
within 30 s of the 5-minute mark.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from backend.db.types import utcnow
from backend.eventlog import defer_events
from backend.realtime import extensions
from backend.social.actions import record_presence
from backend.social.presence import Change, PresenceBook, Status

log = logging.getLogger(__name__)


@dataclass
class SocialLive:
    """The process's presence book, guarded for the loop and the API's worker threads."""

    book: PresenceBook = field(default_factory=PresenceBook)
    lock: threading.Lock = field(default_factory=threading.Lock)
    write_lock: asyncio.Lock | None = None

    def statuses(self) -> tuple[dict[int, Status], list[int]]:
        now = utcnow()
        with self.lock:
            self.book.sweep(now)  # the changes are written by the next socket signal
            return self.book.snapshot(), self.book.typing_now(now)


_registry_lock = threading.Lock()


def live_for(ctx: Any) -> SocialLive:
    """The :class:`SocialLive` of an API context (created on first use)."""
    with _registry_lock:
        live = getattr(ctx, "_social_live", None)
        if live is None:
            live = SocialLive()
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
        if changes:
            await anyio.to_thread.run_sync(_write, sctx.ctx, changes)
    return changes


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
    await _apply(sctx, lambda book, now: book.connect(seller_id, name, sctx.sid, now))


async def left(sctx: extensions.SocketContext) -> None:
    if _seller(sctx) is None:
        return
    await _apply(sctx, lambda book, now: book.disconnect(sctx.sid, now))


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
extensions.register_handler("presence:heartbeat")(heartbeat)
extensions.register_handler("chat:typing")(typing)
# the name CONTRACT §5 gives the broadcast, accepted from clients too
extensions.register_handler("typing")(typing)
