"""The claim's statements, built once per dialect from the models (values are bound
parameters): the idempotency read, the flip, the claim's rows, and the reads that explain
a claim that did not flip. :mod:`backend.actions.claims` runs them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, bindparam, column, select, text, update

from backend.db.types import Micros, UTCDateTime
from backend.game.claimpath import _Dialect, table_of
from backend.models import Attribution, AttributionShareEntry, Claim, Installment, QueueItem, Seller

SELLER_PREFIX = "seller__"


def idempotent(d: _Dialect) -> Any:
    t = table_of(Claim)
    return select(t).where(
        t.c.claimed_by == bindparam("f_seller"), t.c.idempotency_key == bindparam("f_key")
    )


def seller(d: _Dialect) -> Any:
    t = table_of(Seller)
    return select(t).where(t.c.id == bindparam("f_seller"))


def account(d: _Dialect) -> Any:
    t = table_of(Seller)
    return select(t.c.is_active, t.c.role).where(t.c.id == bindparam("f_seller"))


def flip(d: _Dialect) -> Any:
    t = table_of(QueueItem)
    return (
        update(t)
        .where(t.c.id == bindparam("f_queue"), t.c.status == "pending")
        .values(status="claimed")
        .returning(*t.c)
    )


def why(d: _Dialect) -> Any:
    t = table_of(QueueItem)
    return select(t.c.status).where(t.c.id == bindparam("f_queue"))


def plan(d: _Dialect) -> Any:
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


def flip_pg(d: _Dialect) -> Any:
    """PostgreSQL: the flip alone (a claim with an installment plan: the plan is checked
    before the rows are written). 0 rows: see :func:`why_pg`."""
    sql, columns = _flip_pg()
    return text(sql).columns(*columns)


def why_pg(d: _Dialect) -> Any:
    t, s = table_of(QueueItem), table_of(Seller)
    row = select(s.c.is_active, s.c.role).where(s.c.id == bindparam("f_seller")).subquery()
    return select(
        select(row.c.is_active).scalar_subquery().label("is_active"),
        select(row.c.role).scalar_subquery().label("role"),
        select(t.c.status).where(t.c.id == bindparam("f_queue")).scalar_subquery().label("status"),
    )


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
    return [
        bindparam("claimed_at", type_=UTCDateTime()),
        bindparam("share", type_=Micros()),
        bindparam("no_share", type_=Micros()),
        bindparam("installment_plan_id", type_=Integer()),
        bindparam("idempotency_key", type_=String()),
    ]


def rows_pg(d: _Dialect) -> Any:
    """PostgreSQL, after :func:`flip_pg` (and the plan check): the claim's rows in one
    statement, from the item flipped in this transaction."""
    return text(
        "WITH q AS (SELECT id, subscription_id, finance_status, revenue_usd, margin_amount_usd"
        " FROM queue WHERE id = :f_queue)," + _ROWS_FROM_Q + " SELECT c.id FROM c"
    ).bindparams(*_rows_binds())


def claim_pg(d: _Dialect) -> Any:
    """PostgreSQL, a claim without an installment plan: the flip and the claim's rows in ONE
    statement (``WITH q AS (UPDATE ... RETURNING ...)``). 0 rows: the flip matched no row,
    so nothing was written; :func:`why_pg` explains it."""
    sql, columns = _flip_pg()
    return (
        text(f"WITH q AS ({sql}),{_ROWS_FROM_Q} SELECT q.*, c.id AS claim_id FROM q, c")
        .bindparams(*_rows_binds())
        .columns(*columns, column("claim_id", Integer()))
    )


def claim_insert(d: _Dialect) -> Any:
    t = table_of(Claim)
    return t.insert().returning(t.c.id)


def attribution_insert(d: _Dialect) -> Any:
    return table_of(Attribution).insert()


def share_insert(d: _Dialect) -> Any:
    return table_of(AttributionShareEntry).insert()
