"""Typed live events (CONTRACT §5), shared by the backend and the desktop apps.

Every event travels as an envelope ``{"id", "type", "subscription_id"?, "actor"?, "payload",
"created_at"}`` under its type as the Socket.IO event name. One payload model per type,
``extra="forbid"``: a renamed field fails a test instead of a TV on the wall.
``PAYLOADS`` maps type → model; ``ROOMS`` says where each type is delivered by default.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from backend.schemas.queue import QueueItemOut


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueNew(Payload):
    item: QueueItemOut


class Claimed(Payload):
    queue_id: int
    claim_id: int
    seller_id: int
    seller_name: str
    claim_type: str
    revenue_usd: str | None
    subscription_id: int | None = None
    is_jackpot: bool = False
    claimed_at: str | None = None


class Streak(Payload):
    seller_id: int
    seller_name: str
    count: int


class Jackpot(Payload):
    queue_id: int
    subscription_id: int | None
    revenue_usd: str | None
    customer_name: str | None = None
    campaign_name: str | None = None


class GoalProgress(Payload):
    goal_id: int
    scope: Literal["team", "personal"]
    title: str | None = None
    target_type: str | None = None
    period: str | None = None
    value: int | str  # a count: a number; money: a string with two decimals
    target: int | str
    percent: float
    completed: bool = False


class AchievementPayload(Payload):
    achievement_id: int
    seller_id: int | None
    seller_name: str | None
    kind: str
    title: str
    description: str
    emoji: str
    value: str | None
    created_at: str | None = None
    refunded: bool = False  # the claim that set it off was refunded (CONTRACT §4a)


class LeaderboardRefresh(Payload):
    boards: list[str]


class PointsAwarded(Payload):
    points: int
    reason: str
    source: str
    total: int
    level: int


class SpinResult(Payload):
    spin_id: int | None = None
    seller_id: int
    seller_name: str
    prize: dict[str, Any]


class ChatMessage(Payload):
    message_id: int
    seller_id: int
    seller_name: str
    text: str
    created_at: str | None = None


class EmojiChanged(Payload):
    target_type: Literal["queue", "achievement", "chat"]
    target_id: int
    emoji: str
    seller_id: int


class PresenceChanged(Payload):
    seller_id: int
    status: Literal["online", "away", "offline"]
    seller_name: str | None = None


class Typing(Payload):
    seller_id: int
    typing: bool
    seller_name: str | None = None


class ResyncRequired(Payload):
    latest_id: int


class QueueChanged(Payload):
    """``queue.excluded``, ``queue.updated``, ``finance.status_changed``: the item as in
    ``GET /api/queue`` (masked for TVs), and the reason where there is one."""

    queue_id: int
    item: dict[str, Any]
    reason: str | None = None
    finance_status: str | None = None  # the new status (finance.status_changed)
    previous_status: str | None = None
    claim_id: int | None = None  # the claim whose status changed, when it was a claim's


ClaimChange = Literal["adjustment", "shares", "reassigned", "refund", "objection"]


class ClaimChanged(Payload):
    """``claim.adjusted``, ``refund.applied``, ``objection.resolved``: what changed on one
    claim and every seller whose numbers moved (``leaderboard:refresh`` follows)."""

    claim_id: int
    queue_id: int
    change: ClaimChange
    seller_ids: list[int]
    seller_id: int | None = None  # the closer after the change
    seller_name: str | None = None
    previous_seller_id: int | None = None
    adjustment_id: int | None = None
    refund_id: int | None = None
    amount_usd: str | None = None
    reason: str | None = None
    shares: list[dict[str, Any]] | None = None
    achievement_ids: list[int] | None = None  # marked refunded
    objection_id: int | None = None
    status: str | None = None  # the objection's, after the ruling
    resolution: str | None = None


class Hint(Payload):
    """``goals.changed``, ``challenges.changed``, ``promotions.changed``: refetch over HTTP;
    ``sellers.changed`` (beyond CONTRACT §5): a seller's name, TV visibility or activity
    changed, so screens reload what names sellers (recent claims, stories)."""

    id: int | None = None
    action: str | None = None  # created, updated, ended


class InstallmentChanged(Payload):
    plan_id: int
    status: str
    seller_id: int | None = None  # the seller of the plan's claim


PAYLOADS: dict[str, type[Payload]] = {
    "queue.new": QueueNew,
    "claimed": Claimed,
    "streak": Streak,
    "jackpot": Jackpot,
    "goal.progress": GoalProgress,
    "achievement.created": AchievementPayload,
    "achievement:earned": AchievementPayload,
    "achievement:celebration": AchievementPayload,
    "leaderboard:refresh": LeaderboardRefresh,
    "points.awarded": PointsAwarded,
    "spin.result": SpinResult,
    "chat.message": ChatMessage,
    "emoji.added": EmojiChanged,
    "emoji.removed": EmojiChanged,
    "presence.changed": PresenceChanged,
    "typing": Typing,
    "queue.excluded": QueueChanged,
    "queue.updated": QueueChanged,
    "finance.status_changed": QueueChanged,
    "claim.adjusted": ClaimChanged,
    "refund.applied": ClaimChanged,
    "objection.resolved": ClaimChanged,
    "goals.changed": Hint,
    "challenges.changed": Hint,
    "promotions.changed": Hint,
    "sellers.changed": Hint,
    "installment.changed": InstallmentChanged,
}

# Where a type goes when the appender does not say: "everyone" (TVs included),
# "staff" (sellers, finance, admin: not TVs), "finance" (finance and admin), "tv-display",
# or "user:{id}" (given per event).
ROOMS: dict[str, str] = {
    "chat.message": "staff",
    "presence.changed": "staff",
    "typing": "staff",
    "achievement:celebration": "tv-display",
    "installment.changed": "finance",  # and a copy to user:{seller_id} of the plan's claim
}

EventType = Literal[
    "queue.new",
    "claimed",
    "streak",
    "jackpot",
    "goal.progress",
    "achievement.created",
    "achievement:earned",
    "achievement:celebration",
    "leaderboard:refresh",
    "points.awarded",
    "spin.result",
    "chat.message",
    "emoji.added",
    "emoji.removed",
    "presence.changed",
    "typing",
    "queue.excluded",
    "queue.updated",
    "finance.status_changed",
    "claim.adjusted",
    "refund.applied",
    "objection.resolved",
    "goals.changed",
    "challenges.changed",
    "promotions.changed",
    "sellers.changed",
    "installment.changed",
]


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    type: str
    subscription_id: int | None = None
    actor: int | None = None
    payload: dict[str, Any]
    created_at: str


def validate_payload(type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Check a payload against its model and return it as JSON-ready data."""
    model = PAYLOADS.get(type_)
    if model is None:
        raise ValueError(f"unknown event type {type_!r}")
    return model.model_validate(payload).model_dump(mode="json")
