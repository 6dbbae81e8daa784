"""Rows as the tables show them where the API's object is nested: installment plans (paid,
next due), challenges (progress), the monthly overview (month against the previous)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from winroom_desktop.state.format import money_card, percent


def _dec(v: Any) -> Decimal | None:
    if v is None or v == "":
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return None


def plan_row(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan as its row: the server's sums when it sends them (``paid_usd``,
    ``outstanding_usd``, ``next_due_on``), else worked out from the payments."""
    payments = [p for p in plan.get("payments") or [] if isinstance(p, dict)]
    confirmed = sum(1 for p in payments if p.get("status") == "confirmed")
    open_ = [p for p in payments if p.get("status") != "confirmed"]
    total = sum((_dec(p.get("amount")) or Decimal(0) for p in payments), Decimal(0))
    left = sum((_dec(p.get("amount")) or Decimal(0) for p in open_), Decimal(0))
    row = dict(plan)
    row["payments"] = [
        dict(
            p,
            seq=p.get("seq", n + 1),
            state="overdue"
            if p.get("overdue") and p.get("status") != "confirmed"
            else p.get("status"),
        )
        for n, p in enumerate(payments)
    ]
    row["paid"] = f"{confirmed}/{plan.get('total_installments') or len(payments)}"
    row["next_due"] = plan.get("next_due_on") or (open_[0].get("due_on") if open_ else None)
    row["total_amount"] = plan.get("total_usd") or f"{total:.2f}"
    row["outstanding"] = plan.get("outstanding_usd") or f"{left:.2f}"
    cust = plan.get("customer")
    row["customer_label"] = plan.get("customer_email") or (
        (cust.get("name") or cust.get("email")) if isinstance(cust, dict) else ""
    )
    return row


def challenge_row(ch: dict[str, Any]) -> dict[str, Any]:
    """Progress as a line: the team's total, or the leader and how many reached it."""
    row = dict(ch)
    prog = ch.get("progress")
    text = ""
    if isinstance(prog, dict):
        if prog.get("team") is not None:
            text = f"team {prog['team']} of {ch.get('target')}"
            if prog.get("completed"):
                text += " ✓"
        elif isinstance(prog.get("sellers"), list):
            sellers = prog["sellers"]
            lead = sellers[0] if sellers else None
            text = f"lead {lead.get('name')} {lead.get('value')}" if lead else "nobody yet"
            text += f" · {prog.get('completed_count', 0)} reached {ch.get('target')}"
        elif "value" in prog:
            pct = prog.get("percent")
            text = f"{prog['value']} of {ch.get('target')}"
            if pct is not None:
                text += f" ({percent(pct)})"
    row["progress"] = text
    if ch.get("visible") is False:
        row["progress"] = f"TEST RUN · {text or 'no progress yet'}"
    row["status"] = "ended" if ch.get("active") is False or ch.get("ended_at") else "active"
    return row


def goal_row(goal: dict[str, Any], names: dict[int, str] | None = None) -> dict[str, Any]:
    """A goal's row: money targets as money, the seller's name, active / reached / ended
    (``percent`` is a fraction, 1 = reached)."""
    row = dict(goal)  # target and value stay as sent: the edit form starts from them
    money = goal.get("target_type") in ("revenue", "margin_amount")
    row["target_label"] = money_card(goal.get("target")) if money else str(goal.get("target", ""))
    value = goal.get("value")
    row["value_label"] = (money_card(value) if money else str(value)) if value is not None else ""
    seller = goal.get("seller")
    sid = goal.get("seller_id")
    if isinstance(seller, dict):
        row["seller_label"] = str(seller.get("name") or "")
    else:
        row["seller_label"] = (names or {}).get(sid, f"#{sid}") if sid else ""
    ended = goal.get("active") is False or goal.get("ended_at")
    row["status"] = "ended" if ended else ("reached" if goal.get("completed") else "active")
    return row


def objection_row(o: dict[str, Any]) -> dict[str, Any]:
    row = dict(o)
    seller = o.get("seller")
    row["raised_by_label"] = o.get("raised_by_name") or (
        seller.get("name") if isinstance(seller, dict) else f"#{o.get('raised_by', '')}"
    )
    row["resolution_label"] = o.get("resolution") or o.get("note") or ""
    return row


OVERVIEW_METRICS = (
    ("wins", "Wins", "count"),
    ("revenue_usd", "Revenue", "money"),
    ("margin_amount_usd", "Margin", "money"),
    ("margin_percent", "Margin %", "percent"),
    ("adjustments_usd", "Adjustments", "money"),
    ("refunds_usd", "Refunds", "money"),
)


def overview_rows(body: dict[str, Any]) -> list[dict[str, str]]:
    """``[{metric, this, previous, change}]``: the month against the previous one."""
    now = body.get("totals") or {}
    prev = body.get("previous") or body.get("previous_totals") or {}
    out = []
    for key, label, kind in OVERVIEW_METRICS:
        a, b = _dec(now.get(key)), _dec(prev.get(key))
        if kind == "money":
            this_t, prev_t = money_card(now.get(key)), money_card(prev.get(key))
        elif kind == "percent":
            this_t, prev_t = percent(now.get(key), 1), percent(prev.get(key), 1)
        else:
            this_t, prev_t = str(now.get(key, "—")), str(prev.get(key, "—"))
        change = ""
        if a is not None and b is not None:
            if kind == "percent":
                change = f"{(a - b) * 100:+.1f} pts"
            elif b != 0:
                change = f"{(a - b) / abs(b) * 100:+.1f} %"
            elif a != 0:
                change = "new"
        out.append({"metric": label, "this": this_t, "previous": prev_t, "change": change})
    return out


def daily_series(body: dict[str, Any], key: str) -> tuple[list[str], list[float]]:
    days = [d for d in body.get("daily") or [] if isinstance(d, dict)]
    return (
        [str(d.get("date") or "")[-2:] for d in days],
        [float(_dec(d.get(key)) or 0) for d in days],
    )


def top_performers(body: dict[str, Any], n: int = 8) -> list[tuple[str, float, str]]:
    """``[(name, margin, label)]`` ranked by margin (the API's order)."""
    out = []
    for s in (body.get("by_seller") or [])[:n]:
        if not isinstance(s, dict):
            continue
        m = s.get("margin_amount_usd")
        out.append((str(s.get("name") or s.get("seller_id")), float(_dec(m) or 0), money_card(m)))
    return out
