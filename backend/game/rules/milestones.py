"""Milestones: which ones a number has reached, each with a once-per-period dedupe key.

The engine inserts an achievement per reached milestone under its ``dedupe_key`` (unique in
the database): a milestone fires once per seller (or team) per period however often the
number crosses the threshold — refunds that take a seller back under it and a second
crossing do not fire it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backend.game.rules.periods import month_key

DAILY_REVENUE = (
    (Decimal(4000), "4K Form", "🔥"),
    (Decimal(8000), "8K Momentum", "⚡"),
    (Decimal(10000), "10K Legend", "👑"),
)
TEAM_DAILY_REVENUE = (
    (Decimal(20000), "20K Day", "🎉"),
    (Decimal(30000), "30K Squad", "🚀"),
    (Decimal(40000), "40K Power", "💥"),
)
MONTHLY_REVENUE = (Decimal(10000), Decimal(25000), Decimal(50000), Decimal(75000), Decimal(100000))
MONTHLY_WINS = (10, 15, 20, 25, 30, 35, 40)
BONUS_TIERS = (
    (1, 15, "🪙"),
    (2, 20, "💰"),
    (3, 25, "💎"),
    (4, 30, "🏅"),
    (5, 35, "👑"),
    (6, 40, "💯"),
)
TOP_RANKS = 3

# Badges of the milestone seed: code → (name, description, emoji).
BADGES: dict[str, tuple[str, str, str]] = {
    "revenue_king": ("Revenue King", "$100k+ monthly revenue", "👑"),
    "top_earner": ("Top Earner", "$50k+ monthly revenue", "💰"),
    "rising_star": ("Rising Star", "$25k+ monthly revenue", "⭐"),
    "signup_master": ("Signup Master", "40+ monthly signups", "🏆"),
    "consistent_closer": ("Consistent Closer", "30+ monthly signups", "🎯"),
    "sales_rookie": ("Sales Rookie", "20+ monthly signups", "🌱"),
    "bonus_achiever": ("Bonus Achiever", "Reached a bonus tier", "💎"),
    "goal_crusher": ("Goal Crusher", "100%+ goal completion", "💪"),
    "top_performer": ("Top Performer", "Moved into the top 3", "🥇"),
}
REVENUE_BADGES = (
    (Decimal(100000), "revenue_king"),
    (Decimal(50000), "top_earner"),
    (Decimal(25000), "rising_star"),
)
WINS_BADGES = ((40, "signup_master"), (30, "consistent_closer"), (20, "sales_rookie"))


@dataclass(frozen=True)
class Milestone:
    kind: str
    dedupe_key: str
    title: str
    description: str
    emoji: str
    value: Decimal | None
    period_key: str
    badge: str | None = None  # badge code awarded with it (once per seller, ever)


def _usd(amount: Decimal) -> str:
    return f"${amount:,.0f}"


def daily_revenue(seller_id: int, day: date, revenue: Decimal) -> list[Milestone]:
    """Personal daily revenue milestones reached by ``revenue`` on local ``day``."""
    key = day.isoformat()
    return [
        Milestone(
            kind="daily_revenue",
            dedupe_key=f"daily_revenue:{int(t)}:seller:{seller_id}:{key}",
            title=title,
            description=f"{_usd(t)} in revenue today",
            emoji=emoji,
            value=t,
            period_key=key,
        )
        for t, title, emoji in DAILY_REVENUE
        if revenue >= t
    ]


def team_daily_revenue(day: date, revenue: Decimal) -> list[Milestone]:
    """Team daily revenue milestones reached on local ``day`` (one per team per day)."""
    key = day.isoformat()
    return [
        Milestone(
            kind="team_daily_revenue",
            dedupe_key=f"team_daily_revenue:{int(t)}:{key}",
            title=title,
            description=f"The team passed {_usd(t)} in revenue today",
            emoji=emoji,
            value=t,
            period_key=key,
        )
        for t, title, emoji in TEAM_DAILY_REVENUE
        if revenue >= t
    ]


def monthly(seller_id: int, day: date, revenue: Decimal, wins: int) -> list[Milestone]:
    """Monthly revenue, signup (wins) and bonus tier milestones of the seed."""
    key = month_key(day)
    out: list[Milestone] = []
    for t in MONTHLY_REVENUE:
        if revenue >= t:
            badge = next((code for bt, code in REVENUE_BADGES if bt == t), None)
            out.append(
                Milestone(
                    kind="monthly_revenue",
                    dedupe_key=f"monthly_revenue:{int(t)}:seller:{seller_id}:{key}",
                    title=f"{_usd(t)} Revenue Milestone",
                    description=f"Reached {_usd(t)} in monthly revenue!",
                    emoji="💰",
                    value=t,
                    period_key=key,
                    badge=badge,
                )
            )
    for n in MONTHLY_WINS:
        if wins >= n:
            badge = next((code for bn, code in WINS_BADGES if bn == n), None)
            out.append(
                Milestone(
                    kind="monthly_wins",
                    dedupe_key=f"monthly_wins:{n}:seller:{seller_id}:{key}",
                    title=f"{n} Signups Milestone",
                    description=f"Achieved {n} signups this month!",
                    emoji="🎯",
                    value=Decimal(n),
                    period_key=key,
                    badge=badge,
                )
            )
    for tier, n, emoji in BONUS_TIERS:
        if wins >= n:
            out.append(
                Milestone(
                    kind="bonus_tier",
                    dedupe_key=f"bonus_tier:{tier}:seller:{seller_id}:{key}",
                    title=f"Bonus Tier {tier} Unlocked!",
                    description=f"Advanced to Tier {tier} bonus level ({n}+ signups)!",
                    emoji=emoji,
                    value=Decimal(tier),
                    period_key=key,
                    badge="bonus_achiever",
                )
            )
    return out


def bonus_tier(wins: int) -> int:
    """The bonus tier (0–6) a number of monthly wins reaches."""
    return max((tier for tier, n, _ in BONUS_TIERS if wins >= n), default=0)


def top_rank(
    seller_id: int, day: date, old_rank: int | None, new_rank: int | None
) -> list[Milestone]:
    """Moving into the top 3 of the monthly revenue board (or up within it): fires for the
    new rank when it is better than before; once per seller, rank and month."""
    if new_rank is None or new_rank > TOP_RANKS:
        return []
    if old_rank is not None and old_rank <= new_rank:
        return []
    key = month_key(day)
    return [
        Milestone(
            kind="rank_change",
            dedupe_key=f"rank_top3:{new_rank}:seller:{seller_id}:{key}",
            title="Top 3 Achieved!",
            description=f"Moved up to rank #{new_rank} on the monthly revenue board!",
            emoji="🥇",
            value=Decimal(new_rank),
            period_key=key,
            badge="top_performer",
        )
    ]


def jackpot(queue_id: int, revenue: Decimal | None) -> Milestone:
    """The Jackpot achievement of whoever claims a jackpot item (once per item)."""
    return Milestone(
        kind="jackpot",
        dedupe_key=f"jackpot:queue:{queue_id}",
        title="Jackpot!",
        description=(
            f"Claimed a {_usd(revenue)} jackpot sale"
            if revenue is not None
            else "Claimed a jackpot sale"
        ),
        emoji="🎰",
        value=revenue,
        period_key=f"queue:{queue_id}",
    )


GOAL_KINDS = {"personal": "personal_goal", "team": "team_goal", "daily": "daily_goal"}


def goal_reached(
    scope: str, goal_id: int, goal_period: str, title: str, period_key: str, percent: Decimal
) -> Milestone:
    """A goal completed in its period: ``personal_goal`` / ``team_goal`` / ``daily_goal``
    (a team goal over a day). Once per goal and period."""
    variant = "personal" if scope == "personal" else ("daily" if goal_period == "day" else "team")
    label = {"personal": "Personal Goal", "team": "Team Goal", "daily": "Daily Goal"}[variant]
    return Milestone(
        kind=GOAL_KINDS[variant],
        dedupe_key=f"{GOAL_KINDS[variant]}:{goal_id}:{period_key}",
        title=f"{label} Achieved!",
        description=f"{title}: {percent * 100:.0f}% of the target",
        emoji="🎯" if variant == "personal" else "🏁",
        value=percent,
        period_key=period_key,
        badge="goal_crusher" if variant == "personal" else None,
    )


def challenge_completed(challenge_id: int, seller_id: int, title: str, value: Decimal) -> Milestone:
    return Milestone(
        kind="challenge",
        dedupe_key=f"challenge:{challenge_id}:seller:{seller_id}",
        title="Challenge Completed!",
        description=title,
        emoji="⚔️",
        value=value,
        period_key=f"challenge:{challenge_id}",
    )


def top_of_day(seller_id: int, day: date, revenue: Decimal) -> Milestone:
    key = day.isoformat()
    return Milestone(
        kind="top_day",
        dedupe_key=f"top_day:seller:{seller_id}:{key}",
        title="Top of the Day!",
        description=f"Closed the day at #1 with {_usd(revenue)} in revenue",
        emoji="🌟",
        value=revenue,
        period_key=key,
    )
