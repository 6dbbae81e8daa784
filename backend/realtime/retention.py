"""Keeping the event log bounded: events older than WINROOM_EVENT_RETENTION_DAYS go.

``prune_events(session, settings)`` is the scheduled job (call it e.g. hourly, in its own
transaction). It records the highest id it removed (``cache_kv`` key
``events:pruned_through``) so a client asking to replay from before that gets
``resync.required`` instead of a silent gap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.db.types import utcnow
from backend.models import CacheKV, Event
from backend.settings import Settings

WATERMARK_KEY = "events:pruned_through"


def pruned_through(session: Session) -> int:
    row = session.get(CacheKV, WATERMARK_KEY)
    if row is None or not isinstance(row.value, dict):
        return 0
    return int(row.value.get("id", 0))


def prune_events(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete events older than the retention; returns how many were deleted."""
    cutoff = (now or utcnow()) - timedelta(days=settings.event_retention_days)
    top = session.scalar(select(func.max(Event.id)).where(Event.created_at < cutoff))
    if top is None:
        return 0
    # the newest event stays, however old: SQLite hands out max(id) + 1 as the next id, so an
    # emptied table would start again at 1, below every client's ``since`` and the relay's
    # cursor (CONTRACT §5: ids strictly increasing)
    newest: int = session.execute(select(func.max(Event.id))).scalar_one()
    top = min(top, newest - 1)
    if top < 1:
        return 0
    result = session.execute(delete(Event).where(Event.id <= top))
    row = session.get(CacheKV, WATERMARK_KEY)
    if row is None:
        session.add(CacheKV(key=WATERMARK_KEY, value={"id": int(top)}, updated_at=utcnow()))
    else:
        row.value = {"id": max(int(top), pruned_through(session))}
        row.updated_at = utcnow()
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
