"""The game numbers of CONTRACT §6 that admins change. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/game", responses=NOT_YET)
def get_game(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/game", responses=NOT_YET)
def update_game(principal: PrincipalDep) -> None:
    raise not_implemented()
