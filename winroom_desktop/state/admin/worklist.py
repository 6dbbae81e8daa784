"""The Finance tab: the day's work list — queue items and claims ``waiting`` or ``problem``
and overdue installment plans — in the order finance clears it (problems first, then
overdue plans, then the waiting ones oldest first), one key per decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KIND_ORDER = {"problem": 0, "overdue": 1, "waiting": 2}


@dataclass
class WorkList:
    items: list[dict[str, Any]] = field(default_factory=list)
    done: set[tuple[str, Any]] = field(default_factory=set)

    def load(
        self,
        queue: list[dict[str, Any]],
        claims: list[dict[str, Any]],
        plans: list[dict[str, Any]],
    ) -> None:
        out: list[dict[str, Any]] = []
        for q in queue:
            st = q.get("finance_status")
            if st in ("waiting", "problem") and q.get("status", "pending") == "pending":
                why = q.get("problem_reason") or q.get("note") or f"item {st}, not claimed yet"
                out.append(_entry("queue", q, st, q.get("revenue_usd"), why))
        for c in claims:
            st = c.get("finance_status")
            if st in ("waiting", "problem") and not c.get("refunded"):
                out.append(
                    _entry(
                        "claim",
                        c,
                        st,
                        c.get("revenue_usd"),
                        f"claim {st} · {(c.get('seller') or {}).get('name', '?')}, "
                        f"{str(c.get('claimed_at') or '')[:10]}",
                    )
                )
        for p in plans:
            if p.get("status") == "overdue":
                overdue = [x for x in p.get("payments") or [] if x.get("status") != "confirmed"]
                first = overdue[0] if overdue else {}
                out.append(
                    {
                        "key": ("plan", p.get("id")),
                        "kind": "plan",
                        "ref": f"#{p.get('id')}",
                        "id": f"plan-{p.get('id')}",
                        "obj_id": p.get("id"),
                        "title": (p.get("customer") or {}).get("name") or f"plan {p.get('id')}",
                        "status": "overdue",
                        "amount": first.get("amount"),
                        "detail": f"payment due {first.get('due_on', '?')} not confirmed",
                        "created_at": str(first.get("due_on") or ""),
                        "obj": p,
                    }
                )
        out.sort(key=lambda e: (KIND_ORDER.get(e["status"], 9), e["created_at"], str(e["ref"])))
        self.items = out  # the server is the truth: a cleared row that is back is shown

    def clear(self, row_id: str) -> int | None:
        """An entry dealt with (by its row ``id``) → its former row (the next one takes its
        place); it stays off the list when the list is loaded again."""
        for n, e in enumerate(self.items):
            if e["id"] == row_id:
                self.done.add(e["key"])
                del self.items[n]
                return n
        return None

    def counts(self) -> dict[str, int]:
        c = {"problem": 0, "overdue": 0, "waiting": 0}
        for e in self.items:
            c[e["status"]] = c.get(e["status"], 0) + 1
        return c

    def summary(self, more: bool = False) -> str:
        """``more``: the server holds more than was loaded (the list is the oldest first)."""
        c = self.counts()
        if not self.items:
            return "All clear: nothing waits for finance."
        extra = " (and more: F5 after these)" if more else ""
        return (
            f"{len(self.items):,} to clear{extra} — {c['problem']:,} problem, {c['overdue']:,} "
            f"overdue plan{'s' if c['overdue'] != 1 else ''}, {c['waiting']:,} waiting.   "
            "A approve · P problem · Enter open · ↓ next"
        )


def _entry(kind: str, obj: dict[str, Any], status: str, amount: Any, detail: Any) -> dict[str, Any]:
    return {
        "key": (kind, obj.get("id")),
        "kind": "queue item" if kind == "queue" else kind,
        "ref": f"#{obj.get('id')}",
        "id": f"{kind}-{obj.get('id')}",
        "obj_id": obj.get("id"),
        "title": (obj.get("customer") or {}).get("name") or "",
        "status": status,
        "amount": amount,
        "detail": str(detail or ""),
        "created_at": str(obj.get("created_at") or obj.get("claimed_at") or ""),
        "obj": obj,
    }
