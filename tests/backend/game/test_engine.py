"""The engine and actions against a real database: once-only firing (also across
transactions and threads), time zones, exclusion, validation, sweep rebuilds, team
challenges, reactions."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.actions import challenges, finance, goals, installments
from backend.game import awards, daystats, jobs, read
from backend.game.hooks import NumbersChanged, on_numbers_changed
from backend.game.read import GameError
from backend.game.rules import milestones
from backend.models import (
    Achievement,
    AuditLog,
    Claim,
    Event,
    InstallmentPayment,
    LeadAssignmentDaily,
    PointsEntry,
    Reaction,
    Seller,
)
from backend.models.game import SellerDayStats
from backend.runtime import Database
from backend.settings import Settings, load_settings
from tests.backend.game.floor import add_item, add_seller, claim, events

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_a_milestone_fires_once_across_transactions_and_threads(db: Database) -> None:
    with db.transaction() as s:
        seller = add_seller(s, "Ayse")
    m = milestones.daily_revenue(seller.id, date(2026, 11, 20), Decimal(4000))[0]
    with db.transaction() as s:
        assert awards.fire(s, m, s.get_one(Seller, seller.id), NOW) is not None
    with db.transaction() as s:  # "after a restart": a new transaction, same key
        assert awards.fire(s, m, s.get_one(Seller, seller.id), NOW) is None
    m2 = milestones.daily_revenue(seller.id, date(2026, 11, 21), Decimal(4000))[0]
    results: list[object] = []
    barrier = threading.Barrier(4)

    def racer() -> None:
        barrier.wait()
        with db.transaction() as s:  # no game lock taken: the unique key alone decides
            results.append(awards.fire(s, m2, s.get_one(Seller, seller.id), NOW))

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sum(r is not None for r in results) == 1 and len(results) == 4
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Achievement)) == 2
        assert len(events(s, types=("achievement.created",))) == 2
        assert read.points(s, seller.id)["points"] == 2 * 25


@pytest.mark.parametrize("tz", ["Europe/Istanbul", "Europe/Berlin"])
def test_today_follows_the_local_calendar_day(sqlite_db: Database, data_dir: Path, tz: str) -> None:
    st = load_settings(data_dir=data_dir, timezone=tz)
    offset = 3 if tz == "Europe/Istanbul" else 1  # November: CET
    midnight = datetime(2026, 11, 21, 0, 0, tzinfo=UTC) - timedelta(hours=offset)
    with sqlite_db.transaction() as s:
        a, b = add_seller(s, "Ayse"), add_seller(s, "Burak")
        i1 = add_item(s, "100", "10", at=midnight)
        i2 = add_item(s, "200", "20", at=midnight)
    with sqlite_db.transaction() as s:
        claim(s, a.id, i1.id, st, midnight - timedelta(minutes=1))
        claim(s, b.id, i2.id, st, midnight + timedelta(minutes=1))
    with sqlite_db.read() as s:
        later = midnight + timedelta(hours=2)
        today = read.leaderboard(s, "revenue", "today", st, later)["entries"]
        assert [(e["name"], e["value"], e["rank"]) for e in today] == [
            ("Burak", "200.00", 1),
            ("Ayse", "0.00", 2),
        ]
        m = read.my_metrics(s, a.id, "today", st, later)
        assert m["revenue"] == {"value": "0.00", "previous": "100.00", "change_percent": -1.0}
        assert read.leaderboard(s, "wins", "15d", st, later)["entries"][0]["rank"] == 1


def test_conversion_board_ranks_missing_leads_last_and_bad_names_fail(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as s:
        a, b, c = add_seller(s, "Ayse"), add_seller(s, "Burak"), add_seller(s, "Cem")
        items = [add_item(s, "100", "10", at=NOW) for _ in range(3)]
        day = NOW.astimezone(settings.tz).date()
        s.add_all(
            [
                LeadAssignmentDaily(day=day, seller_email=a.email, seller_id=a.id, leads=4),
                LeadAssignmentDaily(day=day, seller_email=b.email, seller_id=b.id, leads=2),
            ]
        )
    with db.transaction() as s:
        claim(s, a.id, items[0].id, settings, NOW)
        claim(s, b.id, items[1].id, settings, NOW)
        claim(s, c.id, items[2].id, settings, NOW)
    with db.read() as s:
        conv = read.leaderboard(s, "conversion", "today", settings, NOW)["entries"]
        assert [(e["name"], e["value"], e["rank"], e["normalized"]) for e in conv] == [
            ("Burak", 0.5, 1, 1.0),
            ("Ayse", 0.25, 2, 0.5),
            ("Cem", None, 3, 0.0),
        ]
        with pytest.raises(GameError):
            read.leaderboard(s, "speed", "today", settings, NOW)
        with pytest.raises(GameError):
            read.my_metrics(s, a.id, "year", settings, NOW)


def test_excluding_a_claimed_item_takes_it_off_the_boards(db: Database, settings: Settings) -> None:
    with db.transaction() as s:
        a = add_seller(s, "Ayse")
        item = add_item(s, "500", "200", at=NOW)
        pending = add_item(s, "50", "5", at=NOW)
    with db.transaction() as s:
        claim(s, a.id, item.id, settings, NOW)
    with db.transaction() as s:
        finance.exclude_item(s, s.get_one(type(item), item.id), "fraud", settings=settings, now=NOW)
        finance.exclude_item(
            s, s.get_one(type(item), pending.id), "test", settings=settings, now=NOW
        )
    with db.transaction() as s:
        assert (
            read.leaderboard(s, "revenue", "today", settings, NOW)["entries"][0]["value"] == "0.00"
        )
        history = read.points_history(s, a.id)
        assert history[0]["source"] == "reversal" and history[0]["points"] == -10
        # claim 10 + day streak 5 + top-3 milestone 25 + badge 50 - reversal 10: milestones stay
        assert read.points(s, a.id)["points"] == 80
        with pytest.raises(GameError):
            finance.exclude_item(s, s.get_one(type(item), item.id), "again", settings=settings)
        with pytest.raises(GameError):
            finance.exclude_item(s, add_item(s, "1", "1", at=NOW), " ", settings=settings)
        assert len(events(s, types=("queue.excluded",))) == 2


def test_actions_validate_their_input(db: Database, settings: Settings) -> None:
    with db.transaction() as s:
        a, b = add_seller(s, "Ayse"), add_seller(s, "Burak")
        item = add_item(s, "1000", "300", at=NOW)
        c = claim(s, a.id, item.id, settings, NOW)
    bad_goals = [
        dict(period="week"),
        dict(target_type="speed"),
        dict(target=Decimal(0)),
        dict(title=" "),
    ]
    with db.transaction() as s:
        for bad in bad_goals:
            kw = dict(title="G", period="day", target_type="count", target=Decimal(1)) | bad
            with pytest.raises(GameError):
                goals.create_goal(s, **kw)  # type: ignore[arg-type]
        with pytest.raises(GameError) as err:
            goals.create_personal_goal(
                s, seller_id=999, title="G", period="day", target_type="count", target=Decimal(1)
            )
        assert err.value.status == 404
        for bad in (
            dict(metric="calls"),
            dict(scope="galaxy"),
            dict(target=Decimal(-1)),
            dict(ends_at=NOW - timedelta(hours=1)),
        ):
            kw = (
                dict(
                    title="C",
                    metric="wins",
                    target=Decimal(1),
                    reward_points=5,
                    starts_at=NOW,
                    ends_at=NOW + timedelta(hours=1),
                )
                | bad
            )
            with pytest.raises(GameError):
                challenges.create_challenge(s, **kw)  # type: ignore[arg-type]
        for sched, qid in (
            ([], None),
            ([(date(2026, 12, 1), Decimal(-1))], None),
            ([(date(2026, 12, 1), Decimal(1))], 999),
        ):
            with pytest.raises(GameError):
                installments.create_installment_plan(s, schedule=sched, queue_id=qid)
        plan = installments.create_installment_plan(
            s,
            schedule=[(date(2027, 1, 1), Decimal(300)), (date(2026, 12, 1), Decimal(300))],
            queue_id=item.id,
        )
        pays = s.scalars(
            select(InstallmentPayment)
            .where(InstallmentPayment.installment_id == plan.id)
            .order_by(InstallmentPayment.seq)
        ).all()
        assert [p.due_date for p in pays] == [date(2026, 12, 1), date(2027, 1, 1)]
        assert plan.total_installments == 2 and plan.subscription_id == item.subscription_id
        claim_row = s.get_one(Claim, c.id)
        for kw in (
            dict(
                closer_share=Decimal("0.5"), assisted_seller_id=b.id, assisted_share=Decimal("0.6")
            ),
            dict(
                closer_share=Decimal("0.5"), assisted_seller_id=None, assisted_share=Decimal("0.5")
            ),
            dict(
                closer_share=Decimal("0.5"), assisted_seller_id=a.id, assisted_share=Decimal("0.5")
            ),
            dict(
                closer_share=Decimal("0.5"), assisted_seller_id=999, assisted_share=Decimal("0.5")
            ),
        ):
            with pytest.raises(GameError):
                finance.set_share_split(s, claim_row, settings=settings, **kw)  # type: ignore[arg-type]
        with pytest.raises(GameError):
            finance.add_adjustment(s, claim_row, Decimal(-1), "commission", settings=settings)
        with pytest.raises(GameError):
            finance.add_adjustment(s, claim_row, Decimal(1), "mood", settings=settings)
        assert (
            finance.reassign_claim(s, claim_row, s.get_one(Seller, a.id), settings=settings)
            is claim_row
        )
        finance.set_share_split(
            s,
            claim_row,
            closer_share=Decimal("0.7"),
            assisted_seller_id=b.id,
            assisted_share=Decimal("0.3"),
            settings=settings,
            now=NOW,
        )
        # reassigning to the assisting seller makes them the sole closer
        finance.reassign_claim(s, claim_row, s.get_one(Seller, b.id), settings=settings, now=NOW)
        board = read.leaderboard(s, "revenue", "today", settings, NOW)["entries"]
        assert [(e["name"], e["value"]) for e in board] == [("Burak", "1000.00"), ("Ayse", "0.00")]
        finance.apply_refund(s, claim_row, settings=settings, now=NOW)
        with pytest.raises(GameError):
            finance.apply_refund(s, claim_row, settings=settings)
        # the claim's own points are taken back; what stays is what the share split and the
        # reassignment earned Burak on the month's board (moving to #2, then #1), which a
        # refund does not undo (as for a claim's milestones)
        ledger = s.scalars(select(PointsEntry).where(PointsEntry.seller_id == b.id)).all()
        assert sum(e.points for e in ledger if e.ref_type == "claim") == 0
        kept = sorted(e.reason for e in ledger if e.ref_type != "claim")
        assert kept == [
            "Badge: Top Performer",
            "Milestone: Top 3 Achieved!",
            "Milestone: Top 3 Achieved!",
        ]
        assert set(s.scalars(select(Achievement.dedupe_key))) >= {
            f"rank_top3:2:seller:{b.id}:2026-11",
            f"rank_top3:1:seller:{b.id}:2026-11",
        }
        assert read.points(s, b.id)["points"] == sum(e.points for e in ledger) > 0
        audit = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        # rejected input writes nothing; the no-op reassignment neither
        assert audit == [
            "installment.create",
            "claim.share_split",
            "claim.reassign",
            "claim.refund",
        ]


def test_sweep_rebuilds_for_a_new_time_zone(sqlite_db: Database, data_dir: Path) -> None:
    ist = load_settings(data_dir=data_dir, timezone="Europe/Istanbul")
    utc = load_settings(data_dir=data_dir, timezone="UTC")
    at = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)  # Istanbul: 21 Nov; UTC: 20 Nov
    with sqlite_db.transaction() as s:
        a = add_seller(s, "Ayse")
        item = add_item(s, "100", "10", at=at)
    assert jobs.sweep(sqlite_db, ist, at)["rebuilt"] is True  # nothing built yet
    with sqlite_db.transaction() as s:
        claim(s, a.id, item.id, ist, at)
    assert jobs.sweep(sqlite_db, ist, at)["rebuilt"] is False
    with sqlite_db.read() as s:
        assert [r.day for r in s.scalars(select(SellerDayStats))] == [date(2026, 11, 21)]
    assert jobs.sweep(sqlite_db, utc, at)["rebuilt"] is True
    with sqlite_db.read() as s:
        assert [r.day for r in s.scalars(select(SellerDayStats))] == [date(2026, 11, 20)]
        assert read.leaderboard(s, "wins", "today", utc, at)["entries"][0]["value"] == 1
    # a drifted aggregate row is repaired by the sweep
    with sqlite_db.transaction() as s:
        row = s.scalars(select(SellerDayStats)).one()
        row.revenue = Decimal(999)
    assert jobs.sweep(sqlite_db, utc, at)["changed"] is True
    with sqlite_db.read() as s:
        assert s.scalars(select(SellerDayStats)).one().revenue == Decimal(100)
        assert daystats.built_for_tz(s) == "UTC"


def test_team_challenge_rewards_every_contributor(db: Database, settings: Settings) -> None:
    with db.transaction() as s:
        a, b = add_seller(s, "Ayse"), add_seller(s, "Burak")
        challenges.create_challenge(
            s,
            title="Team: $1,000 by noon",
            metric="revenue",
            target=Decimal(1000),
            reward_points=20,
            scope="team",
            starts_at=NOW - timedelta(hours=1),
            ends_at=NOW + timedelta(hours=3),
        )
        challenges.create_challenge(
            s,
            title="Later",
            metric="wins",
            target=Decimal(1),
            reward_points=5,
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=2),
        )
        items = [add_item(s, "600", "100", at=NOW) for _ in range(2)]
    with db.transaction() as s:
        claim(s, a.id, items[0].id, settings, NOW)
        [ch] = read.challenges(s, None, settings, NOW)
        assert ch["progress"] == "600.00" and ch["completed"] is False
    with db.transaction() as s:
        claim(s, b.id, items[1].id, settings, NOW + timedelta(minutes=5))
    with db.read() as s:
        for sid in (a.id, b.id):
            assert [x["source"] for x in read.spins(s, sid)] == ["challenge"]
            assert any(
                h["source"] == "challenge" and h["points"] == 20
                for h in read.points_history(s, sid)
            )
        [ch] = read.challenges(s, a.id, settings, NOW + timedelta(minutes=10))
        assert ch["completed"] is True and ch["progress"] == "1200.00"


def test_reactions_and_personal_goals_read(db: Database, settings: Settings) -> None:
    with db.transaction() as s:
        a, b = add_seller(s, "Ayse"), add_seller(s, "Burak")
        goals.create_personal_goal(
            s,
            seller_id=a.id,
            title="Month margin",
            period="month",
            target_type="margin",
            target=Decimal(1000),
        )
        item = add_item(s, "10000", "400", jackpot=True, at=NOW)
    with db.transaction() as s:
        claim(s, a.id, item.id, settings, NOW)
        jackpot = s.scalars(select(Achievement).where(Achievement.kind == "jackpot")).one()
        s.add_all(
            [
                Reaction(
                    target_type="achievement", target_id=jackpot.id, emoji="🔥", seller_id=b.id
                ),
                Reaction(
                    target_type="achievement", target_id=jackpot.id, emoji="🔥", seller_id=a.id
                ),
            ]
        )
    with db.read() as s:
        got = {x["kind"]: x for x in read.achievements(s, 50)}
        assert got["jackpot"]["reactions"] == [
            {"emoji": "🔥", "count": 2, "seller_ids": [b.id, a.id]}
        ]
        [g] = read.personal_goals(s, a.id, settings, NOW)
        assert (g["value"], g["target"], g["percent"], g["completed"]) == (
            "400.00",
            "1000.00",
            0.4,
            False,
        )
        assert read.points(s, a.id)["level"] >= 1
        assert read.points(s, 12345) == {
            "points": 0,
            "xp": 0,
            "level": 0,
            "xp_for_level": 0,
            "xp_for_next_level": 100,
            "xp_to_next_level": 100,
            "daily_streak": 0,
        }


def test_numbers_changed_without_claims_refreshes_today(db: Database, settings: Settings) -> None:
    with db.transaction() as s:
        a = add_seller(s, "Ayse")
        item = add_item(s, "100", "10", at=NOW)
        claim(s, a.id, item.id, settings, NOW)
        s.execute(SellerDayStats.__table__.delete())
    with db.transaction() as s:
        on_numbers_changed(s, NumbersChanged({a.id}, settings, NOW, "manual"))
        last = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert last is not None and last.type == "leaderboard:refresh"
        assert (
            read.leaderboard(s, "revenue", "today", settings, NOW)["entries"][0]["value"]
            == "100.00"
        )


def _rank_moves(s: Any, after: int) -> list[tuple[int, str]]:
    return [
        (e.payload["seller_id"], e.payload["title"])
        for e in events(s, after, types=("achievement.created",))
        if e.payload["kind"] == "rank_change"
    ]


def test_reassignment_and_share_split_move_the_gainer_into_the_top_3(
    db: Database, settings: Settings
) -> None:
    """Rank moves are not only made by claims: the seller a sale is reassigned to, or who
    gets a share of it, can move into the top 3 — and celebrates once. A seller pushed up
    only by someone else's loss (here a refund) does not."""
    with db.transaction() as s:
        a, b, c, d, e = (add_seller(s, n) for n in ("Ayse", "Burak", "Cem", "Deniz", "Elif"))
        ids = {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "e": e.id}
        items = [add_item(s, rev, "10", at=NOW) for rev in ("5000", "4000", "3000", "1000")]
    with db.transaction() as s:  # a #1, b #2, c #3, d #4 (d and e outside the top 3)
        cl = [claim(s, ids[w], it.id, settings, NOW) for w, it in zip("abcd", items, strict=True)]
        d_claim = cl[3].id
    with db.read() as s:
        start = max(ev.id for ev in events(s))
    with db.transaction() as s:  # c's $3,000 sale goes to d: d 4,000 → #2, c out of the top 3
        finance.reassign_claim(
            s, s.get_one(Claim, cl[2].id), s.get_one(Seller, ids["d"]), settings=settings, now=NOW
        )
    with db.read() as s:
        assert _rank_moves(s, start) == [(ids["d"], "Top 3 Achieved!")]
        start = max(ev.id for ev in events(s))
    with db.transaction() as s:  # e gets 60 % of b's $4,000: e 2,400 → #3 (b 1,600, #4)
        finance.set_share_split(
            s,
            s.get_one(Claim, cl[1].id),
            closer_share=Decimal("0.4"),
            assisted_seller_id=ids["e"],
            assisted_share=Decimal("0.6"),
            settings=settings,
            now=NOW,
        )
    with db.read() as s:
        assert _rank_moves(s, start) == [(ids["e"], "Top 3 Achieved!")]
        start = max(ev.id for ev in events(s))
    with db.transaction() as s:  # a's $5,000 refunded: d, e and b move up, none by own sales
        finance.apply_refund(s, s.get_one(Claim, cl[0].id), settings=settings, now=NOW)
    with db.transaction() as s:  # d's own $1,000 sale refunded: nobody gains, nobody fires
        finance.apply_refund(s, s.get_one(Claim, d_claim), settings=settings, now=NOW)
    with db.read() as s:
        assert _rank_moves(s, start) == []
        ranks = s.scalars(
            select(Achievement.dedupe_key).where(Achievement.kind == "rank_change")
        ).all()
        assert sorted(ranks) == sorted(
            f"rank_top3:{r}:seller:{sid}:2026-11"
            for r, sid in [
                (1, ids["a"]),
                (2, ids["b"]),
                (3, ids["c"]),
                (2, ids["d"]),
                (3, ids["e"]),
            ]
        )
