"""Points: the ledger (one entry per dedupe key, ``INSERT ... ON CONFLICT DO NOTHING``) and
each seller's running totals (points = XP = the ledger's sum, the level, the daily activity
streak), read once per transaction (``FOR UPDATE``) and written back once.

:class:`PointsBook` is the one writer of both: the claim, the achievements, goals,
challenges, spins and the admin's reversals all credit through it (``awards.award_points``
for a single entry). On PostgreSQL a claim writes its entries and totals in a batch
(:mod:`backend.game.writer.batched`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.db.batch import forget, prebuilt, table_of
from backend.eventlog import append_event
from backend.game.rules.points import level_for_xp
from backend.game.writer import statements as st
from backend.models import SellerStats


@dataclass
class Totals:
    points: int
    level: int
    daily_streak: int
    last_active_day: date | None
    dirty: bool = False


@dataclass(frozen=True)
class Entry:
    """One points ledger entry (once per ``dedupe_key``; without a key: every time)."""

    seller_id: int
    points: int
    reason: str
    source: str
    dedupe_key: str | None
    ref_type: str | None = None
    ref_id: int | None = None

    def row(self, created_at: datetime) -> dict[str, Any]:
        """The ``points_ledger`` row of this entry."""
        return {
            "seller_id": self.seller_id,
            "points": self.points,
            "reason": self.reason[:200],
            "source": self.source,
            "ref_type": self.ref_type,
            "ref_id": self.ref_id,
            "dedupe_key": self.dedupe_key,
            "created_at": created_at,
        }


class PointsBook:
    """The running totals of the sellers this transaction credits (read once, locked) and
    their ledger entries; ``save`` writes the totals back."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.totals: dict[int, Totals] = {}
        # PostgreSQL: the badges of the claim's new achievements, read in :func:`settle`'s
        # batch (code → (id, name)) with the (seller, badge) pairs held already; None: not read
        self.badges: dict[str, tuple[int, str]] | None = None
        self.held: set[tuple[int, int]] = set()

    def of(self, seller_id: int) -> Totals:
        got = self.totals.get(seller_id)
        if got is not None:
            return got
        conn = self.session.connection()
        row = conn.execute(prebuilt(self.session, st.stats_read), {"b_seller": seller_id}).first()
        if row is None:
            conn.execute(
                table_of(SellerStats).insert(),
                {
                    "seller_id": seller_id,
                    "points": 0,
                    "xp": 0,
                    "level": 0,
                    "daily_streak": 0,
                    "updated_at": self.now,
                },
            )
            got = Totals(0, 0, 0, None)
        else:
            got = totals_of(row)
        self.totals[seller_id] = got
        return got

    def insert(self, entries: Sequence[Entry]) -> set[str]:
        """Insert the entries (one statement); returns the dedupe keys actually inserted
        (a key already in the ledger means "already awarded": skipped)."""
        entries = [e for e in entries if e.points != 0]
        if not entries:
            return set()
        rows = [e.row(self.now) for e in entries]
        result = self.session.connection().execute(prebuilt(self.session, st.ledger_insert), rows)
        return {str(r.dedupe_key) for r in result if r.dedupe_key is not None}

    def insert_one(self, entry: Entry) -> int | None:
        """Insert one entry; returns its id, or None when its dedupe key was there already."""
        row = (
            self.session.connection()
            .execute(prebuilt(self.session, st.ledger_insert), entry.row(self.now))
            .first()
        )
        return None if row is None else int(row.id)

    def credit(self, e: Entry) -> None:
        """Add an inserted entry to the totals and tell the seller (``points.awarded``)."""
        totals = self.of(e.seller_id)
        totals.points += e.points
        totals.level = level_for_xp(max(0, totals.points))
        totals.dirty = True
        append_event(
            self.session,
            "points.awarded",
            {
                "points": e.points,
                "reason": e.reason[:200],
                "source": e.source,
                "total": totals.points,
                "level": totals.level,
            },
            room=f"user:{e.seller_id}",
        )

    def adopt(self, seller_id: int, totals: Totals) -> None:
        """Use totals read (and locked) by the caller."""
        self.totals[seller_id] = totals

    def award(self, entries: Sequence[Entry], inserted: set[str] | None = None) -> None:
        """Insert the entries (unless ``inserted`` says which were) and credit the new."""
        if inserted is None:
            inserted = self.insert(entries)
        for e in entries:
            if e.points != 0 and (e.dedupe_key is None or e.dedupe_key in inserted):
                self.credit(e)

    def save(self) -> None:
        for sid, totals in self.totals.items():
            if not totals.dirty:
                continue
            self.session.connection().execute(
                prebuilt(self.session, st.stats_write),
                {
                    "b_seller": sid,
                    "points": totals.points,
                    "xp": max(0, totals.points),
                    "level": totals.level,
                    "daily_streak": totals.daily_streak,
                    "last_active_day": totals.last_active_day,
                    "updated_at": self.now,
                },
            )
            totals.dirty = False
            forget(self.session, SellerStats, sid)


def totals_of(row: Any) -> Totals:
    """Totals from a ``statements.stats_read`` row."""
    return Totals(int(row.points), int(row.level), int(row.daily_streak), row.last_active_day)
