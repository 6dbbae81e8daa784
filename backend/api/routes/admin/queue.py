"""The queue as finance sees it: every status, edits, bulk finance status, exclusion. (CONTRACT §4a)"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from backend.actions import queue_admin
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, Key, Keyset, LimitQuery, listing, page
from backend.api.routes.admin._common import IdPath
from backend.api.schemas import MAX_ID, Body
from backend.models import QueueItem
from backend.schemas.queue import QueueItemOut

router = APIRouter(prefix="/api/admin", tags=["admin"])

FinanceStatus = Literal["waiting", "approved", "installment", "problem"]
StatusFilter = Literal["pending", "claimed", "excluded", "all"]
Version = Annotated[int | None, Field(default=None, ge=1, le=MAX_ID)]
# newest first by id (ids follow the order items were queued): served by the primary key
# and ``ix_queue_status_id`` without a sort, however long the queue's history
ORDER = Keyset("queue:-id", [Key(QueueItem.__table__.c.id, True)])


class AdminQueueItem(QueueItemOut):
    version: int


class AdminQueueList(BaseModel):
    items: list[AdminQueueItem]
    next_cursor: str | None
    total: int


class AdminItemEnvelope(BaseModel):
    item: AdminQueueItem


class AdminItemsEnvelope(BaseModel):
    items: list[AdminQueueItem]


class QueuePatchIn(Body):
    finance_status: FinanceStatus | None = None
    customer_name: str | None = Field(default=None, max_length=200, pattern=r"\S")
    note: str | None = Field(default=None, max_length=1000)
    version: Version = None


class BulkStatusIn(Body):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=queue_admin.MAX_BULK
    )
    finance_status: FinanceStatus


class ExcludeIn(Body):
    reason: str = Field(min_length=1, max_length=500)
    version: Version = None


@router.get("/queue", response_model=AdminQueueList)
def list_queue(
    principal: PrincipalDep,
    ctx: CtxDep,
    status: StatusFilter = "pending",
    finance_status: FinanceStatus | None = None,
    problem: Literal["true", "false"] | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Any:
    """Newest first (by id). ``problem=true``: items with a problem (an ingest problem reason or the
    finance status ``problem``); ``false``: the others. ``q``: a case-insensitive substring
    of the customer's email or name or the campaign's name."""
    stmt = select(QueueItem)
    if status != "all":
        stmt = stmt.where(QueueItem.status == status)
    if finance_status is not None:
        stmt = stmt.where(QueueItem.finance_status == finance_status)
    if problem is not None:
        is_problem = or_(
            QueueItem.problem_reason.is_not(None), QueueItem.finance_status == "problem"
        )
        stmt = stmt.where(is_problem if problem == "true" else ~is_problem)
    if q is not None:
        needle = q.strip().lower()
        stmt = stmt.where(
            or_(
                *(
                    func.lower(func.coalesce(col, "")).contains(needle, autoescape=True)
                    for col in (
                        QueueItem.customer_email,
                        QueueItem.customer_name,
                        QueueItem.campaign_name,
                    )
                )
            )
        )
    with ctx.db.read() as s:
        pg = page(s, stmt, ORDER, lambda r: (r[0].id,), limit, cursor)
        items = [queue_admin.admin_item_out(r[0]) for r in pg.rows]
    return listing("items", items, pg)


@router.patch(
    "/queue/{queue_id}",
    response_model=AdminItemEnvelope,
    responses={404: {"description": "unknown item"}, 409: {"description": "stale"}},
)
def update_queue_item(
    queue_id: IdPath, body: QueuePatchIn, principal: PrincipalDep, ctx: CtxDep
) -> Any:
    # null for a status or a name: leave it as it is; null for a note clears it
    changes = {
        k: v.strip() if k == "customer_name" and isinstance(v, str) else v
        for k, v in body.model_dump(exclude_unset=True, exclude={"version"}).items()
        if v is not None or k == "note"
    }
    with ctx.db.transaction() as s:
        item = queue_admin.update_item(
            s, queue_id, changes=changes, version=body.version, actor_id=principal.seller_id
        )
        return {"item": queue_admin.admin_item_out(item)}


@router.post(
    "/queue/finance-status",
    response_model=AdminItemsEnvelope,
    responses={404: {"description": "an unknown id: nothing changed"}},
)
def set_queue_finance_status(body: BulkStatusIn, principal: PrincipalDep, ctx: CtxDep) -> Any:
    with ctx.db.transaction() as s:
        items = queue_admin.set_finance_status(
            s, body.ids, body.finance_status, actor_id=principal.seller_id
        )
        return {"items": [queue_admin.admin_item_out(i) for i in items]}


@router.post(
    "/queue/{queue_id}/exclude",
    response_model=AdminItemEnvelope,
    responses={404: {"description": "unknown item"}, 409: {"description": "not_pending, stale"}},
)
def exclude_queue_item(
    queue_id: IdPath, body: ExcludeIn, principal: PrincipalDep, ctx: CtxDep
) -> Any:
    with ctx.db.transaction() as s:
        item = queue_admin.exclude_pending(
            s, queue_id, body.reason, version=body.version, actor_id=principal.seller_id
        )
        return {"item": queue_admin.admin_item_out(item)}
