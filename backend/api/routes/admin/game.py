"""The game numbers of CONTRACT §6 that admins change. (CONTRACT §4a)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from backend.actions import game_numbers
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.schemas import Body

router = APIRouter(prefix="/api/admin", tags=["admin"])


class GameNumbersOut(BaseModel):
    claim_points: int
    jackpot_bonus: int
    streak_multiplier: str
    streak_from: int
    milestone_points: int
    badge_points: int
    goal_points: int
    daily_streak_points: int
    spin_weights: dict[str, int]
    moderation_words: list[str]


class GameOut(BaseModel):
    numbers: GameNumbersOut
    defaults: GameNumbersOut
    overrides: dict[str, Any]
    version: int


class GamePatch(Body):
    """Any of the numbers (null: back to the §6 default), and ``version`` (0 before the
    first change). Values are checked by the action (422 ``invalid_game_number`` naming
    the field)."""

    claim_points: Any = None
    jackpot_bonus: Any = None
    streak_multiplier: Any = None
    streak_from: Any = None
    milestone_points: Any = None
    badge_points: Any = None
    goal_points: Any = None
    daily_streak_points: Any = None
    spin_weights: Any = None
    moderation_words: Any = None
    version: int | None = Field(default=None, ge=0, le=2**62, strict=True)
    reason: str | None = Field(default=None, max_length=500)


@router.get("/game", response_model=GameOut)
def get_game(principal: PrincipalDep, ctx: CtxDep) -> Any:
    with ctx.db.read() as s:
        return game_numbers.view(s)


@router.patch(
    "/game",
    response_model=GameOut,
    responses={409: {"description": "stale: the numbers are at another version"}},
)
def update_game(body: GamePatch, principal: PrincipalDep, ctx: CtxDep) -> Any:
    changes = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    with ctx.db.transaction() as s:
        return game_numbers.update(
            s, changes, version=body.version, actor_id=principal.seller_id, reason=body.reason
        )
