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

The other way, python-engineio's server refuses a client's POST of more than 16 packets
("Too many packets in payload": an ERROR with a traceback, and the packets are lost), yet its
own clients send everything they have queued in one POST (17 quick emits). Here a POST holds
as many packets as its body (at most ``max_http_buffer_size`` bytes); a body that cannot be
decoded ends the session with a 400 and a debug line, not a traceback per request.

Also, when a polling client says goodbye (its ``CLOSE`` comes by POST while its GET waits
for packets), the waiting GET is answered with ``CLOSE``, as the JavaScript server does;
python-engineio's server left it to run into the client's 25 s timeout, so closing a
polling client took 25 s.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from engineio import async_socket, exceptions, packet
from engineio.payload import Payload

log = logging.getLogger(__name__)
MAX_PACKETS_PER_POLL = Payload.max_decode_packets  # 16 in python-engineio


class _PostPayload(Payload):  # type: ignore[misc]
    """A client's POST: bounded by its size (``max_http_buffer_size``), not by a count."""

    max_decode_packets = 1 << 30


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

    async def handle_post_request(self, environ: dict[str, Any]) -> None:
        try:
            length = int(environ.get("CONTENT_LENGTH") or "0")
        except ValueError:
            raise exceptions.ContentTooLongError() from None
        if length > self.server.max_http_buffer_size:
            raise exceptions.ContentTooLongError()
        body = await environ["wsgi.input"].read(length)
        try:
            packets = _PostPayload(encoded_payload=body.decode("utf-8")).packets
        except (ValueError, KeyError, IndexError) as exc:
            log.debug("a polling client's POST could not be decoded (%s); closing it", exc)
            raise exceptions.UnknownPacketError() from None
        for pkt in packets:
            await self.receive(pkt)

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
