"""Achievements a change could fire (a :class:`Candidate`: the milestone, who, the claim)
and the rows they are written as."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.game.rules.milestones import Milestone
from backend.models import Seller


@dataclass(frozen=True)
class Candidate:
    milestone: Milestone
    seller: Seller | None
    claim_id: int | None
    milestone_points: bool = True


def unfired(candidates: Sequence[Candidate], fired: set[str]) -> list[Candidate]:
    """The candidates (first of each dedupe key) whose key is not in ``fired``."""
    seen: set[str] = set()
    todo = []
    for c in candidates:
        key = c.milestone.dedupe_key
        if key not in seen:
            seen.add(key)
            if key not in fired:
                todo.append(c)
    return todo


def achievement_rows(todo: Sequence[Candidate], now: Any) -> list[dict[str, Any]]:
    return [
        {
            "seller_id": c.seller.id if c.seller else None,
            "kind": c.milestone.kind,
            "title": c.milestone.title,
            "description": c.milestone.description,
            "emoji": c.milestone.emoji,
            "value": c.milestone.value,
            "period_key": c.milestone.period_key,
            "dedupe_key": c.milestone.dedupe_key,
            "claim_id": c.claim_id,
            "refunded": False,
            "created_at": now,
        }
        for c in todo
    ]


def candidate_keys(candidates: Sequence[Candidate]) -> list[str]:
    return sorted({c.milestone.dedupe_key for c in candidates})


def badge_wants(candidates: Sequence[Candidate]) -> list[tuple[int, str]]:
    """(seller id, badge code) of each candidate that comes with a badge for a seller."""
    return [
        (c.seller.id, c.milestone.badge)
        for c in candidates
        if c.seller is not None and c.milestone.badge is not None
    ]
