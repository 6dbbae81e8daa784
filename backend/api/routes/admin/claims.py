"""Claims administration: the list, a claim's detail, finance status, adjustments, shares, reassignment, refunds. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, IdPath

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/claims", responses=NOT_YET)
def list_claims(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/claims/{claim_id}", responses=NOT_YET)
def get_claim(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/claims/{claim_id}", responses=NOT_YET)
def update_claim(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/claims/{claim_id}/adjustment", responses=NOT_YET)
def add_adjustment(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/claims/{claim_id}/shares", responses=NOT_YET)
def set_shares(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/claims/{claim_id}/reassign", responses=NOT_YET)
def reassign_claim(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/claims/{claim_id}/refund", responses=NOT_YET)
def refund_claim(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()
