"""Claiming a queue item (seed §3), race-free on SQLite and PostgreSQL.

One transaction: lock the queue item (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
writers are serialized by ``BEGIN IMMEDIATE``), check it is pending, flip it with a
conditional ``UPDATE ... WHERE status = 'pending'``, insert the claim (``claims.queue_id``
is unique: a second claim can never commit), the attribution (closer 100 %) and the share
entry the boards sum, append ``claimed`` and run the game rules (``on_claim``). The caller
commits; the relay broadcasts after commit. A race lost at the database level surfaces as
an ``IntegrityError`` the caller maps with :func:`describe_conflict`.

Hot path: the transaction's events are deferred (``eventlog.defer_events``: inserted in one
statement right before the commit), the new claim's attribution rows are inserted directly
(no row can exist yet) and its share numbers handed to the game rules, so the event-order /
game lock is taken only when the rules start and held for a handful of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.actions.errors import ActionError
from backend.db.types import MICRO, utcnow
from backend.eventlog import append_event, defer_events
from backend.game.claimpath import table_of
from backend.game.hooks import ClaimContext, ShareNumbers, on_claim
from backend.models import (
    Attribution,
    AttributionShareEntry,
    Claim,
    Installment,
    QueueItem,
    Seller,
)
from backend.schemas.common import money
from backend.settings import Settings

CLOSER_SHARE = Decimal(1)


@dataclass
class ClaimResult:
    claim: Claim
    created: bool  # False: an idempotent repeat of an earlier claim


def claim_out(claim: Claim, item: QueueItem | None = None) -> dict[str, Any]:
    return {
        "id": claim.id,
        "queue_id": claim.queue_id,
        "subscription_id": claim.subscription_id,
        "seller_id": claim.claimed_by,
        "claim_type": claim.claim_type,
        "finance_status": claim.finance_status,
        "installment_plan_id": claim.installment_plan_id,
        "claimed_at": claim.claimed_at.isoformat(),
        "revenue_usd": money(item.revenue_usd) if item is not None else None,
    }


def find_idempotent(session: Session, seller_id: int, key: str) -> Claim | None:
    return session.scalar(
        select(Claim).where(Claim.claimed_by == seller_id, Claim.idempotency_key == key)
    )


def repeat_of(
    earlier: Claim, queue_id: int, claim_type: str, installment_plan_id: int | None
) -> ClaimResult:
    """The first answer for a request that repeats ``earlier``'s ``Idempotency-Key``; a
    request that is no repeat (another item, claim type or plan under the same key) is a
    422 ``idempotency_key_reused``, never the other claim's answer."""
    asked = (queue_id, claim_type, installment_plan_id)
    if (earlier.queue_id, earlier.claim_type, earlier.installment_plan_id) != asked:
        raise ActionError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for another claim; send a new key.",
            claim_id=earlier.id,
        )
    return ClaimResult(earlier, created=False)


def already_claimed(session: Session, queue_id: int, seller_id: int | None = None) -> ActionError:
    """409 naming who holds the item (``seller_id``: the caller, told apart in the text)."""
    row = session.execute(
        select(Seller.id, Seller.name)
        .join(Claim, Claim.claimed_by == Seller.id)
        .where(Claim.queue_id == queue_id)
    ).first()
    claimed_by = {"id": row.id, "name": row.name} if row is not None else None
    message = (
        "You have claimed this sale already."
        if row is not None and row.id == seller_id
        else "Someone else claimed this sale first."
    )
    return ActionError(409, "already_claimed", message, claimed_by=claimed_by)


def describe_conflict(
    session: Session,
    seller_id: int,
    queue_id: int,
    key: str | None,
    claim_type: str,
    installment_plan_id: int | None,
) -> ClaimResult | ActionError:
    """After an IntegrityError: the idempotent first answer, or who won the race."""
    if key is not None:
        earlier = find_idempotent(session, seller_id, key)
        if earlier is not None:
            try:
                return repeat_of(earlier, queue_id, claim_type, installment_plan_id)
            except ActionError as exc:
                return exc
    return already_claimed(session, queue_id, seller_id)


