"""The month's overview, the CSV exports, closing and reopening months. (CONTRACT §4a)

Exports and months: ``backend.reads.exports`` / ``backend.reads.statement`` (reads) and
``backend.actions.periods`` (close, reopen)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import Field

from backend.actions import periods as period_actions
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, LimitQuery, bad_cursor, decode_cursor, encode_cursor
from backend.api.routes.admin._common import MonthPath
from backend.api.routes.admin.claims import (
    FromQuery,
    QQuery,
    SellerQuery,
    TextQuery,
    ToQuery,
    filters_from,
)
from backend.api.routes.admin.claims_out import PeriodEnvelope, PeriodList
from backend.api.routes.admin.overview_out import OverviewOut
from backend.api.schemas import Body
from backend.models.admin import ClosedPeriod
from backend.reads import claims as claim_reads
from backend.reads import exports, statement
from backend.reads.overview import overview as read_overview

router = APIRouter(prefix="/api/admin", tags=["admin"])

# the exports answer CSV (UTF-8 with a byte-order mark), not JSON
CSV_ANSWER: dict[str, Any] = {
    "description": "CSV, UTF-8 with a byte-order mark, RFC 4180, CRLF",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


@router.get("/overview", response_model=OverviewOut)
def overview(
    principal: PrincipalDep,
    ctx: CtxDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> Any:
    """The month's ``totals`` and the ``previous`` month's, ``daily``, ``by_seller`` (ranked
    by margin), ``by_campaign`` (``backend.reads.overview`` says how each number counts);
    ``month`` defaults to the current local month."""

    with ctx.db.read() as s:
        return read_overview(s, month, ctx.settings)


@router.get("/export/claims.csv", response_class=StreamingResponse, responses={200: CSV_ANSWER})
def export_claims(
    principal: PrincipalDep,
    ctx: CtxDep,
    from_: FromQuery = None,
    to: ToQuery = None,
    seller_id: SellerQuery = None,
    finance_status: TextQuery = None,
    claim_type: TextQuery = None,
    refunded: TextQuery = None,
    q: QQuery = None,
    sort: TextQuery = None,
) -> StreamingResponse:
    """Every claim the list's filters select (no limit), streamed a page at a time."""
    order = claim_reads.parse_sort(sort)
    with ctx.db.read() as s:  # bad filters: a 422 before the first byte
        f = filters_from(s, ctx, from_, to, seller_id, finance_status, claim_type, refunded, q)
    return StreamingResponse(
        exports.claims_csv(ctx.db.read, f, order),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="claims.csv"'},
    )


@router.get("/export/statement.csv", response_class=Response, responses={200: CSV_ANSWER})
def export_statement(principal: PrincipalDep, ctx: CtxDep, month: TextQuery = None) -> Response:
    """A closed month: the bytes frozen at close; an open one: computed now."""
    first = statement.parse_month(month)
    with ctx.db.read() as s:
        text = statement.statement_text(s, first, ctx.settings.tz)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="statement-{statement.month_text(first)}.csv"'
        },
    )


@router.get("/periods", response_model=PeriodList)
def list_periods(
    principal: PrincipalDep, ctx: CtxDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> Any:
    """Months newest first (with claims, or closed), ``open`` or ``closed``."""
    after = None
    if cursor:
        (after,) = decode_cursor("periods", cursor, 1)
        if not isinstance(after, str):
            raise bad_cursor()
    with ctx.db.read() as s:
        months = period_actions.list_periods(s, ctx.settings)
        todo = [m for m in months if after is None or m < after]
        page = todo[:limit]
        rows = {r.month: r for r in s.query(ClosedPeriod).filter(ClosedPeriod.month.in_(page))}
        items = [period_actions.period_out(s, m, rows.get(m)) for m in page]
    more = len(todo) > limit
    return {
        "periods": items,
        "next_cursor": encode_cursor("periods", [page[-1]]) if more and page else None,
        "total": len(months),
    }


@router.post(
    "/periods/{month}/close",
    response_model=PeriodEnvelope,
    responses={409: {"description": "month_not_over, already_closed"}},
)
def close_period(month: MonthPath, principal: PrincipalDep, ctx: CtxDep) -> Any:
    """Freeze a past month's statement (409 ``month_not_over``, ``already_closed``)."""
    with ctx.db.transaction() as s:
        row = period_actions.close_period(
            s, month, settings=ctx.settings, actor_id=principal.seller_id
        )
        return {"period": period_actions.period_out(s, month, row)}


class ReopenIn(Body):
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/periods/{month}/reopen",
    response_model=PeriodEnvelope,
    responses={409: {"description": "not_closed"}},
)
def reopen_period(month: MonthPath, body: ReopenIn, principal: PrincipalDep, ctx: CtxDep) -> Any:
    """Serve a closed month live again (admin; 409 ``not_closed``)."""
    with ctx.db.transaction() as s:
        row = period_actions.reopen_period(
            s, month, body.reason, settings=ctx.settings, actor_id=principal.seller_id
        )
        return {"period": period_actions.period_out(s, month, row)}
