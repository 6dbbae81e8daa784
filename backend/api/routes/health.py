"""``/healthz`` (the process is up) and ``/readyz`` (the database answers; 503 otherwise).

With Redis configured, ``/readyz`` also says whether it answers (``"redis": "up"`` or
``"down"``): an instance without Redis still serves HTTP and its own sockets (CONTRACT §7),
so Redis down is said, not a 503."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import CtxDep, DbDep
from backend.api.errors import error_response
from backend.api.schemas import StatusOut
from backend.db.engine import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=StatusOut, response_model_exclude_none=True)
def healthz() -> StatusOut:
    return StatusOut(status="ok")


@router.head("/healthz", response_model=StatusOut, response_model_exclude_none=True)
def healthz_head() -> StatusOut:
    """As ``GET /healthz``, without the body (what some health checkers send)."""
    return healthz()


@router.get(
    "/readyz",
    response_model=StatusOut,
    response_model_exclude_none=True,
    responses={503: {"description": "no database"}},
)
def readyz(db: DbDep, ctx: CtxDep) -> StatusOut | JSONResponse:
    try:
        ping(db.engine)
    except Exception:
        return error_response(503, "database_unavailable", "The database cannot be reached.")
    if not ctx.settings.redis_url:
        return StatusOut(status="ready")
    return StatusOut(status="ready", redis="up" if ctx.limits.shared_reachable() else "down")


@router.head(
    "/readyz",
    response_model=StatusOut,
    response_model_exclude_none=True,
    responses={503: {"description": "no database"}},
)
def readyz_head(db: DbDep, ctx: CtxDep) -> StatusOut | JSONResponse:
    """As ``GET /readyz``, without the body."""
    return readyz(db, ctx)
