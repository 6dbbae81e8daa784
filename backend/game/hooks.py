"""Entry points the actions call so the game rules run inside their transaction.

INTERFACE (stable):
- ``on_claim(session, ctx)``: called by the claim action after the claim, queue update and
  attribution rows are flushed and the ``claimed`` event is appended, before commit. Updates
  the per-day board aggregate and the floor streak state and appends ``streak``,
  ``achievement.*``, ``goal.progress``, ``points.awarded`` and ``leaderboard:refresh``
  events as the rules decide.
- ``on_numbers_changed(session, ctx)``: called by reassignment, share change, adjustment,
  refund and exclusion actions (and the 15-minute sweep) with the sellers whose numbers
  moved and the claims that changed (their days are re-aggregated; without claims, today).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from backend.game import engine
from backend.game.engine import ShareNumbers
from backend.models import Claim, QueueItem, Seller
from backend.settings import Settings


@dataclass
class ClaimContext:
    claim: Claim
    item: QueueItem
    seller: Seller
    settings: Settings
    now: datetime
    # the claim's share entries when the caller has them in hand (else they are read)
    entries: list[ShareNumbers] | None = None


@dataclass
class NumbersChanged:
    seller_ids: set[int]
    settings: Settings
    now: datetime
    reason: str = "change"
    claim_ids: set[int] = field(default_factory=set)
    boards: list[str] | None = None  # the boards that moved (default: all four)


def on_claim(session: Session, ctx: ClaimContext) -> None:
    """Run the game rules for a new claim, in the claim's transaction."""
    engine.run_claim(
        session, ctx.claim, ctx.item, ctx.seller, ctx.settings, ctx.now, entries=ctx.entries
    )


def on_numbers_changed(session: Session, ctx: NumbersChanged) -> None:
    """Re-run the rules after numbers moved, in the changing action's transaction."""
    engine.run_numbers_changed(
        session, ctx.seller_ids, ctx.claim_ids, ctx.settings, ctx.now, ctx.boards
    )
