"""The claim's statements, built once per dialect from the models (values are bound
parameters): the idempotency read, the flip, the claim's rows, and the reads that explain
a claim that did not flip. :mod:`backend.actions.claims` runs them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, String, bindparam, column, false, null, select, text, true, update

from backend.db.batch import Dialect, table_of
from backend.models import Attribution, AttributionShareEntry, Claim, Installment, QueueItem, Seller

SELLER_PREFIX = "seller__"


def idempotent(d: Dialect) -> Any:
    t = table_of(Claim)
    return select(t).where(
        t.c.claimed_by == bindparam("f_seller"), t.c.idempotency_key == bindparam("f_key")
    )


def seller(d: Dialect) -> Any:
    t = table_of(Seller)
    return select(t).where(t.c.id == bindparam("f_seller"))


def account(d: Dialect) -> Any:
    t = table_of(Seller)
    return select(t.c.is_active, t.c.role).where(t.c.id == bindparam("f_seller"))


def flip(d: Dialect) -> Any:
    t = table_of(QueueItem)
    return (
        update(t)
        .where(t.c.id == bindparam("f_queue"), t.c.status == "pending")
        .values(status="claimed")
        .returning(*t.c)
    )


def why(d: Dialect) -> Any:
    t = table_of(QueueItem)
    return select(t.c.status).where(t.c.id == bindparam("f_queue"))


def plan(d: Dialect) -> Any:
    t = table_of(Installment)
    return select(t.c.id).where(t.c.id == bindparam("f_plan"))


def _flip_pg() -> Any:
    """The PostgreSQL flip: the seller's read and the flip in one ``UPDATE ... FROM``; the
    seller row is read, not locked: an active seller whose role is in ``f_roles``. Returns
    the queue row, then the seller's columns (prefixed). Text around the models' columns:
    Core would warn of the "cartesian product" of two one-row lookups."""
    t, s = table_of(QueueItem), table_of(Seller)
    returned = [f"{t.name}.{c.name}" for c in t.c] + [
        f"{s.name}.{c.name} AS {SELLER_PREFIX}{c.name}" for c in s.c
    ]
    sql = (
        f"UPDATE {t.name} SET status = 'claimed' FROM {s.name}"
        f" WHERE {t.name}.id = :f_queue AND {t.name}.status = 'pending' AND {s.name}.id = :f_seller"
        f" AND {s.name}.is_active AND {s.name}.role = ANY(:f_roles)"
        " RETURNING " + ", ".join(returned)
    )
    columns = [column(c.name, c.type) for c in t.c] + [
        column(SELLER_PREFIX + c.name, c.type) for c in s.c
    ]
    return text(sql).bindparams(bindparam("f_roles", type_=ARRAY(String()))).columns(*columns)


def flip_pg(d: Dialect) -> Any:
    """PostgreSQL: the flip alone (a claim with an installment plan: the plan is checked
    before the rows are written). 0 rows: see :func:`why_pg`."""
    return _flip_pg()


def why_pg(d: Dialect) -> Any:
    t, s = table_of(QueueItem), table_of(Seller)
    row = select(s.c.is_active, s.c.role).where(s.c.id == bindparam("f_seller")).subquery()
    return select(
        select(row.c.is_active).scalar_subquery().label("is_active"),
        select(row.c.role).scalar_subquery().label("role"),
        select(t.c.status).where(t.c.id == bindparam("f_queue")).scalar_subquery().label("status"),
    )


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


def _rows_from(d: Dialect, q: Any) -> tuple[Any, list[Any]]:
    """The claim, its attribution (closer 100 %) and its share entry, written from ``q``: the
    claimed item's row. The closer's share is all of the item, so the share entry's revenue
    and margin are the item's own (``claims.CLOSER_SHARE`` is 1). Returns the claim's insert
    (a CTE returning its id) and the other two inserts (CTEs to add)."""
    c, a, e = table_of(Claim), table_of(Attribution), table_of(AttributionShareEntry)
    seller, at = _param("f_seller", c.c.claimed_by), _param("claimed_at", c.c.claimed_at)
    share = _param("share", a.c.closer_share)
    claim_row = {
        "queue_id": q.c.id,
        "subscription_id": q.c.subscription_id,
        "claimed_by": seller,
        "claim_type": _param("claim_type", c.c.claim_type),
        "finance_status": q.c.finance_status,
        "installment_plan_id": _param("installment_plan_id", c.c.installment_plan_id),
        "refunded": false(),
        "idempotency_key": _param("idempotency_key", c.c.idempotency_key),
        "claimed_at": at,
    }
    claim = (
        d.insert(c)
        .from_select(list(claim_row), select(*claim_row.values()))
        .returning(c.c.id)
        .cte("c")
    )
    attribution_row = {
        "claim_id": claim.c.id,
        "closer_seller_id": seller,
        "closer_share": share,
        "assisted_seller_id": null(),
        "assisted_share": _param("no_share", a.c.assisted_share),
        "updated_at": at,
    }
    attribution = d.insert(a).from_select(list(attribution_row), select(*attribution_row.values()))
    entry_row = {
        "claim_id": claim.c.id,
        "seller_id": seller,
        "share": share,
        "revenue_usd": q.c.revenue_usd,
        "margin_usd": q.c.margin_amount_usd,
        "claimed_at": at,
        "refunded": false(),
    }
    entry = d.insert(e).from_select(
        list(entry_row), select(*entry_row.values()).select_from(claim.join(q, true()))
    )
    return claim, [attribution.cte("a"), entry.cte("e")]


def rows_pg(d: Dialect) -> Any:
    """PostgreSQL, after :func:`flip_pg` (and the plan check): the claim's rows in one
    statement, from the item flipped in this transaction."""
    t = table_of(QueueItem)
    q = select(t).where(t.c.id == bindparam("f_queue")).cte("q")
    claim, others = _rows_from(d, q)
    return select(claim.c.id).add_cte(*others)


def claim_pg(d: Dialect) -> Any:
    """PostgreSQL, a claim without an installment plan: the flip and the claim's rows in ONE
    statement (``WITH q AS (UPDATE ... RETURNING ...)``). 0 rows: the flip matched no row,
    so nothing was written; :func:`why_pg` explains it."""
    q = _flip_pg().cte("q")
    claim, others = _rows_from(d, q)
    return (
        select(q, claim.c.id.label("claim_id")).select_from(q.join(claim, true())).add_cte(*others)
    )


def claim_insert(d: Dialect) -> Any:
    t = table_of(Claim)
    return t.insert().returning(t.c.id)


def attribution_insert(d: Dialect) -> Any:
    return table_of(Attribution).insert()


def share_insert(d: Dialect) -> Any:
    return table_of(AttributionShareEntry).insert()
