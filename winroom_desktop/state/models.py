"""What a room shows, as frozen dataclasses in the CONTRACT §4 HTTP shapes.

Every model reads its HTTP/event JSON with ``from_api`` (lenient: unknown fields ignored,
missing optional ones defaulted) and writes it back with ``to_api`` (used by the journal).
Money stays a two-decimal string as on the wire; the views format it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from winroom_desktop.state.format import parse_time

QUEUE_CAP = 200
CLAIMS_CAP = 20
ACHIEVEMENTS_CAP = 12


def _int(v: Any) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _float(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


@dataclass(frozen=True)
class QueueItem:
    id: int
    subscription_id: int | None = None
    campaign_id: int | None = None
    campaign_name: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    revenue_usd: str | None = None
    cost_usd: str | None = None
    margin_amount_usd: str | None = None
    margin_percent: float | None = None
    margin_quality: str = "unknown"
    is_jackpot: bool = False
    tts_days: int | None = None
    finance_status: str = "waiting"
    problem_reason: str | None = None
    status: str = "pending"
    source: str | None = None
    created_at: str | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> QueueItem:
        customer = d.get("customer") or {}
        campaign = d.get("campaign") or {}
        return cls(
            id=int(d["id"]),
            subscription_id=_int(d.get("subscription_id")),
            campaign_id=_int(campaign.get("id")),
            campaign_name=_str(campaign.get("name")),
            customer_name=_str(customer.get("name")),
            customer_email=_str(customer.get("email")),
            revenue_usd=_str(d.get("revenue_usd")),
            cost_usd=_str(d.get("cost_usd")),
            margin_amount_usd=_str(d.get("margin_amount_usd")),
            margin_percent=_float(d.get("margin_percent")),
            margin_quality=str(d.get("margin_quality") or "unknown"),
            is_jackpot=bool(d.get("is_jackpot")),
            tts_days=_int(d.get("tts_days")),
            finance_status=str(d.get("finance_status") or "waiting"),
            problem_reason=_str(d.get("problem_reason")),
            status=str(d.get("status") or "pending"),
            source=_str(d.get("source")),
            created_at=_str(d.get("created_at")),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscription_id": self.subscription_id,
            "customer": {"email": self.customer_email, "name": self.customer_name},
            "campaign": {"id": self.campaign_id, "name": self.campaign_name},
            "revenue_usd": self.revenue_usd,
            "cost_usd": self.cost_usd,
            "margin_amount_usd": self.margin_amount_usd,
            "margin_percent": self.margin_percent,
            "margin_quality": self.margin_quality,
            "is_jackpot": self.is_jackpot,
            "tts_days": self.tts_days,
            "finance_status": self.finance_status,
            "problem_reason": self.problem_reason,
            "status": self.status,
            "source": self.source,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class ClaimInfo:
    id: int
    queue_id: int | None
    seller_id: int | None
    seller_name: str | None
    claim_type: str | None = None
    revenue_usd: str | None = None
    claimed_at: str | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> ClaimInfo:
        given = d.get("seller")
        seller: dict[str, Any] = given if isinstance(given, dict) else {}
        return cls(
            id=int(d.get("id", d.get("claim_id"))),  # type: ignore[arg-type]
            queue_id=_int(d.get("queue_id")),
            seller_id=_int(d.get("seller_id", seller.get("id"))),
            seller_name=_str(d.get("seller_name", seller.get("name"))),
            claim_type=_str(d.get("claim_type")),
            revenue_usd=_str(d.get("revenue_usd")),
            claimed_at=_str(d.get("claimed_at")),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "queue_id": self.queue_id,
            "seller_id": self.seller_id,
            "seller_name": self.seller_name,
            "claim_type": self.claim_type,
            "revenue_usd": self.revenue_usd,
            "claimed_at": self.claimed_at,
        }


@dataclass(frozen=True)
class BoardEntry:
    seller_id: int
    name: str
    value: Any
    normalized: float
    rank: int

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> BoardEntry:
        return cls(
            seller_id=int(d["seller_id"]),
            name=str(d.get("name") or ""),
            value=d.get("value"),
            normalized=float(d.get("normalized") or 0.0),
            rank=int(d.get("rank") or 0),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "seller_id": self.seller_id,
            "name": self.name,
            "value": self.value,
            "normalized": self.normalized,
            "rank": self.rank,
        }


@dataclass(frozen=True)
class Board:
    board: str
    period: str
    entries: tuple[BoardEntry, ...] = ()
    # when this client fetched it (ISO, UTC): the journal keeps it so a restored screen
    # can say which boards are older than the rest; bookkeeping, not part of equality
    fetched_at: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return board_key(self.board, self.period)

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Board:
        return cls(
            board=str(d["board"]),
            period=str(d["period"]),
            entries=tuple(BoardEntry.from_api(e) for e in d.get("entries") or ()),
            fetched_at=_str(d.get("fetched_at")),
        )

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "board": self.board,
            "period": self.period,
            "entries": [e.to_api() for e in self.entries],
        }
        if self.fetched_at is not None:
            out["fetched_at"] = self.fetched_at
        return out


def board_key(board: str, period: str) -> str:
    return f"{board}/{period}"


@dataclass(frozen=True)
class Goal:
    id: int
    scope: str = "team"
    title: str | None = None
    period: str | None = None
    target_type: str | None = None
    target: str = "0"
    value: str = "0"
    percent: float = 0.0
    completed: bool = False

    @classmethod
    def from_api(cls, d: dict[str, Any], scope: str = "team") -> Goal:
        return cls(
            id=int(d.get("id", d.get("goal_id"))),  # type: ignore[arg-type]
            scope=str(d.get("scope") or scope),
            title=_str(d.get("title")),
            period=_str(d.get("period")),
            target_type=_str(d.get("target_type")),
            target=str(d.get("target") if d.get("target") is not None else "0"),
            value=str(d.get("value") if d.get("value") is not None else "0"),
            percent=float(d.get("percent") or 0.0),
            completed=bool(d.get("completed")),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "title": self.title,
            "period": self.period,
            "target_type": self.target_type,
            "target": self.target,
            "value": self.value,
            "percent": self.percent,
            "completed": self.completed,
        }

    @property
    def fraction(self) -> float:
        """Progress 0…∞ from value/target (robust to ``percent`` being 0–1 or 0–100)."""
        try:
            target = float(self.target)
            if target > 0:
                return max(0.0, float(self.value) / target)
        except ValueError:
            pass
        p = self.percent
        return max(0.0, p / 100.0 if p > 1.5 else p)


@dataclass(frozen=True)
class Reaction:
    emoji: str
    count: int
    seller_ids: tuple[int, ...] = ()

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Reaction:
        ids = tuple(sorted(int(i) for i in d.get("seller_ids") or ()))
        return cls(emoji=str(d["emoji"]), count=int(d.get("count") or len(ids)), seller_ids=ids)

    def to_api(self) -> dict[str, Any]:
        return {"emoji": self.emoji, "count": self.count, "seller_ids": list(self.seller_ids)}


@dataclass(frozen=True)
class Achievement:
    id: int
    seller_id: int | None
    seller_name: str | None
    kind: str
    title: str
    description: str = ""
    emoji: str = "🏆"
    value: str | None = None
    created_at: str | None = None
    reactions: tuple[Reaction, ...] = ()
    refunded: bool = False  # the claim that set it off was refunded (CONTRACT §4a)

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Achievement:
        return cls(
            id=int(d.get("achievement_id", d.get("id"))),  # type: ignore[arg-type]
            seller_id=_int(d.get("seller_id")),
            seller_name=_str(d.get("seller_name")),
            kind=str(d.get("kind") or "milestone"),
            title=str(d.get("title") or ""),
            description=str(d.get("description") or ""),
            emoji=str(d.get("emoji") or "🏆"),
            value=_str(d.get("value")),
            created_at=_str(d.get("created_at")),
            reactions=tuple(Reaction.from_api(r) for r in d.get("reactions") or ()),
            refunded=bool(d.get("refunded")),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "achievement_id": self.id,
            "seller_id": self.seller_id,
            "seller_name": self.seller_name,
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "emoji": self.emoji,
            "value": self.value,
            "created_at": self.created_at,
            "reactions": [r.to_api() for r in self.reactions],
        }


@dataclass(frozen=True)
class Promotion:
    variant: str
    title: str
    body: str = ""
    starts_at: str | None = None
    ends_at: str | None = None
    id: int | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Promotion:
        variant = str(d.get("variant") or "info")
        if variant not in ("promo", "info", "success", "warning"):
            variant = "info"
        return cls(
            variant=variant,
            title=str(d.get("title") or ""),
            body=str(d.get("body") or ""),
            starts_at=_str(d.get("starts_at")),
            ends_at=_str(d.get("ends_at")),
            id=_int(d.get("id")),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "variant": self.variant,
            "title": self.title,
            "body": self.body,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }


@dataclass(frozen=True)
class Challenge:
    id: int
    title: str
    description: str = ""
    metric: str | None = None
    target: Any = None
    progress: Any = None
    ends_at: str | None = None
    completed: bool = False

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Challenge:
        return cls(
            id=int(d["id"]),
            title=str(d.get("title") or ""),
            description=str(d.get("description") or ""),
            metric=_str(d.get("metric")),
            target=d.get("target"),
            progress=d.get("progress"),
            ends_at=_str(d.get("ends_at")),
            completed=bool(d.get("completed")),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "metric": self.metric,
            "target": self.target,
            "progress": self.progress,
            "ends_at": self.ends_at,
            "completed": self.completed,
        }


@dataclass(frozen=True)
class RoomState:
    """Everything a room screen shows. Treat as immutable: reducers return a new one.

    ``boards`` maps ``"revenue/today"`` → ``Board``; ``last_event_id`` is bookkeeping and
    does not take part in equality (a fresh HTTP snapshot has no event id).
    """

    queue: tuple[QueueItem, ...] = ()
    claims: tuple[ClaimInfo, ...] = ()
    boards: dict[str, Board] = field(default_factory=dict)
    team_goals: tuple[Goal, ...] = ()
    personal_goals: tuple[Goal, ...] = ()
    achievements: tuple[Achievement, ...] = ()
    promotions: tuple[Promotion, ...] = ()
    challenges: tuple[Challenge, ...] = ()
    # every pending item's id: ``queue`` is capped, the open count the screens show is not
    open_ids: frozenset[int] = frozenset()
    # the floor's time zone as the server announces it (``WINROOM_TIMEZONE``); None: unknown
    timezone: str | None = None
    last_event_id: int | None = field(default=None, compare=False)

    @property
    def open_count(self) -> int:
        """Pending items on the server, not only the ones kept as cards."""
        return max(len(self.open_ids), len(self.queue))

    def queue_item(self, queue_id: int) -> QueueItem | None:
        for item in self.queue:
            if item.id == queue_id:
                return item
        return None

    def board(self, board: str, period: str) -> Board | None:
        return self.boards.get(board_key(board, period))

    def team_goal(self, goal_id: int) -> Goal | None:
        return next((g for g in self.team_goals if g.id == goal_id), None)

    def board_as_of(self, board: str, period: str) -> datetime | None:
        """When the board was fetched, if that is older than the room's newest board
        (by more than ``BOARD_MOMENT_S``): such a board is from another moment than the
        rest of a restored screen, and is shown dated ("as of 14:32"). None otherwise."""
        b = self.board(board, period)
        at = parse_time(b.fetched_at) if b is not None else None
        if at is None:
            return None
        times = [t for t in (parse_time(x.fetched_at) for x in self.boards.values()) if t]
        newest = max(times, default=at)
        return at if (newest - at).total_seconds() > BOARD_MOMENT_S else None


BOARD_MOMENT_S = 60.0  # boards fetched this close together count as one moment


def energy_level(state: RoomState) -> float:
    """CONTRACT §6: the team's progress toward today's team goal, 0–1 (background glow)."""
    today = [g for g in state.team_goals if (g.period or "").lower() in ("today", "daily", "day")]
    goals = today or list(state.team_goals)
    if not goals:
        return 0.0
    return min(1.0, goals[0].fraction)
