"""Long-polling responses small enough for every Socket.IO client.

python-engineio's server answers a long-polling GET with everything queued for the socket
in one payload, but python-engineio's own clients (``socketio.Client`` without the
``websocket-client`` package, any client told ``transports=["polling"]``) refuse a payload
of more than ``Payload.max_decode_packets`` (16) packets: "Too many packets in payload", and
they drop the connection. A replay with ``since`` (one packet per missed event) or a burst of
live events (an ingest backlog) is easily more than 16, so such a client would lose the
events and reconnect into the same wall. A polling socket here answers with at most
``MAX_PACKETS_PER_POLL`` packets; the rest stay queued, in order, for the client's next GET,
which it sends as soon as it has read the answer. WebSocket connections are left as they
are (one frame per packet, no limit).

Also, when a polling client says goodbye (its ``CLOSE`` comes by POST while its GET waits
for packets), the waiting GET is answered with ``CLOSE``, as the JavaScript server does;
python-engineio's server left it to run into the client's 25 s timeout, so closing a
polling client took 25 s.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from engineio import async_socket, exceptions, packet
from engineio.payload import Payload

MAX_PACKETS_PER_POLL = Payload.max_decode_packets  # 16 in python-engineio


class CappedPollSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    async def poll(self) -> list[Any]:
        if self.upgraded:  # the WebSocket writer: the library's own
            packets: list[Any] = await super().poll()
            return packets
        try:
            first = await asyncio.wait_for(
                self.queue.get(), self.server.ping_interval + self.server.ping_timeout
            )
            self.queue.task_done()
        except (TimeoutError, asyncio.CancelledError):  # as the library does
            raise exceptions.QueueEmpty() from None
        if first is None:  # closed
            return []
        packets = [first]
        while len(packets) < MAX_PACKETS_PER_POLL:
            try:
                pkt = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if pkt is None:  # closing: leave the marker for the next poll
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        return packets

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        answer_poll = (
            reason == self.server.reason.CLIENT_DISCONNECT
            and not self.upgraded
            and not (self.closed or self.closing)
        )
        await super().close(wait=wait, abort=abort, reason=reason)
        if answer_poll:
            self.queue.put_nowait(packet.Packet(packet.CLOSE))


class SocketIOServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server whose Engine.IO sockets answer polls with ≤ 16 packets.

    Engine.IO creates its sockets itself; each gets the capped ``poll`` as soon as Engine.IO
    reports the connection, before the client can send its Socket.IO ``CONNECT`` (so before
    any replay or room broadcast is queued for it)."""

    async def _handle_eio_connect(self, eio_sid: str, environ: Any) -> Any:
        sock = self.eio.sockets.get(eio_sid)
        if type(sock) is async_socket.AsyncSocket:
            sock.__class__ = CappedPollSocket
        return await super()._handle_eio_connect(eio_sid, environ)
