"""Live events (CONTRACT §5) → what the admin window must update, and a coalescer so a
burst of events costs one reload per claim and per tab, not one per event.

An event that carries the object (``queue.*``, ``finance.status_changed``: ``item``) is
applied in place at once; one that names a claim (``claim.adjusted``, ``refund.applied``,
``objection.resolved``) reloads that claim; hints (``goals.changed``, …) reload a tab."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HINT_TABS = {
    "goals.changed": ("goals",),
    "goal.progress": ("goals",),
    "challenges.changed": ("challenges",),
    "promotions.changed": ("promotions",),
    "installment.changed": ("installments", "finance"),
    "objection.resolved": ("objections",),
    "leaderboard:refresh": ("sellers", "overview"),
    "claimed": ("sellers",),
}
CLAIM_EVENTS = ("claim.adjusted", "refund.applied", "objection.resolved")
ITEM_EVENTS = ("queue.new", "queue.updated", "queue.excluded", "finance.status_changed")


@dataclass
class Update:
    """What one event changes: queue items to put in place, claims and tabs to reload."""

    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (event, item)
    claim_ids: set[Any] = field(default_factory=set)
    claims_of_queue: set[Any] = field(default_factory=set)
    tabs: set[str] = field(default_factory=set)
    new_claims: bool = False


def actor_name(env: dict[str, Any]) -> str:
    a = env.get("actor")
    if isinstance(a, dict):
        return str(a.get("name") or "")
    return str(a or "")


def route(env: dict[str, Any]) -> Update:
    u = Update()
    kind = str(env.get("type") or "")
    payload = env.get("payload") or {}
    if not isinstance(payload, dict):
        return u
    if kind in ITEM_EVENTS and isinstance(payload.get("item"), dict):
        u.items.append((kind, payload["item"]))
        u.tabs.add("finance")
        if kind == "finance.status_changed":
            u.claims_of_queue.add(payload["item"].get("id"))
    if kind in CLAIM_EVENTS and payload.get("claim_id") is not None:
        u.claim_ids.add(payload["claim_id"])
        u.tabs.update({"sellers", "overview", "finance"})
    if kind == "claimed":
        u.new_claims = True
        if payload.get("queue_id") is not None:
            u.items.append(("claimed", {"id": payload["queue_id"], "status": "claimed"}))
    u.tabs.update(HINT_TABS.get(kind, ()))
    return u


@dataclass
class Pending:
    """Updates gathered between two flushes (the controller flushes on a short timer)."""

    claim_ids: set[Any] = field(default_factory=set)
    claims_of_queue: set[Any] = field(default_factory=set)
    tabs: set[str] = field(default_factory=set)
    new_claims: bool = False
    actors: dict[Any, str] = field(default_factory=dict)

    def add(self, u: Update, actor: str = "") -> None:
        self.claim_ids |= u.claim_ids
        self.claims_of_queue |= u.claims_of_queue
        self.tabs |= u.tabs
        self.new_claims = self.new_claims or u.new_claims
        if actor:
            for cid in u.claim_ids:
                self.actors[cid] = actor

    def empty(self) -> bool:
        return not (self.claim_ids or self.claims_of_queue or self.tabs or self.new_claims)

    def take(self) -> Pending:
        out = Pending(
            set(self.claim_ids),
            set(self.claims_of_queue),
            set(self.tabs),
            self.new_claims,
            dict(self.actors),
        )
        self.claim_ids.clear()
        self.claims_of_queue.clear()
        self.tabs.clear()
        self.new_claims = False
        self.actors.clear()
        return out
