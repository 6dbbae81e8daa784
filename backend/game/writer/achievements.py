"""Achievements: each fires once (the unique ``dedupe_key`` is the final word, even under
concurrency and restarts), with its three events, its milestone points and the badge it
comes with (once per seller, +50 points the first time). :func:`fire_all` is the one writer
of achievements and badges: the claim calls it with the candidates its batch inserted
already, ``awards.fire`` with one candidate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.batch import pipeline_connection, prebuilt
from backend.eventlog import append_event
from backend.game import numbers as game_numbers
from backend.game.rules.milestones import BADGES
from backend.game.writer import batched
from backend.game.writer import statements as st
from backend.game.writer.candidates import (
    Candidate,
    achievement_rows,
    badge_wants,
    candidate_keys,
    unfired,
)
from backend.game.writer.points import Entry, PointsBook, Totals
from backend.models import Achievement, Badge
from backend.schemas.common import money


def fire_all(
    session: Session,
    book: PointsBook,
    candidates: Sequence[Candidate],
    fired: set[str] | None = None,
    new_ids: dict[str, int] | None = None,
) -> list[Achievement]:
    """Fire each candidate, in order, batched: the achievements that are new (one
    statement), their three events each, the milestone points and the badge (+ its points
    the first time). ``fired``: the dedupe keys known to exist (else looked up).
    ``new_ids``: the candidates were :func:`unfired` ones and their achievements are
    inserted already (dedupe key → id of those that were new). Returns the new achievements
    (not in the session)."""
    if new_ids is None:
        # most candidates fired long ago: look them up first (no insert, no id burnt)
        if fired is None:
            fired = fired_keys(session, candidate_keys(candidates))
        todo = unfired(candidates, fired)
        if not todo:
            return []
        result = session.connection().execute(
            prebuilt(session, st.achievement_insert), achievement_rows(todo, book.now)
        )
        new_ids = {r.dedupe_key: int(r.id) for r in result}
    else:
        todo = list(candidates)
    if not new_ids:
        return []
    now = book.now
    new = [c for c in todo if c.milestone.dedupe_key in new_ids]
    if not new:
        return []
    # badges that come with them: held already, or new now (once per seller)
    wanted = badge_wants(new)
    codes = {code for _, code in wanted}
    # PostgreSQL after settle's batch (book.badges): the badges and which pairs are held are
    # read; each new pair is granted with its points entry in the batch below (statements.badge_grant)
    grant_in_batch = book.badges is not None
    badges = {c: book.badges[c] for c in codes if c in book.badges} if book.badges else {}
    if codes - badges.keys():  # not read yet, or a badge row missing from the seed
        badges.update(_badges(session, codes - badges.keys()))
    pairs = [(sid, badges[code][0]) for sid, code in wanted]
    if grant_in_batch:
        new_badges = {p for p in pairs if p not in book.held}
    else:
        new_badges = _give_badges(session, pairs, now)
    # the ledger entries: each achievement's milestone points, then its badge's
    entries: list[Entry] = []
    given: set[tuple[int, int]] = set()
    plan: list[tuple[Candidate, Entry | None, Entry | None]] = []
    numbers = game_numbers.current(session)  # the admins' milestone and badge points
    for c in new:
        m, seller = c.milestone, c.seller
        points_e = badge_e = None
        if seller is not None:
            if c.milestone_points:
                points_e = Entry(
                    seller.id,
                    numbers.milestone_points,
                    f"Milestone: {m.title}",
                    "milestone",
                    f"milestone:{m.dedupe_key}",
                    "achievement",
                    new_ids[m.dedupe_key],
                )
                entries.append(points_e)
            if m.badge is not None:
                badge_id, badge_name = badges[m.badge]
                if (seller.id, badge_id) in new_badges and (seller.id, badge_id) not in given:
                    given.add((seller.id, badge_id))
                    badge_e = Entry(
                        seller.id,
                        numbers.badge_points,
                        f"Badge: {badge_name}",
                        "badge",
                        f"badge:{m.badge}:seller:{seller.id}",
                        "badge",
                        badge_id,
                    )
                    entries.append(badge_e)
        plan.append((c, points_e, badge_e))
    # the entries and the totals they lead to (and the badge grants): one round trip on
    # PostgreSQL
    written: dict[int, Totals] | None = None
    grants = {  # badge entry's dedupe key → badge id, granted in the entry's statement
        cast(str, e.dedupe_key): cast(int, e.ref_id)
        for _, _, e in plan
        if grant_in_batch and e is not None
    }
    pg = pipeline_connection(session)
    to_write = [e for e in entries if e.points != 0 or e.dedupe_key in grants]
    if pg is not None and to_write:
        done = batched.write_batch(session, pg, book, to_write, (), grants=grants)
        inserted, written = done.inserted, done.expected
    else:
        inserted = book.insert(entries)
    out: list[Achievement] = []
    for c, points_e, badge_e in plan:
        m, seller = c.milestone, c.seller
        a = Achievement(
            id=new_ids[m.dedupe_key],
            seller_id=seller.id if seller else None,
            kind=m.kind,
            title=m.title,
            description=m.description,
            emoji=m.emoji,
            value=m.value,
            period_key=m.period_key,
            dedupe_key=m.dedupe_key,
            claim_id=c.claim_id,
            created_at=now,
        )
        payload = achievement_payload(a, seller.name if seller else None)
        append_event(session, "achievement.created", payload)
        if seller is not None:
            append_event(session, "achievement:earned", payload, room=f"user:{seller.id}")
        append_event(session, "achievement:celebration", payload, room="tv-display")
        for e in (points_e, badge_e):
            if e is not None and e.dedupe_key in inserted:
                book.credit(e)
        out.append(a)
    if written is not None:
        batched.written(session, book, written)
    return out


def _badges(session: Session, codes: set[str]) -> dict[str, tuple[int, str]]:
    """code → (id, name); a badge row missing from the seed is created (migration 0004 seeds them)."""
    got = {
        code: (int(id_), name)
        for id_, code, name in session.execute(
            select(Badge.id, Badge.code, Badge.name).where(Badge.code.in_(sorted(codes)))
        )
    }
    for code in sorted(codes - got.keys()):
        name, description, emoji = BADGES[code]
        badge = Badge(code=code, name=name, description=description, emoji=emoji)
        session.add(badge)
        session.flush()
        got[code] = (badge.id, name)
    return got


def _give_badges(
    session: Session, pairs: list[tuple[int, int]], now: datetime
) -> set[tuple[int, int]]:
    """Insert (seller, badge) holdings; returns the pairs that are new."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return set()
    rows = [{"seller_id": s, "badge_id": b, "awarded_at": now} for s, b in pairs]
    result = session.connection().execute(prebuilt(session, st.badge_insert), rows)
    return {(int(r.seller_id), int(r.badge_id)) for r in result}


def fired_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of these achievement dedupe keys exist already."""
    if not keys:
        return set()
    result = session.connection().execute(prebuilt(session, st.fired_keys), {"b_keys": list(keys)})
    found: list[Any] = list(result.scalars())
    return {str(k) for k in found}


def achievement_payload(a: Achievement, seller_name: str | None) -> dict[str, object]:
    value: str | None
    if a.value is None:
        value = None
    elif a.kind in ("daily_revenue", "team_daily_revenue", "monthly_revenue", "jackpot", "top_day"):
        value = money(a.value)
    elif a.kind in ("personal_goal", "team_goal", "daily_goal"):
        value = f"{(a.value * 100).quantize(Decimal(1))}%"
    elif a.kind == "rank_change":
        value = f"#{int(a.value)}"
    elif a.value == a.value.to_integral_value():
        value = str(int(a.value))
    else:
        value = money(a.value)
    return {
        "achievement_id": a.id,
        "seller_id": a.seller_id,
        "seller_name": seller_name,
        "kind": a.kind,
        "title": a.title,
        "description": a.description,
        "emoji": a.emoji,
        "value": value,
        "created_at": a.created_at.isoformat() if a.created_at else None,
    }
