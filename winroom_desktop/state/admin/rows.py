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
    payments = [p for p in plan.get("payments") or [] if isinstance(p, dict)]
    confirmed = sum(1 for p in payments if p.get("status") == "confirmed")
    open_ = [p for p in payments if p.get("status") != "confirmed"]
    total = sum((_dec(p.get("amount")) or Decimal(0) for p in payments), Decimal(0))
    row = dict(plan)
    row["paid"] = f"{confirmed}/{len(payments)}"
    row["next_due"] = open_[0].get("due_on") if open_ else None
    row["next_amount"] = open_[0].get("amount") if open_ else None
    row["total_amount"] = f"{total:.2f}"
    return row


def challenge_row(ch: dict[str, Any]) -> dict[str, Any]:
    row = dict(ch)
    prog = ch.get("progress")
    if isinstance(prog, dict):
        value = prog.get("value")
        pct = prog.get("percent")
        row["progress"] = (
            f"{value} of {ch.get('target')} ({percent(pct)})" if pct is not None else str(value)
        )
    elif isinstance(prog, list):  # per seller: the leader
        best = max(prog, key=lambda p: _dec(p.get("value")) or 0, default=None) if prog else None
        row["progress"] = f"best {best.get('name')}: {best.get('value')}" if best else ""
    if ch.get("visible") is False:
        row["progress"] = f"TEST RUN · {row.get('progress') or 'no progress yet'}"
    return row


def goal_row(goal: dict[str, Any]) -> dict[str, Any]:
    row = dict(goal)
    if goal.get("target_type") in ("revenue", "margin_amount"):
        row["target"] = money_card(goal.get("target"))
        if goal.get("value") is not None:
            row["value"] = money_card(goal.get("value"))
    if goal.get("percent") is not None:
        p = _dec(goal.get("percent"))
        if p is not None and p > 1:  # some servers send 0–100
            row["percent"] = str(p / 100)
    row.setdefault("status", "ended" if goal.get("ended_at") else "active")
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
