"""The queue as finance sees it: every status, edits, bulk finance status, exclusion. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, IdPath

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/queue", responses=NOT_YET)
def list_queue(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/queue/{queue_id}", responses=NOT_YET)
def update_queue_item(queue_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/queue/finance-status", responses=NOT_YET)
def set_queue_finance_status(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/queue/{queue_id}/exclude", responses=NOT_YET)
def exclude_queue_item(queue_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()
