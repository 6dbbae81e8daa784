"""The claim's hot path: deferred events (inserted right before the commit) keep the event
log's guarantees, and the batched writes leave the numbers a recomputation from the base rows
gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import func, select, text

from backend import eventlog
from backend.actions import goals
from backend.game import daystats
from backend.game.rules import points as prules
from backend.game.rules.periods import DayRange, local_day, utc_bounds
from backend.models import Badge, Event, PointsEntry, SellerBadge
from backend.models.game import SellerDayStats, SellerStats
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.game.floor import add_item, add_seller, claim, events
from tests.helpers.cursor_reader import read_while_writing

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_deferred_events_commit_in_id_order_under_concurrent_writers(
    db: Database, settings: Settings
) -> None:
    """A reader that only ever asks for ``id > cursor`` (the relay) sees every event while
    claims (deferred events) and plain appenders (immediate events) commit concurrently."""
    with db.transaction() as s:
        sellers = [add_seller(s, f"S{i}").id for i in range(4)]
        items = [[add_item(s, "100", "10", at=NOW).id for _ in range(4)] for _ in sellers]

    def claimer(n: int) -> None:
        for k, item in enumerate(items[n]):
            with db.transaction() as s:
                claim(s, sellers[n], item, settings, NOW + timedelta(seconds=10 * n + k))

    def appender() -> None:
        for _ in range(8):
            with db.transaction() as s:
                eventlog.append_event(s, "leaderboard:refresh", {"boards": ["wins"]})

    seen = read_while_writing(db, [*(partial(claimer, n) for n in range(len(sellers))), appender])
    with db.read() as s:
        stored = list(s.scalars(select(Event.id).order_by(Event.id)))
        claimed = s.scalar(select(func.count()).where(Event.type == "claimed"))
    assert claimed == 16
    assert seen == stored  # nothing skipped, nothing twice, in order


def test_deferred_events_follow_savepoints_and_wake_once(db: Database) -> None:
    woken: list[int] = []
    remove = eventlog.add_commit_waker(lambda _events: woken.append(1))
    try:
        with db.transaction() as s:
            eventlog.defer_events(s)
            a = eventlog.append_event(s, "leaderboard:refresh", {"boards": ["a"]})
            with s.begin_nested():
                eventlog.append_event(s, "leaderboard:refresh", {"boards": ["kept"]})
            try:
                with s.begin_nested():
                    eventlog.append_event(s, "leaderboard:refresh", {"boards": ["dropped"]})
                    raise RuntimeError("roll the savepoint back")
            except RuntimeError:
                pass
            # a SAVEPOINT release is no commit: nothing inserted, nobody woken yet
            assert s.execute(text("SELECT count(*) FROM events")).scalar() == 0
            assert woken == []
            assert a.id is None
            eventlog.append_event(s, "leaderboard:refresh", {"boards": ["c"]})
        assert woken == [1]
        assert a.id is not None
        with db.read() as s:
            boards = [e.payload["boards"] for e in events(s)]
        assert boards == [["a"], ["kept"], ["c"]]

        # an ORM query of the events table inside the transaction sees its deferred events
        with db.transaction() as s:
            eventlog.defer_events(s)
            eventlog.append_event(s, "leaderboard:refresh", {"boards": ["d"]})
            assert [e.payload["boards"] for e in events(s, after=a.id)][-1] == ["d"]
        # rolled back: nothing stored, nobody woken
        try:
            with db.transaction() as s:
                eventlog.defer_events(s)
                eventlog.append_event(s, "leaderboard:refresh", {"boards": ["e"]})
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert woken == [1, 1]
        with db.read() as s:
            assert [e.payload["boards"] for e in events(s)][-1] == ["d"]
    finally:
        remove()


def test_claim_path_keeps_boards_points_and_badges_exact(db: Database, settings: Settings) -> None:
    """Claims (jackpots, streaks, milestones, badges, a goal) through the hot path, then the
    stored numbers against what the base rows say."""
    with db.transaction() as s:
        ayse, burak = add_seller(s, "Ayse"), add_seller(s, "Burak")
        goals.create_personal_goal(
            s,
            seller_id=ayse.id,
            title="Five",
            period="day",
            target_type="count",
            target=Decimal(5),
            actor_id=ayse.id,
            now=NOW,
        )
    plan = [ayse.id] * 12 + [burak.id] * 2 + [ayse.id] * 3
    for k, sid in enumerate(plan):
        with db.transaction() as s:
            item = add_item(s, "1000", "250.123457", jackpot=k % 5 == 0, at=NOW)
            claim(s, sid, item.id, settings, NOW + timedelta(minutes=k))
    with db.read() as s:
        day = local_day(NOW, settings.tz)
        start, end = utc_bounds(DayRange(day, day), settings.tz)
        exact = daystats.compute_range(s, start, end)
        stored = {
            r.seller_id: (r.wins, r.revenue, r.margin)
            for r in s.scalars(select(SellerDayStats).where(SellerDayStats.day == day))
        }
        assert stored == {sid: (n.wins, n.revenue, n.margin) for sid, n in exact.items()}
        assert stored[ayse.id][0] == 15
        for sid in (ayse.id, burak.id):
            ledger = s.scalar(
                select(func.sum(PointsEntry.points)).where(PointsEntry.seller_id == sid)
            )
            stats = s.get(SellerStats, sid)
            assert stats is not None and stats.points == ledger and stats.xp == ledger
            assert stats.level == prules.level_for_xp(ledger)
            assert stats.daily_streak == 1 and stats.last_active_day == day
            # each badge once, and its +50 once
            badges = s.scalars(select(SellerBadge.badge_id).where(SellerBadge.seller_id == sid))
            badge_ids = list(badges)
            assert len(badge_ids) == len(set(badge_ids))
            badge_points = s.scalar(
                select(func.count()).where(
                    PointsEntry.seller_id == sid, PointsEntry.source == "badge"
                )
            )
            assert badge_points == len(badge_ids)
        sources = dict(
            s.execute(
                select(PointsEntry.source, func.count())
                .where(PointsEntry.seller_id == ayse.id)
                .group_by(PointsEntry.source)
            ).all()
        )
        assert sources["claim"] == 15 and sources["daily_streak"] == 1
        assert sources["jackpot_bonus"] == 4  # claims 0, 5, 10 and 15
        assert sources["goal"] == 1
        # every points.awarded to Ayse carries the running total, ending at the stored one
        totals = [
            e.payload["total"]
            for e in events(s, types=("points.awarded",))
            if e.room == f"user:{ayse.id}"
        ]
        stats = s.get(SellerStats, ayse.id)
        assert stats is not None and totals[-1] == stats.points
        assert totals == sorted(totals)


def test_orm_copies_held_by_the_session_show_the_claims_writes(
    db: Database, settings: Settings
) -> None:
    """Rows the claim path writes with Core statements (day and month rows, totals, floor
    streak) read back through the session's ORM copies with their new values."""
    from backend.models import StreakState
    from backend.models.game import SellerMonthStats

    with db.transaction() as s:
        a = add_seller(s, "Ayse")
        claim(s, a.id, add_item(s, "100", "10", at=NOW).id, settings, NOW)
    day = local_day(NOW, settings.tz)
    with db.transaction() as s:
        held = (
            s.get_one(SellerDayStats, (day, a.id)),
            s.get_one(SellerMonthStats, (day.replace(day=1), a.id)),
            s.get_one(SellerStats, a.id),
            s.get_one(StreakState, "floor"),
        )
        assert (held[0].wins, held[1].wins, held[3].count) == (1, 1, 1)
        points = held[2].points
        claim(s, a.id, add_item(s, "50", "5", at=NOW).id, settings, NOW + timedelta(minutes=1))
        assert (held[0].wins, held[0].revenue) == (2, Decimal(150))
        assert (held[1].wins, held[1].revenue) == (2, Decimal(150))
        assert held[2].points > points
        assert held[3].count == 2


