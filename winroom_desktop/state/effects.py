"""What an event *does* on screen besides changing the state: overlays, sounds, card
enter/leave animations, board refetch hints. Pure: ``effects_for(old, envelope, new)``.

Sounds of celebrations travel with their overlay (one at a time through the overlay queue);
``Sound`` effects are the small ones (new sale, claim) that the view plays only when no
overlay is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from winroom_desktop.state.format import money_card, parse_time
from winroom_desktop.state.models import Goal, RoomState
from winroom_desktop.state.overlays import DURATIONS, Overlay
from winroom_desktop.state.snapshot import (
    ACHIEVEMENTS,
    CHALLENGES,
    CLAIMS,
    GOALS,
    PROMOTIONS,
)


@dataclass(frozen=True)
class Sound:
    name: str


@dataclass(frozen=True)
class CardEnter:
    queue_id: int


@dataclass(frozen=True)
class CardLeave:
    queue_id: int
    seller_name: str | None


@dataclass(frozen=True)
class RefetchBoards:
    boards: tuple[str, ...]


@dataclass(frozen=True)
class Refetch:
    """Reload these endpoints: the event says they changed, HTTP has the new answer."""

    paths: tuple[str, ...]


Effect = Overlay | Sound | CardEnter | CardLeave | RefetchBoards | Refetch

# the admin batch's hints (CONTRACT §5) and what each means a screen reloads; a claim's
# adjustment, refund or ruling may rename or drop one of the recent claims
REFETCH: dict[str, tuple[str, ...]] = {
    "goals.changed": (GOALS,),
    "challenges.changed": (CHALLENGES,),
    "promotions.changed": (PROMOTIONS,),
    "claim.adjusted": (CLAIMS,),
    "refund.applied": (CLAIMS, ACHIEVEMENTS),
    "objection.resolved": (CLAIMS,),
    "sellers.changed": (CLAIMS, ACHIEVEMENTS),
}


def _created(env: dict[str, Any]) -> datetime:
    return parse_time(env.get("created_at")) or datetime.now(UTC)


def goal_variant(goal: Goal) -> str:
    if goal.scope == "personal":
        return "member"
    if (goal.period or "").lower() in ("day", "today", "daily"):
        return "daily"
    return "team"


GOAL_SOUNDS = {"member": "member_mission", "team": "team_mission", "daily": "happy"}
GOAL_TITLES = {"member": "GOAL REACHED!", "team": "TEAM GOAL!", "daily": "DAILY GOAL!"}


def milestone_sound(kind: str, value: str | None) -> str:
    """The seed's milestone sounds: sales_4k/8k/10k for a seller, team_30k/40k for a team."""
    try:
        amount = Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        amount = Decimal(0)
    if "team" in kind:
        if amount >= 40000:
            return "team_40k"
        if amount >= 30000:
            return "team_30k"
        return "team_mission"
    if "revenue" in kind or "sales" in kind or "milestone" in kind:
        if amount >= 10000:
            return "sales_10k"
        if amount >= 8000:
            return "sales_8k"
        if amount >= 4000:
            return "sales_4k"
    return "happy"


def streak_overlay(seller: str, count: int, key: str, at: datetime) -> Overlay:
    return Overlay(
        kind="streak",
        key=key,
        title="🔥 STREAK",
        subtitle=seller,
        detail=f"{count} in a row",
        duration_ms=DURATIONS["streak"],
        sound="streak",
        created_at=at,
        data={"count": count},
    )


def jackpot_overlay(revenue: Any, who: str, key: str, at: datetime) -> Overlay:
    return Overlay(
        kind="jackpot",
        key=key,
        title="🎰 JACKPOT!",
        subtitle=money_card(revenue),
        detail=who,
        duration_ms=DURATIONS["jackpot"],
        sound="jackpot",
        created_at=at,
    )


def goal_overlay(goal: Goal, key: str, at: datetime) -> Overlay:
    variant = goal_variant(goal)
    target = goal.target
    if goal.target_type in ("revenue", "margin"):
        target = money_card(goal.target)
    return Overlay(
        kind="goal",
        key=key,
        title=GOAL_TITLES[variant],
        subtitle=goal.title or "Goal complete",
        detail=f"Target {target} reached",
        duration_ms=DURATIONS["goal"],
        sound=GOAL_SOUNDS[variant],
        created_at=at,
        variant=variant,
    )


def milestone_overlay(p: dict[str, Any], at: datetime) -> Overlay:
    kind = str(p.get("kind") or "milestone")
    return Overlay(
        kind="milestone",
        key=f"achievement:{p['achievement_id']}",
        title=f"{p.get('emoji') or '🏅'} {p.get('title') or 'Milestone'}",
        subtitle=str(p.get("seller_name") or ""),
        detail=str(p.get("description") or ""),
        duration_ms=DURATIONS["milestone"],
        sound="happy" if "badge" in kind else milestone_sound(kind, p.get("value")),
        created_at=at,
        variant="badge" if "badge" in kind else "milestone",
    )


def spin_overlay(seller: str, prize: dict[str, Any], key: str, at: datetime) -> Overlay:
    label = str(prize.get("label") or prize.get("name") or prize.get("code") or "Prize")
    return Overlay(
        kind="spin",
        key=key,
        title="SPIN & WIN",
        subtitle=seller,
        detail=label,
        duration_ms=DURATIONS["spin"],
        sound="happy",
        created_at=at,
        data={"prize": dict(prize)},
    )


def effects_for(old: RoomState, env: dict[str, Any], new: RoomState) -> list[Effect]:
    t = env["type"]
    p = env["payload"]
    at = _created(env)
    if t == "queue.new":
        qid = int(p["item"]["id"])
        if old.queue_item(qid) is None and new.queue_item(qid) is not None:
            return [CardEnter(qid), Sound("notification")]
        return []
    if t == "claimed":
        out: list[Effect] = [Sound("claim")]
        if old.queue_item(int(p["queue_id"])) is not None:
            out.insert(0, CardLeave(int(p["queue_id"]), p.get("seller_name")))
        return out
    if t == "streak":
        return [streak_overlay(p["seller_name"], int(p["count"]), f"streak:{env['id']}", at)]
    if t == "jackpot":
        who = " · ".join(x for x in (p.get("customer_name"), p.get("campaign_name")) if x)
        return [jackpot_overlay(p.get("revenue_usd"), who, f"jackpot:{p['queue_id']}", at)]
    if t == "goal.progress":
        goals = new.team_goals if p["scope"] == "team" else new.personal_goals
        before = old.team_goals if p["scope"] == "team" else old.personal_goals
        goal = next((g for g in goals if g.id == p["goal_id"]), None)
        prev = next((g for g in before if g.id == p["goal_id"]), None)
        if goal is not None and goal.completed and not (prev is not None and prev.completed):
            key = f"goal:{goal.scope}:{goal.id}:{goal.period}:{at.date().isoformat()}"
            return [goal_overlay(goal, key, at)]
        return []
    if t in ("achievement.created", "achievement:celebration"):
        if any(a.id == p["achievement_id"] for a in old.achievements):
            return []
        return [milestone_overlay(p, at)]
    if t == "spin.result":
        return [spin_overlay(p["seller_name"], p.get("prize") or {}, f"spin:{env['id']}", at)]
    if t == "leaderboard:refresh":
        return [RefetchBoards(tuple(p.get("boards") or ()))]
    if t in REFETCH:
        return [Refetch(REFETCH[t])]
    return []
