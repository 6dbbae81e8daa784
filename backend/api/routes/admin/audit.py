"""The audit trail of every admin and finance write. (CONTRACT §4a)"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import PrincipalDep
from backend.api.errors import not_implemented
from backend.api.routes.admin._common import NOT_YET

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/audit", responses=NOT_YET)
def list_audit(principal: PrincipalDep) -> None:
    raise not_implemented()
