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
events after ``since`` it may see, read in chunks; the last chunk is read and sent while
holding the relay's delivery lock, and the client joins its rooms under that same lock, so
the first live event it receives is exactly the one after the last replayed: no gap, no
duplicate, even when events commit during the replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from backend.auth import Principal
from backend.db.types import utcnow
from backend.eventlog import NOTIFY_CHANNEL, PROCESS_TOKEN, add_commit_waker
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

    # ---- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.cursor = await asyncio.to_thread(self._max_id)
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
            rows = await asyncio.to_thread(self._fetch, self.cursor, None, None, BATCH)
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
                self.cursor = ev.id
                sent += 1
                self.delivered += 1
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

    async def _broadcast(self, ev: StoredEvent) -> None:
        name = ev.env["type"]
        if ev.room == EVERYONE:
            masked = tv_copy(ev.env)
            if masked["payload"] != ev.env["payload"]:
                await self.sio.emit(name, ev.env, to=STAFF, ignore_queue=True)
                await self.sio.emit(name, masked, to=TV, ignore_queue=True)
                return
        elif ev.room == TV:
            await self.sio.emit(name, tv_copy(ev.env), to=TV, ignore_queue=True)
            return
        await self.sio.emit(name, ev.env, to=ev.room, ignore_queue=True)

    # ---- replay -------------------------------------------------------------------------
    async def attach(self, sid: str, principal: Principal, since: int | None) -> None:
        """Replay what ``sid`` missed after ``since`` (or send ``resync.required``), then
        join its rooms for live events — with no gap and no duplicate in between.

        ``since`` None is a fresh client (it loads its state over HTTP): it only joins its
        rooms and gets live events; ``resync.required`` is for a ``since`` outside the kept
        history (CONTRACT §5)."""
        rooms = principal.rooms()
        if since is None:
            async with self.lock:
                for room in rooms:
                    await self.sio.enter_room(sid, room)
            return
        pos: int | None = since
        if since is not None:
            latest, kept = await asyncio.to_thread(self._bounds, since)
            if since > latest or not kept:
                pos = None
            # Catch up first. Replay: another instance may have sent the client events this
            # relay has not sent yet — wait until we are past them (never send one twice).
            # Resync: the ``latest_id`` we name is our cursor — let it reach the latest
            # committed event, so the client's fresh snapshot and its new ``since`` agree.
            await self._catch_up(latest if pos is None else since)
            if pos is not None:
                # the bulk of the replay, without holding up live delivery
                for _ in range(20):
                    if pos is None or pos >= self.cursor:
                        break
                    _n, pos = await self._replay_chunk(sid, principal, rooms, pos, self.cursor)
        async with self.lock:
            if pos is None:
                await self.sio.emit(
                    "resync.required", resync_message(self.cursor), to=sid, ignore_queue=True
                )
            elif pos < self.cursor:
                await self._replay_chunk(sid, principal, rooms, pos, self.cursor)
            for room in rooms:
                await self.sio.enter_room(sid, room)

    async def _catch_up(self, target: int) -> None:
        """Wake the loop until the cursor reaches ``target`` (at most ~2 s)."""
        for _ in range(200):
            if self.cursor >= target:
                return
            self._wake_to_read()
            await asyncio.sleep(0.01)

    async def _replay_chunk(
        self, sid: str, principal: Principal, rooms: list[str], after: int, upto: int
    ) -> tuple[int, int]:
        """Send the visible events in (after, upto], in id order; returns (count, new pos)."""
        total = 0
        while after < upto:
            rows = await asyncio.to_thread(self._fetch, after, upto, rooms, BATCH)
            if not rows:
                return total, upto
            for ev in rows:
                env = tv_copy(ev.env) if principal.is_tv else ev.env
                await self.sio.emit(env["type"], env, to=sid, ignore_queue=True)
            total += len(rows)
            after = rows[-1].id
            if len(rows) < BATCH:
                return total, upto
        return total, upto

    # ---- database (blocking: run in a thread) ---------------------------------------------
    def _max_id(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.max(Event.id))) or 0)

    def _bounds(self, since: int) -> tuple[int, bool]:
        """The latest id, and whether ``since`` is inside the kept history: not before what
        the pruning removed, and (with a retention) the first event after it not older than
        the retention — it may be still stored only because the daily prune has not run."""
        with self.db.read() as s:
            latest = int(s.scalar(select(func.max(Event.id))) or 0)
            if since < pruned_through(s):
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