def claim_item(
    session: Session,
    *,
    seller_id: int,
    queue_id: int,
    claim_type: str,
    settings: Settings,
    installment_plan_id: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> ClaimResult:
    now = now or utcnow()
    # the claim's events are inserted together right before the commit: the ordering lock
    # is then held only from the game rules (or that insert) to the commit
    defer_events(session)
    if idempotency_key is not None:
        earlier = find_idempotent(session, seller_id, idempotency_key)
        if earlier is not None:
            return repeat_of(earlier, queue_id, claim_type, installment_plan_id)
    seller = session.get(Seller, seller_id)
    if seller is None or not seller.is_active:
        raise ActionError(403, "forbidden", "This account may not claim.")
    stmt = select(QueueItem).where(QueueItem.id == queue_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    item = session.scalar(stmt)
    if item is None:
        raise ActionError(404, "not_found", "There is no such queue item.")
    if item.status == "excluded":
        raise ActionError(409, "not_claimable", "This sale was taken off the queue.")
    if item.status != "pending":
        # the same request made twice at once: the key's claim committed while we waited
        if idempotency_key is not None and (
            earlier := find_idempotent(session, seller_id, idempotency_key)
        ):
            return repeat_of(earlier, queue_id, claim_type, installment_plan_id)
        raise already_claimed(session, queue_id, seller_id)
    if installment_plan_id is not None and session.get(Installment, installment_plan_id) is None:
        raise ActionError(404, "unknown_installment_plan", "There is no such installment plan.")
    queue = table_of(QueueItem)
    flipped = session.execute(
        update(queue)
        .where(queue.c.id == queue_id, queue.c.status == "pending")
        .values(status="claimed")
    )
    if flipped.rowcount != 1:  # type: ignore[attr-defined]
        raise already_claimed(session, queue_id, seller_id)
    set_committed_value(item, "status", "claimed")  # the row says so already: no 2nd UPDATE
    claim = Claim(
        queue_id=item.id,
        subscription_id=item.subscription_id,
        claimed_by=seller.id,
        claim_type=claim_type,
        finance_status=item.finance_status,
        installment_plan_id=installment_plan_id,
        idempotency_key=idempotency_key,
        claimed_at=now,
    )
    session.add(claim)
    session.flush()
    entries = _attribute_new(session, claim, item, seller.id, now)
    append_claimed(session, claim, item, seller)
    on_claim(
        session,
        ClaimContext(
            claim=claim, item=item, seller=seller, settings=settings, now=now, entries=entries
        ),
    )
    return ClaimResult(claim, created=True)


def append_claimed(session: Session, claim: Claim, item: QueueItem, seller: Seller) -> None:
    """The ``claimed`` event of a new claim (both claim paths)."""
    append_event(
        session,
        "claimed",
        {
            "queue_id": item.id,
            "claim_id": claim.id,
            "seller_id": seller.id,
            "seller_name": seller.name,
            "claim_type": claim.claim_type,
            "revenue_usd": money(item.revenue_usd),
            "subscription_id": item.subscription_id,
            "is_jackpot": item.is_jackpot,
            "claimed_at": claim.claimed_at.isoformat(),
        },
        subscription_id=item.subscription_id,
        actor=seller.id,
    )


def _attribute_new(
    session: Session, claim: Claim, item: QueueItem, seller_id: int, now: datetime
) -> list[ShareNumbers]:
    """A brand-new claim's attribution (closer 100 %) and its share entry, inserted directly
    (no row can exist yet). Returns the share entries as (seller, revenue, margin)."""
    session.execute(
        insert(table_of(Attribution)).values(
            claim_id=claim.id,
            closer_seller_id=seller_id,
            closer_share=CLOSER_SHARE,
            assisted_seller_id=None,
            assisted_share=Decimal(0),
            updated_at=now,
        )
    )
    shares = {seller_id: CLOSER_SHARE}
    numbers: list[ShareNumbers] = [
        (sid, share_of(item.revenue_usd, share), share_of(item.margin_amount_usd, share))
        for sid, share in shares.items()
    ]
    session.execute(
        insert(table_of(AttributionShareEntry)),
        [
            {
                "claim_id": claim.id,
                "seller_id": sid,
                "share": shares[sid],
                "revenue_usd": revenue,
                "margin_usd": margin,
                "claimed_at": claim.claimed_at,
                "refunded": False,
            }
            for sid, revenue, margin in numbers
        ],
    )
    # as stored (money is kept to the micro-dollar)
    return [(sid, stored_money(revenue), stored_money(margin)) for sid, revenue, margin in numbers]


def stored_money(value: Decimal | None) -> Decimal | None:
    """Money as the database keeps it (micro-dollars, half-up)."""
    return None if value is None else value.quantize(MICRO, rounding=ROUND_HALF_UP)


def share_of(value: Decimal | None, share: Decimal) -> Decimal | None:
    """A seller's share of an amount (None stays None)."""
    return None if value is None else value * share
