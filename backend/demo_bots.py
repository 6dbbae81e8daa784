"""Demo floor bots: the other demo sellers claim sales, so a demo floor is alive.

Only ``winroom-backend demo`` runs them. Every couple of seconds the bots look at the pending
queue; each sale gets a per-item patience (8–35 s, derived from its id so it is stable) after
which a bot seller claims it through the real claim action (same transaction, events, game
rules and broadcast as a claim over HTTP). One sale in four is left for the humans for three
minutes. A "hot hand" makes the last bot claim again now and then, so streaks happen. The first
demo seller (the one the seller window logs in as) is never a bot.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta

from sqlalchemy import select

from backend.actions.claims import claim_item
from backend.actions.errors import ActionError
from backend.db.types import utcnow
from backend.models import QueueItem, Seller
from backend.runtime import Database
from backend.settings import Settings

log = logging.getLogger(__name__)

HUMAN_WINDOW = timedelta(minutes=3)
HOT_HAND = 0.45
CLAIM_TYPES = ("first_sales",) * 8 + ("remarketing", "upgrade")


def patience(item_id: int) -> timedelta | None:
    """How long a bot waits before claiming this item (None: left for the humans)."""
    if item_id % 4 == 3:
        return None
    return timedelta(seconds=8 + (item_id * 7919) % 28)


def run_bots(
    db: Database,
    settings: Settings,
    bot_emails: list[str],
    stop: threading.Event,
    *,
    tick: float = 2.0,
    rng: random.Random | None = None,
) -> None:
    rng = rng or random.Random()
    with db.read() as s:
        bots = list(s.scalars(select(Seller.id).where(Seller.email.in_(bot_emails))))
    if not bots:
        log.info("demo bots: no bot sellers found; not running")
        return
    last: int | None = None
    while not stop.wait(tick):
        now = utcnow()
        with db.read() as s:
            pending = list(
                s.execute(
                    select(QueueItem.id, QueueItem.created_at)
                    .where(QueueItem.status == "pending")
                    .order_by(QueueItem.id)
                    .limit(50)
                )
            )
        for item_id, queued_at in pending:
            wait = patience(item_id) or HUMAN_WINDOW
            if now - queued_at < wait:
                continue
            seller = last if last is not None and rng.random() < HOT_HAND else rng.choice(bots)
            try:
                with db.transaction() as s:
                    claim_item(
                        s,
                        seller_id=seller,
                        queue_id=item_id,
                        claim_type=rng.choice(CLAIM_TYPES),
                        settings=settings,
                    )
                last = seller
            except ActionError:
                pass  # a human was faster, or the item left the queue
            except Exception:  # never let a bot take the demo down
                log.exception("demo bot claim failed")
            break  # one claim per tick: the floor stays readable
