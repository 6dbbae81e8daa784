from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.db.types import utcnow
from backend.eventlog import append_event
from backend.models import Event
from backend.realtime.retention import prune_events, pruned_through
from backend.runtime import Database
from backend.settings import Settings


def test_prune_keeps_recent_events_and_records_the_watermark(
    db: Database, settings: Settings
) -> None:
    now = utcnow()
    with db.transaction() as s:
        ids = [append_event(s, "leaderboard:refresh", {"boards": ["wins"]}).id for _ in range(4)]
    with db.transaction() as s:
        for i, ev_id in enumerate(ids[:2]):
            ev = s.get(Event, ev_id)
            assert ev is not None
            ev.created_at = now - timedelta(days=settings.event_retention_days, minutes=5 - i)
    with db.transaction() as s:
        assert pruned_through(s) == 0
        assert prune_events(s, settings, now) == 2
    with db.transaction() as s:
        assert pruned_through(s) == ids[1]
        assert list(s.scalars(select(Event.id).order_by(Event.id))) == ids[2:]
        assert prune_events(s, settings, now) == 0
        assert s.scalar(select(func.count()).select_from(Event)) == 2


def test_prune_keeps_the_newest_event_so_ids_never_start_again(
    db: Database, settings: Settings
) -> None:
    """Everything older than the retention (a quiet week): all but the newest go. SQLite
    gives a new row max(id) + 1, so an emptied table would hand out id 1 again — below
    every client's ``since`` and the relay's cursor."""
    now = utcnow()
    with db.transaction() as s:
        ids = [append_event(s, "leaderboard:refresh", {"boards": ["wins"]}).id for _ in range(3)]
        for ev_id in ids:
            ev = s.get(Event, ev_id)
            assert ev is not None
            ev.created_at = now - timedelta(days=settings.event_retention_days + 1)
    with db.transaction() as s:
        assert prune_events(s, settings, now) == 2
        assert list(s.scalars(select(Event.id))) == [ids[-1]]
        assert prune_events(s, settings, now) == 0  # the newest alone stays
    with db.transaction() as s:
        assert append_event(s, "leaderboard:refresh", {"boards": ["wins"]}).id > ids[-1]
