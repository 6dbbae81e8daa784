"""Extension points of the Socket.IO server for other features (presence, typing, ...).

Register at import time of your module (the server imports the modules named in
``EXTENSION_MODULES`` lazily when it starts, skipping missing ones)::

    from backend.realtime import extensions

    async def joined(ctx: extensions.SocketContext) -> None:
        ...  # e.g. mark ctx.principal.seller_id online

    extensions.on_connect.append(joined)
    extensions.on_disconnect.append(left)

    @extensions.register_handler("presence:heartbeat")
    async def heartbeat(ctx: extensions.SocketContext, data: object) -> object:
        ...  # the return value is the Socket.IO acknowledgement

``SocketContext`` gives the socket id (``sid``), the authenticated ``principal``
(:class:`backend.auth.Principal`: ``role``, ``seller_id`` — None for TVs —, ``name``), the
``sio`` AsyncServer and the API context ``ctx`` (``ctx.db``, ``ctx.settings``). Database
work is blocking: run it with ``await anyio.to_thread.run_sync(fn)``. Durable changes must
go through an action that calls ``backend.eventlog.append_event``: the relay broadcasts them
after commit. Ephemeral notices (typing) may be sent directly with
``await ctx.sio.emit(name, envelope, room="staff")``. Callbacks must not raise; errors are
logged and ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backend.auth import Principal

EXTENSION_MODULES = ("backend.social.realtime",)


@dataclass(frozen=True)
class SocketContext:
    sid: str
    principal: Principal
    sio: Any  # socketio.AsyncServer
    ctx: Any  # backend.api.context.ApiContext


ConnectHook = Callable[[SocketContext], Awaitable[None]]
Handler = Callable[[SocketContext, Any], Awaitable[Any]]

on_connect: list[ConnectHook] = []
on_disconnect: list[ConnectHook] = []
StopHook = Callable[[Any], Awaitable[None]]
on_stop: list[StopHook] = []  # called with the API context when the server stops
handlers: dict[str, Handler] = {}

# the server's and the Socket.IO clients' own event names: never a client→server event
RESERVED = frozenset({"connect", "connect_error", "disconnect", "disconnecting", "message", "*"})


def register_handler(event_name: str) -> Callable[[Handler], Handler]:
    """Decorator: handle the client→server Socket.IO event ``event_name``."""
    if event_name in RESERVED:
        raise ValueError(f"{event_name!r} is reserved")

    def deco(fn: Handler) -> Handler:
        handlers[event_name] = fn
        return fn

    return deco
