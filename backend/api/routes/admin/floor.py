"""Team and personal goals, challenges (with test runs) and promotions. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, IdPath

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/goals", responses=NOT_YET)
def list_goals(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/goals", responses=NOT_YET)
def create_goal(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/goals/{goal_id}", responses=NOT_YET)
def update_goal(goal_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.delete("/goals/{goal_id}", responses=NOT_YET)
def end_goal(goal_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/challenges", responses=NOT_YET)
def list_challenges(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/challenges", responses=NOT_YET)
def create_challenge(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/challenges/{challenge_id}", responses=NOT_YET)
def update_challenge(challenge_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.delete("/challenges/{challenge_id}", responses=NOT_YET)
def end_challenge(challenge_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/promotions", responses=NOT_YET)
def list_promotions(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/promotions", responses=NOT_YET)
def create_promotion(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/promotions/{promotion_id}", responses=NOT_YET)
def update_promotion(promotion_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.delete("/promotions/{promotion_id}", responses=NOT_YET)
def end_promotion(promotion_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()
