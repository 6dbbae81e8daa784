"""The admin endpoints of the seed: a later batch. 501 to the allowed roles (see the authz
TABLE), 403 to the others."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented

router = APIRouter(prefix="/api/admin", tags=["admin"])
IdPath = Annotated[int, Path(ge=1, le=2**62)]
NOT_YET: dict[int | str, dict[str, Any]] = {501: {"description": "not_implemented (later batch)"}}


@router.get("/claims", responses=NOT_YET)
def list_claims(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/claims/{claim_id}", responses=NOT_YET)
def update_claim(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/claims/{claim_id}/adjustment", responses=NOT_YET)
def add_adjustment(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/claims/{claim_id}/refund", responses=NOT_YET)
def refund_claim(claim_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/installments", responses=NOT_YET)
def list_installments(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/objections/{objection_id}", responses=NOT_YET)
def resolve_objection(objection_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/sellers", responses=NOT_YET)
def list_sellers(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/goals", responses=NOT_YET)
def create_goal(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/promotions", responses=NOT_YET)
def create_promotion(principal: PrincipalDep) -> None:
    raise not_implemented()
