"""Appending events in the caller's transaction, and waking the relay after commit.

Ids are strictly increasing in commit order: on PostgreSQL an appending transaction takes a
transaction-scoped advisory lock before its first event insert, so no later id can commit
before an earlier one (SQLite writers are serialized by ``BEGIN IMMEDIATE`` already). The
relay can then read ``id > cursor`` without ever skipping a late commit. On PostgreSQL the
transaction also issues ``pg_notify`` (delivered at commit) so other processes wake at once.

Hand-off: a transaction whose events were all deferred hands them, ids known, to the
commit wakers (the relay), so it can send them without reading them back; a transaction that appended any other way, or rolled back a savepoint, hands
``None`` (the relay reads by id, as for another process's commit). The ``pg_notify`` payload
names this process (:data:`PROCESS_TOKEN`), so the relay can tell its own commits' notices
(already handed to it) from other processes'.

Deferred events (:func:`defer_events`, the claim path): the transaction's events are kept in
memory and inserted in ONE statement right before its commit (the ``before_commit`` session
hook; an ORM query of the events table inside the transaction inserts them first), so the
ordering lock is taken — if the transaction has not taken it already — only for that insert
and the commit. Same guarantees: stored in the same transaction, ids in commit order,
wakers after commit.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from backend.db.driver import driver_errors, run_pipeline
from backend.db.types import utcnow
from backend.models.events import Event
from backend.schemas.events import ROOMS, validate_payload

EVENT_LOCK_KEY = 0x57520001  # "WR" + 1
NOTIFY_CHANNEL = "winroom_events"
_INFO_KEY = "winroom_events_appended"
_LOCKED_KEY = "winroom_events_locked"  # the ordering lock is held (PostgreSQL)
_DEFER_KEY = "winroom_events_deferred"  # list of Event objects waiting for the commit
_MARKS_KEY = "winroom_events_savepoints"  # SAVEPOINT -> deferred count when it began
_FLUSHED_KEY = "winroom_events_flushed"  # deferred events inserted so far (ids known)
_OPAQUE_KEY = "winroom_events_opaque"  # appended another way: no hand-off

# Names this process in the commit-time pg_notify (the relay skips its own notices).
PROCESS_TOKEN = uuid.uuid4().hex

_wakers: list[Callable[[list[Event] | None], None]] = []
_wakers_lock = threading.Lock()


def add_commit_waker(fn: Callable[[list[Event] | None], None]) -> Callable[[], None]:
    """Call ``fn(events)`` (from the committing thread) after every commit that appended
    events: the transaction's events in id order (:class:`Event` objects, not attached to a
    session), or ``None`` when they are not all known in memory (read them by id then)."""
    with _wakers_lock:
        _wakers.append(fn)

    def remove() -> None:
        with _wakers_lock:
            if fn in _wakers:
                _wakers.remove(fn)

    return remove


def take_order_lock(session: Session) -> None:
    """Take the event ordering lock now (PostgreSQL; re-entrant, one round trip per
    transaction) and queue the commit-time ``pg_notify``. SQLite: nothing to do."""
    if session.info.get(_LOCKED_KEY):
        return
    if session.get_bind().dialect.name == "postgresql":
        sql, params = ORDER_LOCK_SQL
        session.connection().exec_driver_sql(sql, params)
    session.info[_LOCKED_KEY] = True


# The lock statement (psycopg style), for callers that send it in a pipeline with other
# statements; they call :func:`mark_order_locked` once it has run.
ORDER_LOCK_SQL = (
    "SELECT pg_advisory_xact_lock(%(k)s), pg_notify(%(c)s, %(p)s)",
    {"k": EVENT_LOCK_KEY, "c": NOTIFY_CHANNEL, "p": PROCESS_TOKEN},
)


def order_locked(session: Session) -> bool:
    return bool(session.info.get(_LOCKED_KEY))


def mark_order_locked(session: Session) -> None:
    session.info[_LOCKED_KEY] = True


def defer_events(session: Session) -> None:
    """From now on in this transaction, :func:`append_event` keeps its events in memory
    (their ``id`` is set when they are inserted, right before the commit)."""
    session.info.setdefault(_DEFER_KEY, [])


def flush_deferred(session: Session, *, commit: bool = False) -> None:
    """Insert the deferred events now (in order, one statement), under the ordering lock.

    On PostgreSQL the ordering lock (when not held yet) goes in the insert's round trip, and
    with ``commit`` (the session's own commit, everything else already flushed) ``COMMIT``
    too: the driver's transaction is then over, so the session's commit that follows has
    nothing left to send. ``commit`` is ignored elsewhere."""
    pending: list[Event] | None = session.info.get(_DEFER_KEY)
    if not pending:
        return
    conn = session.connection()
    session.info[_DEFER_KEY] = []
    if conn.dialect.name == "postgresql":
        lock = not order_locked(session)
        ids: list[Any] = _insert_events_pg(conn, pending, lock=lock, commit=commit)
        mark_order_locked(session)
    else:
        take_order_lock(session)
        rows = [
            {
                "type": ev.type,
                "room": ev.room,
                "payload": ev.payload,
                "subscription_id": ev.subscription_id,
                "actor": ev.actor,
                "created_at": ev.created_at,
            }
            for ev in pending
        ]
        table = cast(Table, Event.__table__)
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(conn.execute(stmt, rows).scalars())
    for ev, id_ in zip(pending, ids, strict=True):
        ev.id = int(id_)
    session.info.setdefault(_FLUSHED_KEY, []).extend(pending)


# A transaction's deferred events in ONE prebuilt statement, bound by the server (one array
# per column): no per-call statement compilation, no insertmanyvalues sentinel. The rows go
# in in the arrays' order (``ORDER BY n``), so under the ordering lock their ids, taken from
# the sequence row by row, ascend in that order: sorted, they are the events' ids in order.
# Built from the model's columns once per dialect, with each column's binder (payload: JSON
# text, ``created_at``: naive UTC), so the driver-level write binds as SQLAlchemy would.
_EventsInsert = tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]
_events_pg: weakref.WeakKeyDictionary[Any, _EventsInsert] = weakref.WeakKeyDictionary()


def _events_insert_pg(dialect: Any) -> _EventsInsert:
    got = _events_pg.get(dialect)
    if got is None:
        table = cast(Table, Event.__table__)
        columns = [c for c in table.c if not c.primary_key]
        names = ", ".join(c.name for c in columns)
        arrays = ", ".join(f"%s::{c.type.compile(dialect=dialect)}[]" for c in columns)
        sql = (
            f"INSERT INTO {table.name} ({names}) "
            f"SELECT {', '.join('u.' + c.name for c in columns)} "
            f"FROM unnest({arrays}) WITH ORDINALITY AS u({names}, n) ORDER BY u.n RETURNING id"
        )
        binders: list[tuple[str, Callable[[Any], Any] | None]] = [
            (c.key, c.type.bind_processor(dialect)) for c in columns
        ]
        got = (sql, binders)
        _events_pg[dialect] = got
    return got


def _insert_events_pg(
    conn: Any, events: list[Event], *, lock: bool = False, commit: bool = False
) -> list[int]:
    """The events' insert in one pipeline (one round trip) with the ordering lock before it
    when ``lock`` and ``COMMIT`` after it when ``commit``; the server skips the rest of a
    pipeline at the first error, so nothing commits unless every statement succeeded."""
    sql, binders = _events_insert_pg(conn.dialect)
    params = tuple(
        [getattr(ev, key) for ev in events]
        if bind is None
        else [bind(getattr(ev, key)) for ev in events]
        for key, bind in binders
    )
    parts: list[tuple[str, Any]] = [ORDER_LOCK_SQL] if lock else []
    at = len(parts)
    parts.append((sql, params))
    if commit:
        parts.append(("COMMIT", None))
    with driver_errors(conn.dialect, sql, params):
        results = run_pipeline(_driver(conn), parts)
    return sorted(int(r[0]) for r in results[at])


def _driver(conn: Any) -> Any:
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


def append_event(
    session: Session,
    type: str,
    payload: dict[str, Any],
    *,
    room: str | None = None,
    subscription_id: int | None = None,
    actor: int | None = None,
) -> Event:
    """Add one event to the current transaction and flush it (its id is then known;
    in a :func:`defer_events` transaction: at the commit).

    The payload is validated against its typed schema (``backend.schemas.events``); the
    room defaults to the type's room there (``everyone`` for most).
    """

    payload = validate_payload(type, payload)
    room = room or ROOMS.get(type, "everyone")
    session.info[_INFO_KEY] = True
    deferred: list[Event] | None = session.info.get(_DEFER_KEY)
    if deferred is not None:
        ev = Event(
            type=type,
            room=room,
            payload=payload,
            subscription_id=subscription_id,
            actor=actor,
            created_at=utcnow(),
        )
        deferred.append(ev)
        return ev
    take_order_lock(session)
    session.info[_OPAQUE_KEY] = True
    ev = Event(type=type, room=room, payload=payload, subscription_id=subscription_id, actor=actor)
    session.add(ev)
    session.flush()
    return ev


def append_events(
    session: Session,
    events: list[tuple[str, dict[str, Any], int | None]],
) -> list[int]:
    """Add many events ``(type, payload, subscription_id)`` in one INSERT (the ingest worker's
    batches); same validation, rooms, ordering lock and wake-up as :func:`append_event`.
    Returns their ids, in order."""

    if not events:
        return []
    rows = [
        {
            "type": type_,
            "room": ROOMS.get(type_, "everyone"),
            "payload": validate_payload(type_, payload),
            "subscription_id": sid,
        }
        for type_, payload, sid in events
    ]
    flush_deferred(session)  # earlier deferred events keep their place in the order
    take_order_lock(session)
    session.info[_INFO_KEY] = True
    session.info[_OPAQUE_KEY] = True
    stmt = insert(Event).returning(Event.id, sort_by_parameter_order=True)
    return [int(i) for i in session.scalars(stmt, rows)]


def append_events_bulk(
    session: Session,
    events: list[tuple[str, dict[str, Any], int | None]],
    *,
    validated: bool = False,
) -> list[int]:
    """:func:`append_events` for big batches (the ingest worker's backlog): the same rows,
    rooms, ordering lock and wake-up, written faster on PostgreSQL.

    PostgreSQL: under the ordering lock, the ids are taken from the table's own sequence
    (one ``nextval`` per event, in one statement) and the rows go in with one ``COPY``; no
    long ``INSERT … RETURNING`` for the driver to parse. The lock is taken before the ids,
    so ids stay strictly increasing in commit order. Other databases: :func:`append_events`.

    ``validated=True``: the caller guarantees each payload already IS its validated form
    (``validate_payload(type, p) == p``; its builder is proven so by a test). Then only
    the first payload of each type in the call is checked (``ValueError`` if it is not
    already in validated form), and the rest are stored as given. Returns the ids, in order.
    """

    if not events:
        return []
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        if validated:
            _check_validated(events)
        return append_events(session, events)
    if validated:
        _check_validated(events)
        payloads = [p for _t, p, _s in events]
    else:
        payloads = [validate_payload(t, p) for t, p, _s in events]
    flush_deferred(session)  # earlier deferred events keep their place in the order
    take_order_lock(session)
    session.info[_INFO_KEY] = True
    session.info[_OPAQUE_KEY] = True
    table = cast(Table, Event.__table__)
    conn = session.connection()
    allocated: list[int] = conn.exec_driver_sql(
        "SELECT array_agg(nextval(pg_get_serial_sequence(%(t)s, 'id'))) "
        "FROM generate_series(1, %(n)s)",
        {"t": table.name, "n": len(events)},
    ).scalar_one()
    ids = sorted(int(i) for i in allocated)
    binders = dict(_events_insert_pg(dialect)[1])
    to_json, to_ts = binders["payload"], binders["created_at"]
    assert to_json is not None and to_ts is not None
    prep = dialect.identifier_preparer
    sql = (
        f"COPY {prep.format_table(table)} "
        "(id, type, room, payload, subscription_id, actor, created_at) FROM STDIN"
    )
    with driver_errors(dialect, sql, None), _driver(conn).cursor() as cur, cur.copy(sql) as copy:
        write = copy.write_row
        for id_, (type_, _p, sid), payload in zip(ids, events, payloads, strict=True):
            room = ROOMS.get(type_, "everyone")
            write((id_, type_, room, to_json(payload), sid, None, to_ts(utcnow())))
    return ids


def _check_validated(events: list[tuple[str, dict[str, Any], int | None]]) -> None:

    checked: set[str] = set()
    for type_, payload, _sid in events:
        if type_ not in checked:
            checked.add(type_)
            if validate_payload(type_, payload) != payload:
                raise ValueError(f"a {type_!r} payload is not in its validated form")


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT release: not the real commit
        return
    if session.info.get(_DEFER_KEY) and session.get_bind().dialect.name == "postgresql":
        # the ORM's changes first: the session flushes them after this hook, which would
        # be after the COMMIT sent with the events
        session.flush()
        if not (session.new or session.dirty or session.deleted):
            flush_deferred(session, commit=True)
            return
    flush_deferred(session)


@sa_event.listens_for(Session, "do_orm_execute")
def _read_your_events(state: ORMExecuteState) -> None:
    """An ORM query of the events table sees this transaction's deferred events."""
    if state.session.info.get(_DEFER_KEY) and any(m.class_ is Event for m in state.all_mappers):
        flush_deferred(state.session)


@sa_event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        deferred = session.info.get(_DEFER_KEY)
        marks = session.info.setdefault(_MARKS_KEY, {})
        marks[transaction] = (
            None if deferred is None else len(deferred),
            bool(session.info.get(_LOCKED_KEY)),
        )


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT release: nothing is committed yet
        return
    flushed: list[Event] = session.info.pop(_FLUSHED_KEY, None) or []
    opaque = session.info.pop(_OPAQUE_KEY, False)
    for key in (_LOCKED_KEY, _DEFER_KEY, _MARKS_KEY):
        session.info.pop(key, None)
    if session.info.pop(_INFO_KEY, False):
        handed = None if opaque or not flushed else flushed
        with _wakers_lock:
            wakers = list(_wakers)
        for fn in wakers:
            fn(handed)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:  # ROLLBACK TO SAVEPOINT: undo what happened inside it
        mark = session.info.get(_MARKS_KEY, {}).pop(savepoint, None)
        if mark is not None:
            count, locked = mark
            deferred = session.info.get(_DEFER_KEY)
            if count is not None and deferred is not None:
                del deferred[count:]  # the events deferred inside the savepoint
            # some may have been inserted inside it (ids taken, rows gone): no hand-off
            session.info[_OPAQUE_KEY] = True
            if not locked:  # a lock taken inside a savepoint is released with it
                session.info.pop(_LOCKED_KEY, None)
        return
    for key in (_INFO_KEY, _LOCKED_KEY, _DEFER_KEY, _MARKS_KEY, _FLUSHED_KEY, _OPAQUE_KEY):
        session.info.pop(key, None)
