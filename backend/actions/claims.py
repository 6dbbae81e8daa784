"""Claiming a queue item (seed §3), race-free on SQLite and PostgreSQL: the one claim action
(the API's ``POST /api/claim`` and the demo's bots call it; the game tests claim through it).

One transaction, the caller commits; the relay broadcasts after commit:

- the idempotency key: one read (only when a key is sent), a repeat gets its first answer;
- the seller and the flip: ``UPDATE queue SET status = 'claimed' WHERE id = :q AND
  status = 'pending' RETURNING *`` (the row lock is taken by the ``UPDATE`` itself: on
  PostgreSQL a concurrent claimer waits for the winner's commit and then finds the row no
  longer pending; SQLite writers are serialized by ``BEGIN IMMEDIATE``). PostgreSQL reads
  the seller in the same statement (``UPDATE ... FROM sellers ... AND sellers.is_active``),
  SQLite in one read before it. A 0-row result is explained by one read (403 missing or
  inactive seller, 404 unknown item, 409 not_claimable, 409 already_claimed naming the
  winner);
- the claim (``claims.queue_id`` is unique: a second claim can never commit), its
  attribution (closer 100 %) and its share entry: three statements on SQLite; on PostgreSQL
  one, and for a claim without an installment plan the same statement as the flip
  (:mod:`backend.actions.claim_statements`);
- the ``claimed`` event (deferred: ``eventlog.defer_events`` inserts the transaction's
  events in one statement right before the commit, so the event-order / game lock is held
  only from the game rules to the commit) and the game rules (``on_claim``).

A race lost at the database level surfaces as an ``IntegrityError`` the caller maps with
:func:`describe_conflict`. The game rules get ORM ``Claim``/``QueueItem``/``Seller``
objects built from the rows in hand and attached to the session as persistent (clean, every
column loaded), so reading them costs no round trip; an object the session holds is reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value

from backend.actions import claim_statements as sql
from backend.actions.errors import ActionError
from backend.db.batch import prebuilt
from backend.db.types import MICRO, utcnow
from backend.eventlog import append_event, defer_events
from backend.game.hooks import ClaimContext, ShareNumbers, on_claim
from backend.models import Claim, QueueItem, Seller
from backend.models._common import ROLES
from backend.schemas.common import money
from backend.settings import Settings

CLOSER_SHARE = Decimal(1)
M = TypeVar("M")


@dataclass
class ClaimResult:
    claim: Claim
    created: bool  # False: an idempotent repeat of an earlier claim
    item: QueueItem | None = None  # the claimed item, when in hand (the answer shows its revenue)


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
    account_roles: frozenset[str] | None = None,
) -> ClaimResult:
    """``account_roles``: the caller was authenticated by its JWT alone (``Principal.verified``
    False): the seller row read here must be active and its role one of these, else 401 /
    403 as the token check would have answered (and nothing is written)."""
    now = now or utcnow()
    defer_events(session)
    conn = session.connection()
    asked = _Asked(seller_id, idempotency_key, queue_id, claim_type, installment_plan_id)
    if (earlier_claim := asked.keyed_answer(session, account_roles)) is not None:
        return earlier_claim
    pg = conn.dialect.name == "postgresql"
    rows = {  # the claim's rows on PostgreSQL (``claim_statements._ROWS_FROM_Q``)
        "f_queue": queue_id,
        "f_seller": seller_id,
        "claim_type": claim_type,
        "installment_plan_id": installment_plan_id,
        "idempotency_key": idempotency_key,
        "claimed_at": now,
        "share": CLOSER_SHARE,
        "no_share": Decimal(0),
    }
    claim_id: int | None = None
    if pg:
        # without a plan to check first, the flip writes the claim's rows too
        flip = sql.flip_pg if installment_plan_id is not None else sql.claim_pg
        roles = sorted(account_roles if account_roles is not None else ROLES)
        row = conn.execute(prebuilt(session, flip), {**rows, "f_roles": roles}).first()
        if row is None:
            why = conn.execute(
                prebuilt(session, sql.why_pg), {"f_queue": queue_id, "f_seller": seller_id}
            ).one()
            if account_roles is not None:
                check_account(why, account_roles)
            if not why.is_active:
                raise ActionError(403, "forbidden", "This account may not claim.")
            # the same request sent twice at once: its claim committed while this one waited
            if (earlier_claim := asked.keyed_answer(session)) is not None:
                return earlier_claim
            raise _not_flipped(session, queue_id, cast("str | None", why.status), seller_id)
        values = dict(row._mapping)
        claim_id = values.pop("claim_id", None)
        seller_values = {
            k[len(sql.SELLER_PREFIX) :]: values.pop(k)
            for k in list(values)
            if k.startswith(sql.SELLER_PREFIX)
        }
    else:
        srow = conn.execute(prebuilt(session, sql.seller), {"f_seller": seller_id}).first()
        if account_roles is not None:
            check_account(srow, account_roles)
        if srow is None or not srow.is_active:
            raise ActionError(403, "forbidden", "This account may not claim.")
        row = conn.execute(prebuilt(session, sql.flip), {"f_queue": queue_id}).first()
        if row is None:
            status = conn.execute(prebuilt(session, sql.why), {"f_queue": queue_id}).scalar()
            if (earlier_claim := asked.keyed_answer(session)) is not None:
                return earlier_claim
            raise _not_flipped(session, queue_id, status, seller_id)
        values, seller_values = dict(row._mapping), dict(srow._mapping)
    if (
        installment_plan_id is not None
        and conn.execute(prebuilt(session, sql.plan), {"f_plan": installment_plan_id}).first()
        is None
    ):  # the caller rolls back: the flip above is undone
        raise ActionError(404, "unknown_installment_plan", "There is no such installment plan.")
    claim_values = {
        "queue_id": values["id"],
        "subscription_id": values["subscription_id"],
        "claimed_by": seller_id,
        "claim_type": claim_type,
        "finance_status": values["finance_status"],
        "installment_plan_id": installment_plan_id,
        "refunded": False,
        "idempotency_key": idempotency_key,
        "claimed_at": now,
    }
    revenue = _share(values["revenue_usd"], CLOSER_SHARE)
    margin = _share(values["margin_amount_usd"], CLOSER_SHARE)
    if pg:
        if claim_id is None:  # flipped alone: the plan was checked above
            claim_id = conn.execute(prebuilt(session, sql.rows_pg), rows).scalar_one()
    else:
        claim_id = conn.execute(prebuilt(session, sql.claim_insert), claim_values).scalar_one()
        conn.execute(
            prebuilt(session, sql.attribution_insert),
            {
                "claim_id": claim_id,
                "closer_seller_id": seller_id,
                "closer_share": CLOSER_SHARE,
                "assisted_seller_id": None,
                "assisted_share": Decimal(0),
                "updated_at": now,
            },
        )
        conn.execute(
            prebuilt(session, sql.share_insert),
            {
                "claim_id": claim_id,
                "seller_id": seller_id,
                "share": CLOSER_SHARE,
                "revenue_usd": revenue,
                "margin_usd": margin,
                "claimed_at": now,
                "refunded": False,
            },
        )
    entries: list[ShareNumbers] = [(seller_id, revenue, margin)]
    seller = _adopt(session, Seller, seller_values)
    item = _adopt(session, QueueItem, values)
    if item.status != "claimed":  # an older copy the session held: the row says claimed
        set_committed_value(item, "status", "claimed")
    claim = _adopt(session, Claim, {"id": claim_id, **claim_values})
    append_claimed(session, claim, item, seller)
    on_claim(
        session,
        ClaimContext(
            claim=claim, item=item, seller=seller, settings=settings, now=now, entries=entries
        ),
    )
    return ClaimResult(claim, created=True, item=item)


def append_claimed(session: Session, claim: Claim, item: QueueItem, seller: Seller) -> None:
    """The ``claimed`` event of a new claim."""
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


# ---- answers other than a new claim -----------------------------------------------------
def check_account(seller: Any, roles: frozenset[str]) -> None:
    """What the token check before the route would have said of the caller's seller row
    (``seller``: anything with ``is_active`` and ``role``, or None for no row): 401 for an
    account that is gone or inactive, 403 for a current role that may not claim
    (``backend.api.deps.verify_token``'s answers)."""
    if seller is None or not seller.is_active:
        raise ActionError(401, "invalid_token", "The account of this token no longer exists.")
    if seller.role not in roles:
        raise ActionError(403, "forbidden", "Your role may not use this endpoint.")


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


@dataclass(frozen=True)
class _Asked:
    """A claim request, as far as its ``Idempotency-Key`` is concerned."""

    seller_id: int
    key: str | None
    queue_id: int
    claim_type: str
    installment_plan_id: int | None

    def keyed_answer(
        self, session: Session, account_roles: frozenset[str] | None = None
    ) -> ClaimResult | None:
        """The first answer when the key names a claim of this seller (:func:`repeat_of`:
        or a 422 for another request under the same key), else None. ``account_roles``:
        the account is not checked yet (:func:`check_account` before answering)."""
        if self.key is None:
            return None
        conn = session.connection()
        row = conn.execute(
            prebuilt(session, sql.idempotent), {"f_seller": self.seller_id, "f_key": self.key}
        ).first()
        if row is None:
            return None
        if account_roles is not None:
            account = conn.execute(prebuilt(session, sql.account), {"f_seller": self.seller_id})
            check_account(account.first(), account_roles)
        earlier = _adopt(session, Claim, dict(row._mapping))
        repeat_of(earlier, self.queue_id, self.claim_type, self.installment_plan_id)  # or 422
        return ClaimResult(earlier, created=False, item=session.get(QueueItem, earlier.queue_id))


def _not_flipped(
    session: Session, queue_id: int, status: str | None, seller_id: int
) -> ActionError:
    """Why a pending item was not flipped: it does not exist, was excluded or was claimed."""
    if status is None:
        return ActionError(404, "not_found", "There is no such queue item.")
    if status == "excluded":
        return ActionError(409, "not_claimable", "This sale was taken off the queue.")
    return already_claimed(session, queue_id, seller_id)


# ---- rows in hand → session objects -------------------------------------------------------
def _adopt(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """The session's persistent ``model`` object for a row in hand: the one it holds, or a
    new clean one with every column loaded (no SQL either way)."""
    held = session.identity_map.get((model, (values["id"],), None))
    if held is not None:
        return held  # type: ignore[no-any-return]
    # as the ORM's loader builds an object: a bare instance, its columns put in its dict
    obj: M = manager_of_class(model).new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def _share(value: Decimal | None, share: Decimal) -> Decimal | None:
    """A seller's share of an amount as the database keeps it (micro-dollars, half-up)."""
    return None if value is None else (value * share).quantize(MICRO, rounding=ROUND_HALF_UP)
