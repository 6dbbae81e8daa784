"""The Socket.IO server: authentication at connect, rooms, replay, extension handlers.

Connect with ``auth={"token": T, "since": N | None}``. A missing, bad, expired or revoked
token is refused at connect (the client gets a connect error ``{"message", "data": {"code",
"message"}}``). Rooms: ``everyone``; ``staff`` and ``user:{seller_id}`` for
sellers, finance and admins; ``tv-display`` for TV tokens (see
:meth:`backend.auth.Principal.rooms`). Rooms are joined by the relay once the replay is
done (:meth:`backend.realtime.relay.EventRelay.attach`).

Clients cannot trigger the server's own handlers (CONTRACT §5): an event a client emits is
dispatched only when its name is one the server serves (``extensions.handlers``); one named
``connect``, ``disconnect``, ``connect_error`` or anything not served is dropped with a
debug line, on every transport (:class:`WinRoomSocketIO`).

A connection lives only as long as its token would be accepted: every ``REVALIDATE_S`` the
server checks, in one read for all open sockets, that the TV tokens are not revoked and the
sellers still exist and are active, and disconnects the sockets whose token was revoked,
whose seller was removed or deactivated, or whose JWT has expired (their client's reconnect
is then refused at connect, like any bad token). A revoke through this process's API asks
for the check at once (:meth:`SocketServer.recheck_soon`). The same pass stamps the TVs'
``last_seen_at`` (the admin list's ``connected``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from typing import Any

import socketio
from socketio import packet as sio_packet
from sqlalchemy import select

from backend.accounts import DEVICE_TOKEN_PREFIX, hash_device_token
from backend.actions import devices
from backend.auth import AuthError, Principal, resolve_token
from backend.db.types import utcnow
from backend.models import Seller
from backend.realtime import extensions
from backend.realtime.extensions import SocketContext
from backend.realtime.fanout import make_manager
from backend.realtime.polling import SocketIOServer
from backend.realtime.relay import EventRelay

log = logging.getLogger(__name__)
CONNECT_WAIT_S = 10.0
REVALIDATE_S = 5.0  # a token revoked on another instance: its sockets close within this


class WinRoomSocketIO(SocketIOServer):
    """The server that dispatches a client's event only to a handler the server serves.

    python-socketio's ``_handle_event`` hands a client's EVENT packet (text or binary, any
    transport) to ``_trigger_event(name, ...)``, which calls whatever handler is registered
    under that name — ``connect`` and ``disconnect`` included: a client emitting
    ``disconnect`` ran the disconnect handler (its socket left the token checks while still
    connected), one emitting ``connect`` with an auth dict ran the connect handler again (a
    replay). The server's own events reach ``_trigger_event`` by other paths
    (``_handle_connect``, ``_handle_disconnect``), never through here."""

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: Any, data: Any) -> None:
        name = data[0] if isinstance(data, list) and data else None
        if not self.serves(name, namespace or "/"):
            log.debug("ignored a client event %.80r: not served", name)
            return
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        # a packet a client may not send (CONNECT_ERROR, an unknown type, broken JSON) was
        # an ERROR with a traceback per packet: ignored with a debug line
        if isinstance(data, str) and eio_sid not in self._binary_packet:
            try:
                pkt = self.packet_class(encoded_packet=data)
            except ValueError as exc:
                log.debug("ignored an undecodable Socket.IO packet (%s)", exc)
                return
            if pkt.packet_type not in _CLIENT_PACKETS:
                log.debug("ignored a Socket.IO packet of type %r", pkt.packet_type)
                return
        await super()._handle_eio_message(eio_sid, data)

    def serves(self, name: Any, namespace: str = "/") -> bool:
        """Whether a client may emit ``name``: a registered handler, not a reserved name."""
        return (
            isinstance(name, str)
            and name not in extensions.RESERVED
            and name in self.handlers.get(namespace, {})
        )


_CLIENT_PACKETS = frozenset(
    {
        sio_packet.CONNECT,
        sio_packet.DISCONNECT,
        sio_packet.EVENT,
        sio_packet.ACK,
        sio_packet.BINARY_EVENT,
        sio_packet.BINARY_ACK,
    }
)


def make_sio(redis_url: str | None) -> socketio.AsyncServer:
    return WinRoomSocketIO(
        async_mode="asgi",
        cors_allowed_origins="*",
        client_manager=make_manager(redis_url),
        ping_interval=10,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
    )


def load_extensions() -> None:
    for name in extensions.EXTENSION_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            log.debug("socket extension %s not present", name)


def parse_since(value: Any) -> int | None:
    """``since`` as the client sent it: null, or an event id (0 = before every event).

    Clients that keep the last id in text storage send it as a string ("42"), some JSON
    encoders turn it into 42.0: both mean event 42. Anything else — a bool, a fraction, a
    negative number, words — is refused at connect with ``invalid_since``.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise _refused("invalid_since", "'since' must be an event id (a whole number ≥ 0) or null.")


