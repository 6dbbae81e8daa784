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

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Table, TypeDecorator, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

from backend.db.types import Micros


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


def _micros(
    column_type: Micros, dialect: Dialect, memo: dict[Any, Any]
) -> Callable[[list[Any]], list[Any]]:
    """Money to integer micro-units through ``Micros.process_bind_param``, each distinct
    value once per ``memo``: the result depends only on the value's type and numeric value
    (equal Decimals give the same quotient), and the key holds both (``True`` is not 1)."""
    f = column_type.process_bind_param

    def convert(vals: list[Any]) -> list[Any]:
        out: list[Any] = []
        append = out.append
        for v in vals:
            if v is None:
                append(None)
                continue
            key = (type(v), v)
            try:
                got = memo.get(key, memo)
            except TypeError:  # not hashable (a signalling NaN): no memo
                append(f(v, dialect))
                continue
            if got is memo:
                got = memo[key] = f(v, dialect)
            append(got)
        return out

    return convert


def _columns(
    table: Table,
    conn: Connection,
    keys: list[str],
    rows: Sequence[dict[str, Any]],
    memo: dict[Any, Any] | None = None,
) -> list[list[Any]]:
    """The rows' values, one list per column in ``keys`` order, converted column by column
    (``memo``: money values already converted, shared by the calls given the same dict)."""
    dialect = conn.dialect
    columns: list[list[Any]] = []
    for k in keys:
        vals = [r[k] for r in rows]
        column_type = table.c[k].type
        if memo is not None and type(column_type) is Micros:
            convert: Callable[[list[Any]], list[Any]] | None = _micros(column_type, dialect, memo)
        else:
            convert = _converter(column_type, dialect)
        columns.append(vals if convert is None else convert(vals))
    return columns


_NONE = type(None)
# PostgreSQL types whose binary COPY form psycopg writes from exactly these Python types
# (after the bind processors): the server then stores what the text form would give it.
_BINARY_SAFE: dict[str, frozenset[type]] = {
    "int2": frozenset({int, _NONE}),
    "int4": frozenset({int, _NONE}),
    "int8": frozenset({int, _NONE}),
    "bool": frozenset({bool, _NONE}),
    "text": frozenset({str, _NONE}),
    "varchar": frozenset({str, _NONE}),
    "timestamp": frozenset({datetime, _NONE}),  # naive only (checked per value)
}
# column types by table, per driver connection: {table: {column: (oid, type name)}}
_pg_types: WeakKeyDictionary[Any, dict[str, dict[str, tuple[int, str]]]] = WeakKeyDictionary()


def _column_types(driver: Any, table: Table) -> dict[str, tuple[int, str]]:
    """``{column: (type oid, type name)}`` of ``table`` as the server has it (cached per
    connection: one catalog query per table; forgotten after any error in a write, so a
    schema changed under a pooled connection is read again)."""
    per_conn = _pg_types.setdefault(driver, {})
    name = table.fullname
    found = per_conn.get(name)
    if found is None:
        with driver.cursor() as cur:
            cur.execute(
                "SELECT a.attname, t.oid, t.typname FROM pg_attribute a "
                "JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped",
                (name,),
            )
            found = {str(n): (int(oid), str(typ)) for n, oid, typ in cur.fetchall()}
        per_conn[name] = found
    return found


def _binary_types(
    driver: Any, table: Table, keys: list[str], columns: list[list[Any]]
) -> list[int] | None:
    """The oids for a binary COPY of ``columns``, or None when any column's type or values
    are not ones the binary form stores exactly as the text form would (then COPY text)."""
    types = _column_types(driver, table)
    oids: list[int] = []
    for k, vals in zip(keys, columns, strict=True):
        oid, typname = types.get(k, (0, ""))
        allowed = _BINARY_SAFE.get(typname)
        if allowed is None or not set(map(type, vals)) <= allowed:
            return None
        if typname == "timestamp" and any(v is not None and v.tzinfo is not None for v in vals):
            return None
        oids.append(oid)
    return oids


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    memo: dict[Any, Any] | None = None,
) -> None:
    """Insert ``rows`` (dicts with the same keys: column names) into ``table``.

    ``memo``: a dict shared by several calls (e.g. the queue and metrics rows of one batch,
    which hold the same money values) so each money value is converted once."""
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
        columns = _columns(table, conn, keys, rows, memo)
        if dialect.name == "postgresql":
            oids = _binary_types(driver, table, keys, columns)
            if oids is not None:  # binary: less to format here and to parse on the server
                sql += " (FORMAT BINARY)"
            with driver.cursor() as cur, cur.copy(sql) as copy:
                if oids is not None:
                    copy.set_types(oids)
                write = copy.write_row
                for values in zip(*columns, strict=True):
                    write(values)
        else:
            cur = driver.cursor()
            try:
                cur.executemany(sql, zip(*columns, strict=True))
            finally:
                cur.close()
    except dbapi_error as exc:
        if dialect.name == "postgresql":
            _pg_types.pop(driver, None)  # read the column types again next time
        raise DBAPIError.instance(sql, None, exc, dbapi_error, dialect=dialect) from exc
