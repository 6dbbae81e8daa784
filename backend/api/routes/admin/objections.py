"""Objections sellers raised, and finance's rulings. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, IdPath

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/objections", responses=NOT_YET)
def list_objections(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/objections/{objection_id}", responses=NOT_YET)
def resolve_objection(objection_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()
