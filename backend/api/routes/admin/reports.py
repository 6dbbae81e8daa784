"""The month's overview, the CSV exports, closing and reopening months. (CONTRACT §4a)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.api.deps import CtxDep, PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, MonthPath
from backend.api.routes.admin.overview_out import OverviewOut

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/overview", response_model=OverviewOut)
def overview(
    principal: PrincipalDep,
    ctx: CtxDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> Any:
    """The month's ``totals`` and the ``previous`` month's, ``daily``, ``by_seller`` (ranked
    by margin), ``by_campaign`` (``backend.reads.overview`` says how each number counts);
    ``month`` defaults to the current local month."""
    from backend.reads.overview import overview as read_overview

    with ctx.db.read() as s:
        return read_overview(s, month, ctx.settings)


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
