"""``claims.csv`` (CONTRACT §4a): the claims list's rows as CSV — UTF-8 with a byte-order
mark, RFC 4180 (``csv`` module, CRLF), money with a ``.`` and two decimals, shares as
``name:share;…`` — produced a keyset page at a time so memory stays flat."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

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


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _row(c: dict[str, Any]) -> list[Any]:
    shares = ";".join(f"{e['name'] or ''}:{e['share']}" for e in c["shares"])
    return [
        _cell(v)
        for v in (
            c["id"],
            c["version"],
            c["queue_id"],
            c["subscription_id"],
            c["seller"]["id"],
            c["seller"]["name"],
            c["claim_type"],
            c["finance_status"],
            c["claimed_at"],
            c["customer"]["email"],
            c["customer"]["name"],
            c["campaign"]["id"],
            c["campaign"]["name"],
            c["revenue_usd"],
            c["cost_usd"],
            c["margin_amount_usd"],
            c["adjustments_usd"],
            c["adjusted_margin_usd"],
            c["refunded"],
            c["excluded"],
            shares,
            c["installment_plan_id"],
            c["note"],
        )
    ]


def claims_csv(
    open_session: Callable[[], AbstractContextManager[Session]],
    f: reads.ClaimFilters,
    sort: str = reads.DEFAULT_SORT,
    page_size: int = 2000,
) -> Iterator[bytes]:
    """The CSV's bytes, one chunk per page (the header with the first); the session is
    opened when the first chunk is asked for and closed after the last."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    w.writerow(CLAIM_COLUMNS)
    yield buf.getvalue().encode("utf-8")
    with open_session() as s:
        for page in reads.iter_shaped(s, f, sort, page_size):
            buf.seek(0)
            buf.truncate()
            w.writerows(_row(c) for c in page)
            yield buf.getvalue().encode("utf-8")
            s.expunge_all()
