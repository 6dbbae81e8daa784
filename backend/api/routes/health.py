"""``/healthz`` (the process is up) and ``/readyz`` (the database answers; 503 otherwise)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import DbDep
from backend.api.errors import error_response
from backend.api.schemas import StatusOut
from backend.db.engine import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=StatusOut)
def healthz() -> StatusOut:
    return StatusOut(status="ok")


@router.head("/healthz", response_model=StatusOut)
def healthz_head() -> StatusOut:
    """As ``GET /healthz``, without the body (what some health checkers send)."""
    return healthz()


@router.get("/readyz", response_model=StatusOut, responses={503: {"description": "no database"}})
def readyz(db: DbDep) -> StatusOut | JSONResponse:
    try:
        ping(db.engine)
    except Exception:
        return error_response(503, "database_unavailable", "The database cannot be reached.")
    return StatusOut(status="ready")


@router.head("/readyz", response_model=StatusOut, responses={503: {"description": "no database"}})
def readyz_head(db: DbDep) -> StatusOut | JSONResponse:
    """As ``GET /readyz``, without the body."""
    return readyz(db)