def test_an_achievement_written_with_the_claims_ledger_entries_is_stored_whole(
    db: Database, settings: Settings
) -> None:
    """The jackpot achievement goes out with the claim's ledger entries (one batch on
    PostgreSQL): every column as ``awards.fire`` writes it, and its events."""
    from backend.models import Achievement

    with db.transaction() as s:
        a = add_seller(s, "Ayse")
        item = add_item(s, "1234.56", "100", jackpot=True, at=NOW)
        c = claim(s, a.id, item.id, settings, NOW)
    with db.read() as s:
        [row] = s.scalars(select(Achievement).where(Achievement.kind == "jackpot")).all()
        assert (row.seller_id, row.claim_id, row.value) == (a.id, c.id, Decimal("1234.56"))
        assert row.created_at == NOW and row.dedupe_key == f"jackpot:queue:{item.id}"
        created = [
            e
            for e in events(s)
            if e.type == "achievement.created" and e.payload["kind"] == "jackpot"
        ]
        assert [e.payload["achievement_id"] for e in created] == [row.id]
        assert created[0].payload["value"] == "1234.56"


def test_the_keys_looked_up_first_cover_every_milestone_a_claim_can_fire() -> None:
    """The claim looks up the dedupe keys of ``engine._reachable`` before it knows the
    numbers, and skips a group whose keys have all fired: every key the rules can give for
    any numbers must be in its group."""
    from backend.game import engine
    from backend.game.rules import milestones as m

    day = date(2026, 11, 20)
    groups = engine._reachable(7, day)
    team = engine._reachable(None, day)["team"]
    for v in [Decimal(x) for x in (0, 1, 3999, 4000, 9999, 10000, 25000, 99999, 10**7)]:
        assert {x.dedupe_key for x in m.daily_revenue(7, day, v)} <= set(groups["daily"])
        assert {x.dedupe_key for x in m.team_daily_revenue(day, v)} <= set(team)
        for wins in (0, 9, 10, 20, 35, 40, 1000):
            got = {x.dedupe_key for x in m.monthly(7, day, v, wins)}
            assert got <= set(groups["monthly"])
    ranks = [None, 1, 2, 3, 4, 50]
    for old in ranks:
        for new in ranks:
            got = {x.dedupe_key for x in m.top_rank(7, day, old, new)}
            assert got <= set(groups["rank"])


