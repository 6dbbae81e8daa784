"""The month's overview, the CSV exports, closing and reopening months. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, MonthPath

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/overview", responses=NOT_YET)
def overview(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/export/claims.csv", responses=NOT_YET)
def export_claims(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/export/statement.csv", responses=NOT_YET)
def export_statement(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/periods", responses=NOT_YET)
def list_periods(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/periods/{month}/close", responses=NOT_YET)
def close_period(month: MonthPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/periods/{month}/reopen", responses=NOT_YET)
def reopen_period(month: MonthPath, principal: PrincipalDep) -> None:
    raise not_implemented()
