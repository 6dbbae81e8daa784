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

from sqlalchemy import Table, TypeDecorator, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError


def _converter(column_type: Any, dialect: Dialect) -> Callable[[list[Any]], list[Any]] | None:
    """A function converting one column's values (a list) as the column's bind processor
    would, or None when the driver takes the values as they are. A ``TypeDecorator`` over a
    type the driver takes as is (``Micros``, ``UTCDateTime``, ``JSONText``) calls its
    ``process_bind_param`` directly in one comprehension (no SQLAlchemy wrapper per value)."""
    proc = column_type.bind_processor(dialect)
    if proc is None:
        return None
    if isinstance(column_type, TypeDecorator) and (
        column_type.impl_instance.bind_processor(dialect) is None
    ):
        f = column_type.process_bind_param
        try:
            none_stays_none = f(None, dialect) is None
        except Exception:
            none_stays_none = False
        if none_stays_none:
            return lambda vals: [None if v is None else f(v, dialect) for v in vals]
        return lambda vals: [f(v, dialect) for v in vals]
    return lambda vals: [proc(v) for v in vals]


def _values(
    table: Table, conn: Connection, keys: list[str], rows: Sequence[dict[str, Any]]
) -> Iterator[tuple[Any, ...]]:
    """The rows' values in ``keys`` order, converted column by column."""
    dialect = conn.dialect
    columns: list[list[Any]] = []
    for k in keys:
        vals = [r[k] for r in rows]
        convert = _converter(table.c[k].type, dialect)
        columns.append(vals if convert is None else convert(vals))
    return zip(*columns, strict=True)


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
