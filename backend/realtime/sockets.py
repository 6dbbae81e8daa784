"""The Socket.IO server: authentication at connect, rooms, replay, extension handlers.

Connect with ``auth={"token": T, "since": N | None}``. A missing, bad, expired or revoked
token is refused at connect (``ConnectionRefusedError`` → the client gets a connect error
with ``{"code", "message"}``). Rooms: ``everyone``; ``staff`` and ``user:{seller_id}`` for
sellers, finance and admins; ``tv-display`` for TV tokens (see
:meth:`backend.auth.Principal.rooms`). Rooms are joined by the relay once the replay is
done (:meth:`backend.realtime.relay.EventRelay.attach`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

import socketio

from backend.auth import AuthError, Principal, resolve_token
from backend.realtime import extensions
from backend.realtime.extensions import SocketContext
from backend.realtime.relay import EventRelay

log = logging.getLogger(__name__)
CONNECT_WAIT_S = 10.0


def make_sio(redis_url: str | None) -> socketio.AsyncServer:
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    return socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins="*",
        client_manager=manager,
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


class SocketServer:
    def __init__(self, sio: socketio.AsyncServer, ctx: Any, relay: EventRelay) -> None:
        self.sio = sio
        self.ctx = ctx
        self.relay = relay
        self._tasks: set[asyncio.Task[None]] = set()
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
        since = auth.get("since")
        if not isinstance(token, str):
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "not_authenticated", "message": "Send auth={'token': ...}."}
            )
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "invalid_since", "message": "'since' must be an event id or null."}
            )
        try:
            principal = await asyncio.to_thread(self._resolve, token)
        except AuthError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": exc.code, "message": exc.message}
            ) from None
        await self.sio.save_session(sid, {"principal": principal})
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

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
