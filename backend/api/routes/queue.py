"""The live queue, manual entries, the claim and recent claims."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend import metrics
from backend.actions.claims import (
    ClaimResult,
    check_account,
    claim_item,
    claim_out,
    describe_conflict,
    find_idempotent,
    repeat_of,
)
from backend.actions.errors import ActionError
from backend.actions.queue_manual import add_manual_item, read_campaign
from backend.api import authz
from backend.api.deps import CtxDep, PrincipalDep, SellerDep
from backend.api.errors import ApiError
from backend.api.schemas import (
    ClaimEnvelope,
    ClaimIn,
    ClaimOut,
    ItemEnvelope,
    ManualIn,
    QueueOut,
    RecentClaim,
    RecentClaimsOut,
    tv_masked,
)
from backend.models import Claim, QueueItem, Seller
from backend.schemas.common import money
from backend.schemas.queue import queue_item_out

router = APIRouter(prefix="/api", tags=["queue"])


@router.get("/queue", response_model=QueueOut)
def get_queue(principal: PrincipalDep, ctx: CtxDep) -> QueueOut:
    """Every pending item (CONTRACT §4: no cap), newest first."""
    with ctx.db.read() as s:
        items = s.scalars(
            select(QueueItem)
            .where(QueueItem.status == "pending")
            .order_by(QueueItem.created_at.desc(), QueueItem.id.desc())
        )
        return tv_masked(QueueOut(items=[queue_item_out(i) for i in items]), principal)


@router.post("/queue/manual", status_code=201, response_model=ItemEnvelope)
def manual_entry(body: ManualIn, seller: SellerDep, ctx: CtxDep) -> ItemEnvelope:
    """The same money rules as an ingested sale (``backend.actions.queue_manual``): what
    cannot be computed (unknown campaign or currency, no ``dolar`` rate) is queued as a
    problem, as the worker would."""
    assert seller.seller_id is not None
    # the core database is read before the write transaction (which holds SQLite's lock)
    campaign = read_campaign(ctx.settings.core_db_url, body.campaign_id)
    try_per_usd = ctx.try_per_usd()  # TRY amounts and the jackpot threshold (TRY) need it
    with ctx.db.transaction() as s:
        item = add_manual_item(
            s,
            created_by=seller.seller_id,
            customer_email=body.customer_email.strip(),
            customer_name=body.customer_name.strip(),
            campaign_id=body.campaign_id,
            amount=body.amount,
            currency=body.currency,
            note=body.note,
            settings=ctx.settings,
            try_per_usd=try_per_usd,
            campaign=campaign,
            payment_channel=body.payment_channel,
        )
        return ItemEnvelope(item=queue_item_out(item))


def _claim_envelope(s: object, result: ClaimResult) -> Response:
    """The claim's answer (201 and its ``ClaimEnvelope``), serialized here in the route's
    worker thread: a route that returns its Response skips FastAPI's response validation,
    which for a sync route is one more hop to a worker thread and back after it."""
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    item = result.item
    if item is None:
        item = s.get(QueueItem, result.claim.queue_id)
    body = ClaimEnvelope(claim=ClaimOut(**claim_out(result.claim, item)))
    return Response(body.model_dump_json(), status_code=201, media_type="application/json")


@router.post(
    "/claim",
    status_code=201,
    response_model=ClaimEnvelope,
    responses={
        404: {"description": "unknown queue item"},
        409: {"description": "already_claimed (error.claimed_by) or not_claimable"},
        429: {"description": "claim rate limit"},
    },
)
@metrics.counts_claims
def claim(
    body: ClaimIn,
    seller: SellerDep,
    ctx: CtxDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=100)] = None,
) -> Response:
    assert seller.seller_id is not None
    # authenticated by its JWT alone (authz.VERIFIED_IN_TRANSACTION): the claim's own
    # statements check the account; where none run, one read does
    account_roles = None if seller.verified else authz.roles_for("POST", "/api/claim")
    if not ctx.limits.hit_claim(seller.seller_id):
        # a repeat of an earlier claim is no new claim: it gets its first answer
        if idempotency_key is not None:
            with ctx.db.read() as s:
                if account_roles is not None:
                    check_account(s.get(Seller, seller.seller_id), account_roles)
                earlier = find_idempotent(s, seller.seller_id, idempotency_key)
                if earlier is not None:
                    repeat = repeat_of(
                        earlier, body.queue_id, body.claim_type, body.installment_plan_id
                    )
                    return _claim_envelope(s, repeat)
        wait = ctx.limits.claim_retry_after(seller.seller_id)
        raise ApiError(
            429,
            "rate_limited",
            "Too many claims; wait a moment.",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    try:
        with ctx.db.transaction() as s:
            result = claim_item(
                s,
                seller_id=seller.seller_id,
                queue_id=body.queue_id,
                claim_type=body.claim_type,
                installment_plan_id=body.installment_plan_id,
                idempotency_key=idempotency_key,
                settings=ctx.settings,
                account_roles=account_roles,
            )
            return _claim_envelope(s, result)
    except IntegrityError:
        pass  # lost a race at the database: tell who won (or the idempotent first answer)
    with ctx.db.read() as s:
        outcome = describe_conflict(
            s,
            seller.seller_id,
            body.queue_id,
            idempotency_key,
            body.claim_type,
            body.installment_plan_id,
        )
        if isinstance(outcome, ActionError):
            raise outcome
        return _claim_envelope(s, outcome)


@router.get("/claims/recent", response_model=RecentClaimsOut)
def recent_claims(
    principal: PrincipalDep, ctx: CtxDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> RecentClaimsOut:
    with ctx.db.read() as s:
        rows = s.execute(
            select(Claim, Seller, QueueItem)
            .join(Seller, Seller.id == Claim.claimed_by)
            .join(QueueItem, QueueItem.id == Claim.queue_id)
            .order_by(Claim.claimed_at.desc(), Claim.id.desc())
            .limit(limit)
        ).all()
        claims = [
            RecentClaim(
                id=c.id,
                queue_id=c.queue_id,
                subscription_id=c.subscription_id,
                seller_id=seller.id,
                seller_name=seller.name,
                seller_color=seller.color,
                claim_type=c.claim_type,
                finance_status=c.finance_status,
                claimed_at=c.claimed_at.isoformat(),
                revenue_usd=money(item.revenue_usd),
                is_jackpot=item.is_jackpot,
                customer_name=item.customer_name,
                customer_email=item.customer_email,
                campaign_name=item.campaign_name,
            )
            for c, seller, item in rows
        ]
        return tv_masked(RecentClaimsOut(claims=claims), principal)
