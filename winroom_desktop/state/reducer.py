"""``apply(state, envelope) -> state``: one pure reducer per CONTRACT §5 event type.

Reducers are idempotent and order-tolerant where the wire allows it: a ``queue.new`` for a
known item replaces it, a ``claimed`` for an unknown item only records the claim, goal
progress carries absolute values, achievements are keyed by id. Events that only hint
(``leaderboard:refresh``) or only celebrate (``streak``, ``jackpot``, ``spin.result``) leave
the state as it is; their effects come from ``state.effects``.

A ``claimed`` also counts the win on the wins boards at once (the claimer +1, re-ranked),
so the board agrees with the streak overlay that follows; the refetch that
``leaderboard:refresh`` asks for then replaces the boards with the server's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from backend.schemas.events import PAYLOADS, Envelope
from winroom_desktop.state.models import (
    ACHIEVEMENTS_CAP,
    CLAIMS_CAP,
    QUEUE_CAP,
    Achievement,
    Board,
    BoardEntry,
    ClaimInfo,
    Goal,
    QueueItem,
    Reaction,
    RoomState,
)

log = logging.getLogger(__name__)

Reducer = Callable[[RoomState, dict[str, Any]], RoomState]


class InvalidEvent(ValueError):
    """An envelope or payload that does not match the shared schemas."""


def validate_envelope(raw: Any) -> dict[str, Any]:
    """Check an envelope (and its payload) against ``backend.schemas.events``.

    Returns the envelope as a plain dict; raises ``InvalidEvent`` on a mismatch. Unknown
    event types are accepted with their payload untouched (a newer server must not break an
    older TV), they simply have no reducer.
    """
    try:
        env = Envelope.model_validate(raw)
    except Exception as exc:  # pydantic.ValidationError and type errors alike
        raise InvalidEvent(str(exc).splitlines()[0]) from exc
    data = env.model_dump()
    model = PAYLOADS.get(env.type)
    if model is not None:
        try:
            data["payload"] = model.model_validate(env.payload).model_dump(mode="json")
        except Exception as exc:
            raise InvalidEvent(f"{env.type}: {str(exc).splitlines()[0]}") from exc
    return data


def sort_queue(items: list[QueueItem]) -> tuple[QueueItem, ...]:
    """Newest first (by id), capped."""
    items.sort(key=lambda i: i.id, reverse=True)
    return tuple(items[:QUEUE_CAP])


def sort_claims(claims: list[ClaimInfo]) -> tuple[ClaimInfo, ...]:
    claims.sort(key=lambda c: c.id, reverse=True)
    return tuple(claims[:CLAIMS_CAP])


def sort_achievements(items: list[Achievement]) -> tuple[Achievement, ...]:
    items.sort(key=lambda a: a.id, reverse=True)
    return tuple(items[:ACHIEVEMENTS_CAP])


def _queue_new(state: RoomState, env: dict[str, Any]) -> RoomState:
    item = QueueItem.from_api(env["payload"]["item"])
    if item.status != "pending":
        return _remove_queue_item(state, item.id)
    items = [i for i in state.queue if i.id != item.id]
    items.append(item)
    open_ids = state.open_ids if item.id in state.open_ids else state.open_ids | {item.id}
    return replace(state, queue=sort_queue(items), open_ids=open_ids)


def _remove_queue_item(state: RoomState, queue_id: int) -> RoomState:
    known = state.queue_item(queue_id) is not None
    if not known and queue_id not in state.open_ids:
        return state
    return replace(
        state,
        queue=tuple(i for i in state.queue if i.id != queue_id) if known else state.queue,
        open_ids=state.open_ids - {queue_id},
    )


def _claimed(state: RoomState, env: dict[str, Any]) -> RoomState:
    p = env["payload"]
    state = _remove_queue_item(state, int(p["queue_id"]))
    claim = ClaimInfo.from_api(
        {
            "id": p["claim_id"],
            "queue_id": p["queue_id"],
            "seller_id": p["seller_id"],
            "seller_name": p["seller_name"],
            "claim_type": p["claim_type"],
            "revenue_usd": p.get("revenue_usd"),
            "claimed_at": p.get("claimed_at") or env.get("created_at"),
        }
    )
    known = any(c.id == claim.id for c in state.claims)
    claims = [c for c in state.claims if c.id != claim.id]
    claims.append(claim)
    state = replace(state, claims=sort_claims(claims))
    if known or claim.seller_id is None:
        return state
    boards = {
        key: credit_win(b, claim.seller_id, claim.seller_name) if b.board == "wins" else b
        for key, b in state.boards.items()
    }
    return replace(state, boards=boards)


def credit_win(board: Board, seller_id: int, seller_name: str | None) -> Board:
    """``board`` with one more win for ``seller_id``, ranked as the server ranks (value
    high first, then name, then id; ties share a rank: 1, 2, 2, 4)."""
    rows: list[tuple[int, str, int]] = []
    found = False
    for e in board.entries:
        try:
            value = int(e.value or 0)
        except (TypeError, ValueError):
            return board  # not a wins count this client understands: wait for the refetch
        if e.seller_id == seller_id:
            found = True
            value += 1
        rows.append((e.seller_id, e.name, value))
    if not found:
        rows.append((seller_id, seller_name or "", 1))
    rows.sort(key=lambda r: (-r[2], r[1].casefold(), r[0]))
    top = rows[0][2] if rows else 0
    entries: list[BoardEntry] = []
    rank, prev = 0, None
    for i, (sid, name, value) in enumerate(rows, start=1):
        if value != prev:
            rank, prev = i, value
        norm = round(min(1.0, value / top), 4) if top > 0 and value > 0 else 0.0
        entries.append(BoardEntry(sid, name, value, norm, rank))
    return replace(board, entries=tuple(entries))


def _goal_progress(state: RoomState, env: dict[str, Any]) -> RoomState:
    p = env["payload"]
    scope = p["scope"]
    goals = state.team_goals if scope == "team" else state.personal_goals
    old = next((g for g in goals if g.id == p["goal_id"]), None)
    new = Goal(
        id=int(p["goal_id"]),
        scope=scope,
        title=p.get("title") if p.get("title") is not None else (old.title if old else None),
        period=p.get("period") if p.get("period") is not None else (old.period if old else None),
        target_type=p.get("target_type")
        if p.get("target_type") is not None
        else (old.target_type if old else None),
        target=str(p["target"]),
        value=str(p["value"]),
        percent=float(p["percent"]),
        completed=bool(p.get("completed")),
    )
    updated = [g for g in goals if g.id != new.id]
    updated.append(new)
    updated.sort(key=lambda g: g.id)
    if scope == "team":
        return replace(state, team_goals=tuple(updated))
    return replace(state, personal_goals=tuple(updated))


def _achievement(state: RoomState, env: dict[str, Any]) -> RoomState:
    p = dict(env["payload"])
    if p.get("created_at") is None:
        p["created_at"] = env.get("created_at")
    existing = next((a for a in state.achievements if a.id == p["achievement_id"]), None)
    ach = Achievement.from_api(p)
    if existing is not None:
        ach = replace(ach, reactions=existing.reactions, created_at=existing.created_at)
    elif len(state.achievements) >= ACHIEVEMENTS_CAP and ach.id < state.achievements[-1].id:
        return state  # older than everything kept: not shown
    items = [a for a in state.achievements if a.id != ach.id]
    items.append(ach)
    return replace(state, achievements=sort_achievements(items))


def _emoji(state: RoomState, env: dict[str, Any]) -> RoomState:
    p = env["payload"]
    if p["target_type"] != "achievement":
        return state
    target = next((a for a in state.achievements if a.id == p["target_id"]), None)
    if target is None:
        return state
    adding = env["type"] == "emoji.added"
    seller = int(p["seller_id"])
    reactions: list[Reaction] = []
    found = False
    for r in target.reactions:
        if r.emoji != p["emoji"]:
            reactions.append(r)
            continue
        found = True
        ids = set(r.seller_ids)
        if adding:
            ids.add(seller)
        else:
            ids.discard(seller)
        if ids:
            reactions.append(Reaction(r.emoji, len(ids), tuple(sorted(ids))))
    if adding and not found:
        reactions.append(Reaction(p["emoji"], 1, (seller,)))
    new = replace(target, reactions=tuple(reactions))
    return replace(
        state, achievements=tuple(new if a.id == target.id else a for a in state.achievements)
    )


def _refunded(state: RoomState, ids: Any) -> RoomState:
    """A refund's achievements stay on the strip, marked refunded."""
    marked = {int(i) for i in ids or ()}
    if not marked or not any(a.id in marked for a in state.achievements):
        return state
    return replace(
        state,
        achievements=tuple(
            replace(a, refunded=True) if a.id in marked else a for a in state.achievements
        ),
    )


