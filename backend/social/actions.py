"""Chat, emoji and presence actions: each writes its rows and appends its events together.

The caller owns the transaction (``db.transaction()``); events leave the process after
commit. Errors are :class:`backend.actions.errors.ActionError` (the API maps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import emoji as emoji_data
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.actions.errors import ActionError
from backend.db.types import utcnow
from backend.eventlog import append_event
from backend.models import Achievement, Chat, ChatWarning, QueueItem, Reaction, Seller
from backend.social.moderation import (
    SPAM_WINDOW,
    WARNING_WINDOW,
    PastWarning,
    Reason,
    Verdict,
    WordList,
    moderate,
    validate_text,
)
from backend.social.presence import Change, PresenceChange, TypingChange

CHAT_HISTORY = 50
MAX_EMOJI_CHARS = 16
MAX_TARGET_ID = 2**62  # ids are BIGINT; the API bounds them the same (backend.api.schemas)
# ``reactions.target_id`` is a 32-bit INTEGER (on PostgreSQL): a target with a bigger id
# can have no reaction stored (the column would overflow), on either database
MAX_REACTION_TARGET_ID = 2**31 - 1
TARGET_TYPES = ("queue", "achievement", "chat")


# --------------------------------------------------------------------------- chat


def _reactions_for(session: Session, target_type: str, ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, dict[str, dict[str, Any]]] = {}
    ids = [i for i in ids if _storable(i)]  # a bigger id has none (and would overflow)
    if not ids:
        return {}
    rows = session.execute(
        select(Reaction.target_id, Reaction.emoji, Reaction.seller_id)
        .where(Reaction.target_type == target_type, Reaction.target_id.in_(ids))
        .order_by(Reaction.id)
    )
    for target_id, emoji, seller_id in rows:
        entry = out.setdefault(target_id, {}).setdefault(
            emoji, {"emoji": emoji, "count": 0, "seller_ids": []}
        )
        entry["count"] += 1
        entry["seller_ids"].append(seller_id)
    return {k: list(v.values()) for k, v in out.items()}


def chat_out(chat: Chat, seller_name: str, reactions: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": chat.id,
        "message_id": chat.id,
        "seller_id": chat.seller_id,
        "seller_name": seller_name,
        "text": chat.text,
        "flags": list(chat.flags or []),
        "created_at": chat.created_at.isoformat(),
        "reactions": reactions or [],
    }


def recent_chats(session: Session, limit: int = CHAT_HISTORY) -> list[dict[str, Any]]:
    """The last ``limit`` messages, oldest first, with names and reactions."""
    rows = list(
        session.execute(
            select(Chat, Seller.name)
            .join(Seller, Seller.id == Chat.seller_id)
            .order_by(Chat.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    reactions = _reactions_for(session, "chat", [c.id for c, _ in rows])
    return [chat_out(c, name, reactions.get(c.id)) for c, name in rows]


@dataclass(frozen=True)
class ChatOutcome:
    verdict: Verdict
    message: dict[str, Any] | None  # the posted message, when it was posted


def post_chat(
    session: Session,
    *,
    seller_id: int,
    text: str,
    words: WordList,
    now: datetime | None = None,
) -> ChatOutcome:
    """Moderate and (maybe) post one message; a warning is recorded whatever the outcome.

    Raises ``ActionError(422, ...)`` for an empty or too long message (no warning then).
    """
    now = now or utcnow()
    problem = validate_text(text)
    if problem == "empty_message":
        raise ActionError(422, problem, "Write something first.")
    if problem == "message_too_long":
        raise ActionError(422, problem, "A message can be at most 500 characters long.")
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise ActionError(404, "not_found", "There is no such seller.")
    # Serialize one sender's messages (spam counting) on PostgreSQL; SQLite writers are
    # serialized already.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Seller.id).where(Seller.id == seller_id).with_for_update())
    recent = list(
        session.scalars(
            select(Chat.created_at).where(
                Chat.seller_id == seller_id, Chat.created_at > now - SPAM_WINDOW
            )
        )
    )
    past = [
        PastWarning(w.created_at, w.muted_until, cast("Reason", w.reason))
        for w in session.scalars(
            select(ChatWarning).where(
                ChatWarning.seller_id == seller_id,
                ChatWarning.created_at > now - WARNING_WINDOW,
            )
        )
    ]
    verdict = moderate(text.strip(), now=now, words=words, recent_sent=recent, warnings=past)
    if verdict.warning is not None:
        session.add(
            ChatWarning(
                seller_id=seller_id,
                reason=verdict.warning,
                muted_until=verdict.muted_until if verdict.action == "mute" else None,
                created_at=now,
            )
        )
    if verdict.action != "post":
        session.flush()
        return ChatOutcome(verdict, None)
    chat = Chat(seller_id=seller_id, text=verdict.text, flags=list(verdict.reasons), created_at=now)
    session.add(chat)
    session.flush()
    append_event(
        session,
        "chat.message",
        {
            "message_id": chat.id,
            "seller_id": seller_id,
            "seller_name": seller.name,
            "text": chat.text,
            "created_at": chat.created_at.isoformat(),
        },
        actor=seller_id,
    )
    return ChatOutcome(verdict, chat_out(chat, seller.name))


# --------------------------------------------------------------------------- emoji


def check_emoji(emoji: str) -> str:
    """One emoji as Unicode lists them (with skin tone, keycap, a flag or a ZWJ sequence such
    as 👩‍💻), not text and not two emoji side by side: ``ActionError`` otherwise."""
    emoji = emoji.strip()
    ok = 0 < len(emoji) <= MAX_EMOJI_CHARS and emoji_data.is_emoji(emoji)
    if not ok:
        raise ActionError(422, "invalid_emoji", "That is not a single emoji.")
    return emoji


def _in_range(target_id: int) -> bool:
    """Whether ``target_id`` can be an id at all (a bigger one overflows the database's
    integer and must not reach a query)."""
    return 1 <= target_id <= MAX_TARGET_ID


def _storable(target_id: int) -> bool:
    """Whether a reaction on ``target_id`` fits ``reactions.target_id``."""
    return 1 <= target_id <= MAX_REACTION_TARGET_ID


def _check_target(session: Session, target_type: str, target_id: int) -> None:
    model: Any = {"queue": QueueItem, "achievement": Achievement, "chat": Chat}.get(target_type)
    if model is None:
        raise ActionError(422, "invalid_target", "Reactions go on queue, achievement or chat.")
    if not _in_range(target_id) or session.get(model, target_id) is None:
        raise ActionError(404, "not_found", f"There is no such {target_type} item.")


def _emoji_payload(target_type: str, target_id: int, emoji: str, seller_id: int) -> dict[str, Any]:
    return {
        "target_type": target_type,
        "target_id": target_id,
        "emoji": emoji,
        "seller_id": seller_id,
    }


def reaction_summary(session: Session, target_type: str, target_id: int) -> list[Any]:
    return _reactions_for(session, target_type, [target_id]).get(target_id, [])


def add_reaction(
    session: Session, *, seller_id: int, target_type: str, target_id: int, emoji: str
) -> bool:
    """Put ``emoji`` on the target; False (and no event) when it was there already."""
    emoji = check_emoji(emoji)
    _check_target(session, target_type, target_id)
    if not _storable(target_id):
        raise ActionError(
            422, "invalid_target", f"Reactions cannot be put on {target_type} {target_id}."
        )
    key = (
        Reaction.target_type == target_type,
        Reaction.target_id == target_id,
        Reaction.emoji == emoji,
        Reaction.seller_id == seller_id,
    )
    if session.scalar(select(func.count()).select_from(Reaction).where(*key)):
        return False
    try:
        with session.begin_nested():
            session.add(
                Reaction(
                    target_type=target_type, target_id=target_id, emoji=emoji, seller_id=seller_id
                )
            )
    except IntegrityError:  # the same reaction from a concurrent request
        return False
    append_event(
        session,
        "emoji.added",
        _emoji_payload(target_type, target_id, emoji, seller_id),
        actor=seller_id,
    )
    return True


def remove_reaction(
    session: Session, *, seller_id: int, target_type: str, target_id: int, emoji: str
) -> bool:
    """Take one's own ``emoji`` off the target; False (and no event) when it was not there."""
    emoji = check_emoji(emoji)
    if target_type not in TARGET_TYPES:
        raise ActionError(422, "invalid_target", "Reactions go on queue, achievement or chat.")
    if not _storable(target_id):
        return False  # no reaction can be stored on it, so none is there
    result = session.execute(
        delete(Reaction).where(
            Reaction.target_type == target_type,
            Reaction.target_id == target_id,
            Reaction.emoji == emoji,
            Reaction.seller_id == seller_id,
        )
    )
    if not getattr(result, "rowcount", 0):
        return False
    append_event(
        session,
        "emoji.removed",
        _emoji_payload(target_type, target_id, emoji, seller_id),
        actor=seller_id,
    )
    return True


