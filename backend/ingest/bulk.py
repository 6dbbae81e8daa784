"""Writing many new rows at once, in the caller's transaction, as fast as the driver allows.

The values first go through the columns' SQLAlchemy bind processors (``Micros`` → integer
micro-dollars, ``UTCDateTime`` → naive UTC, ``JSONText`` → text, …): exactly what an
``INSERT`` through SQLAlchemy would send. Then, on the session's own driver connection (so
the rows are part of the transaction and of any open savepoint):

- PostgreSQL: one ``COPY … FROM STDIN``;
- SQLite: one ``executemany`` of a plain ``INSERT`` (the sqlite3 module's C loop).

It skips what dominated the ingest profile: SQLAlchemy's per-row statement work, and
psycopg parsing very long multi-row ``INSERT`` texts. Rows must be dicts with the same keys;
no ids come back (the queue's ids are allocated before, see
``backend.ingest.actions.allocate_queue_ids``). A failing row raises the SQLAlchemy error an
``INSERT`` would have raised (``IntegrityError`` …), wrapping the driver's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def _values(
    table: Table, conn: Connection, keys: list[str], rows: Sequence[dict[str, Any]]
) -> Iterator[list[Any]]:
    dialect = conn.dialect
    procs: list[Callable[[Any], Any] | None] = [
        table.c[k].type.bind_processor(dialect) for k in keys
    ]
    pairs = list(zip(keys, procs, strict=True))
    for r in rows:
        yield [r[k] if p is None else p(r[k]) for k, p in pairs]


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys: column names) into ``table``."""
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        conn.execute(insert(table), list(rows))
        return
    keys = list(rows[0])
    prep = dialect.identifier_preparer
    cols = ", ".join(prep.quote(k) for k in keys)
    name = prep.format_table(table)
    driver = conn.connection.driver_connection
    assert driver is not None
    dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
    if dialect.name == "postgresql":
        sql = f"COPY {name} ({cols}) FROM STDIN"
    else:
        sql = f"INSERT INTO {name} ({cols}) VALUES ({', '.join('?' * len(keys))})"
    try:
        if dialect.name == "postgresql":
            with driver.cursor() as cur, cur.copy(sql) as copy:
                write = copy.write_row
                for values in _values(table, conn, keys, rows):
                    write(values)
        else:
            cur = driver.cursor()
            try:
                cur.executemany(sql, _values(table, conn, keys, rows))
            finally:
                cur.close()
    except dbapi_error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi_error, dialect=dialect) from exc
