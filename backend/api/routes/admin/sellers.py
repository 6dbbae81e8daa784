"""Sellers: the list with this month's numbers, edits (role, active, hidden from the TV), performance. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, IdPath

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/sellers", responses=NOT_YET)
def list_sellers(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/sellers/{seller_id}", responses=NOT_YET)
def update_seller(seller_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/sellers/{seller_id}/performance", responses=NOT_YET)
def seller_performance(seller_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()
