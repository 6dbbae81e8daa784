"""The event relay: committed events, read by id, sent to Socket.IO rooms in id order.

Wake-ups: after every in-process commit that appended events (``add_commit_waker``, made
thread-safe with ``call_soon_threadsafe``), on PostgreSQL on ``LISTEN winroom_events``
(other processes' commits), and a short poll as a safety net (SQLite: the only way to see
another process's commits). A wake-up reads ``events WHERE id > cursor ORDER BY id`` and
emits every row to its room (TVs get a copy with customer emails masked), locally
(``ignore_queue``): with a Redis manager every instance runs its own relay for its own
clients, so nothing is sent twice.

In-process commits hand their events over (the claim path's deferred events, ids known):
a handed batch that starts right after the cursor with consecutive ids is sent as it is,
with no read; ids are strictly increasing in commit order, so nothing committed anywhere
can lie between. Any other batch (a gap: another process's commit, an id lost to a
rollback, or two commits handed over out of order) falls back to the read, which sends
everything up to it in id order. The ``pg_notify`` of our own commits is recognised by its
payload (``PROCESS_TOKEN``) and does not cause a read: the hand-off covers it.

Replay (:meth:`EventRelay.attach`): a connecting client with ``since`` first gets the stored
events after ``since`` it may see, at most ``replay_max`` of them (``WINROOM_REPLAY_MAX``;
further behind: ``resync.required``). They stream in chunks of ``REPLAY_CHUNK`` read by id
in the replay's own threads (never in the thread that reads live events), at most
``REPLAY_SLOTS`` replays queueing a chunk at a time, and a socket's next chunk only once its
writer has taken the last: a flood of reconnects costs the event loop short slices between
which live events and HTTP requests run, and a replay is never all in memory. The relay
keeps the last ``RECENT`` events it sent; once a replay has reached them, the rest is sent
from memory while holding the relay's delivery lock, and the client joins its rooms under
that same lock, so the first live event it receives is exactly the one after the last
replayed: no gap, no duplicate, even when events commit during the replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engineio import packet as eio_packet
from socketio import packet as sio_packet
from sqlalchemy import func, select

from backend import metrics
from backend.auth import Principal
from backend.db.types import utcnow
from backend.eventlog import NOTIFY_CHANNEL, PROCESS_TOKEN, add_commit_waker
from backend.hidden_sellers import HiddenSellers
from backend.models import Event
from backend.realtime.envelopes import EVERYONE, STAFF, TV, envelope, mask_emails, tv_copy
from backend.realtime.retention import pruned_through
from backend.runtime import Database

log = logging.getLogger(__name__)

BATCH = 500
SQLITE_POLL_S = 0.15
POSTGRES_POLL_S = 1.0
WRITTEN_WAIT_S = 0.01  # at most, between two broadcasts (DirectFanout.written)
# In a batch the writers catch up after its first event (a claim's ``claimed`` reaches every
# screen before what it set off), then after every WRITTEN_EVERY-th: a long batch (an ingest
# burst of ``queue.new``) goes out in runs of that many per writer wake-up, not one.
WRITTEN_EVERY = 8
REPLAY_MAX = 2000  # WINROOM_REPLAY_MAX's default
REPLAY_CHUNK = 100  # events per replay read and per writer hand-over
# replays of the same events share their encoded packets (the TV's masked copy and the
# staff's): a flood of reconnects masks and encodes each event once, not once a socket
ENCODED_KEEP = 4 * REPLAY_CHUNK * 10
REPLAY_SLOTS = 1  # replays queueing a chunk at the same time
REPLAY_READERS = 2  # threads reading replays (live reads have their own)
RECENT = 1024  # events the relay remembers for the replay → live hand-over


@dataclass
class StoredEvent:
    id: int
    room: str
    env: dict[str, Any]


class EventRelay:
    written_every = WRITTEN_EVERY

    def __init__(
        self,
        db: Database,
        sio: Any,
        *,
        poll_interval: float | None = None,
        retention_days: int | None = None,
    ) -> None:
        self.db = db
        self.sio = sio
        self.retention_days = retention_days
        self.is_postgres = db.engine.dialect.name == "postgresql"
        self.poll_interval = poll_interval or (
            POSTGRES_POLL_S if self.is_postgres else SQLITE_POLL_S
        )
        self.cursor = 0
        self.lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._read_wanted = True  # a wake-up that needs the read (not only hand-offs)
        self._handed: deque[list[StoredEvent]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._remove_waker: Any = None
        self._stopping = False
        self.delivered = 0
        self._written = getattr(getattr(sio, "manager", None), "written", None)
        self.on_sent: Callable[[], None] | None = None  # after each send (activity)
        self.replay_max = REPLAY_MAX
        self._recent: deque[StoredEvent] = deque()  # the last events sent, in id order
        self._recent_floor = 0  # every event in (floor, cursor] is in _recent
        self._slots = asyncio.Semaphore(REPLAY_SLOTS)
        self._encoded: OrderedDict[tuple[int, bool, int], list[Any]] = OrderedDict()
        self._executors: dict[str, ThreadPoolExecutor] = {}
        self._replayed: Counter[str] = Counter()  # sid → events replayed so far (metrics)
        # sellers TVs show as "A teammate" (the app's cache; reloaded by this loop)
        self.hidden: HiddenSellers | None = None

    # ---- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.cursor = await self._read(self._max_id)
        self._remove_waker = add_commit_waker(self.on_commit)
        self._tasks.append(asyncio.create_task(self._run(), name="event-relay"))
        if self.is_postgres:
            self._tasks.append(asyncio.create_task(self._listen(), name="event-relay-listen"))

    async def stop(self) -> None:
        self._stopping = True
        if self._remove_waker is not None:
            self._remove_waker()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        for ex in self._executors.values():
            ex.shutdown(wait=False, cancel_futures=True)
        self._executors.clear()

    async def _read(self, fn: Callable[..., Any], *args: Any, replay: bool = False) -> Any:
        """Run a blocking read in the relay's thread (``replay``: in the replays' threads,
        so a flood of replays never queues in front of the live reads)."""
        kind = "replay" if replay else "live"
        ex = self._executors.get(kind)
        if ex is None:
            n = REPLAY_READERS if replay else 1
            ex = self._executors[kind] = ThreadPoolExecutor(n, f"event-relay-{kind}")
        return await asyncio.get_running_loop().run_in_executor(ex, fn, *args)

    def wake_threadsafe(self) -> None:
        """Wake the relay to read what was committed (from any thread)."""
        self._call_threadsafe(self._wake_to_read)

    def on_commit(self, events: Sequence[Event] | None) -> None:
        """The commit waker (the committing thread): the transaction's events, or None."""
        if events is None:
            self.wake_threadsafe()
            return
        # the envelopes are built here, off the event loop
        batch = [StoredEvent(ev.id, ev.room, envelope(ev)) for ev in events]
        self._call_threadsafe(self._accept, batch)

    def _call_threadsafe(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(fn, *args)

    def _wake_to_read(self) -> None:
        self._read_wanted = True
        self._wake.set()

    def _accept(self, batch: list[StoredEvent]) -> None:
        self._handed.append(batch)
        self._wake.set()

    # ---- the loop ---------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
            except TimeoutError:
                self._read_wanted = True  # the safety-net poll
            self._wake.clear()
            try:
                if self.hidden is not None and self.hidden.stale():
                    await self._read(self.hidden.refresh)
                await self.pump(read=self._read_wanted)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event relay: reading or sending events failed; retrying")
                self._read_wanted = True
                await asyncio.sleep(0.5)

    async def pump(self, *, read: bool = True) -> int:
        """Send the handed-over batches that follow the cursor, then — with ``read``, or when
        a batch does not follow it — every committed event after the cursor, read by id.
        Returns how many were sent."""
        sent = 0
        while self._handed:
            batch = self._handed[0]
            if batch[-1].id <= self.cursor:  # already sent (read before it was handed)
                self._handed.popleft()
                continue
            if not _follows(batch, self.cursor):
                read = True  # a gap: the read sends everything in between, in order
                break
            sent += await self._send(batch)
            self._handed.popleft()
        if read:
            self._read_wanted = False
            sent += await self._read_and_send()
            while self._handed and self._handed[0][-1].id <= self.cursor:
                self._handed.popleft()
            if self._handed:  # handed after the read began: next round
                self._wake.set()
        return sent

    async def _read_and_send(self) -> int:
        sent = 0
        while True:
            rows = await self._read(self._fetch, self.cursor, None, None, BATCH)
            if not rows:
                return sent
            sent += await self._send(rows)
            if len(rows) < BATCH:
                return sent

    async def _send(self, rows: Sequence[StoredEvent]) -> int:
        """Broadcast the rows after the cursor, in order, moving the cursor past each."""
        sent = 0
        async with self.lock:
            last = len(rows) - 1
            run: Counter[str] = Counter()  # room → events queued to it since the last wait
            for i, ev in enumerate(rows):
                if ev.id <= self.cursor:
                    continue
                await self._broadcast(ev)
                self._remember(ev)
                self.cursor = ev.id
                sent += 1
                self.delivered += 1
                metrics.event_relayed(ev.env["type"])
                if self._written is None or i == last:
                    continue
                run[ev.room] += 1
                if sent == 1 or run.total() >= self.written_every:
                    # every socket's writer takes what was queued before more is: a claim
                    # is on all the screens before what it set off (streak, boards)
                    await self._written(dict(run), WRITTEN_WAIT_S)
                    run.clear()
        if sent and self.on_sent is not None:
            self.on_sent()
        return sent

    def _hidden(self) -> Mapping[int, str]:
        return self.hidden.names if self.hidden is not None else {}

    def _remember(self, ev: StoredEvent) -> None:
        """Keep ``ev`` (about to become the cursor) among the last ``RECENT`` sent."""
        if not self._recent:
            self._recent_floor = self.cursor
        self._recent.append(ev)
        if len(self._recent) > RECENT:
            self._recent_floor = self._recent.popleft().id

    def _remembers(self, pos: int) -> bool:
        """Every event in (pos, cursor] is in memory."""
        return pos >= self.cursor or (bool(self._recent) and pos >= self._recent_floor)

    async def _broadcast(self, ev: StoredEvent) -> None:
        name = ev.env["type"]
        if ev.room == EVERYONE:
            masked = tv_copy(ev.env, self._hidden())
            if masked["payload"] != ev.env["payload"]:
                await self.sio.emit(name, ev.env, to=STAFF, ignore_queue=True)
                await self.sio.emit(name, masked, to=TV, ignore_queue=True)
                return
        elif ev.room == TV:
            await self.sio.emit(name, tv_copy(ev.env, self._hidden()), to=TV, ignore_queue=True)
            return
        await self.sio.emit(name, ev.env, to=ev.room, ignore_queue=True)

    # ---- replay -------------------------------------------------------------------------
    async def attach(self, sid: str, principal: Principal, since: int | None) -> None:
        """Replay what ``sid`` missed after ``since`` (or send ``resync.required``), then
        join its rooms for live events — with no gap and no duplicate in between.

        ``since`` None is a fresh client (it loads its state over HTTP): it only joins its
        rooms and gets live events; ``resync.required`` is for a ``since`` outside the kept
        history, and for a client more than ``replay_max`` events (that it may see) behind
        (CONTRACT §5). Events committed while the replay runs come after it, as live ones
        would. A client that leaves mid-replay ends it (a debug line)."""
        rooms = principal.rooms()
        if since is None:
            async with self.lock:
                await self._join(sid, rooms)
            return
        try:
            latest, kept = await self._read(self._bounds, since, rooms, replay=True)
            pos: int | None = since if kept and since <= latest else None
            # Catch up first. Replay: another instance may have sent the client events this
            # relay has not sent yet — wait until we are past them (never send one twice).
            # Resync: the ``latest_id`` we name is our cursor — let it reach the latest
            # committed event, so the client's fresh snapshot and its new ``since`` agree.
            await self._catch_up(latest if pos is None else since)
            if pos is not None:
                pos = await self._stream(sid, principal, rooms, pos)
                if pos is None:
                    log.debug("replay for %s ended: the client left", sid)
                    self._replayed.pop(sid, None)
                    return
            async with self.lock:
                if not self._connected(sid):
                    log.debug("replay for %s ended: the client left", sid)
                    self._replayed.pop(sid, None)
                    return
                if pos is None:
                    await self.sio.emit(
                        "resync.required", resync_message(self.cursor), to=sid, ignore_queue=True
                    )
                    metrics.resync_sent()
                elif self._remembers(pos):
                    self._emit_replay(sid, principal, [ev for ev in self._recent if ev.id > pos])
                else:  # live events outran the replay: the rest is read under the lock
                    await self._replay_rows(sid, principal, rooms, pos, self.cursor)
                if pos is not None:
                    metrics.replay_sent(self._replayed.pop(sid, 0))
                await self._join(sid, rooms)
        finally:  # however the replay ended (an error too): no count left behind
            self._replayed.pop(sid, None)

    async def _stream(
        self, sid: str, principal: Principal, rooms: list[str], pos: int
    ) -> int | None:
        """Send the events after ``pos`` in chunks (read by id, or from the recent ones in
        memory) until at most one chunk is left (or a few dozen rounds have passed); returns
        the new position, None when ``sid`` left."""
        for _ in range(50):
            upto = self.cursor
            async with self._slots:
                if not self._connected(sid):
                    return None
                if self._remembers(pos):
                    rows = [ev for ev in self._recent if ev.id > pos]
                    if len(rows) <= REPLAY_CHUNK:
                        break  # the rest goes with the hand-over
                    rows = rows[:REPLAY_CHUNK]
                else:
                    rows = await self._read(
                        self._fetch, pos, upto, rooms, REPLAY_CHUNK, replay=True
                    )
                self._emit_replay(sid, principal, rows)
            pos = rows[-1].id if len(rows) == REPLAY_CHUNK else upto
            if not await self._drained(sid):
                return None
        return pos

    def _emit_replay(self, sid: str, principal: Principal, rows: Sequence[StoredEvent]) -> None:
        """Queue ``rows`` the client may see for ``sid`` (no await: nothing between them)."""
        mgr = self.sio.manager
        eio_sid = mgr.eio_sid_from_sid(sid, "/")
        sock = self.sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
        if sock is None or sock.closed:
            return
        rooms = set(principal.rooms())
        for ev in rows:
            if ev.room not in rooms:
                continue
            for p in self._replay_packets(ev, principal.is_tv):
                sock.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, p))
            self._replayed[sid] += 1

    def _replay_packets(self, ev: StoredEvent, for_tv: bool) -> list[Any]:
        """``ev`` as Socket.IO packets for a TV (masked) or staff, kept for the next
        replay of the same event (bounded: :data:`ENCODED_KEEP` events)."""
        key = (ev.id, for_tv, self.hidden.version if for_tv and self.hidden else 0)
        packets = self._encoded.get(key)
        if packets is not None:
            self._encoded.move_to_end(key)
            return packets
        env = tv_copy(ev.env, self._hidden()) if for_tv else ev.env
        encoded = self.sio.packet_class(
            sio_packet.EVENT, namespace="/", data=[env["type"], env]
        ).encode()
        packets = encoded if isinstance(encoded, list) else [encoded]
        self._encoded[key] = packets
        if len(self._encoded) > ENCODED_KEEP:
            self._encoded.popitem(last=False)
        return packets

    async def _replay_rows(
        self, sid: str, principal: Principal, rooms: list[str], after: int, upto: int
    ) -> None:
        while after < upto:
            rows = await self._read(self._fetch, after, upto, rooms, REPLAY_CHUNK, replay=True)
            self._emit_replay(sid, principal, rows)
            if len(rows) < REPLAY_CHUNK:
                return
            after = rows[-1].id

    def _connected(self, sid: str) -> bool:
        return bool(self.sio.manager.is_connected(sid, "/"))

    async def _drained(self, sid: str) -> bool:
        """Wait until ``sid``'s writer has taken what is queued for it (a replay's next
        chunk waits for the last: one at a time in memory); False once ``sid`` has left."""
        while True:
            eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
            sock = self.sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
            if sock is None or sock.closed or not self._connected(sid):
                return False
            if sock.queue.qsize() == 0:
                await asyncio.sleep(0)  # a turn for everyone else
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sock.queue.join(), 1.0)

    async def _join(self, sid: str, rooms: list[str]) -> None:
        try:
            for room in rooms:
                await self.sio.enter_room(sid, room)
        except (KeyError, ValueError):  # it left meanwhile
            log.debug("%s left before joining its rooms", sid)

    async def _catch_up(self, target: int) -> None:
        """Wake the loop until the cursor reaches ``target`` (at most ~2 s)."""
        for _ in range(200):
            if self.cursor >= target:
                return
            self._wake_to_read()
            await asyncio.sleep(0.01)

    # ---- database (blocking: run in a thread) ---------------------------------------------
    def _max_id(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.max(Event.id))) or 0)

    def _bounds(self, since: int, rooms: list[str] | None = None) -> tuple[int, bool]:
        """The latest id, and whether a replay after ``since`` is possible: ``since`` is
        inside the kept history — not before what the pruning removed, and (with a
        retention) the first event after it not older than the retention: it may be still
        stored only because the daily prune has not run — and no more than ``replay_max``
        events of ``rooms`` follow it."""
        with self.db.read() as s:
            latest = int(s.scalar(select(func.max(Event.id))) or 0)
            if since < pruned_through(s):
                return latest, False
            if rooms is not None and since < latest:
                beyond = s.scalar(
                    select(Event.id)
                    .where(Event.id > since, Event.room.in_(rooms))
                    .order_by(Event.id)
                    .offset(self.replay_max)
                    .limit(1)
                )
                if beyond is not None:  # the (replay_max + 1)-th: too far behind
                    return latest, False
            if self.retention_days is not None and since < latest:
                first = s.scalar(
                    select(Event.created_at).where(Event.id > since).order_by(Event.id).limit(1)
                )
                cutoff = utcnow() - timedelta(days=self.retention_days)
                if first is not None and first < cutoff:
                    return latest, False
            return latest, True

    def _fetch(
        self, after: int, upto: int | None, rooms: list[str] | None, limit: int
    ) -> list[StoredEvent]:
        stmt = select(Event).where(Event.id > after).order_by(Event.id).limit(limit)
        if upto is not None:
            stmt = stmt.where(Event.id <= upto)
        if rooms is not None:
            stmt = stmt.where(Event.room.in_(rooms))
        with self.db.read() as s:
            return [StoredEvent(ev.id, ev.room, envelope(ev)) for ev in s.scalars(stmt)]

    # ---- PostgreSQL LISTEN --------------------------------------------------------------
    async def _listen(self) -> None:
        import psycopg

        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wake_to_read()  # catch up on anything committed while not listening
                    async for n in conn.notifies():
                        if n.payload != PROCESS_TOKEN:  # ours were handed over already
                            self._wake_to_read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event relay: LISTEN connection lost (%s); reconnecting", exc)
                await asyncio.sleep(1.0)


def resync_message(latest_id: int) -> dict[str, Any]:
    """``resync.required``: ``{"latest_id": N}`` as CONTRACT §5 writes it, and the same in an
    envelope's ``type``/``payload``/``created_at`` for clients that read every event that
    way. No ``id``: it is no stored event, and when the database was replaced N is below the
    client's ``since``, so a client that drops every id it has seen would drop it."""
    return {
        "latest_id": latest_id,
        "type": "resync.required",
        "payload": {"latest_id": latest_id},
        "created_at": utcnow().isoformat(),
    }


def _follows(batch: list[StoredEvent], cursor: int) -> bool:
    """``batch`` starts right after ``cursor`` with consecutive ids."""
    return all(ev.id == cursor + 1 + i for i, ev in enumerate(batch))


__all__ = ["EventRelay", "mask_emails"]
