"""Room broadcasts without a task per recipient.

python-socketio's ``AsyncManager.emit`` encodes a broadcast once, then creates one asyncio
task per recipient (each only puts the packet on that socket's Engine.IO send queue) and
waits for them all: at 200 sockets that is 200 task creations and a loop round trip per
event, ~4 ms of the event loop for every event the relay sends (``bench/claim_to_screen.py``'s
relay probe; ``bench/fanout.py`` measures the broadcast alone).
Putting a packet on an Engine.IO queue never waits (the queue is unbounded), so
:class:`DirectFanout` puts it on every recipient's queue in one pass instead; each socket's
own writer task then writes it, as before.

What stays as python-socketio does it: the packet is encoded once per broadcast, ``skip_sid``
is honoured, and a broadcast that asks for acknowledgements (``callback``) takes the library's
path. What is added: one recipient whose send fails is logged and the others still get the
packet (the library's tasks swallowed such a failure as "never retrieved").

With Redis, :class:`DirectFanoutRedis` keeps the pub/sub layer above it (a broadcast that is
not ``ignore_queue`` is still published to the other instances); only the local delivery,
the step under ``AsyncPubSubManager``, is replaced.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

log = logging.getLogger(__name__)

__all__ = ["DirectFanout", "DirectFanoutRedis", "make_manager"]


class DirectFanout(socketio.AsyncManager):  # type: ignore[misc]
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:  # one packet per recipient (ack ids): the library's path
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        room = to or room
        if namespace not in self.rooms:
            return
        if isinstance(data, tuple):
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        pkts = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        send = self.server._send_eio_packet
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            for p in pkts:
                try:
                    await send(eio_sid, p)
                except Exception:
                    log.exception("sending %s to %s failed; the others still get it", event, sid)

    async def written(self, rooms: Any, timeout: float, namespace: str = "/") -> bool:
        """Wait until the writer of every local socket in ``rooms`` has taken what was just
        queued for it, at most ``timeout`` seconds; True if all did. ``rooms``: the room of
        the one broadcast just made, or a mapping room → how many broadcasts to that room
        were made since the last wait.

        The relay waits for this between broadcasts, so the writers send one broadcast to
        every socket before the next is queued; otherwise each writer would send the whole
        batch to its socket before the next socket got even the first event (a claim's
        ``claimed`` behind 199 other screens' streak and board events: ``bench/fanout.py``).
        A socket whose queue holds more than what was queued for it since the last wait was
        behind already (a far TV on a slow link that missed the last wait) and is not waited
        for: a slow screen costs the others the timeout once, not per event, and is waited
        for again as soon as its writer has caught up."""
        counts: Mapping[Any, int] = rooms if isinstance(rooms, Mapping) else {rooms: 1}
        queued: dict[str, int] = {}  # eio sid → packets queued for it since the last wait
        for room, n in counts.items():
            for _sid, eio_sid in self.get_participants(namespace, room):
                queued[eio_sid] = queued.get(eio_sid, 0) + n
        eio = self.server.eio
        pending = [
            sock
            for eio_sid, n in queued.items()
            if (sock := eio.sockets.get(eio_sid)) is not None and 0 < sock.queue.qsize() <= n
        ]
        try:
            async with asyncio.timeout(timeout):
                for sock in pending:
                    await sock.queue.join()
        except TimeoutError:
            return False
        return True


class DirectFanoutRedis(socketio.AsyncRedisManager, DirectFanout):  # type: ignore[misc]
    """Redis pub/sub between instances; local delivery by :class:`DirectFanout`."""


def make_manager(redis_url: str | None) -> socketio.AsyncManager:
    return DirectFanoutRedis(redis_url) if redis_url else DirectFanout()
