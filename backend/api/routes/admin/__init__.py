"""The admin and finance API (CONTRACT §4a) and TV pairing, one module per area; every
route's authorization is in ``backend.api.authz.TABLE`` (R/F/L/A)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.routes.admin import (
    audit,
    claims,
    devices,
    floor,
    game,
    installments,
    objections,
    queue,
    reports,
    sellers,
)

router = APIRouter()
for _module in (
    claims,
    queue,
    sellers,
    floor,
    installments,
    objections,
    reports,
    audit,
    devices,
    game,
):
    router.include_router(_module.router)
pairing = devices.pairing

__all__ = ["pairing", "router"]
