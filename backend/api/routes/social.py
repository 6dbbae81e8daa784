"""Chat, emoji reactions and presence (CONTRACT §4).

Who may call what is in ``backend/api/authz.py`` (staff: sales, sales_lead, finance, admin;
never TVs). Moderation rules: ``backend/social/moderation.py``; the actions that write rows
and events: ``backend/social/actions.py``; presence over the socket:
``backend/social/realtime.py``.

``POST /api/chats`` answers 201 ``{"message", "warnings"}`` when the message was posted
(``warnings`` lists what moderation changed: masked words, removed links), 422 ``moderated``
with ``reason``/``reasons`` when it was not sent (spam, shouting, only a link), 429 ``muted``
with ``reason`` and ``muted_until`` when the sender is (or just became) muted, and 422
``empty_message`` / ``message_too_long`` (over 500 characters) before any moderation.

Request bodies are strict like every other (``backend.api.schemas.Body``): an unknown field
is a 422 ``invalid_request``, and ``target_id`` is bounded like every id (1 … 2**62).
``DELETE /api/emojis`` takes its three fields as a JSON body or, for clients that cannot
send a body with DELETE, as query parameters (the body wins when both are given).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Body as BodyParam
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from backend.actions.errors import ActionError
from backend.api.deps import CtxDep, DbDep, PrincipalDep, SellerDep, SettingsDep
from backend.api.errors import ApiError
from backend.api.schemas import (
    MAX_ID,
    Body,
    ChatPostedOut,
    ChatsOut,
    PresenceOut,
    ReactionAddedOut,
    ReactionRemovedOut,
)
from backend.game import numbers as game_numbers
from backend.social import actions
from backend.social.moderation import MAX_LENGTH, REASON_MESSAGES
from backend.social.realtime import live_for
from backend.social.wordlists import word_list

router = APIRouter(prefix="/api", tags=["social"])


TargetType = Literal["queue", "achievement", "chat"]


class ChatIn(Body):
    # documented bounds; the action checks them with its own codes (empty_message ...)
    message: str = Field(
        json_schema_extra={"minLength": 1, "maxLength": MAX_LENGTH, "pattern": r"\S"}
    )


class EmojiIn(Body):
    target_type: TargetType
    target_id: int = Field(ge=1, le=MAX_ID)
    emoji: str = Field(
        json_schema_extra={"minLength": 1, "maxLength": actions.MAX_EMOJI_CHARS},
        description="one emoji (invalid_emoji otherwise)",
    )


def _api(exc: ActionError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, **exc.extra)


@router.get("/chats", response_model=ChatsOut)
def list_chats(principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    with db.read() as s:
        messages = actions.recent_chats(s)
        muted_until = actions.muted_state(s, principal.seller_id) if principal.seller_id else None
    return {
        "messages": messages,
        "muted_until": muted_until.isoformat() if muted_until else None,
    }


@router.post(
    "/chats",
    status_code=201,
    response_model=ChatPostedOut,
    responses={
        422: {"description": "moderated (reason, reasons), empty_message or message_too_long"},
        429: {"description": "muted (reason, muted_until, muted_for)"},
    },
)
def post_chat(
    body: ChatIn, principal: SellerDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    assert principal.seller_id is not None
    try:
        with db.transaction() as s:
            extra = game_numbers.current(s).moderation_words  # cached: no query as a rule
            words = word_list(settings.data_dir, extra)
            outcome = actions.post_chat(
                s, seller_id=principal.seller_id, text=body.message, words=words
            )
    except ActionError as exc:
        raise _api(exc) from None
    v = outcome.verdict
    reasons = list(v.reasons)
    if v.action in ("mute", "muted"):
        assert v.muted_until is not None
        wait = max(1, math.ceil((v.muted_until - datetime.now(UTC)).total_seconds()))
        raise ApiError(
            429,
            "muted",
            v.message,
            headers={"Retry-After": str(wait)},
            reason=v.reason,
            reasons=reasons,
            muted_until=v.muted_until.isoformat(),
            # what the mute is for: this message's warning, or the one that muted earlier
            muted_for=v.warning if v.action == "mute" else v.muted_for,
        )
    if v.action == "reject":
        raise ApiError(422, "moderated", v.message, reason=v.reason, reasons=reasons)
    return {
        "message": outcome.message,
        "warnings": [{"reason": r, "message": REASON_MESSAGES[r]} for r in reasons],
    }


def _react(body: EmojiIn, principal: SellerDep, db: DbDep, *, add: bool) -> dict[str, Any]:
    """Add or remove one's own reaction; answers with the target's reactions after it."""
    assert principal.seller_id is not None
    change = actions.add_reaction if add else actions.remove_reaction
    try:
        with db.transaction() as s:
            changed = change(
                s,
                seller_id=principal.seller_id,
                target_type=body.target_type,
                target_id=body.target_id,
                emoji=body.emoji,
            )
            reactions = actions.reaction_summary(s, body.target_type, body.target_id)
    except ActionError as exc:
        raise _api(exc) from None
    return {"added" if add else "removed": changed, "reactions": reactions}


@router.post(
    "/emojis",
    status_code=201,
    response_model=ReactionAddedOut,
    responses={404: {"description": "no such queue, achievement or chat item"}},
)
def add_emoji(body: EmojiIn, principal: SellerDep, db: DbDep) -> dict[str, Any]:
    return _react(body, principal, db, add=True)


def _from_query(target_type: str | None, target_id: int | None, emoji: str | None) -> EmojiIn:
    """The reaction named by the query string, validated like a body (same errors)."""
    given = {"target_type": target_type, "target_id": target_id, "emoji": emoji}
    try:
        return EmojiIn.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


@router.delete(
    "/emojis",
    response_model=ReactionRemovedOut,
    responses={404: {"description": "no such queue, achievement or chat item"}},
)
def remove_emoji(
    principal: SellerDep,
    db: DbDep,
    body: Annotated[EmojiIn | None, BodyParam()] = None,
    target_type: Annotated[TargetType | None, Query()] = None,
    target_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    emoji: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """Idempotent: taking off a reaction that is not there answers ``removed: false``.

    The reaction is the JSON body, or (without a body) the query parameters ``target_type``,
    ``target_id`` and ``emoji``."""
    if body is None:
        body = _from_query(target_type, target_id, emoji)
    return _react(body, principal, db, add=False)


@router.get("/presence", response_model=PresenceOut)
def presence(principal: PrincipalDep, db: DbDep, ctx: CtxDep) -> dict[str, Any]:
    statuses, typing = live_for(ctx).statuses()
    with db.read() as s:
        people = actions.presence_list(s, dict(statuses), typing)
    return {"people": people}
