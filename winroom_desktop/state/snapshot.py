"""Build a ``RoomState`` from the HTTP API's JSON (and back, for the journal).

``responses`` maps an endpoint path to its decoded JSON body, e.g.
``{"/api/queue": {"items": [...]}, "/api/leaderboard/revenue?period=today": {...}}``.
Missing endpoints (a server of an earlier batch answering 404/501) are simply absent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from winroom_desktop.state.models import (
    Achievement,
    Board,
    Challenge,
    ClaimInfo,
    Goal,
    Promotion,
    QueueItem,
    RoomState,
)
from winroom_desktop.state.reducer import sort_achievements, sort_claims, sort_queue

BOARDS = ("wins", "revenue", "margin", "conversion")
PERIODS = ("today", "15d", "month")

QUEUE = "/api/queue"
CLAIMS = "/api/claims/recent?limit=20"
GOALS = "/api/goals/progress"
MY_GOALS = "/api/me/goals"
ACHIEVEMENTS = "/api/achievements?limit=12"
PROMOTIONS = "/api/promotions/active"
CHALLENGES = "/api/challenges"
ME = "/api/auth/me"  # its ``floor`` part: the floor's time zone


def board_path(board: str, period: str) -> str:
    return f"/api/leaderboard/{board}?period={period}"


def tv_endpoints(boards: list[tuple[str, str]] | None = None) -> list[str]:
    """Every path a TV loads for a full snapshot (boards: the rotation playlist)."""
    pairs = boards or [(b, "today") for b in BOARDS]
    return [
        QUEUE,
        CLAIMS,
        GOALS,
        ACHIEVEMENTS,
        PROMOTIONS,
        CHALLENGES,
        ME,
        *(board_path(b, p) for b, p in dict.fromkeys(pairs)),
    ]


def _list(body: Any, key: str) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return [x for x in body if isinstance(x, dict)]
    if isinstance(body, dict):
        value = body.get(key)
        if isinstance(value, list):
            return [x for x in value if isinstance(x, dict)]
    return []


def _open_ids(body: Any, pending: list[QueueItem]) -> list[int]:
    """The journal keeps every open id beside its capped cards; the API sends every item."""
    saved = body.get("open_ids") if isinstance(body, dict) else None
    if isinstance(saved, list):
        return [int(i) for i in saved if isinstance(i, int) and not isinstance(i, bool)]
    return [i.id for i in pending]


def snapshot_from_http(
    responses: dict[str, Any], base: RoomState | None = None, fetched_at: datetime | None = None
) -> RoomState:
    """A fresh state from endpoint bodies; endpoints not in ``responses`` keep ``base``'s part.
    ``fetched_at``: when these were fetched (boards keep it, for the journal)."""
    state = base or RoomState()
    parts: dict[str, Any] = {}
    boards = dict(state.boards)
    for path, body in responses.items():
        route = path.split("?", 1)[0]
        if route == "/api/queue":
            pending = [
                QueueItem.from_api(d)
                for d in _list(body, "items")
                if (d.get("status") or "pending") == "pending"
            ]
            parts["open_ids"] = frozenset(_open_ids(body, pending))
            parts["queue"] = sort_queue(pending)
        elif route == ME:
            floor = body.get("floor") if isinstance(body, dict) else None
            if isinstance(floor, dict) and isinstance(floor.get("timezone"), str):
                parts["timezone"] = floor["timezone"]
        elif route == "/api/claims/recent":
            parts["claims"] = sort_claims([ClaimInfo.from_api(d) for d in _list(body, "claims")])
        elif route == "/api/goals/progress":
            goals = [Goal.from_api(d, "team") for d in _list(body, "goals")]
            parts["team_goals"] = tuple(sorted(goals, key=lambda g: g.id))
        elif route == "/api/me/goals":
            goals = [Goal.from_api(d, "personal") for d in _list(body, "goals")]
            parts["personal_goals"] = tuple(sorted(goals, key=lambda g: g.id))
        elif route == "/api/achievements":
            parts["achievements"] = sort_achievements(
                [Achievement.from_api(d) for d in _list(body, "achievements")]
            )
        elif route == "/api/promotions/active":
            parts["promotions"] = tuple(Promotion.from_api(d) for d in _list(body, "promotions"))
        elif route == "/api/challenges":
            parts["challenges"] = tuple(Challenge.from_api(d) for d in _list(body, "challenges"))
        elif route.startswith("/api/leaderboard/") and isinstance(body, dict) and "board" in body:
            board = Board.from_api(body)
            if fetched_at is not None:
                board = replace(board, fetched_at=fetched_at.astimezone(UTC).isoformat())
            boards[board.key] = board
    return replace(state, boards=boards, **parts)


def state_to_responses(state: RoomState) -> dict[str, Any]:
    """The inverse of ``snapshot_from_http`` (what the journal stores)."""
    out: dict[str, Any] = {
        QUEUE: {"items": [i.to_api() for i in state.queue], "open_ids": sorted(state.open_ids)},
        CLAIMS: {"claims": [c.to_api() for c in state.claims]},
        GOALS: {"goals": [g.to_api() for g in state.team_goals]},
        MY_GOALS: {"goals": [g.to_api() for g in state.personal_goals]},
        ACHIEVEMENTS: {"achievements": [a.to_api() for a in state.achievements]},
        PROMOTIONS: {"promotions": [p.to_api() for p in state.promotions]},
        CHALLENGES: {"challenges": [c.to_api() for c in state.challenges]},
    }
    if state.timezone is not None:
        out[ME] = {"floor": {"timezone": state.timezone}}
    for board in state.boards.values():
        out[board_path(board.board, board.period)] = board.to_api()
    return out
