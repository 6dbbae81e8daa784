"""TV device tokens and TV pairing (the TV's side is public, rate limited). (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET, IdPath, PairingPath

router = APIRouter(prefix="/api/admin", tags=["admin"])
pairing = APIRouter(prefix="/api/devices", tags=["devices"])


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


@pairing.post("/pair", responses=NOT_YET)
def start_pairing() -> None:
    raise not_implemented()


@pairing.get("/pair/{pairing_id}", responses=NOT_YET)
def poll_pairing(pairing_id: PairingPath) -> None:
    raise not_implemented()
