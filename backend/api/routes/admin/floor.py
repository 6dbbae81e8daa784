"""Team and personal goals, challenges (with test runs) and promotions. (CONTRACT §4a)"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Integer, String, false, literal, null, select, true, union_all

from backend.actions import challenges as challenge_actions
from backend.actions import goals as goal_actions
from backend.actions import promotions as promotion_actions
from backend.api.deps import CtxDep, PrincipalDep
from backend.api.lists import CursorQuery, Key, Keyset, LimitQuery, listing, page
from backend.api.routes.admin._common import IdPath
from backend.api.routes.admin._fields import MAX_VERSION, Instant
from backend.api.schemas import MAX_ID, Body, ClaimType
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.game.progress import PeriodSums
from backend.game.rules.periods import local_day
from backend.models import Challenge, PersonalGoal, Promotion, SalesGoal

router = APIRouter(prefix="/api/admin", tags=["admin"])

Version = Annotated[int | None, Field(default=None, ge=0, le=MAX_VERSION)]
Target = int | float | str
Title = Annotated[str, Field(min_length=1, max_length=120)]
WRITE: dict[int | str, dict[str, Any]] = {
    404: {"description": "not_found"},
    409: {"description": "stale, or the object has ended"},
}

# ---- goals ---------------------------------------------------------------------------


class GoalOut(BaseModel):
    id: int
    scope: Literal["team", "personal"]
    seller_id: int | None
    title: str
    period: str
    target_type: str
    target: int | str
    active: bool
    ended_at: str | None
    version: int
    created_at: str | None
    value: int | str | None = None
    percent: float | None = None
    completed: bool | None = None


class GoalEnvelope(BaseModel):
    goal: GoalOut


class GoalList(BaseModel):
    goals: list[GoalOut]
    next_cursor: str | None
    total: int


class GoalIn(Body):
    scope: Literal["team", "personal"]
    seller_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    title: Title
    period: Literal["day", "15d", "month"]
    target_type: Literal["count", "revenue", "margin_amount"]
    target: Target


class GoalPatch(Body):
    title: Title | None = None
    period: Literal["day", "15d", "month"] | None = None
    target_type: Literal["count", "revenue", "margin_amount"] | None = None
    target: Target | None = None
    version: Version = None


class VersionIn(Body):
    version: Version = None


VersionQuery = Annotated[int | None, Query(ge=0, le=MAX_VERSION)]


def _sent(body: VersionIn | None, query: int | None) -> int | None:
    """A DELETE's ``version``: in its body, or as ``?version=N``."""
    return body.version if body is not None and body.version is not None else query


def _goal(s: Any, goal: Any, settings: Any) -> GoalEnvelope:
    sums = PeriodSums(s, local_day(utcnow(), settings.tz))
    out = goal_actions.goal_out(
        goal, goal_actions.goal_progress(goal, sums) if goal.active else None
    )
    return GoalEnvelope(goal=GoalOut(**out))


@router.get("/goals", response_model=GoalList)
def list_goals(
    principal: PrincipalDep,
    ctx: CtxDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    scope: Literal["team", "personal"] | None = None,
    seller_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    active: Literal["true", "false"] | None = None,
) -> GoalList:
    """Team and personal goals, newest first; ``active`` goals carry their progress now."""
    team = select(
        SalesGoal.id.label("id"),
        literal("team", String).label("scope"),
        null().cast(Integer).label("seller_id"),
        SalesGoal.active.label("active"),
    )
    personal = select(
        PersonalGoal.id.label("id"),
        literal("personal", String).label("scope"),
        PersonalGoal.seller_id.label("seller_id"),
        PersonalGoal.active.label("active"),
    )
    parts = []
    if scope in (None, "team") and seller_id is None:
        parts.append(team)
    if scope in (None, "personal"):
        parts.append(
            personal if seller_id is None else personal.where(PersonalGoal.seller_id == seller_id)
        )
    if not parts:  # team goals have no seller: nothing matches both filters
        return GoalList(goals=[], next_cursor=None, total=0)
    u = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    stmt = select(u.c.id, u.c.scope)
    if active is not None:
        stmt = stmt.where(u.c.active == (true() if active == "true" else false()))
    keyset = Keyset("goals:-id", [Key(u.c.id, descending=True)])
    with ctx.db.read() as s:
        pg = page(s, stmt, keyset, lambda r: [r.id], limit, cursor)
        sums = PeriodSums(s, local_day(utcnow(), ctx.settings.tz))
        items = []
        for row in pg.rows:
            goal = goal_actions.find_goal(s, row.id)
            prog = goal_actions.goal_progress(goal, sums) if goal.active else None
            items.append(GoalOut(**goal_actions.goal_out(goal, prog)))
        return GoalList(**listing("goals", items, pg))


