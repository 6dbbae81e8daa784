"""PostgreSQL: a claim's points and achievements written in one round trip (a
:class:`backend.db.batch.Batch`): the ledger entries, the running totals as they will be
once every entry is credited, the new achievements, the badges they come with and whether
each seller holds them; each new badge's grant goes in the same statement as its points
entry (``statements.badge_grant``). Elsewhere the same rows are written one statement at a
time by :class:`backend.game.writer.points.PointsBook` and
:func:`backend.game.writer.achievements.fire_all`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from backend.db.batch import Batch, compiled, forget, naive_utc
from backend.db.micros import to_micros
from backend.game.rules.points import level_for_xp
from backend.game.writer import statements as st
from backend.game.writer.candidates import Candidate, achievement_rows
from backend.game.writer.points import Entry, PointsBook, Totals
from backend.models import Achievement, PointsEntry, SellerStats

LEDGER_KEYS = st.columns_of(PointsEntry)
STATS_KEYS = st.columns_of(SellerStats, without=("seller_id",))
ACHIEVEMENT_KEYS = st.columns_of(Achievement)


@dataclass
class BatchResult:
    inserted: set[str]  # the ledger keys inserted
    new_ids: dict[str, int]  # dedupe key → id of the new achievements
    expected: dict[int, Totals]  # the totals written
    badges: dict[str, tuple[int, str]]  # the ``badge_wants`` read: code → (id, name)
    held: set[tuple[int, int]]  # of those, the (seller, badge) pairs held already


def write_batch(
    session: Session,
    pg: Any,
    book: PointsBook,
    entries: Sequence[Entry],
    todo: Sequence[Candidate],
    *,
    badge_wants: Sequence[tuple[int, str]] = (),
    grants: dict[str, int] | None = None,
) -> BatchResult:
    """One batch: the ledger entries (non-zero), the running totals as they will be once
    every entry is credited, the achievements of ``todo``, the badges ``badge_wants``
    ((seller, code) pairs: each badge and whether the seller holds it). ``grants``: entries
    (by dedupe key → badge id) that are badge points, inserted only together with their new
    badge grant (the grant also when the entry has no points). The caller
    credits the inserted entries, then calls :func:`written`."""
    grants = grants or {}
    expected = {sid: replace(t) for sid, t in book.totals.items() if t.dirty}
    for e in entries:
        t = expected.get(e.seller_id)
        if t is None:
            t = expected[e.seller_id] = replace(book.of(e.seller_id))
        t.points += e.points
        t.level = level_for_xp(max(0, t.points))
    now = naive_utc(book.now)
    batch = Batch(pg)
    ledger = compiled(session, st.ledger_insert, LEDGER_KEYS)
    grant = compiled(session, st.badge_grant)
    at_ledger = []
    for e in entries:
        values = e.row(now)
        if e.dedupe_key in grants:
            at_ledger.append(batch.add(grant, {**values, "badge_id": grants[e.dedupe_key]}))
        else:
            at_ledger.append(batch.add(ledger, values))
    write = compiled(session, st.stats_write, STATS_KEYS)
    for sid, t in sorted(expected.items()):
        batch.add(
            write,
            {
                "b_seller": sid,
                "points": t.points,
                "xp": max(0, t.points),
                "level": t.level,
                "daily_streak": t.daily_streak,
                "last_active_day": t.last_active_day,
                "updated_at": now,
            },
        )
    achievement = compiled(session, st.achievement_insert, ACHIEVEMENT_KEYS)
    at_new = [batch.add(achievement, raw_achievement(r)) for r in achievement_rows(todo, now)]
    badge_read = compiled(session, st.badge_read)
    at_badges = [
        batch.add(badge_read, {"seller_id": sid, "code": code})
        for sid, code in dict.fromkeys(badge_wants)
    ]
    results = batch.run()
    inserted = {str(r[0]) for i in at_ledger for r in results[i]}
    new_ids = {str(r[1]): int(r[0]) for i in at_new for r in results[i]}
    badges: dict[str, tuple[int, str]] = {}
    held: set[tuple[int, int]] = set()
    for (sid, _code), i in zip(dict.fromkeys(badge_wants), at_badges, strict=True):
        for badge_id, code, name, is_held in results[i]:
            badges[str(code)] = (int(badge_id), str(name))
            if is_held:
                held.add((sid, int(badge_id)))
    return BatchResult(inserted, new_ids, expected, badges, held)


def written(session: Session, book: PointsBook, expected: dict[int, Totals]) -> None:
    """After :func:`write_batch` and the credits: totals written as they are now are clean;
    any other (an entry was in the ledger already) is left for ``book.save`` to rewrite."""
    for sid, want in expected.items():
        forget(session, SellerStats, sid)
        totals = book.totals[sid]
        totals.dirty = totals != replace(want, dirty=totals.dirty)


def raw_achievement(row: dict[str, Any]) -> dict[str, Any]:
    value = row["value"]
    return {**row, "value": None if value is None else to_micros(value)}
