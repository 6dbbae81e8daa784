"""Achievements (stories), promotion banners, objections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from backend.actions.objections import file_objection, my_objections, objection_out
from backend.api.deps import CtxDep, PrincipalDep, SellerDep
from backend.api.schemas import (
    AchievementsOut,
    ObjectionEnvelope,
    ObjectionIn,
    ObjectionOut,
    ObjectionsOut,
    PromotionOut,
    PromotionsOut,
    tv_masked,
)
from backend.db.types import utcnow
from backend.game import read as game
from backend.models import Promotion

router = APIRouter(prefix="/api", tags=["floor"])


@router.get("/achievements", response_model=AchievementsOut)
def achievements(
    principal: PrincipalDep, ctx: CtxDep, limit: Annotated[int, Query(ge=1, le=100)] = 12
) -> AchievementsOut:
    with ctx.db.read() as s:
        rows = game.achievements(s, limit=limit)
    return tv_masked(AchievementsOut(achievements=rows), principal)


@router.get("/promotions/active", response_model=PromotionsOut)
def active_promotions(principal: PrincipalDep, ctx: CtxDep) -> PromotionsOut:
    now = utcnow()
    with ctx.db.read() as s:
        rows = s.scalars(
            select(Promotion)
            .where(
                Promotion.ended_at.is_(None), Promotion.starts_at <= now, Promotion.ends_at > now
            )
            .order_by(Promotion.starts_at.desc(), Promotion.id.desc())
            .limit(20)
        )
        out = PromotionsOut(
            promotions=[
                PromotionOut(
                    id=p.id,
                    variant=p.variant,
                    title=p.title,
                    body=p.body,
                    starts_at=p.starts_at.isoformat(),
                    ends_at=p.ends_at.isoformat(),
                )
                for p in rows
            ]
        )
    return tv_masked(out, principal)


@router.post(
    "/objections",
    status_code=201,
    response_model=ObjectionEnvelope,
    responses={
        404: {"description": "no such claim"},
        409: {"description": "objection_pending: the caller has an open one on this claim"},
    },
)
def create_objection(body: ObjectionIn, seller: SellerDep, ctx: CtxDep) -> ObjectionEnvelope:
    assert seller.seller_id is not None
    with ctx.db.transaction() as s:
        obj = file_objection(
            s,
            seller_id=seller.seller_id,
            claim_id=body.claim_id,
            reason=body.reason,
            details=body.details,
        )
        return ObjectionEnvelope(objection=ObjectionOut(**objection_out(obj)))


@router.get("/me/objections", response_model=ObjectionsOut)
def list_my_objections(seller: SellerDep, ctx: CtxDep) -> ObjectionsOut:
    assert seller.seller_id is not None
    with ctx.db.read() as s:
        rows = my_objections(s, seller.seller_id)
        return ObjectionsOut(objections=[ObjectionOut(**objection_out(o)) for o in rows])
