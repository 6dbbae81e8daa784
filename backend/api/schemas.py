"""Request and response bodies of the HTTP API (OpenAPI response models).

Request bodies are strict (``extra="forbid"``, no type coercion: ``"5"`` is not a number);
response models of the game side allow extra fields so the game engine can add detail.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from backend.accounts import AccountError, normalize_email
from backend.actions.queue_manual import MAX_AMOUNT, parse_amount
from backend.auth import Principal
from backend.hidden_sellers import mask_hidden
from backend.schemas.common import mask_emails
from backend.schemas.queue import QueueItemOut

MAX_ID = 2**62
Id = Field(ge=1, le=MAX_ID)
ClaimType = Literal["first_sales", "remarketing", "upgrade", "installment"]
Role = Literal["sales", "sales_lead", "finance", "admin"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, v: Any) -> Any:
        # a NUL character cannot be stored in PostgreSQL text: refused here, as bad input
        if isinstance(v, str):
            if "\x00" in v:
                raise ValueError("the text must not contain NUL characters")
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate ("\ud800" is valid JSON)
                    raise ValueError("the text must be valid Unicode") from None
        return v


M = TypeVar("M", bound=BaseModel)


def tv_masked(out: M, principal: Principal | None) -> M:
    """What ``principal`` may see of ``out``: for a TV, customer emails masked and any address
    inside any text, and sellers hidden from the TV as "A teammate" (the relay's TV copies
    of events are masked the same way)."""
    if principal is None or not principal.is_tv:
        return out
    masked = mask_hidden(mask_emails(out.model_dump(mode="json")), principal.hidden)
    return type(out).model_validate(masked)


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---- auth ------------------------------------------------------------------------------


class LoginIn(Body):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=200)


EMAIL_FORMAT: dict[str, Any] = {"format": "email"}


class RegisterIn(Body):
    email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_FORMAT)
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=72)
    role: Role


class UserOut(BaseModel):
    id: int | None = None
    email: str | None = None
    name: str
    role: str
    color: str | None = None


class FloorOut(BaseModel):
    """What every screen needs to agree with the boards: the floor's time zone
    (``WINROOM_TIMEZONE``), where "today" and the wall clock begin."""

    timezone: str


class UserEnvelope(BaseModel):
    user: UserOut
    floor: FloorOut | None = None


class LoginOut(BaseModel):
    token: str
    user: UserOut


# ---- queue and claims ------------------------------------------------------------------


class QueueOut(BaseModel):
    items: list[QueueItemOut]


class ItemEnvelope(BaseModel):
    item: QueueItemOut


_TOP = int(MAX_AMOUNT)
assert str(_TOP).strip("0") == "1", "the amount pattern below assumes a power of ten"
AMOUNT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": _TOP, "multipleOf": 0.01},
        {
            "type": "string",
            "pattern": rf"^\s*({_TOP}(\.0{{1,2}})?|\d{{1,{len(str(_TOP)) - 1}}}(\.\d{{1,2}})?)\s*$",
        },
    ],
    "description": f"0 to {_TOP:,} with at most 2 decimals, as a number or a decimal string",
}


# Decimal()'s own syntax with ASCII digits only: Decimal() alone also reads "١٢٣"
# (Arabic-Indic), "１２３" (full width) and "1_000"
Amount = Annotated[Decimal, BeforeValidator(parse_amount), WithJsonSchema(AMOUNT_SCHEMA)]


class ManualIn(Body):
    """A manual queue entry. ``payment_channel`` (optional, e.g. ``Hediye`` for a gift) is
    kept with the item and counts for the jackpot rule as an ingested sale's does."""

    customer_email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_FORMAT)
    customer_name: str = Field(min_length=1, max_length=200)
    campaign_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    amount: Amount
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    note: str | None = Field(default=None, max_length=1000)
    payment_channel: str | None = Field(default=None, max_length=40)

    @field_validator("customer_email")
    @classmethod
    def _email(cls, v: str) -> str:
        try:
            return normalize_email(v)
        except AccountError:
            raise ValueError("must be an email address") from None


class ClaimIn(Body):
    queue_id: int = Id
    claim_type: ClaimType
    installment_plan_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class ClaimOut(BaseModel):
    id: int
    queue_id: int
    subscription_id: int | None
    seller_id: int
    claim_type: str
    finance_status: str
    installment_plan_id: int | None
    claimed_at: str
    revenue_usd: str | None = None


