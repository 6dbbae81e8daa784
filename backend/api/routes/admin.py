"""The admin and finance API (CONTRACT §4a) and TV pairing: a later batch. Every endpoint is
routed already so that its authorization holds today (CONTRACT §4: 501 to the roles the
authz TABLE allows, 403 to the others; the TABLE follows §4a's R/F/L/A)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented

router = APIRouter(prefix="/api/admin", tags=["admin"])
pairing = APIRouter(prefix="/api/devices", tags=["devices"])
IdPath = Annotated[int, Path(ge=1, le=2**62)]
MonthPath = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
PairingPath = Annotated[str, Path(min_length=1, max_length=100)]
NOT_YET: dict[int | str, dict[str, Any]] = {501: {"description": "not_implemented (later batch)"}}


# ---- claims ---------------------------------------------------------------------------
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


# ---- queue ----------------------------------------------------------------------------
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


# ---- sellers --------------------------------------------------------------------------
@router.get("/sellers", responses=NOT_YET)
def list_sellers(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/sellers/{seller_id}", responses=NOT_YET)
def update_seller(seller_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/sellers/{seller_id}/performance", responses=NOT_YET)
def seller_performance(seller_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


# ---- goals, challenges, promotions ----------------------------------------------------
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


# ---- installments ---------------------------------------------------------------------
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


# ---- objections, overview, exports, periods, audit --------------------------------------
@router.get("/objections", responses=NOT_YET)
def list_objections(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/objections/{objection_id}", responses=NOT_YET)
def resolve_objection(objection_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


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


@router.get("/audit", responses=NOT_YET)
def list_audit(principal: PrincipalDep) -> None:
    raise not_implemented()


# ---- devices and the game -------------------------------------------------------------
@router.get("/devices", responses=NOT_YET)
def list_devices(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/devices", responses=NOT_YET)
def create_device(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.post("/devices/pair", responses=NOT_YET)
def approve_pairing(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.delete("/devices/{device_id}", responses=NOT_YET)
def revoke_device(device_id: IdPath, principal: PrincipalDep) -> None:
    raise not_implemented()


@router.get("/game", responses=NOT_YET)
def get_game(principal: PrincipalDep) -> None:
    raise not_implemented()


@router.patch("/game", responses=NOT_YET)
def update_game(principal: PrincipalDep) -> None:
    raise not_implemented()


# ---- TV pairing (anyone) ----------------------------------------------------------------
@pairing.post("/pair", responses=NOT_YET)
def start_pairing() -> None:
    raise not_implemented()


@pairing.get("/pair/{pairing_id}", responses=NOT_YET)
def poll_pairing(pairing_id: PairingPath) -> None:
    raise not_implemented()