@router.post(
    "/goals",
    status_code=201,
    response_model=GoalEnvelope,
    responses={404: {"description": "not_found: no such seller"}},
)
def create_goal(body: GoalIn, principal: PrincipalDep, ctx: CtxDep) -> GoalEnvelope:
    with ctx.db.transaction() as s:
        goal = goal_actions.admin_create_goal(
            s,
            scope=body.scope,
            seller_id=body.seller_id,
            title=body.title,
            period=body.period,
            target_type=body.target_type,
            target=body.target,
            settings=ctx.settings,
            actor_id=principal.seller_id,
        )
        return _goal(s, goal, ctx.settings)


@router.patch("/goals/{goal_id}", response_model=GoalEnvelope, responses=WRITE)
def update_goal(
    goal_id: IdPath, body: GoalPatch, principal: PrincipalDep, ctx: CtxDep
) -> GoalEnvelope:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    for k in [k for k, v in changes.items() if v is None]:
        raise DomainError(422, "invalid_request", f"{k} cannot be null.", field=k)
    with ctx.db.transaction() as s:
        goal = goal_actions.admin_update_goal(
            s,
            goal_id,
            changes,
            settings=ctx.settings,
            version=body.version,
            actor_id=principal.seller_id,
        )
        return _goal(s, goal, ctx.settings)


@router.delete("/goals/{goal_id}", response_model=GoalEnvelope, responses=WRITE)
def end_goal(
    goal_id: IdPath,
    principal: PrincipalDep,
    ctx: CtxDep,
    body: VersionIn | None = None,
    version: VersionQuery = None,
) -> GoalEnvelope:
    with ctx.db.transaction() as s:
        goal = goal_actions.admin_end_goal(
            s, goal_id, version=_sent(body, version), actor_id=principal.seller_id
        )
        return _goal(s, goal, ctx.settings)


# ---- challenges ----------------------------------------------------------------------


class ChallengeOut(BaseModel):
    id: int
    title: str
    description: str
    metric: str
    claim_type: str | None
    scope: str
    target: int | str
    reward_points: int
    awards_spin: bool
    starts_at: str
    ends_at: str
    visible: bool
    active: bool
    ended_at: str | None
    version: int
    created_at: str | None
    progress: dict[str, Any] | None = None


class ChallengeEnvelope(BaseModel):
    challenge: ChallengeOut


class ChallengeList(BaseModel):
    challenges: list[ChallengeOut]
    next_cursor: str | None
    total: int


Metric = Literal["count", "revenue", "margin_amount"]
Description = Annotated[str, Field(max_length=2000)]


class ChallengeIn(Body):
    title: Title
    description: Description = ""
    metric: Metric
    claim_type: ClaimType | None = None
    target: Target
    reward_points: int = Field(ge=0, le=challenge_actions.MAX_REWARD)
    starts_at: Instant
    ends_at: Instant
    visible: bool = True


class ChallengePatch(Body):
    title: Title | None = None
    description: Description | None = None
    metric: Metric | None = None
    claim_type: ClaimType | None = None
    target: Target | None = None
    reward_points: int | None = Field(default=None, ge=0, le=challenge_actions.MAX_REWARD)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    visible: bool | None = None
    version: Version = None


