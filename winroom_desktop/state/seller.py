"""What only the seller window holds, beside the shared ``RoomState`` (plain Python, no Qt).

- claim attempts: ``claiming`` at once on the end of the hold, then ``claimed``, ``lost``
  (with the winner's name) or ``failed`` (with a sentence), kept a few seconds on screen;
- the team chat (last 50 lines), reactions on chat lines and queue cards, presence, typing
  (each entry clears itself 5 s after its last signal), the moderation notice for the sender;
- my numbers: metrics per period, points/level, badges, objections.

Every change is a pure function returning a new :class:`SellerState`; live events go
through :func:`apply_seller` (idempotent like the room reducers: a replayed event changes
nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from winroom_desktop.state.format import parse_time
from winroom_desktop.state.models import QueueItem, Reaction, RoomState
from winroom_desktop.state.spin import Spin

CHAT_CAP = 50
TYPING_SECONDS = 5.0
RESOLVED_VISIBLE_SECONDS = 3.0
CLAIM_TYPES = ("first_sales", "remarketing", "upgrade", "installment")
CLAIM_TYPE_LABELS = {
    "first_sales": "First sale",
    "remarketing": "Remarketing",
    "upgrade": "Upgrade",
    "installment": "Installment",
}
OBJECTION_REASONS = {
    "wrong_owner": "Wrong owner",
    "duplicate": "Duplicate",
    "refund": "Refund",
    "other": "Other",
}
PERIOD_LABELS = {"today": "Today", "15d": "15 days", "month": "Month"}
REACTION_CHOICES = ("👍", "🔥", "🎉", "👏")

Phase = Literal["claiming", "retrying", "claimed", "lost", "failed"]


@dataclass(frozen=True)
class Me:
    id: int
    name: str
    email: str = ""
    role: str = "sales"

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Me:
        return cls(
            id=int(d["id"]),
            name=str(d.get("name") or ""),
            email=str(d.get("email") or ""),
            role=str(d.get("role") or "sales"),
        )

    @property
    def can_claim(self) -> bool:
        return self.role in ("sales", "sales_lead", "admin")


@dataclass(frozen=True)
class ClaimAttempt:
    queue_id: int
    item: QueueItem | None
    claim_type: str
    key: str  # the Idempotency-Key: a retry of the same attempt is safe
    phase: Phase = "claiming"
    started_at: float = 0.0  # monotonic seconds
    resolved_at: float | None = None
    winner_name: str | None = None
    message: str | None = None

    @property
    def busy(self) -> bool:
        return self.phase in ("claiming", "retrying")

    @property
    def label(self) -> str:
        if self.phase == "claiming":
            return "Claiming…"
        if self.phase == "retrying":
            return "Claiming… (waiting for the server)"
        if self.phase == "claimed":
            return "Claimed — it's yours!"
        if self.phase == "lost":
            return f"{self.winner_name or 'Someone'} claimed it first"
        return self.message or "Not claimed"


@dataclass(frozen=True)
class ChatLine:
    id: int
    seller_id: int
    seller_name: str
    text: str
    created_at: str | None = None
    flags: tuple[str, ...] = ()
    reactions: tuple[Reaction, ...] = ()

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> ChatLine:
        return cls(
            id=int(d.get("id", d.get("message_id"))),  # type: ignore[arg-type]
            seller_id=int(d["seller_id"]),
            seller_name=str(d.get("seller_name") or ""),
            text=str(d.get("text") or ""),
            created_at=d.get("created_at"),
            flags=tuple(str(f) for f in d.get("flags") or ()),
            reactions=tuple(Reaction.from_api(r) for r in d.get("reactions") or ()),
        )


@dataclass(frozen=True)
class Person:
    seller_id: int
    name: str
    status: str = "offline"
    color: str | None = None


@dataclass(frozen=True)
class ChatNotice:
    """Moderation (or delivery) feedback shown to the sender under the input."""

    kind: Literal["warning", "rejected", "muted", "error"]
    text: str
    reason: str | None = None
    muted_until: str | None = None


@dataclass(frozen=True)
class Objection:
    id: int
    claim_id: int
    reason: str
    details: str = ""
    status: str = "pending"
    resolution: str | None = None
    created_at: str | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Objection:
        return cls(
            id=int(d["id"]),
            claim_id=int(d.get("claim_id") or 0),
            reason=str(d.get("reason") or "other"),
            details=str(d.get("details") or ""),
            status=str(d.get("status") or "pending"),
            resolution=d.get("resolution"),
            created_at=d.get("created_at"),
        )


@dataclass(frozen=True)
class SellerState:
    me: Me | None = None
    attempts: dict[int, ClaimAttempt] = field(default_factory=dict)
    chat: tuple[ChatLine, ...] = ()
    people: dict[int, Person] = field(default_factory=dict)
    typing: dict[int, float] = field(default_factory=dict)  # seller_id → expires (epoch s)
    chat_notice: ChatNotice | None = None
    muted_until: str | None = None
    queue_reactions: dict[int, tuple[Reaction, ...]] = field(default_factory=dict)
    period: str = "today"
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    points: dict[str, Any] = field(default_factory=dict)
    badges: tuple[dict[str, Any], ...] = ()
    objections: tuple[Objection, ...] = ()
    my_sales: tuple[dict[str, Any], ...] = ()
    spins: tuple[Spin, ...] = ()
    unread_chat: int = 0


# --------------------------------------------------------------------------- claims


def start_claim(
    state: SellerState, item: QueueItem, claim_type: str, key: str, now: float
) -> SellerState:
    """The hold ended: the card shows "claiming" at once."""
    current = state.attempts.get(item.id)
    if current is not None and current.busy:
        return state  # one attempt at a time per card
    attempts = dict(state.attempts)
    attempts[item.id] = ClaimAttempt(item.id, item, claim_type, key, "claiming", now)
    return replace(state, attempts=attempts)


def _resolve(state: SellerState, queue_id: int, now: float, **changes: Any) -> SellerState:
    current = state.attempts.get(queue_id)
    if current is None or not current.busy:
        return state  # already resolved (an event and the HTTP answer both arrive)
    attempts = dict(state.attempts)
    attempts[queue_id] = replace(current, resolved_at=now, **changes)
    return replace(state, attempts=attempts)


def claim_retrying(state: SellerState, queue_id: int) -> SellerState:
    current = state.attempts.get(queue_id)
    if current is None or not current.busy:
        return state
    attempts = dict(state.attempts)
    attempts[queue_id] = replace(current, phase="retrying")
    return replace(state, attempts=attempts)


def claim_won(state: SellerState, queue_id: int, now: float) -> SellerState:
    return _resolve(state, queue_id, now, phase="claimed")


def claim_lost(state: SellerState, queue_id: int, winner: str | None, now: float) -> SellerState:
    return _resolve(state, queue_id, now, phase="lost", winner_name=winner or "Someone")


def claim_failed(state: SellerState, queue_id: int, message: str, now: float) -> SellerState:
    return _resolve(state, queue_id, now, phase="failed", message=message)


def expire_attempts(state: SellerState, now: float) -> SellerState:
    """Forget resolved attempts after they were visible for a few seconds."""
    keep = {
        qid: a
        for qid, a in state.attempts.items()
        if a.resolved_at is None or now - a.resolved_at < RESOLVED_VISIBLE_SECONDS
    }
    if len(keep) == len(state.attempts):
        return state
    return replace(state, attempts=keep)


def claim_error_message(status: int | None, code: str | None) -> str:
    """A kind sentence for a claim that did not go through (not a lost race)."""
    if status == 429:
        return "Too many claims this minute: wait a moment and try again"
    if code == "not_claimable" or status == 404:
        return "This sale can no longer be claimed"
    if status in (401, 403):
        return "Not claimed: please log in again"
    if status is None:
        return "Not claimed: the server could not be reached"
    return "Not claimed: the server said no — try again"


# --------------------------------------------------------------------------- queue view


@dataclass(frozen=True)
class CardView:
    item: QueueItem
    attempt: ClaimAttempt | None
    reactions: tuple[Reaction, ...]


def queue_cards(room: RoomState, seller: SellerState) -> list[CardView]:
    """Pending items plus the items of my attempts still on screen (newest first)."""
    cards = {
        i.id: CardView(i, seller.attempts.get(i.id), seller.queue_reactions.get(i.id, ()))
        for i in room.queue
    }
    for qid, attempt in seller.attempts.items():
        if qid not in cards and attempt.item is not None:
            cards[qid] = CardView(attempt.item, attempt, seller.queue_reactions.get(qid, ()))
    return sorted(cards.values(), key=lambda c: c.item.id, reverse=True)


# --------------------------------------------------------------------------- loading


def load_chat(state: SellerState, body: Any) -> SellerState:
    raw = body.get("messages", []) if isinstance(body, dict) else body or []
    lines = [ChatLine.from_api(m) for m in raw if isinstance(m, dict)]
    merged = {line.id: line for line in state.chat}
    merged.update({line.id: line for line in lines})
    chat = tuple(sorted(merged.values(), key=lambda c: c.id)[-CHAT_CAP:])
    muted = body.get("muted_until") if isinstance(body, dict) else None
    return replace(state, chat=chat, muted_until=muted)


def load_presence(state: SellerState, body: Any, now_epoch: float) -> SellerState:
    raw = body.get("people", []) if isinstance(body, dict) else body or []
    people = {
        int(p["seller_id"]): Person(
            int(p["seller_id"]),
            str(p.get("name") or ""),
            str(p.get("status") or "offline"),
            p.get("color"),
        )
        for p in raw
        if isinstance(p, dict) and "seller_id" in p
    }
    typing = {
        int(p["seller_id"]): now_epoch + TYPING_SECONDS
        for p in raw
        if isinstance(p, dict) and p.get("typing")
    }
    return replace(state, people=people, typing=typing)


def load_metrics(state: SellerState, period: str, body: Any) -> SellerState:
    metrics = dict(state.metrics)
    metrics[period] = body if isinstance(body, dict) else {}
    return replace(state, metrics=metrics)


def load_objections(state: SellerState, body: Any) -> SellerState:
    raw = body.get("objections", []) if isinstance(body, dict) else body or []
    items = tuple(Objection.from_api(o) for o in raw if isinstance(o, dict) and "id" in o)
    return replace(state, objections=items)


def load_my_sales(state: SellerState, body: Any) -> SellerState:
    raw = body.get("claims", []) if isinstance(body, dict) else body or []
    me = state.me.id if state.me else None
    mine = tuple(
        c
        for c in raw
        if isinstance(c, dict)
        and me is not None
        and int(c.get("seller_id") or (c.get("seller") or {}).get("id") or 0) == me
    )
    return replace(state, my_sales=mine[:20])


# --------------------------------------------------------------------------- live events


def _chat_message(state: SellerState, env: dict[str, Any], now_epoch: float) -> SellerState:
    p = env["payload"]
    line = ChatLine.from_api({**p, "id": p["message_id"], "created_at": p.get("created_at")})
    if any(c.id == line.id for c in state.chat):
        return state
    chat = tuple(sorted([*state.chat, line], key=lambda c: c.id)[-CHAT_CAP:])
    typing = {k: v for k, v in state.typing.items() if k != line.seller_id}
    mine = state.me is not None and line.seller_id == state.me.id
    return replace(
        state,
        chat=chat,
        typing=typing,
        unread_chat=state.unread_chat if mine else state.unread_chat + 1,
    )


def _presence(state: SellerState, env: dict[str, Any], now_epoch: float) -> SellerState:
    p = env["payload"]
    sid = int(p["seller_id"])
    old = state.people.get(sid)
    name = p.get("seller_name") or (old.name if old else "")
    person = Person(sid, name, p["status"], old.color if old else None)
    if old == person:
        return state
    people = dict(state.people)
    people[sid] = person
    typing = state.typing
    if p["status"] == "offline" and sid in typing:
        typing = {k: v for k, v in typing.items() if k != sid}
    return replace(state, people=people, typing=typing)


def _typing(state: SellerState, env: dict[str, Any], now_epoch: float) -> SellerState:
    p = env["payload"]
    sid = int(p["seller_id"])
    if state.me is not None and sid == state.me.id:
        return state  # nobody needs to see that they are typing
    typing = dict(state.typing)
    if p["typing"]:
        sent = parse_time(env.get("created_at"))
        start = sent.timestamp() if sent is not None else now_epoch
        expires = min(now_epoch, start) + TYPING_SECONDS
        if expires <= now_epoch:
            return state  # a replayed signal from long ago
        typing[sid] = expires
    else:
        typing.pop(sid, None)
    people = state.people
    if p.get("seller_name") and sid not in people:
        people = {**people, sid: Person(sid, str(p["seller_name"]), "online")}
    return replace(state, typing=typing, people=people)


def _toggle(reactions: tuple[Reaction, ...], emoji: str, seller: int, add: bool):  # type: ignore[no-untyped-def]
    out: list[Reaction] = []
    found = False
    for r in reactions:
        if r.emoji != emoji:
            out.append(r)
            continue
        found = True
        ids = set(r.seller_ids)
        if add:
            ids.add(seller)
        else:
            ids.discard(seller)
        if ids:
            out.append(Reaction(r.emoji, len(ids), tuple(sorted(ids))))
    if add and not found:
        out.append(Reaction(emoji, 1, (seller,)))
    return tuple(out)


def _emoji(state: SellerState, env: dict[str, Any], now_epoch: float) -> SellerState:
    p = env["payload"]
    add = env["type"] == "emoji.added"
    target = int(p["target_id"])
    if p["target_type"] == "chat":
        if not any(c.id == target for c in state.chat):
            return state
        chat = tuple(
            replace(c, reactions=_toggle(c.reactions, p["emoji"], int(p["seller_id"]), add))
            if c.id == target
            else c
            for c in state.chat
        )
        return replace(state, chat=chat)
    if p["target_type"] == "queue":
        reactions = dict(state.queue_reactions)
        new = _toggle(reactions.get(target, ()), p["emoji"], int(p["seller_id"]), add)
        if new:
            reactions[target] = new
        else:
            reactions.pop(target, None)
        return replace(state, queue_reactions=reactions)
    return state


def _claimed(state: SellerState, env: dict[str, Any], now_epoch: float) -> SellerState:
    """A claim event settles my attempt on that card (it may beat the HTTP answer)."""
    p = env["payload"]
    qid = int(p["queue_id"])
    attempt = state.attempts.get(qid)
    if attempt is None or not attempt.busy:
        return state
    mono = float(env.get("_mono", attempt.started_at))
    if state.me is not None and int(p["seller_id"]) == state.me.id:
        return claim_won(state, qid, mono)
    return claim_lost(state, qid, str(p.get("seller_name") or ""), mono)


def _points(state: SellerState, env: dict[str, Any], now_epoch: float) -> SellerState:
    p = env["payload"]
    points = dict(state.points)
    points["points"] = p["total"]
    points["level"] = p["level"]
    return replace(state, points=points)


def _objection_resolved(state: SellerState, env: dict[str, Any], now_epoch: float) -> SellerState:
    p = env["payload"]
    oid = p.get("id", p.get("objection_id"))
    if oid is None:
        return state
    items = tuple(
        replace(o, status=str(p.get("status") or o.status), resolution=p.get("resolution"))
        if o.id == int(oid)
        else o
        for o in state.objections
    )
    return replace(state, objections=items)


_REDUCERS = {
    "chat.message": _chat_message,
    "presence.changed": _presence,
    "typing": _typing,
    "emoji.added": _emoji,
    "emoji.removed": _emoji,
    "claimed": _claimed,
    "points.awarded": _points,
    "objection.resolved": _objection_resolved,
}


def apply_seller(
    state: SellerState, env: dict[str, Any], now_epoch: float, mono: float | None = None
) -> SellerState:
    """The seller state after one validated envelope.

    ``now_epoch``: wall-clock seconds (typing expiry); ``mono``: the monotonic clock that
    claim attempts use (when a resolved attempt leaves the screen).
    """
    fn = _REDUCERS.get(env["type"])
    if fn is None:
        return state
    if mono is not None:
        env = {**env, "_mono": mono}
    return fn(state, env, now_epoch)


# --------------------------------------------------------------------------- chat helpers


def expire_typing(state: SellerState, now_epoch: float) -> SellerState:
    keep = {k: v for k, v in state.typing.items() if v > now_epoch}
    return state if len(keep) == len(state.typing) else replace(state, typing=keep)


def typing_line(state: SellerState) -> str:
    """ "Ayşe is typing…" / "Ayşe and Can are typing…" / "3 people are typing…"."""
    names = sorted(
        (state.people[sid].name if sid in state.people else "Someone") for sid in state.typing
    )
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is typing…"
    if len(names) == 2:
        return f"{names[0]} and {names[1]} are typing…"
    return f"{len(names)} people are typing…"


def chat_notice_from_error(status: int | None, body: Any) -> ChatNotice:
    """Feedback for a message the server did not post (or a network failure)."""
    err = body.get("error", {}) if isinstance(body, dict) else {}
    message = str(err.get("message") or "")
    if status == 429 and err.get("code") == "muted":
        return ChatNotice("muted", message, err.get("reason"), err.get("muted_until"))
    if status == 422 and err.get("code") == "moderated":
        return ChatNotice("rejected", message, err.get("reason"))
    if status is None:
        return ChatNotice("error", "Not sent: the server could not be reached. Your text is kept.")
    return ChatNotice("error", message or "Not sent.", err.get("code"))


def chat_notice_from_warnings(body: Any) -> ChatNotice | None:
    warnings = body.get("warnings") if isinstance(body, dict) else None
    if not warnings:
        return None
    text = " ".join(str(w.get("message") or "") for w in warnings if isinstance(w, dict))
    return ChatNotice("warning", text.strip(), str(warnings[0].get("reason") or ""))


# --------------------------------------------------------------------------- numbers


def change_text(change_percent: Any) -> tuple[str, str]:
    """``12.5`` → (``"↑ 12.5%"``, ``"up"``); None → (``"—"``, ``"flat"``)."""
    if change_percent is None:
        return "—", "flat"
    try:
        v = float(change_percent)
    except (TypeError, ValueError):
        return "—", "flat"
    if abs(v) < 0.05:
        return "→ 0%", "flat"
    arrow = "↑" if v > 0 else "↓"
    return f"{arrow} {abs(v):.1f}%".replace(".0%", "%"), "up" if v > 0 else "down"


def _scored(value: Any) -> bool:
    """A board value that puts a seller on the board: anything but nothing or zero."""
    if value is None or value == "":
        return False
    try:
        return Decimal(str(value)) != 0
    except InvalidOperation:
        return False


def my_rank(room: RoomState, board: str, period: str, me_id: int | None) -> tuple[int | None, int]:
    """(my rank or None, how many are ranked): a seller with nothing on a board (no wins
    yet) has no rank there, and is not counted among the ranked."""
    b = room.board(board, period)
    if b is None:
        return None, 0
    ranked = [e for e in b.entries if _scored(e.value)]
    mine = next((e.rank for e in ranked if e.seller_id == me_id), None)
    return mine, len(ranked)


def countdown(ends_at: str | None, now: datetime | None = None) -> str:
    """Time left as ``2d 04:12:09`` / ``04:12:09`` / ``ended``."""
    end = parse_time(ends_at)
    if end is None:
        return ""
    left = int((end - (now or datetime.now(UTC))).total_seconds())
    if left <= 0:
        return "ended"
    days, rest = divmod(left, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    clock = f"{h:02d}:{m:02d}:{s:02d}"
    return f"{days}d {clock}" if days else clock


def level_progress(points: dict[str, Any]) -> tuple[int, int, int, float]:
    """(level, xp, xp needed for next level, fraction of the way there)."""
    level = int(points.get("level") or 0)
    xp = int(points.get("xp") or points.get("points") or 0)
    need = int(points.get("xp_for_next_level") or 0)
    to_next = points.get("xp_to_next_level")
    if need <= 0:
        return level, xp, 0, 0.0
    # level n needs 100 × n^1.5 XP in total (CONTRACT §6): progress within this level
    floor = round(100 * level**1.5) if level > 0 else 0
    span = max(1, need - floor)
    done = span - int(to_next) if to_next is not None else xp - floor
    return level, xp, need, max(0.0, min(1.0, done / span))
