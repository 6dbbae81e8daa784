"""A scripted day on the floor (Europe/Berlin, the day after the October DST change):
claims across local-midnight boundaries, a streak, a jackpot, a share split, a refund, a
re-crossing, an adjustment, a reassignment and an exclusion. The celebrations come exactly
once each; the twelve boards and the personal metrics equal an independent recomputation
to the cent; every point is explained by the ledger; the sweep changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.actions import challenges, finance, goals
from backend.game import jobs, read
from backend.game.read import BOARDS, PERIODS
from backend.models import (
    Achievement,
    Claim,
    LeadAssignmentDaily,
    PointsEntry,
    Seller,
    SellerBadge,
)
from backend.runtime import Database
from backend.settings import Settings, load_settings
from tests.backend.game import recompute
from tests.backend.game.floor import add_item, add_seller, claim, events

TZ = "Europe/Berlin"
NOW = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)  # 13:00 local, Monday 26 October


def t(day: int, hh: int, mm: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=UTC)


@pytest.fixture
def berlin(data_dir: Path) -> Settings:
    return load_settings(data_dir=data_dir, timezone=TZ)


def run_day(db: Database, st: Settings) -> dict[str, int]:
    with db.transaction() as s:
        ayse, burak, cem, deniz = (add_seller(s, n) for n in ("Ayse", "Burak", "Cem", "Deniz"))
        add_seller(s, "Fatma Finance", role="finance")
        ids = {"ayse": ayse.id, "burak": burak.id, "cem": cem.id, "deniz": deniz.id}
        goals.create_goal(
            s,
            title="Team day",
            period="day",
            target_type="revenue",
            target=Decimal(20000),
            now=t(1, 0),
        )
        goals.create_personal_goal(
            s,
            seller_id=ayse.id,
            title="3 a day",
            period="day",
            target_type="count",
            target=Decimal(3),
            now=t(1, 0),
        )
        challenges.create_challenge(
            s,
            title="2 wins before 18:00",
            metric="wins",
            target=Decimal(2),
            reward_points=40,
            starts_at=t(26, 7),
            ends_at=t(26, 17),
            now=t(1, 0),
        )
        for day, who, n in [
            (date(2026, 10, 26), ayse, 10),
            (date(2026, 10, 20), ayse, 5),
            (date(2026, 10, 26), burak, 4),
            (date(2026, 10, 25), cem, 3),
            (date(2026, 10, 1), burak, 6),
            (date(2026, 9, 10), ayse, 4),
        ]:
            s.add(LeadAssignmentDaily(day=day, seller_email=who.email, seller_id=who.id, leads=n))

    def claim_at(who: str, revenue: str, margin: str, at: datetime, jackpot: bool = False) -> int:
        with db.transaction() as s:
            item = add_item(s, revenue, margin, jackpot=jackpot, at=at)
            return claim(s, ids[who], item.id, st, at).id

    claim_at("ayse", "2000", "800", t(20, 12, month=9))  # previous month
    claim_at("burak", "5000", "2000", t(5, 10))  # this month, before the 15 days
    claim_at("cem", "1200", "500", t(24, 22, 30))  # local 25 Oct 00:30 CEST
    cem_25 = claim_at("cem", "1300", "400", t(25, 22, 30))  # local 25 Oct 23:30 CET
    claim_at("ayse", "1500", "600", t(25, 23, 30))  # local 26 Oct 00:30: today
    ayse_2 = claim_at("ayse", "1500", "600", t(26, 7, 10))
    claim_at("ayse", "1500", "600", t(26, 7, 20))  # streak 3, 4K Form, goal, challenge
    jackpot = claim_at("burak", "9000", "3000", t(26, 8), jackpot=True)
    cem_split = claim_at("cem", "2500", "1000", t(26, 8, 30))
    with db.transaction() as s:
        c = s.get(Claim, cem_split)
        assert c is not None
        finance.set_share_split(
            s,
            c,
            closer_share=Decimal("0.6"),
            assisted_seller_id=ids["deniz"],
            assisted_share=Decimal("0.4"),
            settings=st,
            now=t(26, 8, 40),
        )
    claim_at("deniz", "7000", "2500", t(26, 9))  # team passes 20K; the team goal
    with db.transaction() as s:
        c = s.get(Claim, ayse_2)
        assert c is not None
        finance.apply_refund(
            s, c, settings=st, amount=Decimal(1500), reason="cancelled", now=t(26, 9, 30)
        )
    claim_at("ayse", "1200", "500", t(26, 10))  # back over $4,000: no second 4K Form
    with db.transaction() as s:
        c = s.get(Claim, jackpot)
        assert c is not None
        finance.add_adjustment(
            s, c, Decimal("300.10"), "commission", settings=st, now=t(26, 10, 30)
        )
        c = s.get(Claim, cem_25)
        assert c is not None
        finance.reassign_claim(s, c, s.get_one(Seller, ids["burak"]), settings=st, now=t(26, 11))
        pending = add_item(s, "999", "100", at=t(26, 11))
        finance.exclude_item(s, pending, "test sale", settings=st, now=t(26, 11, 5))
    return ids


def test_a_day_on_the_floor(db: Database, berlin: Settings) -> None:
    ids = run_day(db, berlin)
    name = {v: k for k, v in ids.items()}
    with db.read() as s:
        evs = events(s)
        fired = [
            (e.payload["kind"], name.get(e.payload["seller_id"]), e.payload["title"])
            for e in evs
            if e.type == "achievement.created"
        ]
        assert fired == [
            ("rank_change", "ayse", "Top 3 Achieved!"),  # September: #1
            ("daily_revenue", "burak", "4K Form"),  # 5 October
            ("rank_change", "burak", "Top 3 Achieved!"),  # October: #1
            ("rank_change", "cem", "Top 3 Achieved!"),  # #2
            ("rank_change", "ayse", "Top 3 Achieved!"),  # #3
            ("rank_change", "ayse", "Top 3 Achieved!"),  # #2
            ("daily_revenue", "ayse", "4K Form"),
            ("personal_goal", "ayse", "Personal Goal Achieved!"),
            ("challenge", "ayse", "Challenge Completed!"),
            ("jackpot", "burak", "Jackpot!"),
            ("daily_revenue", "burak", "4K Form"),
            ("daily_revenue", "burak", "8K Momentum"),
            ("monthly_revenue", "burak", "$10,000 Revenue Milestone"),
            ("daily_revenue", "deniz", "4K Form"),
            ("daily_revenue", "deniz", "8K Momentum"),
            ("team_daily_revenue", "deniz", "20K Day"),
            ("rank_change", "deniz", "Top 3 Achieved!"),  # #2
            ("daily_goal", "deniz", "Daily Goal Achieved!"),
        ]
        # every achievement: exactly three events (everyone, the seller's room, the TVs)
        per_type = Counter(e.type for e in evs if e.type.startswith("achievement"))
        assert per_type == {
            "achievement.created": 18,
            "achievement:earned": 18,
            "achievement:celebration": 18,
        }
        rooms = {(e.type, e.room) for e in evs if e.type.startswith("achievement")}
        assert ("achievement:celebration", "tv-display") in rooms
        assert {r for ty, r in rooms if ty == "achievement:earned"} == {
            f"user:{i}" for i in ids.values()
        }
        streaks = [
            (name[e.payload["seller_id"]], e.payload["count"]) for e in evs if e.type == "streak"
        ]
        assert streaks == [("ayse", 3)]
        assert [
            e.payload["value"]
            for e in evs
            if e.type == "goal.progress" and e.payload["scope"] == "personal"
        ] == [1, 1, 2, 3, 2, 3]  # a count goal: numbers
        assert {e.type for e in evs} >= {
            "claimed",
            "points.awarded",
            "leaderboard:refresh",
            "claim.adjusted",
            "refund.applied",
            "queue.excluded",
        }

        # boards == independent recomputation, to the cent, all 12 board x period
        for board in BOARDS:
            for period in PERIODS:
                got = read.leaderboard(s, board, period, berlin, NOW)["entries"]
                want = recompute.board(s, TZ, board, period, NOW)
                assert [
                    {k: e[k] for k in ("seller_id", "name", "value", "rank")} for e in got
                ] == want, (board, period)
                assert all(0.0 <= e["normalized"] <= 1.0 for e in got)
        revenue_today = {
            e["name"]: e["value"]
            for e in read.leaderboard(s, "revenue", "today", berlin, NOW)["entries"]
        }
        assert revenue_today == {
            "Burak": "9000.00",
            "Deniz": "8000.00",
            "Ayse": "4200.00",
            "Cem": "1500.00",
        }
        margin_today = {
            e["name"]: e["value"]
            for e in read.leaderboard(s, "margin", "today", berlin, NOW)["entries"]
        }
        assert margin_today["Burak"] == "2699.90"

        # personal metrics against the recomputation (current and previous period)
        for period in PERIODS:
            m = read.my_metrics(s, ids["ayse"], period, berlin, NOW)
            today = NOW.astimezone(berlin.tz).date()
            cur = recompute.per_seller(s, TZ, *recompute.window(period, today))[ids["ayse"]]
            prev = recompute.per_seller(s, TZ, *recompute.previous_window(period, today)).get(
                ids["ayse"], recompute.Totals()
            )
            assert m["wins"]["value"] == cur.wins and m["wins"]["previous"] == prev.wins
            assert m["revenue"]["value"] == str(cur.revenue.quantize(recompute.CENT))
            assert m["margin"]["previous"] == str(prev.margin.quantize(recompute.CENT))
            lead = recompute.leads(s, *recompute.window(period, today)).get(ids["ayse"], 0)
            assert m["leads"]["value"] == lead
        month = read.my_metrics(s, ids["ayse"], "month", berlin, NOW)
        assert month["wins"] == {"value": 3, "previous": 1, "change_percent": 2.0}
        assert month["conversion"]["value"] == pytest.approx(3 / 15, abs=1e-4)
        overview = read.team_overview(s, "today", berlin, NOW)
        assert [r["name"] for r in overview["sellers"]] == ["Ayse", "Burak", "Cem", "Deniz"]

        # every point is explained by the ledger
        for sid in ids.values():
            ledger = (
                s.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.seller_id == sid))
                or 0
            )
            assert read.points(s, sid)["points"] == ledger
            history = read.points_history(s, sid)
            assert sum(h["points"] for h in history) == ledger
            assert all(h["reason"] and h["source"] for h in history)
            sent = [
                e.payload["points"]
                for e in evs
                if e.type == "points.awarded" and e.room == f"user:{sid}"
            ]
            assert sum(sent) == ledger
        ayse_sources = Counter(h["source"] for h in read.points_history(s, ids["ayse"]))
        assert ayse_sources["reversal"] == 1 and ayse_sources["streak_multiplier"] == 1
        assert ayse_sources["challenge"] == 1 and ayse_sources["goal"] == 1
        assert {b["code"] for b in read.badges(s, ids["ayse"])} == {"top_performer", "goal_crusher"}
        [sp] = read.spins(s, ids["ayse"])
        assert sp["source"] == "challenge" and sp["prize"] is None
        [ch] = read.challenges(s, ids["ayse"], berlin, NOW)
        assert ch["progress"] == 2 and ch["target"] == 2 and ch["completed"] is True
        assert ch["seconds_left"] == 5 * 3600
        goals = read.team_goals(s, berlin, NOW)
        assert goals[0]["value"] == "22700.00" and goals[0]["completed"] is True

    # the sweep is a no-op safety net here: nothing new fires, the boards stay
    with db.read() as s:
        before = [read.leaderboard(s, b, p, berlin, NOW) for b in BOARDS for p in PERIODS]
        n_ach = s.scalar(select(func.count()).select_from(Achievement))
        last_event = evs[-1].id
    jobs.sweep(db, berlin, NOW)
    jobs.sweep(db, berlin, NOW)
    with db.read() as s:
        assert [read.leaderboard(s, b, p, berlin, NOW) for b in BOARDS for p in PERIODS] == before
        assert s.scalar(select(func.count()).select_from(Achievement)) == n_ach
        assert [e.type for e in events(s, last_event)] in ([], ["leaderboard:refresh"])
        assert s.scalar(select(func.count()).select_from(SellerBadge)) == 5


def test_close_day_and_spend_spin(db: Database, berlin: Settings) -> None:
    ids = run_day(db, berlin)
    evening = datetime(2026, 10, 26, 17, 0, tzinfo=UTC)  # 18:00 local
    assert jobs.close_day(db, berlin, evening) == {"day": "2026-10-26", "spins": [ids["burak"]]}
    assert jobs.close_day(db, berlin, evening)["spins"] == []  # once per day
    with db.transaction() as s:
        [sp] = read.spins(s, ids["burak"])
        assert sp["source"] == "top_day"
        before = read.points(s, ids["burak"])["points"]
        out = read.spend_spin(s, ids["burak"], sp["id"], berlin, random_value=0.5, now=evening)
        assert out["prize"]["code"] == "points_100" and out["draw"]["random"] == 0.5
        assert read.points(s, ids["burak"])["points"] == before + 100
        [ev] = events(s, types=("spin.result",))
        assert (
            ev.payload["seller_id"] == ids["burak"] and ev.payload["prize"]["code"] == "points_100"
        )
    with db.transaction() as s, pytest.raises(read.GameError) as err:
        read.spend_spin(s, ids["burak"], sp["id"], berlin)
    assert err.value.code == "spin_used"
    with db.transaction() as s, pytest.raises(read.GameError) as err:
        read.spend_spin(s, ids["ayse"], sp["id"], berlin)
    assert err.value.status == 404
    with db.transaction() as s:
        [mine] = read.spins(s, ids["ayse"])
        out = read.spend_spin(s, ids["ayse"], mine["id"], berlin)  # a real random draw
        assert 0.0 <= out["draw"]["random"] < 1.0
        assert read.spins(s, ids["ayse"])[0]["prize"]["code"] == out["prize"]["code"]
        tops = [a for a in read.achievements(s, 100) if a["kind"] == "top_day"]
        assert [a["seller_id"] for a in tops] == [ids["burak"]]