class ClaimEnvelope(BaseModel):
    claim: ClaimOut


class RecentClaim(BaseModel):
    id: int
    queue_id: int
    subscription_id: int | None
    seller_id: int
    seller_name: str
    seller_color: str | None
    claim_type: str
    finance_status: str
    claimed_at: str
    revenue_usd: str | None
    is_jackpot: bool
    customer_name: str | None
    customer_email: str | None
    campaign_name: str | None


class RecentClaimsOut(BaseModel):
    claims: list[RecentClaim]


# ---- achievements, promotions, objections -----------------------------------------------


class AchievementsOut(BaseModel):
    achievements: list[dict[str, Any]]


class PromotionOut(BaseModel):
    id: int
    variant: str
    title: str
    body: str
    starts_at: str
    ends_at: str


class PromotionsOut(BaseModel):
    promotions: list[PromotionOut]


class ObjectionIn(Body):
    claim_id: int = Id
    reason: Literal["wrong_owner", "duplicate", "refund", "other"]
    details: str | None = Field(default=None, max_length=2000)


class ObjectionOut(BaseModel):
    id: int
    claim_id: int
    raised_by: int
    reason: str
    details: str | None
    status: str
    resolution: str | None
    resolved_at: str | None
    created_at: str


class ObjectionEnvelope(BaseModel):
    objection: ObjectionOut


class ObjectionsOut(BaseModel):
    objections: list[ObjectionOut]


# ---- game (shapes from backend.game.read; extra fields allowed) --------------------------


class LeaderboardEntry(Out):
    seller_id: int
    name: str
    value: Any
    normalized: float | None = None
    rank: int


class LeaderboardOut(Out):
    board: str
    period: str
    entries: list[LeaderboardEntry]


class GoalsOut(BaseModel):
    goals: list[dict[str, Any]]


class MetricsOut(Out):
    period: str


class PointsOut(Out):
    points: int
    level: int


class PointsHistoryOut(BaseModel):
    entries: list[dict[str, Any]]


class BadgesOut(BaseModel):
    badges: list[dict[str, Any]]


class ChallengesOut(BaseModel):
    challenges: list[dict[str, Any]]


class SpinsOut(BaseModel):
    spins: list[dict[str, Any]]


class SpinDrawOut(Out):
    prize: Any
    draw: Any


class TeamOverviewOut(Out):
    period: str
    sellers: list[dict[str, Any]]


class StatusOut(BaseModel):
    status: str
    redis: Literal["up", "down"] | None = None  # /readyz, when Redis is configured


# ---- social (chat, reactions, presence) ------------------------------------------------


class ReactionOut(Out):
    emoji: str
    count: int
    seller_ids: list[int]


class ChatOut(Out):
    id: int
    message_id: int
    seller_id: int
    seller_name: str
    text: str
    flags: list[str]
    created_at: str
    reactions: list[ReactionOut]


class ChatsOut(Out):
    messages: list[ChatOut]
    muted_until: str | None = Field(description="when the caller's mute ends; null: not muted")


class ChatWarning(Out):
    reason: str
    message: str


class ChatPostedOut(Out):
    message: ChatOut
    warnings: list[ChatWarning] = Field(description="what moderation changed before posting")


class ReactionAddedOut(Out):
    added: bool = Field(description="false: the caller's reaction was there already")
    reactions: list[ReactionOut]


class ReactionRemovedOut(Out):
    removed: bool = Field(description="false: there was no such reaction to take off")
    reactions: list[ReactionOut]


class PresencePerson(Out):
    seller_id: int
    name: str
    role: str
    color: str
    status: Literal["online", "away", "offline"]
    typing: bool


class PresenceOut(Out):
    people: list[PresencePerson]


# ---- the error envelope ----------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str = Field(description="where, e.g. body.queue_id or query.limit")
    problem: str


class ErrorDetail(Out):
    """``code`` is stable and machine-readable, ``message`` a sentence for people; some codes
    carry more (``fields`` for ``invalid_request``, ``claimed_by`` for ``already_claimed``,
    ``muted_until`` for ``muted``...)."""

    code: str
    message: str
    fields: list[FieldProblem] | None = None


class ErrorEnvelope(BaseModel):
    """What every 4xx and 5xx answer carries (CONTRACT §4)."""

    error: ErrorDetail
