"""What the rules decide, written for one change at a time: achievements (once, by their
unique dedupe key), the badges they come with (once per seller) and points (ledger +
running totals), with their events. The rows are written by ``backend.game.writer`` (the
one writer; the claim uses it in batches): goals, challenges, spins, the day close and the
admin's reversals call these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from backend.eventlog import take_order_lock
from backend.game.rules.milestones import Milestone
from backend.game.writer.achievements import achievement_payload, fire_all
from backend.game.writer.candidates import Candidate
from backend.game.writer.points import Entry, PointsBook
from backend.models import Achievement, PointsEntry, Seller

__all__ = ["achievement_payload", "award_points", "fire", "serialize", "serialize_sqlite"]


def serialize(session: Session) -> None:
    """Take the floor's write lock (PostgreSQL): game writes run one at a time, so the numbers
    each transaction reads after this include every earlier commit. Re-entrant; the same key
    the event log takes (no lock-order inversion). SQLite writers are serialized already."""
    take_order_lock(session)


def serialize_sqlite(session: Session) -> None:
    """``serialize`` where it costs no round trip (SQLite: only marks the lock as held);
    on PostgreSQL the caller sends the lock statement itself (``writer.claim.open_claim``)."""
    if session.get_bind().dialect.name != "postgresql":
        take_order_lock(session)


def fire(
    session: Session,
    m: Milestone,
    seller: Seller | None,
    now: datetime,
    *,
    claim_id: int | None = None,
    milestone_points: bool = True,
) -> Achievement | None:
    """Insert the achievement under its dedupe key (a duplicate means "already fired":
    nothing happens) and append its three events; award the milestone points and the badge
    that comes with it. Returns the new achievement (not in the session) or None."""
    session.flush()  # pending ORM rows first: the writer's statements go past the ORM
    book = PointsBook(session, now)
    new = fire_all(session, book, [Candidate(m, seller, claim_id, milestone_points)])
    book.save()
    return new[0] if new else None


def award_points(
    session: Session,
    seller_id: int,
    points: int,
    reason: str,
    source: str,
    now: datetime,
    *,
    ref_type: str | None = None,
    ref_id: int | None = None,
    dedupe_key: str | None = None,
    fresh: bool = False,
) -> PointsEntry | None:
    """One ledger entry (once per ``dedupe_key`` when given), the running totals and a
    ``points.awarded`` event to the seller. Points = XP = the ledger's sum (never < 0).
    Returns the new entry (not in the session), or None (no points, or the key's entry
    exists). ``fresh`` is accepted for callers that know the key is new: the insert is
    ``ON CONFLICT DO NOTHING`` either way, no SAVEPOINT."""
    if points == 0:
        return None
    session.flush()  # pending ORM rows first: the writer's statements go past the ORM
    book = PointsBook(session, now)
    entry = Entry(seller_id, points, reason, source, dedupe_key, ref_type, ref_id)
    entry_id = book.insert_one(entry)
    if entry_id is None:
        return None
    book.credit(entry)
    book.save()
    return PointsEntry(id=entry_id, **entry.row(now))