def _challenge(s: Any, ch: Challenge) -> ChallengeEnvelope:
    out = challenge_actions.challenge_out(ch, challenge_actions.challenge_progress(s, ch))
    return ChallengeEnvelope(challenge=ChallengeOut(**out))


@router.get("/challenges", response_model=ChallengeList)
def list_challenges(
    principal: PrincipalDep,
    ctx: CtxDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: Literal["current", "upcoming", "past", "ended", "all"] = "all",
    visible: Literal["true", "false"] | None = None,
) -> ChallengeList:
    """Every challenge (test runs included), newest first, each with its progress:
    ``current`` (running now), ``upcoming``, ``past`` (its window is over), ``ended``
    (ended by hand)."""
    now = utcnow()
    stmt = select(Challenge)
    if status == "current":
        stmt = stmt.where(
            Challenge.active.is_(True), Challenge.starts_at <= now, Challenge.ends_at > now
        )
    elif status == "upcoming":
        stmt = stmt.where(Challenge.active.is_(True), Challenge.starts_at > now)
    elif status == "past":
        stmt = stmt.where(Challenge.active.is_(True), Challenge.ends_at <= now)
    elif status == "ended":
        stmt = stmt.where(Challenge.active.is_(False))
    if visible is not None:
        stmt = stmt.where(Challenge.visible.is_(visible == "true"))
    keyset = Keyset("challenges:-id", [Key(Challenge.__table__.c.id, descending=True)])
    with ctx.db.read() as s:
        pg = page(s, stmt, keyset, lambda r: [r[0].id], limit, cursor)
        items = []
        for (ch,) in pg.rows:
            out = challenge_actions.challenge_out(ch, challenge_actions.challenge_progress(s, ch))
            items.append(ChallengeOut(**out))
        return ChallengeList(**listing("challenges", items, pg))


@router.post("/challenges", status_code=201, response_model=ChallengeEnvelope)
def create_challenge(body: ChallengeIn, principal: PrincipalDep, ctx: CtxDep) -> ChallengeEnvelope:
    with ctx.db.transaction() as s:
        ch = challenge_actions.admin_create_challenge(
            s,
            title=body.title,
            description=body.description,
            metric=body.metric,
            claim_type=body.claim_type,
            target=body.target,
            reward_points=body.reward_points,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            visible=body.visible,
            actor_id=principal.seller_id,
        )
        return _challenge(s, ch)


NULLABLE_CHALLENGE = {"claim_type", "description"}


@router.patch("/challenges/{challenge_id}", response_model=ChallengeEnvelope, responses=WRITE)
def update_challenge(
    challenge_id: IdPath, body: ChallengePatch, principal: PrincipalDep, ctx: CtxDep
) -> ChallengeEnvelope:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    for k, v in changes.items():
        if v is None and k not in NULLABLE_CHALLENGE:
            raise DomainError(422, "invalid_request", f"{k} cannot be null.", field=k)
    with ctx.db.transaction() as s:
        ch = challenge_actions.admin_update_challenge(
            s, challenge_id, changes, version=body.version, actor_id=principal.seller_id
        )
        return _challenge(s, ch)


@router.delete("/challenges/{challenge_id}", response_model=ChallengeEnvelope, responses=WRITE)
def end_challenge(
    challenge_id: IdPath,
    principal: PrincipalDep,
    ctx: CtxDep,
    body: VersionIn | None = None,
    version: VersionQuery = None,
) -> ChallengeEnvelope:
    with ctx.db.transaction() as s:
        ch = challenge_actions.admin_end_challenge(
            s,
            challenge_id,
            version=_sent(body, version),
            actor_id=principal.seller_id,
        )
        return _challenge(s, ch)


# ---- promotions ----------------------------------------------------------------------


