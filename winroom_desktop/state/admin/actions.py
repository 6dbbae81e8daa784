"""Admin actions before they are sent: input checks (money, shares) and the confirmation
sentence that says what will change on the boards (CONTRACT §4a)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from winroom_desktop.state.format import money_card

MAX_AMOUNT = Decimal("10000000")
_MONEY = re.compile(r"^\d{1,8}(\.\d{1,2})?$")


class InputError(ValueError):
    """What the person typed cannot be sent, as a sentence."""


def parse_amount(text: str) -> str:
    """``"1,250.5"`` → ``"1250.50"``: > 0, ≤ 10,000,000, at most two decimals."""
    t = text.strip().replace(",", "").lstrip("$")
    if not _MONEY.match(t):
        raise InputError("Enter an amount like 125.00 (at most two decimals).")
    d = Decimal(t)
    if not (0 < d <= MAX_AMOUNT):
        raise InputError("The amount must be above 0 and at most 10,000,000.")
    return f"{d:.2f}"


_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")


def parse_local_time(text: str) -> str:
    """``2025-06-18 09:00`` (this desk's local time) → ISO with its UTC offset, as the API
    wants it; a time that already carries an offset is kept."""
    t = text.strip()
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise InputError("Write a time like 2025-06-18 09:00.") from None
    if dt.tzinfo is None:
        if not _LOCAL.match(t):
            raise InputError("Write a time like 2025-06-18 09:00.")
        dt = dt.astimezone()  # a naive time is local
    return dt.isoformat(timespec="seconds")


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    sa, sb = str(a), str(b)
    try:
        return datetime.fromisoformat(sa.replace("Z", "+00:00")) == datetime.fromisoformat(
            sb.replace("Z", "+00:00")
        )
    except ValueError:
        pass
    try:
        return Decimal(sa) == Decimal(sb)
    except (InvalidOperation, ValueError):
        return sa.strip() == sb.strip()


def changed_fields(original: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The form's values that differ from the object (times and numbers compared by value)."""
    return {k: v for k, v in values.items() if not _same(original.get(k), v)}


def _name(claim: dict[str, Any]) -> str:
    return str((claim.get("seller") or {}).get("name") or "the seller")


def _sellers(claim: dict[str, Any]) -> str:
    shares = claim.get("shares") or []
    names = [str(s.get("name")) for s in shares if isinstance(s, dict) and s.get("name")]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return _name(claim)


def confirm_finance_status(claim: dict[str, Any], status: str) -> str:
    before = claim.get("finance_status") or "none"
    return (
        f"Set claim #{claim.get('id')} from {before} to {status}. The boards do not change; "
        f"{_name(claim)} and the TVs see the new finance status."
    )


def confirm_adjustment(claim: dict[str, Any], reason: str, amount: str) -> str:
    return (
        f"Adjust claim #{claim.get('id')} by {money_card(amount)} ({reason}). The margin of "
        f"{_sellers(claim)} drops by that amount × their share on every board and metric of "
        f"the claim's period; wins and revenue stay."
    )


def confirm_refund(claim: dict[str, Any], reason: str) -> str:
    return (
        f"Refund claim #{claim.get('id')} ({reason}). It leaves every board and metric: "
        f"{_sellers(claim)} lose{'s' if len(claim.get('shares') or []) < 2 else ''} the win, "
        f"{money_card(claim.get('revenue_usd'))} revenue and "
        f"{money_card(claim.get('adjusted_margin_usd') or claim.get('margin_amount_usd'))} "
        "margin, the points are taken back and its stories show “refunded”. This cannot be undone."
    )


def confirm_reassign(claim: dict[str, Any], new_name: str) -> str:
    return (
        f"Move claim #{claim.get('id')} from {_name(claim)} to {new_name}: the win, "
        f"{money_card(claim.get('revenue_usd'))} revenue, the margin and the points move on "
        "every board."
    )


def confirm_shares(claim: dict[str, Any], split: ShareSplit, names: dict[int, str]) -> str:
    parts = ", ".join(f"{names.get(sid, sid)} {pct}%" for sid, pct in split.entries)
    closer = names.get(split.entries[0][0], "the first seller") if split.entries else "?"
    return (
        f"Split claim #{claim.get('id')}: {parts}. Revenue and margin boards split by share; "
        f"the win stays with {closer}."
    )


def confirm_exclude(item: dict[str, Any], reason: str) -> str:
    cust = (item.get("customer") or {}).get("name") or "this item"
    return (
        f"Exclude queue item #{item.get('id')} ({cust}): it leaves the queue on every seller "
        f"window and TV and can no longer be claimed. Reason: {reason}"
    )


def confirm_bulk_status(ids: list[Any], status: str) -> str:
    n = len(ids)
    return (
        f"Set {n} queue item{'s' if n != 1 else ''} to {status} (all or nothing). Boards do "
        "not change; sellers and TVs see the new status."
    )


@dataclass
class ShareSplit:
    """A share split as typed: ``(seller_id, percent)`` rows, the closer first."""

    entries: list[tuple[int, Decimal]] = field(default_factory=list)

    @classmethod
    def from_rows(cls, rows: list[tuple[int | None, str]]) -> ShareSplit:
        out: list[tuple[int, Decimal]] = []
        for sid, text in rows:
            if sid is None:
                continue
            try:
                pct = Decimal(text.strip().rstrip("%") or "0")
            except InvalidOperation:
                pct = Decimal(-1)
            out.append((sid, pct))
        return cls(out)

    def total(self) -> Decimal:
        return sum((p for _, p in self.entries), Decimal(0))

    def problem(self) -> str | None:
        """Why the split cannot be sent yet (``None``: ready)."""
        if len(self.entries) < 2:
            return "Pick at least two sellers."
        if len(self.entries) > 4:
            return "At most four sellers share a claim."
        ids = [sid for sid, _ in self.entries]
        if len(set(ids)) != len(ids):
            return "Each seller once."
        if any(p <= 0 for _, p in self.entries):
            return "Every share must be above 0 %."
        if any(p != p.quantize(Decimal("0.01")) for _, p in self.entries):
            return "Shares take at most two decimals."
        total = self.total()
        if total != 100:
            return f"Shares add up to {total.normalize():f} % — they must make exactly 100 %."
        return None

    def payload(self) -> list[dict[str, Any]]:
        """``[{"seller_id", "share": "0.6000"}]``: fractions with four decimals summing to 1."""
        if self.problem():
            raise InputError(self.problem() or "")
        return [
            {
                "seller_id": sid,
                "share": f"{(pct / 100).quantize(Decimal('0.0001'), ROUND_HALF_UP)}",
            }
            for sid, pct in self.entries
        ]


def error_sentence(status: int, code: str, message: str, what: str = "") -> str:
    """An API error as one sentence for the window's message line."""
    prefix = f"{what}: " if what else ""
    if status == 403:
        return f"{prefix}your role may not do this (the server said no)."
    if status == 409 and code == "stale":
        return f"{prefix}someone changed it meanwhile — reloaded the latest; check and try again."
    if status == 501:
        return f"{prefix}this server does not do that yet."
    return f"{prefix}{message}" if message else f"{prefix}failed ({status} {code})."
