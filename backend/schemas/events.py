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


class Changed(Payload):
    """Admin-batch events: the changed item or claim, free-form until that batch lands."""

    model_config = ConfigDict(extra="allow")


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
    "queue.excluded": Changed,
    "refund.applied": Changed,
    "objection.resolved": Changed,
    "claim.adjusted": Changed,
    "finance.status_changed": Changed,
}

# Where a type goes when the appender does not say: "everyone" (TVs included),
# "staff" (sellers, finance, admin: not TVs), "tv-display", or "user:{id}" (given per event).
ROOMS: dict[str, str] = {
    "chat.message": "staff",
    "presence.changed": "staff",
    "typing": "staff",
    "achievement:celebration": "tv-display",
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
    "refund.applied",
    "objection.resolved",
    "claim.adjusted",
    "finance.status_changed",
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
