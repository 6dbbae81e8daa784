"""The claim request's lean path: :func:`claim_item` with the same signature, rows, events
and errors as :func:`backend.actions.claims.claim_item`, in fewer statements and less CPU.

What differs is only how the rows are read and written (prebuilt Core statements on the
session's connection, no ORM flush):

- the idempotency key: one Core read (only when a key is sent);
- the seller and the flip: ``UPDATE queue SET status = 'claimed' WHERE id = :q AND
  status = 'pending' RETURNING *`` (the row lock the general path takes with ``SELECT ...
  FOR UPDATE`` is taken by the ``UPDATE`` itself; on PostgreSQL a concurrent claimer waits
  for the winner's commit and then finds the row no longer pending). PostgreSQL reads the
  seller in the same statement (``UPDATE ... FROM sellers ... AND sellers.is_active``),
  SQLite in one Core read before it. A 0-row result is explained by one read (403 missing
  or inactive seller, 404 unknown item, 409 not_claimable, 409 already_claimed naming the
  winner);
- the claim (``INSERT ... RETURNING id``), its attribution (closer 100 %) and its share
  entry: three statements on SQLite; on PostgreSQL one (``WITH c AS (INSERT ...) ...``),
  and for a claim without an installment plan the same statement as the flip (the inserts
  read the item's numbers from the flip's ``RETURNING``: :func:`_fast_claim_pg`);
- the ``claimed`` event (deferred: inserted right before the commit) and the game rules
  (``on_claim``) exactly as the general path.

The game rules get ORM ``Claim``/``QueueItem``/``Seller`` objects: built from the rows in
hand and attached to the session as persistent (clean, every column loaded), so reading
them costs no round trip. An object the session already holds is reused instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Integer, String, bindparam, column, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value

from backend.actions import claims as general
from backend.actions.claims import (
    CLOSER_SHARE,
    ClaimResult,
    already_claimed,
    append_claimed,
    repeat_of,
    share_of,
    stored_money,
)
from backend.actions.errors import ActionError
from backend.db.types import Micros, UTCDateTime, utcnow
from backend.eventlog import defer_events
from backend.game.claimpath import _Dialect, _statement, table_of
from backend.game.hooks import ClaimContext, ShareNumbers
from backend.models import (
    Attribution,
    AttributionShareEntry,
    Claim,
    Installment,
    QueueItem,
    Seller,
)
from backend.models._common import ROLES
from backend.settings import Settings

__all__ = ["FastClaimResult", "claim_item"]

M = TypeVar("M")
SELLER_PREFIX = "seller__"


@dataclass
class FastClaimResult(ClaimResult):
    """:class:`ClaimResult` + the claimed queue item (the response shows its revenue)."""

    item: QueueItem | None = None


# ---- prebuilt statements (one per dialect; values are bound parameters) -------------------
def _fast_idempotent(d: _Dialect) -> Any:
    t = table_of(Claim)
    return select(t).where(
        t.c.claimed_by == bindparam("f_seller"), t.c.idempotency_key == bindparam("f_key")
    )


def _fast_seller(d: _Dialect) -> Any:
    t = table_of(Seller)
    return select(t).where(t.c.id == bindparam("f_seller"))


def _fast_flip(d: _Dialect) -> Any:
    t = table_of(QueueItem)
    return (
        update(t)
        .where(t.c.id == bindparam("f_queue"), t.c.status == "pending")
        .values(status="claimed")
        .returning(*t.c)
    )


def _fast_why(d: _Dialect) -> Any:
    t = table_of(QueueItem)
    return select(t.c.status).where(t.c.id == bindparam("f_queue"))


def _fast_plan(d: _Dialect) -> Any:
    t = table_of(Installment)
    return select(t.c.id).where(t.c.id == bindparam("f_plan"))


def _flip_pg() -> tuple[str, list[Any]]:
    """The PostgreSQL flip's SQL (the seller's read and the flip in one ``UPDATE ... FROM``;
    the seller row is read, not locked: an active seller whose role is in ``f_roles``) and
    the columns it returns (the queue row, then the seller's, prefixed). Text: Core would
    warn of the "cartesian product" of two one-row lookups."""
    t, s = table_of(QueueItem), table_of(Seller)
    returned = [f"queue.{c.name}" for c in t.c] + [
        f"sellers.{c.name} AS {SELLER_PREFIX}{c.name}" for c in s.c
    ]
    sql = (
        "UPDATE queue SET status = 'claimed' FROM sellers"
        " WHERE queue.id = :f_queue AND queue.status = 'pending'"
        " AND sellers.id = :f_seller AND sellers.is_active AND sellers.role = ANY(:f_roles)"
        " RETURNING " + ", ".join(returned)
    )
    columns = [column(c.name, c.type) for c in t.c] + [
        column(SELLER_PREFIX + c.name, c.type) for c in s.c
    ]
    return sql, columns


def _fast_flip_pg(d: _Dialect) -> Any:
    """PostgreSQL: the flip alone (a claim with an installment plan: the plan is checked
    before the rows are written). 0 rows: see :func:`_fast_why_pg`."""
    sql, columns = _flip_pg()
    return text(sql).columns(*columns)


def _fast_why_pg(d: _Dialect) -> Any:
    t, s = table_of(QueueItem), table_of(Seller)
    seller = select(s.c.is_active, s.c.role).where(s.c.id == bindparam("f_seller")).subquery()
    return select(
        select(seller.c.is_active).scalar_subquery().label("is_active"),
        select(seller.c.role).scalar_subquery().label("role"),
        select(t.c.status).where(t.c.id == bindparam("f_queue")).scalar_subquery().label("status"),
    )


def _fast_account(d: _Dialect) -> Any:
    t = table_of(Seller)
    return select(t.c.is_active, t.c.role).where(t.c.id == bindparam("f_seller"))


def check_account(seller: Any, roles: frozenset[str]) -> None:
    """What the token check before the route would have said of the caller's seller row
    (``seller``: anything with ``is_active`` and ``role``, or None for no row): 401 for an
    account that is gone or inactive, 403 for a current role that may not claim
    (``backend.api.deps.verify_token``'s answers)."""
    if seller is None or not seller.is_active:
        raise ActionError(401, "invalid_token", "The account of this token no longer exists.")
    if seller.role not in roles:
        raise ActionError(403, "forbidden", "Your role may not use this endpoint.")


# The claim, its attribution (closer 100 %) and its share entry, written from ``q``: the
# claimed item's row. The closer's share is all of the item, so the share entry's revenue and
# margin are the item's own (as ``share_of(x, CLOSER_SHARE)``).
_ROWS_FROM_Q = (
    " c AS (INSERT INTO claims (queue_id, subscription_id, claimed_by, claim_type,"
    " finance_status, installment_plan_id, refunded, idempotency_key, claimed_at)"
    " SELECT q.id, q.subscription_id, :f_seller, :claim_type, q.finance_status,"
    " :installment_plan_id, false, :idempotency_key, :claimed_at FROM q RETURNING id),"
    " a AS (INSERT INTO attribution (claim_id, closer_seller_id, closer_share,"
    " assisted_seller_id, assisted_share, updated_at)"
    " SELECT c.id, :f_seller, :share, NULL, :no_share, :claimed_at FROM c),"
    " e AS (INSERT INTO attribution_share_entries (claim_id, seller_id, share, revenue_usd,"
    " margin_usd, claimed_at, refunded)"
    " SELECT c.id, :f_seller, :share, q.revenue_usd, q.margin_amount_usd, :claimed_at,"
    " false FROM c, q)"
)


def _rows_binds() -> list[Any]:
    assert CLOSER_SHARE == 1, "_ROWS_FROM_Q copies the item's numbers into the closer's share"
    return [
        bindparam("claimed_at", type_=UTCDateTime()),
        bindparam("share", type_=Micros()),
        bindparam("no_share", type_=Micros()),
        bindparam("installment_plan_id", type_=Integer()),
        bindparam("idempotency_key", type_=String()),
    ]


def _fast_rows_pg(d: _Dialect) -> Any:
    """PostgreSQL, after :func:`_fast_flip_pg` (and the plan check): the claim's rows in one
    statement, from the item flipped in this transaction."""
    return text(
        "WITH q AS (SELECT id, subscription_id, finance_status, revenue_usd, margin_amount_usd"
        " FROM queue WHERE id = :f_queue)," + _ROWS_FROM_Q + " SELECT c.id FROM c"
    ).bindparams(*_rows_binds())


def _fast_claim_pg(d: _Dialect) -> Any:
    """PostgreSQL, a claim without an installment plan: the flip and the claim's rows in ONE
    statement (``WITH q AS (UPDATE ... RETURNING ...)``). 0 rows: the flip matched no row,
    so nothing was written; :func:`_fast_why_pg` explains it."""
    sql, columns = _flip_pg()
    return (
        text(f"WITH q AS ({sql}),{_ROWS_FROM_Q} SELECT q.*, c.id AS claim_id FROM q, c")
        .bindparams(*_rows_binds())
        .columns(*columns, column("claim_id", Integer()))
    )


def _fast_claim_insert(d: _Dialect) -> Any:
    t = table_of(Claim)
    return t.insert().returning(t.c.id)


def _fast_attribution_insert(d: _Dialect) -> Any:
    return table_of(Attribution).insert()


def _fast_share_insert(d: _Dialect) -> Any:
    return table_of(AttributionShareEntry).insert()


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
) -> FastClaimResult:
    """``account_roles``: the caller was authenticated by its JWT alone (``Principal.verified``
    False): the seller row read here must be active and its role one of these, else 401 /
    403 as the token check would have answered (and nothing is written)."""
    now = now or utcnow()
    defer_events(session)  # see claims.claim_item
    conn = session.connection()
    asked = _Asked(seller_id, idempotency_key, queue_id, claim_type, installment_plan_id)
    if (earlier_claim := asked.keyed_answer(session, account_roles)) is not None:
        return earlier_claim
    pg = conn.dialect.name == "postgresql"
    rows = {  # the claim's rows on PostgreSQL (:data:`_ROWS_FROM_Q`)
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
        flip = _fast_flip_pg if installment_plan_id is not None else _fast_claim_pg
        roles = sorted(account_roles if account_roles is not None else ROLES)
        row = conn.execute(_statement(session, flip), {**rows, "f_roles": roles}).first()
        if row is None:
            why = conn.execute(
                _statement(session, _fast_why_pg), {"f_queue": queue_id, "f_seller": seller_id}
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
            k[len(SELLER_PREFIX) :]: values.pop(k)
            for k in list(values)
            if k.startswith(SELLER_PREFIX)
        }
    else:
        srow = conn.execute(_statement(session, _fast_seller), {"f_seller": seller_id}).first()
        if account_roles is not None:
            check_account(srow, account_roles)
        if srow is None or not srow.is_active:
            raise ActionError(403, "forbidden", "This account may not claim.")
        row = conn.execute(_statement(session, _fast_flip), {"f_queue": queue_id}).first()
        if row is None:
            status = conn.execute(_statement(session, _fast_why), {"f_queue": queue_id}).scalar()
            if (earlier_claim := asked.keyed_answer(session)) is not None:
                return earlier_claim
            raise _not_flipped(session, queue_id, status, seller_id)
        values, seller_values = dict(row._mapping), dict(srow._mapping)
    if (
        installment_plan_id is not None
        and conn.execute(_statement(session, _fast_plan), {"f_plan": installment_plan_id}).first()
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
    revenue, margin = values["revenue_usd"], values["margin_amount_usd"]
    share_revenue, share_margin = share_of(revenue, CLOSER_SHARE), share_of(margin, CLOSER_SHARE)
    if pg:
        if claim_id is None:  # flipped alone: the plan was checked above
            claim_id = conn.execute(_statement(session, _fast_rows_pg), rows).scalar_one()
    else:
        claim_id = conn.execute(_statement(session, _fast_claim_insert), claim_values).scalar_one()
        conn.execute(
            _statement(session, _fast_attribution_insert),
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
            _statement(session, _fast_share_insert),
            {
                "claim_id": claim_id,
                "seller_id": seller_id,
                "share": CLOSER_SHARE,
                "revenue_usd": share_revenue,
                "margin_usd": share_margin,
                "claimed_at": now,
                "refunded": False,
            },
        )
    entries: list[ShareNumbers] = [
        (seller_id, stored_money(share_revenue), stored_money(share_margin))
    ]

    seller = _adopt(session, Seller, seller_values)
    item = _adopt(session, QueueItem, values)
    if item.status != "claimed":  # an older copy the session held: the row says claimed
        set_committed_value(item, "status", "claimed")
    claim = _adopt(session, Claim, {"id": claim_id, **claim_values})
    append_claimed(session, claim, item, seller)
    # the hook the general path calls, looked up there (what replaces it there, e.g. the
    # benchmark's rules-off variant, applies here too)
    general.on_claim(
        session,
        ClaimContext(
            claim=claim, item=item, seller=seller, settings=settings, now=now, entries=entries
        ),
    )
    return FastClaimResult(claim, created=True, item=item)


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
    ) -> FastClaimResult | None:
        """The first answer when the key names a claim of this seller (:func:`repeat_of`:
        or a 422 for another request under the same key), else None. ``account_roles``:
        the account is not checked yet (:func:`check_account` before answering)."""
        if self.key is None:
            return None
        conn = session.connection()
        row = conn.execute(
            _statement(session, _fast_idempotent), {"f_seller": self.seller_id, "f_key": self.key}
        ).first()
        if row is None:
            return None
        if account_roles is not None:
            account = conn.execute(_statement(session, _fast_account), {"f_seller": self.seller_id})
            check_account(account.first(), account_roles)
        earlier = _adopt(session, Claim, dict(row._mapping))
        repeat_of(earlier, self.queue_id, self.claim_type, self.installment_plan_id)  # or 422
        return FastClaimResult(
            earlier, created=False, item=session.get(QueueItem, earlier.queue_id)
        )


def _not_flipped(
    session: Session, queue_id: int, status: str | None, seller_id: int
) -> ActionError:
    """Why a pending item was not flipped: it does not exist, was excluded or was claimed."""
    if status is None:
        return ActionError(404, "not_found", "There is no such queue item.")
    if status == "excluded":
        return ActionError(409, "not_claimable", "This sale was taken off the queue.")
    return already_claimed(session, queue_id, seller_id)
