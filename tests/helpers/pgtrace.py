"""What a PostgreSQL engine's connections send, message by message (libpq's trace).

:func:`traced` records, for every connection checked out of the engine while it is active,
the frontend messages (``Query`` with its text, ``Parse`` with its statement, ``Sync``...).
While traced, psycopg prepares nothing (``prepare_threshold`` None), so every statement's
text is in its ``Parse``; the round trips are the same. :func:`round_trips` groups the
statements by round trip: up to a ``Query`` (the simple protocol) or a ``Sync`` (the end
of an extended-protocol batch or pipeline), which the client then waits on."""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from typing import Any

from psycopg import pq
from sqlalchemy import Engine, event

# Parse's fields: the statement's name, its text, then the parameter types
_PARSE = re.compile(r'^\s*"[^"]*" "(.*)"(?: \d+)*\s*$', re.S)


@contextlib.contextmanager
def traced(engine: Engine) -> Iterator[list[tuple[str, str]]]:
    """Yields a list filled (at checkin) with ``(message, rest)`` for each frontend message
    sent by connections checked out meanwhile."""
    sent: list[tuple[str, str]] = []
    files: dict[int, tuple[Any, Any]] = {}

    def checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        f = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed at checkin)
        files[id(dbapi_conn)] = (f, dbapi_conn.prepare_threshold)
        dbapi_conn.prepare_threshold = None
        dbapi_conn.pgconn.trace(f.fileno())
        dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    def checkin(dbapi_conn: Any, _record: Any) -> None:
        got = files.pop(id(dbapi_conn), None)
        if got is None:
            return
        f, threshold = got
        dbapi_conn.pgconn.untrace()
        dbapi_conn.prepare_threshold = threshold
        f.seek(0)
        records: list[str] = []
        for line in f.read().split("\n"):  # a query's own newlines are printed as they are
            if line[:2] in ("F\t", "B\t") or not records:
                records.append(line)
            else:
                records[-1] += "\n" + line
        for record in records:
            parts = record.split("\t", 3)
            if len(parts) >= 3 and parts[0] == "F":
                sent.append((parts[2].split(" ", 1)[0], parts[3] if len(parts) > 3 else ""))
        f.close()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)


def statements(sent: list[tuple[str, str]]) -> list[str]:
    """The text of every statement sent (a ``Query``'s whole text counts as one)."""
    return [s for trip in round_trips(sent) for s in trip]


def round_trips(sent: list[tuple[str, str]]) -> list[list[str]]:
    """The statements sent in each round trip, in order."""
    trips: list[list[str]] = []
    current: list[str] = []
    for kind, rest in sent:
        if kind == "Query":
            trips.append([*current, _unquoted(rest)])
            current = []
        elif kind == "Parse":
            m = _PARSE.match(rest)
            current.append(m.group(1) if m else rest)
        elif kind == "Sync":
            trips.append(current)
            current = []
    return trips


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text
