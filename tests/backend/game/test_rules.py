"""The pure game rules: periods, ranking, milestones, streak, points, spin, metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.game.rules import metrics, milestones, periods, points, ranking, spin, streak
from backend.game.rules.periods import DayRange
from backend.game.rules.ranking import Row

BERLIN = ZoneInfo("Europe/Berlin")
ISTANBUL = ZoneInfo("Europe/Istanbul")


# ---- periods ---------------------------------------------------------------------------
def test_period_days_and_previous() -> None:
    d = date(2026, 11, 22)
    assert periods.period_days("today", d) == DayRange(d, d)
    assert periods.period_days("day", d) == DayRange(d, d)
    assert periods.period_days("15d", d) == DayRange(date(2026, 11, 8), d)
    assert periods.period_days("15d", d).days == 15
    assert periods.period_days("month", d) == DayRange(date(2026, 11, 1), d)
    assert periods.previous_days("today", d) == DayRange(date(2026, 11, 21), date(2026, 11, 21))
    assert periods.previous_days("15d", d) == DayRange(date(2026, 10, 24), date(2026, 11, 7))
    assert periods.previous_days("month", d) == DayRange(date(2026, 10, 1), date(2026, 10, 22))
    # the previous month up to the same day, clamped to its length
    assert periods.previous_days("month", date(2026, 3, 31)) == DayRange(
        date(2026, 2, 1), date(2026, 2, 28)
    )
    assert periods.previous_days("month", date(2026, 1, 15)) == DayRange(
        date(2025, 12, 1), date(2025, 12, 15)
    )
    with pytest.raises(ValueError):
        periods.period_days("week", d)
    with pytest.raises(ValueError):
        periods.previous_days("year", d)


def test_period_keys_and_helpers() -> None:
    d = date(2026, 2, 14)
    assert periods.period_key("day", d) == "2026-02-14"
    assert periods.period_key("month", d) == "2026-02"
    assert periods.period_key("15d", d) == "15d:2026-01-31..2026-02-14"
    assert periods.month_key(d) == "2026-02"
    assert periods.days_in_month(d) == 28
    r = DayRange(date(2026, 2, 27), date(2026, 3, 1))
    assert periods.iter_days(r) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]
    assert r.contains(date(2026, 2, 28)) and not r.contains(date(2026, 3, 2))


def test_day_bounds_across_the_october_dst_change_in_berlin() -> None:
    # 2026-10-25: clocks go back 03:00 CEST -> 02:00 CET; that local day lasts 25 hours.
    start, end = periods.utc_bounds(DayRange(date(2026, 10, 25), date(2026, 10, 25)), BERLIN)
    assert start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=25)
    assert periods.local_day(datetime(2026, 10, 25, 22, 59, tzinfo=UTC), BERLIN) == date(
        2026, 10, 25
    )
    assert periods.local_day(datetime(2026, 10, 25, 23, 0, tzinfo=UTC), BERLIN) == date(
        2026, 10, 26
    )
    # spring forward: 23 hours
    start, end = periods.utc_bounds(DayRange(date(2026, 3, 29), date(2026, 3, 29)), BERLIN)
    assert end - start == timedelta(hours=23)


def test_day_bounds_in_istanbul() -> None:
    start, end = periods.utc_bounds(DayRange(date(2026, 11, 1), date(2026, 11, 30)), ISTANBUL)
    assert start == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert periods.local_day(datetime(2026, 11, 22, 20, 59, tzinfo=UTC), ISTANBUL) == date(
        2026, 11, 22
    )
    assert periods.local_day(datetime(2026, 11, 22, 21, 0, tzinfo=UTC), ISTANBUL) == date(
        2026, 11, 23
    )
    with pytest.raises(ValueError):
        periods.local_day(datetime(2026, 11, 22, 12, 0), ISTANBUL)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)),
    st.sampled_from(["Europe/Berlin", "Europe/Istanbul", "America/New_York", "UTC"]),
    st.sampled_from(["today", "15d", "month"]),
)
def test_an_instant_is_in_its_period_and_not_in_the_previous(
    naive: datetime, tz_name: str, period: str
) -> None:
    tz = ZoneInfo(tz_name)
    moment = naive.replace(tzinfo=UTC)
    today = periods.local_day(moment, tz)
    cur = periods.period_days(period, today)
    prev = periods.previous_days(period, today)
    start, end = periods.utc_bounds(cur, tz)
    assert start <= moment < end
    pstart, pend = periods.utc_bounds(prev, tz)
    assert pstart < pend <= start  # the previous window ends where (or before) this starts
    assert prev.last < cur.first
    if period != "month":
        assert prev.days == cur.days and prev.last + timedelta(days=1) == cur.first


# ---- ranking ---------------------------------------------------------------------------
def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    rows = [Row(1, "Ayse", 5), Row(2, "Burak", 7), Row(3, "Cem", 5), Row(4, "Deniz", 3)]
    out = ranking.rank_rows(rows)
    assert [(r.seller_id, r.rank) for r in out] == [(2, 1), (1, 2), (3, 2), (4, 4)]
    assert [r.normalized for r in out] == [1.0, 5 / 7, 5 / 7, 3 / 7]


def test_missing_values_rank_last_and_order_is_deterministic() -> None:
    rows = [
        Row(3, "cem", None),
        Row(1, "Ayse", Decimal("0.5")),
        Row(2, "Burak", None),
        Row(4, "Ayse", Decimal("0.5")),
        Row(5, "Ece", 0),
    ]
    out = ranking.rank_rows(rows)
    assert [(r.seller_id, r.rank) for r in out] == [(1, 1), (4, 1), (5, 3), (2, 4), (3, 4)]
    assert out[-1].normalized == 0.0 and out[2].normalized == 0.0
    assert ranking.rank_of(rows, 5) == 3
    assert ranking.rank_of(rows, 99) is None
    assert ranking.rank_rows([]) == []


def test_normalized_is_zero_when_nothing_is_positive() -> None:
    out = ranking.rank_rows([Row(1, "A", Decimal("-5")), Row(2, "B", Decimal("-1"))])
    assert [r.rank for r in out] == [1, 2] and {r.normalized for r in out} == {0.0}


@given(st.lists(st.one_of(st.none(), st.integers(-5, 20)), max_size=30))
def test_rank_is_one_plus_the_number_of_better_values(values: list[int | None]) -> None:
    rows = [Row(i, f"s{i % 4}", v) for i, v in enumerate(values)]
    out = ranking.rank_rows(rows)
    assert sorted(r.seller_id for r in out) == list(range(len(values)))
    present = [v for v in values if v is not None]
    top = max(present, default=0)
    for r in out:
        if r.value is None:
            assert r.rank == len(present) + 1
        else:
            assert r.rank == 1 + sum(1 for v in present if v > r.value)
            assert 0.0 <= r.normalized <= 1.0
            assert r.normalized == (r.value / top if top > 0 and r.value > 0 else 0.0)
    assert [r.rank for r in out] == sorted(r.rank for r in out)


# ---- milestones ------------------------------------------------------------------------
D = date(2026, 11, 22)


def test_daily_and_team_thresholds() -> None:
    assert milestones.daily_revenue(5, D, Decimal("3999.99")) == []
    hits = milestones.daily_revenue(5, D, Decimal("8000"))
    assert [m.title for m in hits] == ["4K Form", "8K Momentum"]
    assert hits[0].dedupe_key == "daily_revenue:4000:seller:5:2026-11-22"
    assert [m.title for m in milestones.daily_revenue(5, D, Decimal(10000))][-1] == "10K Legend"
    team = milestones.team_daily_revenue(D, Decimal(40000))
    assert [m.title for m in team] == ["20K Day", "30K Squad", "40K Power"]
    assert team[0].dedupe_key == "team_daily_revenue:20000:2026-11-22"
    assert milestones.team_daily_revenue(D, Decimal("19999.99")) == []


def test_monthly_revenue_wins_and_bonus_tiers() -> None:
    assert milestones.monthly(7, D, Decimal(9999), 9) == []
    hits = milestones.monthly(7, D, Decimal(100000), 40)
    kinds = [m.kind for m in hits]
    assert kinds.count("monthly_revenue") == 5
    assert kinds.count("monthly_wins") == 7
    assert kinds.count("bonus_tier") == 6
    badges = {m.badge for m in hits if m.badge}
    assert badges == {
        "revenue_king",
        "top_earner",
        "rising_star",
        "signup_master",
        "consistent_closer",
        "sales_rookie",
        "bonus_achiever",
    }
    assert len({m.dedupe_key for m in hits}) == len(hits)
    assert all(m.period_key == "2026-11" for m in hits)
    tier3 = [m for m in milestones.monthly(7, D, Decimal(0), 25) if m.kind == "bonus_tier"]
    assert [m.title for m in tier3] == [f"Bonus Tier {t} Unlocked!" for t in (1, 2, 3)]
    assert milestones.bonus_tier(14) == 0 and milestones.bonus_tier(25) == 3
    assert milestones.bonus_tier(99) == 6


def test_top_rank_fires_only_on_improvement_into_the_top_three() -> None:
    assert milestones.top_rank(1, D, None, None) == []
    assert milestones.top_rank(1, D, 5, 4) == []
    assert milestones.top_rank(1, D, 2, 2) == []
    assert milestones.top_rank(1, D, 1, 2) == []  # a drop is not celebrated
    [m] = milestones.top_rank(1, D, 4, 3)
    assert m.dedupe_key == "rank_top3:3:seller:1:2026-11" and m.badge == "top_performer"
    assert m.description.endswith("#3 on the monthly revenue board!")
    assert len(milestones.top_rank(1, D, None, 1)) == 1


def test_jackpot_goal_challenge_and_top_of_day() -> None:
    j = milestones.jackpot(9, Decimal("1234.5"))
    assert j.dedupe_key == "jackpot:queue:9" and "$1,234" in j.description
    assert milestones.jackpot(9, None).description == "Claimed a jackpot sale"
    p = milestones.goal_reached("personal", 3, "month", "Mine", "2026-11", Decimal("1.25"))
    assert (p.kind, p.badge, p.dedupe_key) == (
        "personal_goal",
        "goal_crusher",
        "personal_goal:3:2026-11",
    )
    assert "125%" in p.description
    t = milestones.goal_reached("team", 4, "15d", "Ours", "15d:x", Decimal(1))
    assert (t.kind, t.badge) == ("team_goal", None)
    d = milestones.goal_reached("team", 5, "day", "Today", "2026-11-22", Decimal(1))
    assert d.kind == "daily_goal" and d.title == "Daily Goal Achieved!"
    c = milestones.challenge_completed(2, 8, "3 wins before 18:00", Decimal(3))
    assert c.dedupe_key == "challenge:2:seller:8"
    top = milestones.top_of_day(8, D, Decimal(5000))
    assert top.dedupe_key == "top_day:seller:8:2026-11-22"


@given(
    st.decimals(0, 200000, places=2),
    st.decimals(0, 200000, places=2),
    st.integers(0, 60),
    st.integers(0, 60),
)
def test_milestones_reached_only_grow_with_the_numbers(
    r1: Decimal, r2: Decimal, w1: int, w2: int
) -> None:
    lo_r, hi_r = sorted((r1, r2))
    lo_w, hi_w = sorted((w1, w2))
    lo = {m.dedupe_key for m in milestones.monthly(1, D, lo_r, lo_w)}
    lo |= {m.dedupe_key for m in milestones.daily_revenue(1, D, lo_r)}
    hi = {m.dedupe_key for m in milestones.monthly(1, D, hi_r, hi_w)}
    hi |= {m.dedupe_key for m in milestones.daily_revenue(1, D, hi_r)}
    assert lo <= hi  # so "fire what is reached and not fired yet" never fires twice


# ---- streak ----------------------------------------------------------------------------
def test_streak_counts_and_resets() -> None:
    s = streak.next_streak(None, 0, 1)
    assert (s.seller_id, s.count, s.fires) == (1, 1, False)
    s = streak.next_streak(1, 2, 1)
    assert (s.count, s.fires) == (3, True)
    s = streak.next_streak(1, 5, 2)
    assert (s.seller_id, s.count, s.fires) == (2, 1, False)


@given(st.lists(st.integers(1, 3), max_size=40))
def test_streak_equals_the_run_length(claimers: list[int]) -> None:
    holder, count, fired = None, 0, []
    for i, c in enumerate(claimers):
        step = streak.next_streak(holder, count, c)
        holder, count = step.seller_id, step.count
        run = 1
        while run <= i and claimers[i - run] == c:
            run += 1
        assert count == run
        if step.fires:
            fired.append(count)
    assert all(n >= 3 for n in fired)


# ---- points ----------------------------------------------------------------------------
def test_claim_points() -> None:
    assert [(a.points, a.source) for a in points.claim_awards(False, 1, False)] == [(10, "claim")]
    assert [(a.points, a.source) for a in points.claim_awards(True, 2, False)] == [
        (10, "claim"),
        (50, "jackpot_bonus"),
    ]
    got = points.claim_awards(True, 4, True)
    assert [(a.points, a.source) for a in got] == [
        (10, "claim"),
        (50, "jackpot_bonus"),
        (30, "streak_multiplier"),
    ]
    assert "4 in a row" in got[-1].reason
    assert points.claim_awards(False, 3, True)[-1].points == 5


def test_level_curve() -> None:
    assert [points.xp_for_level(n) for n in range(0, 5)] == [0, 100, 283, 520, 800]
    assert points.xp_for_level(-1) == 0
    assert points.level_for_xp(0) == 0 and points.level_for_xp(99) == 0
    assert points.level_for_xp(100) == 1 and points.level_for_xp(282) == 1
    assert points.level_for_xp(283) == 2


@given(st.integers(0, 10**6))
def test_level_for_xp_brackets_xp(xp: int) -> None:
    level = points.level_for_xp(xp)
    assert points.xp_for_level(level) <= xp < points.xp_for_level(level + 1)


def test_daily_activity_streak() -> None:
    d = date(2026, 11, 22)
    first = points.next_day_streak(None, 0, d)
    assert (first.streak, first.award) == (1, True)
    same = points.next_day_streak(d, 4, d)
    assert (same.streak, same.award) == (4, False)
    nxt = points.next_day_streak(d - timedelta(days=1), 4, d)
    assert (nxt.streak, nxt.award) == (5, True)
    gap = points.next_day_streak(d - timedelta(days=3), 4, d)
    assert (gap.streak, gap.award) == (1, True)


# ---- spin ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("r", "code"),
    [
        (0.0, "points_50"),
        (0.3999, "points_50"),
        (0.4, "points_100"),
        (0.6499, "points_100"),
        (0.65, "points_200"),
        (0.75, "coffee"),
        (0.9, "leave_early"),
        (0.95, "points_500"),
        (0.999999, "points_500"),
    ],
)
def test_spin_draw_by_cumulative_weight(r: float, code: str) -> None:
    assert spin.draw(r)[1].code == code


def test_spin_draw_frequencies_match_the_weights_and_bad_values_fail() -> None:
    counts: dict[str, int] = {}
    for i in range(10000):
        _, prize = spin.draw(i / 10000)
        counts[prize.code] = counts.get(prize.code, 0) + 1
    assert counts == {p.code: p.weight * 100 for p in spin.PRIZES}
    for bad in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError):
            spin.draw(bad)


# ---- metrics ---------------------------------------------------------------------------
def test_metrics() -> None:
    assert metrics.ratio(3, 0) is None
    assert metrics.ratio(3, 4) == Decimal("0.75")
    assert metrics.change(5, 4) == 0.25
    assert metrics.change(2, -4) == 1.5
    assert metrics.change(5, 0) is None and metrics.change(None, 1) is None
    assert metrics.change(5, None) is None
    assert metrics.as_fraction(None) is None
    assert metrics.as_fraction(Decimal("0.38564")) == 0.3856