# --------------------------------------------------------------------------- presence


def record_presence(session: Session, changes: list[Change]) -> int:
    """Append ``presence.changed`` / ``typing`` events for the book's changes."""
    n = 0
    for ch in changes:
        if isinstance(ch, PresenceChange):
            append_event(
                session,
                "presence.changed",
                {"seller_id": ch.seller_id, "status": ch.status, "seller_name": ch.name},
                actor=ch.seller_id,
            )
        elif isinstance(ch, TypingChange):
            append_event(
                session,
                "typing",
                {"seller_id": ch.seller_id, "typing": ch.typing, "seller_name": ch.name},
                actor=ch.seller_id,
            )
        n += 1
    return n


def presence_list(
    session: Session, statuses: dict[int, str], typing: list[int] | None = None
) -> list[dict[str, Any]]:
    """Every active staff member with their status (``offline`` when not connected)."""
    typing_set = set(typing or ())
    people = session.execute(
        select(Seller.id, Seller.name, Seller.role, Seller.color)
        .where(Seller.is_active.is_(True))
        .order_by(Seller.name)
    )
    order = {"online": 0, "away": 1, "offline": 2}
    out = [
        {
            "seller_id": sid,
            "name": name,
            "role": role,
            "color": color,
            "status": statuses.get(sid, "offline"),
            "typing": sid in typing_set,
        }
        for sid, name, role, color in people
    ]
    out.sort(key=lambda p: (order.get(str(p["status"]), 3), str(p["name"]).lower()))
    return out


def muted_state(session: Session, seller_id: int, now: datetime | None = None) -> datetime | None:
    """When the seller's current mute ends, if muted."""
    now = now or utcnow()
    return session.scalar(
        select(func.max(ChatWarning.muted_until)).where(
            ChatWarning.seller_id == seller_id, ChatWarning.muted_until > now
        )
    )