def test_badges_of_a_claim_are_granted_once_with_their_points_held_or_not(
    db: Database, settings: Settings
) -> None:
    """One $100k claim reaches four badges at once (three revenue badges and the top-3 move).
    Each is granted once with a "Badge: <name>" entry of +50 referring to it, credited in a
    ``points.awarded``; a badge the seller holds already gives no second grant and no points;
    a badge entry already in the ledger is not written again, and the running total stays
    the sum of what was credited."""
    four = {"revenue_king", "top_earner", "rising_star", "top_performer"}
    with db.transaction() as s:
        ayse, burak, cem = (add_seller(s, n) for n in ("Ayse", "Burak", "Cem"))
        ids = dict(s.execute(select(Badge.code, Badge.id)).all())
        names = dict(s.execute(select(Badge.code, Badge.name)).all())
        s.add(SellerBadge(seller_id=burak.id, badge_id=ids["top_earner"], awarded_at=NOW))
        s.add(
            PointsEntry(
                seller_id=cem.id,
                points=prules.BADGE_POINTS,
                reason="Badge: Rising Star",
                source="badge",
                ref_type="badge",
                ref_id=ids["rising_star"],
                dedupe_key=f"badge:rising_star:seller:{cem.id}",
                created_at=NOW,
            )
        )
    with db.read() as s:
        before = max([e.id for e in events(s)], default=0)
    for k, sid in enumerate((ayse.id, burak.id, cem.id)):
        with db.transaction() as s:
            item = add_item(s, "100000", "20000", at=NOW)
            claim(s, sid, item.id, settings, NOW + timedelta(minutes=k))
    with db.read() as s:
        held = {
            sid: sorted(
                code
                for (code,) in s.execute(
                    select(Badge.code)
                    .join(SellerBadge, SellerBadge.badge_id == Badge.id)
                    .where(SellerBadge.seller_id == sid)
                )
            )
            for sid in (ayse.id, burak.id, cem.id)
        }
        assert held == {ayse.id: sorted(four), burak.id: sorted(four), cem.id: sorted(four)}

        def badge_entries(sid: int) -> dict[str, tuple[int, str, int | None]]:
            rows = s.scalars(
                select(PointsEntry).where(
                    PointsEntry.seller_id == sid, PointsEntry.source == "badge"
                )
            )
            return {e.dedupe_key: (e.points, e.reason, e.ref_id) for e in rows}

        def expected(sid: int, codes: set[str]) -> dict[str, tuple[int, str, int | None]]:
            return {
                f"badge:{c}:seller:{sid}": (prules.BADGE_POINTS, f"Badge: {names[c]}", ids[c])
                for c in codes
            }

        assert badge_entries(ayse.id) == expected(ayse.id, four)
        assert badge_entries(burak.id) == expected(burak.id, four - {"top_earner"})
        assert badge_entries(cem.id) == expected(cem.id, four)  # one of them seeded above
        awarded = [e for e in events(s, before) if e.type == "points.awarded"]
        for sid, credited in ((ayse.id, 4), (burak.id, 3), (cem.id, 3)):
            mine = [e.payload for e in awarded if e.room == f"user:{sid}"]
            assert sum(p["source"] == "badge" for p in mine) == credited
            stats = s.get(SellerStats, sid)
            assert stats is not None and stats.points == mine[-1]["total"]
            assert stats.points == sum(p["points"] for p in mine)


def test_a_badge_worth_no_points_is_still_granted_with_no_entry(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Game numbers may change: with badges worth 0 points, the claim's badges are granted
    and no badge entry or ``points.awarded`` is written for them."""
    from backend.game import numbers as game_numbers

    monkeypatch.setattr(
        game_numbers, "current", lambda _s: game_numbers.GameNumbers(badge_points=0)
    )
    with db.transaction() as s:
        ayse = add_seller(s, "Ayse")
        item = add_item(s, "100000", "20000", at=NOW)
    with db.transaction() as s:
        claim(s, ayse.id, item.id, settings, NOW)
    with db.read() as s:
        held = s.scalars(
            select(Badge.code)
            .join(SellerBadge, SellerBadge.badge_id == Badge.id)
            .where(SellerBadge.seller_id == ayse.id)
        )
        assert set(held) == {"revenue_king", "top_earner", "rising_star", "top_performer"}
        sources = set(s.scalars(select(PointsEntry.source).where(PointsEntry.seller_id == ayse.id)))
        assert "badge" not in sources and "milestone" in sources
        awarded = [e.payload for e in events(s, types=("points.awarded",))]
        assert all(p["source"] != "badge" for p in awarded)
        stats = s.get(SellerStats, ayse.id)
        ledger = s.scalar(
            select(func.sum(PointsEntry.points)).where(PointsEntry.seller_id == ayse.id)
        )
        assert stats is not None and stats.points == ledger == awarded[-1]["total"]
