"""Claims tab state: the filter bar as API query parameters, and the detail pane's sections
(customer, economics, shares, timeline, objections, installment plan) as plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from winroom_desktop.state.admin.specs import CLAIM_TYPES, FINANCE_STATUSES, local_minute
from winroom_desktop.state.format import money_card, percent

SORTS = ("claimed_at", "revenue_usd", "margin_amount_usd")


class FilterError(ValueError):
    """A filter the API would answer 422 to, as a sentence for the filter bar."""


@dataclass(frozen=True)
class ClaimFilters:
    date_from: date | None = None
    date_to: date | None = None
    seller_id: int | None = None
    finance_status: str | None = None
    claim_type: str | None = None
    refunded: bool | None = None
    q: str = ""
    sort: str = "-claimed_at"

    def with_(self, **changes: Any) -> ClaimFilters:
        return replace(self, **changes)

    def check(self) -> None:
        if self.finance_status and self.finance_status not in FINANCE_STATUSES:
            raise FilterError(f"Unknown finance status {self.finance_status!r}.")
        if self.claim_type and self.claim_type not in CLAIM_TYPES:
            raise FilterError(f"Unknown claim type {self.claim_type!r}.")
        if self.sort.lstrip("-") not in SORTS:
            raise FilterError(f"Claims cannot be sorted by {self.sort!r}.")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError("The start date is after the end date.")

    def params(self) -> dict[str, str]:
        """Query parameters, only those set (filters combine with AND on the server)."""
        self.check()
        p: dict[str, str] = {}
        if self.date_from:
            p["from"] = self.date_from.isoformat()
        if self.date_to:
            p["to"] = self.date_to.isoformat()
        if self.seller_id is not None:
            p["seller_id"] = str(self.seller_id)
        if self.finance_status:
            p["finance_status"] = self.finance_status
        if self.claim_type:
            p["claim_type"] = self.claim_type
        if self.refunded is not None:
            p["refunded"] = "true" if self.refunded else "false"
        q = self.q.strip()
        if q:
            p["q"] = q
        if self.sort != "-claimed_at":
            p["sort"] = self.sort
        return p

    def query(self) -> str:
        return urlencode(self.params())

    def sorted_by(self, api_sort: str, descending: bool) -> ClaimFilters:
        return self.with_(sort=("-" if descending else "") + api_sort)

    def matches(self, claim: dict[str, Any]) -> bool:
        """Whether a claim (a live update) still belongs in this filtered list. Dates and
        search are left to the server: only the exact fields are checked here."""
        if self.seller_id is not None and (claim.get("seller") or {}).get("id") != self.seller_id:
            return False
        if self.finance_status and claim.get("finance_status") != self.finance_status:
            return False
        if self.claim_type and claim.get("claim_type") != self.claim_type:
            return False
        return not (self.refunded is not None and bool(claim.get("refunded")) != self.refunded)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str) -> date | None:
    """A filter-bar date (``YYYY-MM-DD`` or empty) → ``date``; anything else raises."""
    text = text.strip()
    if not text:
        return None
    if not _DATE.match(text):
        raise FilterError(f"{text!r} is not a date (YYYY-MM-DD).")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{text!r} is not a date (YYYY-MM-DD).") from None


def _dec(v: Any) -> Decimal:
    try:
        return Decimal(str(v))
    except (InvalidOperation, TypeError):
        return Decimal(0)


Section = tuple[str, list[tuple[str, str]]]


def detail_sections(claim: dict[str, Any]) -> list[Section]:
    """The detail pane: ``[(title, [(label, value), ...]), ...]``, text only."""
    cust = claim.get("customer") or {}
    camp = claim.get("campaign") or {}
    seller = claim.get("seller") or {}
    revenue = claim.get("revenue_usd")
    margin = claim.get("margin_amount_usd")
    margin_pct = None
    if revenue not in (None, "") and _dec(revenue) != 0:
        margin_pct = _dec(margin) / _dec(revenue)
    head = [
        ("Seller", str(seller.get("name") or "")),
        ("Type", str(claim.get("claim_type") or "").replace("_", " ")),
        ("Finance", str(claim.get("finance_status") or "")),
        ("Claimed", local_minute(claim.get("claimed_at"))),
        (
            "Item · sub.",
            f"{claim.get('queue_id', '')} / {claim.get('subscription_id', '')}",
        ),
    ]
    if claim.get("refunded"):
        refund = claim.get("refund") or {}
        head.append(("Refunded", str(refund.get("reason") or "yes")))
    sections: list[Section] = [
        (f"Claim #{claim.get('id', '')}", head),
        (
            "Customer",
            [
                ("Name", str(cust.get("name") or "")),
                ("Email", str(cust.get("email") or "")),
                ("Campaign", str(camp.get("name") or "")),
            ],
        ),
        (
            "Economics",
            [
                ("Revenue", money_card(revenue)),
                ("Cost", money_card(claim.get("cost_usd"))),
                ("Margin", f"{money_card(margin)}  ({percent(margin_pct, 1)})"),
                ("Adjustments", money_card(claim.get("adjustments_usd") or "0")),
                ("Adj. margin", money_card(claim.get("adjusted_margin_usd"))),
            ],
        ),
    ]
    adjustments = claim.get("adjustments") or []
    if adjustments:
        sections.append(
            (
                "Adjustments",
                [
                    (
                        str(a.get("reason") or ""),
                        f"{money_card(a.get('amount'))}  {a.get('note') or ''}".strip(),
                    )
                    for a in adjustments
                    if isinstance(a, dict)
                ],
            )
        )
    shares = claim.get("shares") or []
    if shares:
        sections.append(
            (
                "Shares",
                [
                    (str(s.get("name") or s.get("seller_id")), percent(s.get("share"), 1))
                    for s in shares
                    if isinstance(s, dict)
                ],
            )
        )
    objections = claim.get("objections") or []
    if objections:
        sections.append(
            (
                "Objections",
                [
                    (
                        f"#{o.get('id', '')} {o.get('status', '')}",
                        f"{o.get('reason', '')}: {o.get('details') or ''}".strip(": "),
                    )
                    for o in objections
                    if isinstance(o, dict)
                ],
            )
        )
    plan = claim.get("installment_plan")
    if isinstance(plan, dict):
        rows = [("Plan", f"#{plan.get('id', '')} {plan.get('status', '')}")]
        for p in plan.get("payments") or []:
            rows.append(
                (
                    str(p.get("due_on") or ""),
                    f"{money_card(p.get('amount'))}  {p.get('status', '')}",
                )
            )
        sections.append(("Installment plan", rows))
    timeline = claim.get("timeline") or []
    if timeline:
        sections.append(
            (
                "Timeline",
                [
                    (
                        local_minute(t.get("at")),
                        " · ".join(
                            x
                            for x in (
                                str(t.get("kind") or ""),
                                _actor(t.get("actor")),
                                _detail(t.get("detail")),
                            )
                            if x
                        ),
                    )
                    for t in timeline
                    if isinstance(t, dict)
                ],
            )
        )
    return sections


def _actor(a: Any) -> str:
    if isinstance(a, dict):
        return str(a.get("name") or a.get("id") or "")
    return str(a or "")


def _detail(d: Any) -> str:
    if isinstance(d, dict):
        return ", ".join(
            f"{k.replace('_', ' ')}: {str(v).replace('_', ' ')}"
            for k, v in d.items()
            if v not in (None, "")
        )
    return str(d or "")