def _changed(state: RoomState, env: dict[str, Any]) -> RoomState:
    """The admin batch's events: items leave or change on the queue; a refund marks the
    achievements its claim set off."""
    p = env["payload"]
    if env["type"] == "refund.applied":
        state = _refunded(state, p.get("achievement_ids"))
    item = p.get("item")
    if isinstance(item, dict) and "id" in item:
        if item.get("status", "pending") == "pending":
            return _queue_new(state, {"payload": {"item": item}})
        return _remove_queue_item(state, int(item["id"]))
    queue_id = p.get("queue_id")
    if queue_id is None:
        return state
    if env["type"] in ("queue.excluded", "refund.applied"):
        return _remove_queue_item(state, int(queue_id))
    if env["type"] == "finance.status_changed" and p.get("finance_status"):
        current = state.queue_item(int(queue_id))
        if current is not None:
            new = replace(current, finance_status=str(p["finance_status"]))
            return replace(state, queue=tuple(new if i is current else i for i in state.queue))
    return state


REDUCERS: dict[str, Reducer] = {
    "queue.new": _queue_new,
    "claimed": _claimed,
    "goal.progress": _goal_progress,
    "achievement.created": _achievement,
    "achievement:earned": _achievement,
    "achievement:celebration": _achievement,
    "emoji.added": _emoji,
    "emoji.removed": _emoji,
    "queue.excluded": _changed,
    "queue.updated": _changed,
    "refund.applied": _changed,
    "claim.adjusted": _changed,
    "finance.status_changed": _changed,
}


def apply(state: RoomState, envelope: dict[str, Any]) -> RoomState:
    """The state after one (validated) envelope. Unknown types leave the state as it is."""
    reducer = REDUCERS.get(envelope["type"])
    new = reducer(state, envelope) if reducer is not None else state
    event_id = envelope.get("id")
    if isinstance(event_id, int) and (new.last_event_id or 0) < event_id:
        new = replace(new, last_event_id=event_id)
    return new


def apply_all(state: RoomState, envelopes: list[dict[str, Any]]) -> RoomState:
    for env in envelopes:
        state = apply(state, env)
    return state
