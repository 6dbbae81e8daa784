"""Thin routes over ``backend.game.read`` (the game engine fills in the numbers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from backend.api.deps import CtxDep, PrincipalDep, SellerDep
from backend.api.schemas import (
    BadgesOut,
    ChallengesOut,
    GoalsOut,
    LeaderboardOut,
    MetricsOut,
    PointsHistoryOut,
    PointsOut,
    SpinDrawOut,
    SpinsOut,
    TeamOverviewOut,
    tv_masked,
)
from backend.game import read as game

router = APIRouter(prefix="/api", tags=["game"])

Board = Literal["wins", "revenue", "margin", "conversion"]
Period = Literal["today", "15d", "month"]
PeriodQ = Annotated[Period, Query(description="today, 15d or month")]


@router.get("/leaderboard/{board}", response_model=LeaderboardOut)
def leaderboard(
    board: Annotated[Board, Path()], principal: PrincipalDep, ctx: CtxDep, period: PeriodQ = "today"
) -> LeaderboardOut:
    with ctx.db.read() as s:
        out = LeaderboardOut.model_validate(game.leaderboard(s, board, period, ctx.settings))
    return tv_masked(out, principal)


@router.get("/goals/progress", response_model=GoalsOut)
def team_goals(principal: PrincipalDep, ctx: CtxDep) -> GoalsOut:
    with ctx.db.read() as s:
        out = GoalsOut(goals=game.team_goals(s, ctx.settings))
    return tv_masked(out, principal)


@router.get("/me/goals", response_model=GoalsOut)
def my_goals(seller: SellerDep, ctx: CtxDep) -> GoalsOut:
    assert seller.seller_id is not None
    with ctx.db.read() as s:
        return GoalsOut(goals=game.personal_goals(s, seller.seller_id, ctx.settings))


@router.get("/me/metrics", response_model=MetricsOut)
def my_metrics(seller: SellerDep, ctx: CtxDep, period: PeriodQ = "today") -> MetricsOut:
    assert seller.seller_id is not None
    with ctx.db.read() as s:
        return MetricsOut.model_validate(game.my_metrics(s, seller.seller_id, period, ctx.settings))


@router.get("/me/points", response_model=PointsOut)
def my_points(seller: SellerDep, ctx: CtxDep) -> PointsOut:
    assert seller.seller_id is not None
    with ctx.db.read() as s:
        return PointsOut.model_validate(game.points(s, seller.seller_id))


@router.get("/me/points/history", response_model=PointsHistoryOut)
def my_points_history(
    seller: SellerDep, ctx: CtxDep, limit: Annotated[int | None, Query(ge=1, le=100_000)] = None
) -> PointsHistoryOut:
    """Every ledger entry, newest first (CONTRACT §4: every point explained); ``limit``: the
    newest that many."""
    assert seller.seller_id is not None
    with ctx.db.read() as s:
        return PointsHistoryOut(entries=game.points_history(s, seller.seller_id, limit=limit))


@router.get("/me/badges", response_model=BadgesOut)
def my_badges(seller: SellerDep, ctx: CtxDep) -> BadgesOut:
    assert seller.seller_id is not None
    with ctx.db.read() as s:
        return BadgesOut(badges=game.badges(s, seller.seller_id))


@router.get("/challenges", response_model=ChallengesOut)
def challenges(principal: PrincipalDep, ctx: CtxDep) -> ChallengesOut:
    seller_id = principal.seller_id if principal.role in ("sales", "sales_lead", "admin") else None
    with ctx.db.read() as s:
        rows = game.challenges(s, seller_id, ctx.settings, include_tests=principal.role == "admin")
        out = ChallengesOut(challenges=rows)
    return tv_masked(out, principal)


@router.get("/me/spins", response_model=SpinsOut)
def my_spins(seller: SellerDep, ctx: CtxDep) -> SpinsOut:
    assert seller.seller_id is not None
    with ctx.db.read() as s:
        return SpinsOut(spins=game.spins(s, seller.seller_id))


@router.post(
    "/me/spins/{spin_id}",
    response_model=SpinDrawOut,
    responses={
        404: {"description": "no such spin of the caller's"},
        409: {"description": "spin_used"},
    },
)
def spend_spin(
    spin_id: Annotated[int, Path(ge=1, le=2**62)], seller: SellerDep, ctx: CtxDep
) -> SpinDrawOut:
    assert seller.seller_id is not None
    with ctx.db.transaction() as s:
        return SpinDrawOut.model_validate(
            game.spend_spin(s, seller.seller_id, spin_id, ctx.settings)
        )


@router.get("/team/overview", response_model=TeamOverviewOut)
def team_overview(
    principal: PrincipalDep, ctx: CtxDep, period: PeriodQ = "today"
) -> TeamOverviewOut:
    with ctx.db.read() as s:
        return TeamOverviewOut.model_validate(game.team_overview(s, period, ctx.settings))
