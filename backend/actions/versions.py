"""``version`` of the objects the admin API edits (CONTRACT §4a): every write increments
it; a write that names another version than the stored one is 409 ``stale``.

The increment is a conditional ``UPDATE ... SET version = version + 1 WHERE id = :id AND
version = :seen``, so two writers that read the same version cannot both win, on SQLite
(serialized writers) and on PostgreSQL (the second waits for the row, re-checks the
condition and matches nothing), whether or not they sent ``version``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.errors import stale


def bump(session: Session, obj: Any, sent: int | None, what: str) -> int:
    """Check ``sent`` (the caller's ``version``, or None) against ``obj`` and increment its
    version in the database; returns the new version. Call it before changing ``obj``."""
    current = int(obj.version)
    if sent is not None and sent != current:
        raise stale(what, current)
    mapper = type(obj).__mapper__
    table = mapper.local_table
    stmt = update(table).where(table.c.version == current).values(version=current + 1)
    for col in mapper.primary_key:
        stmt = stmt.where(table.c[col.key] == getattr(obj, col.key))
    result: Any = session.execute(stmt, execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        session.refresh(obj, ["version"])
        raise stale(what, int(obj.version))
    set_committed_value(obj, "version", current + 1)
    return current + 1
