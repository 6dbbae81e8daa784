"""Installment plans: the dashboard, plans, payments, tolerance, status. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, IdPath

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/installments", responses=NOT_YET)
def list_installments(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/installments", responses=NOT_YET)
def create_installment_plan(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/installments/{plan_id}/payments/{payment_id}", responses=NOT_YET)
def update_installment_payment(
    plan_id: IdPath, payment_id: IdPath, principal: PrincipalDep
) -> None:
    raise not_implemented()


@router.post("/installments/{plan_id}/tolerance", responses=NOT_YET)
def set_installment_tolerance(plan_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/installments/{plan_id}", responses=NOT_YET)
def update_installment_plan(plan_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()