class AdminPromotionOut(BaseModel):
    id: int
    variant: str
    title: str
    body: str
    starts_at: str
    ends_at: str
    ended_at: str | None
    showing: bool
    version: int
    created_at: str | None


class PromotionEnvelope(BaseModel):
    promotion: AdminPromotionOut


class PromotionList(BaseModel):
    promotions: list[AdminPromotionOut]
    next_cursor: str | None
    total: int


Variant = Literal["promo", "info", "success", "warning"]
BannerBody = Annotated[str, Field(max_length=2000)]


class PromotionIn(Body):
    variant: Variant
    title: Title
    body: BannerBody = ""
    starts_at: Instant
    ends_at: Instant


class PromotionPatch(Body):
    variant: Variant | None = None
    title: Title | None = None
    body: BannerBody | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    version: Version = None


@router.get("/promotions", response_model=PromotionList)
def list_promotions(
    principal: PrincipalDep,
    ctx: CtxDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: Literal["showing", "upcoming", "past", "ended", "all"] = "all",
) -> PromotionList:
    """Every banner, newest first: ``showing`` now, ``upcoming``, ``past`` (its window is
    over), ``ended`` (taken down by hand)."""
    now = utcnow()
    stmt = select(Promotion)
    live = Promotion.ended_at.is_(None)
    if status == "showing":
        stmt = stmt.where(live, Promotion.starts_at <= now, Promotion.ends_at > now)
    elif status == "upcoming":
        stmt = stmt.where(live, Promotion.starts_at > now)
    elif status == "past":
        stmt = stmt.where(live, Promotion.ends_at <= now)
    elif status == "ended":
        stmt = stmt.where(Promotion.ended_at.is_not(None))
    keyset = Keyset("promotions:-id", [Key(Promotion.__table__.c.id, descending=True)])
    with ctx.db.read() as s:
        pg = page(s, stmt, keyset, lambda r: [r[0].id], limit, cursor)
        items = [AdminPromotionOut(**promotion_actions.promotion_out(p, now)) for (p,) in pg.rows]
        return PromotionList(**listing("promotions", items, pg))


@router.post("/promotions", status_code=201, response_model=PromotionEnvelope)
def create_promotion(body: PromotionIn, principal: PrincipalDep, ctx: CtxDep) -> PromotionEnvelope:
    with ctx.db.transaction() as s:
        p = promotion_actions.create_promotion(
            s,
            variant=body.variant,
            title=body.title,
            body=body.body,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            actor_id=principal.seller_id,
        )
        return PromotionEnvelope(promotion=AdminPromotionOut(**promotion_actions.promotion_out(p)))


@router.patch("/promotions/{promotion_id}", response_model=PromotionEnvelope, responses=WRITE)
def update_promotion(
    promotion_id: IdPath, body: PromotionPatch, principal: PrincipalDep, ctx: CtxDep
) -> PromotionEnvelope:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    for k, v in changes.items():
        if v is None:
            raise DomainError(422, "invalid_request", f"{k} cannot be null.", field=k)
    with ctx.db.transaction() as s:
        p = promotion_actions.update_promotion(
            s, promotion_id, changes, version=body.version, actor_id=principal.seller_id
        )
        return PromotionEnvelope(promotion=AdminPromotionOut(**promotion_actions.promotion_out(p)))


@router.delete("/promotions/{promotion_id}", response_model=PromotionEnvelope, responses=WRITE)
def end_promotion(
    promotion_id: IdPath,
    principal: PrincipalDep,
    ctx: CtxDep,
    body: VersionIn | None = None,
    version: VersionQuery = None,
) -> PromotionEnvelope:
    with ctx.db.transaction() as s:
        p = promotion_actions.end_promotion(
            s,
            promotion_id,
            version=_sent(body, version),
            actor_id=principal.seller_id,
        )
        return PromotionEnvelope(promotion=AdminPromotionOut(**promotion_actions.promotion_out(p)))
