"""``claims.csv`` (CONTRACT §4a): the claims list's rows as CSV — UTF-8 with a byte-order
mark, RFC 4180 (``csv`` module, CRLF), money with a ``.`` and two decimals, shares as
``name:share;…`` — produced a keyset page at a time so memory stays flat."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from backend.db.types import MICRO
from backend.models import AttributionShareEntry, ClaimAdjustment, Seller
from backend.reads import claims as reads
from backend.reads.statement import BOM

CLAIM_COLUMNS = (
    "id",
    "version",
    "queue_id",
    "subscription_id",
    "seller_id",
    "seller_name",
    "claim_type",
    "finance_status",
    "claimed_at",
    "customer_email",
    "customer_name",
    "campaign_id",
    "campaign_name",
    "revenue_usd",
    "cost_usd",
    "margin_amount_usd",
    "adjustments_usd",
    "adjusted_margin_usd",
    "refunded",
    "excluded",
    "shares",
    "installment_plan_id",
    "note",
)


def cents(m: int | None) -> str:
    """Micro-dollars as money text, rounded half-up (away from zero) to cents: what
    ``backend.schemas.common.money`` makes of the same Decimal, without the Decimal."""
    if m is None:
        return ""
    a = -m if m < 0 else m
    c = (a + 5000) // 10000
    text = f"{c // 100}.{c % 100:02d}"
    return "-" + text if m < 0 else text


def _share(micros: int) -> str:
    if micros % 100 == 0:
        return f"{micros // 1_000_000}.{micros // 100 % 10_000:04d}"
    return reads.share_text(Decimal(micros) * MICRO)


def _extras(
    session: Session, ids: list[int]
) -> tuple[dict[int, list[tuple[int, int]]], dict[int, int]]:
    """Each claim's shares (seller, micros; in entry order) and adjustments (micros)."""
    shares: dict[int, list[tuple[int, int]]] = defaultdict(list)
    adjusted: dict[int, int] = {}
    if ids:
        conn = session.connection()
        e = AttributionShareEntry
        for cid, sid, share in conn.execute(
            select(e.claim_id, e.seller_id, type_coerce(e.share, BigInteger))
            .where(_one_of(conn, e.claim_id, ids))
            .order_by(e.claim_id, e.id)
        ):
            shares[cid].append((sid, share))
        a = ClaimAdjustment
        for cid, total in conn.execute(
            select(a.claim_id, func.sum(type_coerce(a.amount_usd, BigInteger)))
            .where(_one_of(conn, a.claim_id, ids))
            .group_by(a.claim_id)
        ):
            adjusted[cid] = int(total or 0)
    return shares, adjusted


def _one_of(conn: Any, col: Any, ids: list[int]) -> Any:
    """``col IN ids`` with one parameter (not thousands to name and bind per page)."""
    if conn.dialect.name == "postgresql":
        return col == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    each: Any = select(literal_column("value")).select_from(
        func.json_each(bindparam("ids", json.dumps(ids), type_=String))
    )
    return col.in_(each.scalar_subquery())


def _shares(entries: list[tuple[int, int]], closer: int, names: dict[int, str]) -> str:
    """``name:share;…``, the closer first (then in entry order)."""
    if not entries:
        return ""
    if entries[0][0] != closer:
        entries = sorted(entries, key=lambda e: e[0] != closer)
    return ";".join(f"{names.get(sid) or ''}:{_share(share)}" for sid, share in entries)


def _when(v: Any) -> str:
    """``claimed_at`` as the API writes it (``datetime.isoformat`` of the UTC moment), from
    SQLite's stored text without parsing it, or from the driver's datetime."""
    if isinstance(v, str):  # SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]"
        frac = v[20:26]
        return f"{v[:10]}T{v[11:19]}{'.' + frac if frac.strip('0') else ''}+00:00"
    return (v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)).isoformat()


def _rows(
    rows: list[Any],
    shares: dict[int, list[tuple[int, int]]],
    adjusted: dict[int, int],
    names: dict[int, str],
) -> Iterator[tuple[Any, ...]]:
    """The CSV rows of a page of ``reads.LEAN_COLUMNS`` (the list's fields, flattened)."""
    for (
        cid,
        version,
        queue_id,
        subscription_id,
        seller_id,
        claim_type,
        finance_status,
        claimed_at,
        email,
        customer,
        campaign_id,
        campaign,
        revenue,
        cost,
        margin,
        refunded,
        queue_status,
        plan_id,
        note,
    ) in rows:
        adj = adjusted.get(cid, 0)
        yield (
            cid,
            version,
            queue_id,
            "" if subscription_id is None else subscription_id,
            seller_id,
            names.get(seller_id) or "",
            claim_type,
            finance_status,
            _when(claimed_at),
            email or "",
            customer or "",
            "" if campaign_id is None else campaign_id,
            campaign or "",
            cents(revenue),
            cents(cost),
            cents(margin),
            cents(adj),
            "" if margin is None else cents(margin - adj),
            "true" if refunded else "false",
            "true" if queue_status == "excluded" else "false",
            _shares(shares.get(cid, []), seller_id, names),
            "" if plan_id is None else plan_id,
            note or "",
        )


def claims_csv(
    open_session: Callable[[], AbstractContextManager[Session]],
    f: reads.ClaimFilters,
    sort: str = reads.DEFAULT_SORT,
    page_size: int = 5000,
) -> Iterator[bytes]:
    """The CSV's bytes, one chunk per keyset page (the header with the first); the session
    is opened when the first chunk is asked for and closed after the last. Rows are built
    from the query's tuples (money from its stored integers), not from the API's dicts."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    w.writerow(CLAIM_COLUMNS)
    yield buf.getvalue().encode("utf-8")
    with open_session() as s:
        names = {sid: name for sid, name in s.execute(select(Seller.id, Seller.name))}
        total = reads.count(s, f) if reads.order_of(sort).nullable else None
        after: list[Any] | None = None
        while True:
            rows, after = reads.rows_after(s, f, sort, after, page_size, total, lean=True)
            shares, adjusted = _extras(s, [r[0] for r in rows])
            buf.seek(0)
            buf.truncate()
            w.writerows(_rows(rows, shares, adjusted, names))
            yield buf.getvalue().encode("utf-8")
            if after is None:
                return
