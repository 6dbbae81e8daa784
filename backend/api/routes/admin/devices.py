"""TV device tokens and TV pairing (the TV's side is public, rate limited). (CONTRACT §4a)

Actions in :mod:`backend.actions.devices`; see ``docs/admin-api/devices.md`` for what the
contract leaves open (list order and filter, revoking twice, the collection window).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from backend.actions import devices as actions
from backend.api.deps import CtxDep, PrincipalDep, client_address
from backend.api.errors import ApiError
from backend.api.lists import CursorQuery, Key, Keyset, LimitQuery, listing, page
from backend.api.routes.admin._common import IdPath, PairingPath
from backend.api.schemas import Body
from backend.db.types import utcnow
from backend.models import DeviceToken

router = APIRouter(prefix="/api/admin", tags=["admin"])
pairing = APIRouter(prefix="/api/devices", tags=["devices"])

NO_STORE = {"Cache-Control": "no-store"}
ORDER = Keyset("name", [Key(DeviceToken.name.expression), Key(DeviceToken.id.expression)])


class DeviceOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    connected: bool


class DeviceEnvelope(BaseModel):
    device: DeviceOut


class NewDeviceOut(BaseModel):
    device: DeviceOut
    token: str = Field(description="the TV's token: shown this once, never again")


class DevicesOut(BaseModel):
    devices: list[DeviceOut]
    next_cursor: str | None
    total: int


def _clean_name(v: str) -> str:
    v = v.strip()
    if not v:
        raise ValueError("the name must not be empty")
    if any(not ch.isprintable() for ch in v):
        raise ValueError("the name must be one line of printable text")
    return v


class DeviceIn(Body):
    name: str = Field(min_length=1, max_length=120, examples=["Floor TV 1"])

    _name = field_validator("name")(_clean_name)


class ApproveIn(Body):
    code: str = Field(min_length=1, max_length=40, examples=["K7PQ-4XZD"])
    name: str = Field(min_length=1, max_length=120, examples=["Floor TV 1"])

    _name = field_validator("name")(_clean_name)


class PairingOut(BaseModel):
    code: str
    pairing_id: str
    expires_at: datetime


class PairingWaiting(BaseModel):
    status: Literal["waiting"] = "waiting"


class PairingDone(BaseModel):
    token: str
    name: str


def _out(dev: DeviceToken, now: datetime) -> DeviceOut:
    return DeviceOut(**actions.device_out(dev, now))


@router.get("/devices", response_model=DevicesOut)
def list_devices(
    principal: PrincipalDep,
    ctx: CtxDep,
    status: Annotated[Literal["all", "active", "revoked"], Query()] = "all",
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> DevicesOut:
    """Every TV token by name: ``connected`` = a socket of it is open now (seen by its
    server within the last 20 s)."""
    now = utcnow()
    with ctx.db.read() as s:
        pg = page(
            s,
            actions.list_devices_query(status),
            ORDER,
            lambda row: (row[0].name, row[0].id),
            limit,
            cursor,
        )
        return DevicesOut(**listing("devices", [_out(r[0], now) for r in pg.rows], pg))


@router.post("/devices", status_code=201, response_model=NewDeviceOut)
def create_device(
    body: DeviceIn, principal: PrincipalDep, ctx: CtxDep, response: Response
) -> NewDeviceOut:
    """A new TV token (409 ``name_taken`` while an active device has the name); the token is
    in this answer only."""
    now = utcnow()
    with ctx.db.transaction() as s:
        dev, token = actions.create_device(s, principal.seller_id, body.name, now)
        out = _out(dev, now)
    response.headers.update(NO_STORE)
    return NewDeviceOut(device=out, token=token)


@router.post("/devices/pair", status_code=201, response_model=DeviceEnvelope)
def approve_pairing(body: ApproveIn, principal: PrincipalDep, ctx: CtxDep) -> DeviceEnvelope:
    """Approve the TV showing ``code`` (any case, dash optional) under ``name``; the TV
    collects its token on its next poll. 404 for an unknown or expired code."""
    now = utcnow()
    with ctx.db.transaction() as s:
        dev = actions.approve_pairing(s, principal.seller_id, body.code, body.name, now)
        return DeviceEnvelope(device=_out(dev, now))


@router.delete("/devices/{device_id}", response_model=DeviceEnvelope)
def revoke_device(device_id: IdPath, principal: PrincipalDep, ctx: CtxDep) -> DeviceEnvelope:
    """Revoke: its HTTP calls get 401 from now on, its open sockets close within 10 s."""
    now = utcnow()
    with ctx.db.transaction() as s:
        dev = actions.revoke_device(s, principal.seller_id, device_id, now)
        out = _out(dev, now)
    ctx.recheck_sockets()  # this instance's sockets at once; the others at their next check
    return DeviceEnvelope(device=out)


@pairing.post(
    "/pair",
    status_code=201,
    response_model=PairingOut,
    responses={429: {"description": "too many new codes from this address (Retry-After)"}},
)
def start_pairing(request: Request, ctx: CtxDep) -> PairingOut:
    """A TV without a token asks for a code to show (valid 10 minutes)."""
    wait = ctx.limits.pairing_attempt(client_address(request))
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            "Too many pairing codes were asked for from this address; wait a little.",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    now = utcnow()
    with ctx.db.transaction() as s:
        row = actions.start_pairing(s, now)
        return PairingOut(code=row.code, pairing_id=row.id, expires_at=row.expires_at)


@pairing.get(
    "/pair/{pairing_id}",
    response_model=PairingDone,
    responses={
        202: {"model": PairingWaiting, "description": "not approved yet: poll again"},
        404: {"description": "no such pairing"},
        410: {"description": "expired, or the token was collected already"},
    },
)
def poll_pairing(
    pairing_id: PairingPath, response: Response, ctx: CtxDep
) -> Response | PairingDone:
    """The TV's poll: 202 while waiting, 200 with the token exactly once, then 410."""
    now = utcnow()
    with ctx.db.transaction() as s:
        got = actions.collect_pairing(s, pairing_id, now)
    if got is None:
        return JSONResponse(PairingWaiting().model_dump(), status_code=202, headers=NO_STORE)
    response.headers.update(NO_STORE)
    return PairingDone(token=got.token, name=got.name)
