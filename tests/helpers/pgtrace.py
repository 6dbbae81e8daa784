"""What a PostgreSQL engine's connections send, message by message (libpq's trace).

:func:`traced` records, for every connection checked out of the engine while it is active,
the frontend messages (``Query`` with its text, ``Parse`` with its statement, ``Sync``...).
:func:`round_trips` counts the messages the client then waits on: a ``Query`` (the simple
protocol) or a ``Sync`` (the extended protocol's end of a batch)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Any

from psycopg import pq
from sqlalchemy import Engine, event


@contextlib.contextmanager
def traced(engine: Engine) -> Iterator[list[tuple[str, str]]]:
    """Yields a list filled (at checkin) with ``(message, rest)`` for each frontend message
    sent by connections checked out meanwhile."""
    sent: list[tuple[str, str]] = []
    files: dict[int, Any] = {}

    def checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        f = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed at checkin)
        files[id(dbapi_conn)] = f
        dbapi_conn.pgconn.trace(f.fileno())
        dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    def checkin(dbapi_conn: Any, _record: Any) -> None:
        f = files.pop(id(dbapi_conn), None)
        if f is None:
            return
        dbapi_conn.pgconn.untrace()
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


def round_trips(sent: list[tuple[str, str]]) -> list[str]:
    """One entry per message the client waits on: the query text, or ``Sync``."""
    return [
        _unquoted(rest) if kind == "Query" else kind
        for kind, rest in sent
        if kind in ("Query", "Sync")
    ]


def _unquoted(text: str) -> str:
    """A ``Query`` message's text as libpq's trace prints it: quoted, newlines escaped."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text.replace("\\x0a", "\n").replace("\\n", "\n")