class SocketServer:
    def __init__(self, sio: socketio.AsyncServer, ctx: Any, relay: EventRelay) -> None:
        self.sio = sio
        self.ctx = ctx
        self.relay = relay
        self._tasks: set[asyncio.Task[None]] = set()
        self._live: dict[str, Principal] = {}
        self._tv_hashes: dict[str, str] = {}  # sid -> the TV token's hash
        self._watcher: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.revalidate_s = REVALIDATE_S
        relay.replay_max = ctx.settings.replay_max
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        load_extensions()
        for event_name, fn in extensions.handlers.items():
            sio.on(event_name, self._wrap(fn))

    def _resolve(self, token: str | None) -> Principal:
        with self.ctx.db.read() as s:
            return resolve_token(s, self.ctx.settings, token)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        token = auth.get("token")
        if not isinstance(token, str):
            raise _refused("not_authenticated", "Send auth={'token': ...}.")
        since = parse_since(auth.get("since"))
        try:
            principal = await asyncio.to_thread(self._resolve, token)
        except AuthError as exc:
            raise _refused(exc.code, exc.message) from None
        await self.sio.save_session(sid, {"principal": principal})
        self._live[sid] = principal
        if principal.is_tv and token.strip().startswith(DEVICE_TOKEN_PREFIX):
            self._tv_hashes[sid] = hash_device_token(token.strip())
            await asyncio.to_thread(self._mark_seen, [self._tv_hashes[sid]])
        task = asyncio.create_task(self._start(sid, principal, since))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _start(self, sid: str, principal: Principal, since: int | None) -> None:
        # events may only be sent once the CONNECT packet is out (after on_connect returns)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONNECT_WAIT_S
        while not self.sio.manager.is_connected(sid, "/"):
            if loop.time() > deadline:
                return
            await asyncio.sleep(0.002)
        try:
            await self.relay.attach(sid, principal, since)
        except Exception:
            log.exception("replay for %s failed; disconnecting it", sid)
            await self.sio.disconnect(sid)
            return
        ctx = SocketContext(sid=sid, principal=principal, sio=self.sio, ctx=self.ctx)
        for hook in list(extensions.on_connect):
            try:
                await hook(ctx)
            except Exception:
                log.exception("socket on_connect hook %r failed", hook)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._live.pop(sid, None)
        self._tv_hashes.pop(sid, None)
        try:
            session = await self.sio.get_session(sid)
        except KeyError:
            return
        principal = session.get("principal")
        if principal is None:
            return
        ctx = SocketContext(sid=sid, principal=principal, sio=self.sio, ctx=self.ctx)
        for hook in list(extensions.on_disconnect):
            try:
                await hook(ctx)
            except Exception:
                log.exception("socket on_disconnect hook %r failed", hook)

    def _wrap(self, fn: extensions.Handler) -> Any:
        async def handler(sid: str, data: Any = None) -> Any:
            try:
                session = await self.sio.get_session(sid)
            except KeyError:
                return None
            principal = session.get("principal")
            if principal is None:
                return None
            ctx = SocketContext(sid=sid, principal=principal, sio=self.sio, ctx=self.ctx)
            try:
                return await fn(ctx, data)
            except Exception:
                log.exception("socket handler %r failed", fn)
                return {"error": {"code": "internal_error", "message": "The handler failed."}}

        return handler

    # ---- tokens revoked while connected -------------------------------------------------
    def start(self) -> None:
        if self._watcher is None:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._watcher = asyncio.create_task(self._watch(), name="socket-token-watch")

    def recheck_soon(self) -> None:
        """Check the open sockets' tokens now rather than at the next tick (thread-safe)."""
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _watch(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.revalidate_s)
            self._wake.clear()
            try:
                await self.revalidate()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking the open sockets' tokens failed; will retry")

    async def revalidate(self) -> list[str]:
        """Disconnect the sockets whose token would now be refused; returns their sids."""
        live = dict(self._live)
        if not live:
            return []
        tv_hashes = {sid: self._tv_hashes.get(sid, "") for sid, p in live.items() if p.is_tv}
        sellers = {p.seller_id for p in live.values() if p.seller_id is not None}
        active, gone = await asyncio.to_thread(self._refused, set(tv_hashes.values()), sellers)
        now = time.time()
        ended = [
            sid
            for sid, p in live.items()
            if (sid in tv_hashes and tv_hashes[sid] not in active)
            or p.seller_id in gone
            or (p.expires is not None and p.expires <= now)
        ]
        for sid in ended:
            self._live.pop(sid, None)
            self._tv_hashes.pop(sid, None)
            await self.sio.disconnect(sid)
        if ended:
            log.info("disconnected %d socket(s) whose token is no longer valid", len(ended))
        return ended

    def _mark_seen(self, hashes: list[str]) -> None:
        try:
            with self.ctx.db.transaction() as s:
                devices.mark_seen(s, hashes, utcnow())
        except Exception:  # housekeeping: never the reason a TV is not served
            log.warning("could not stamp the TVs' last_seen_at", exc_info=True)

    def _refused(self, tv_hashes: set[str], sellers: set[int]) -> tuple[set[str], set[int]]:
        """(the TV token hashes still valid, seller ids that are gone or inactive): one
        read; the TVs still valid are stamped seen. A hash, not the device id: a revoked
        name issued again keeps its id, and its old token must still end."""
        with self.ctx.db.read() as s:
            active = devices.active_token_hashes(s, tv_hashes)
            gone: set[int] = set()
            if sellers:
                active_sellers = set(
                    s.scalars(
                        select(Seller.id).where(Seller.id.in_(sellers), Seller.is_active.is_(True))
                    )
                )
                gone = sellers - active_sellers
        if active:
            self._mark_seen(sorted(active))
        return active, gone

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        for t in list(self._tasks):
            t.cancel()
        for hook in list(extensions.on_stop):
            try:
                await hook(self.ctx)
            except Exception:
                log.exception("socket on_stop hook %r failed", hook)


def _refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """The connect error a client gets: ``{"message": <sentence>, "data": {"code",
    "message"}}`` (the error envelope's fields, readable by any Socket.IO client)."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code, "message": message})
