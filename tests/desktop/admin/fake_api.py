"""A fake of the admin and finance API (CONTRACT §4a) for tests, the bench and screenshots.

``FakeAdmin`` holds the data and answers ``handle(method, path, query, body)``; use it
in-process through ``transport()`` (an ``httpx.MockTransport`` for ``ApiClient``) or over
loopback with ``serve()`` (uvicorn in a thread, with a Socket.IO server so ``emit()`` sends
live events). Claims are computed from their number, so 100,000 of them cost a few lists.

    python -m tests.desktop.admin.fake_api --port 8765 --claims 100000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

SELLERS = [
    (1, "Ayşe Yılmaz", "sales"),
    (2, "Mehmet Demir", "sales"),
    (3, "Zeynep Kaya", "sales"),
    (4, "Can Öztürk", "sales"),
    (5, "Elif Şahin", "sales_lead"),
    (6, "Burak Arslan", "sales"),
    (7, "Deniz Aydın", "sales"),
    (8, "Selin Koç", "sales"),
]
USERS = {
    "admin@example.com": (90, "Ada Admin", "admin"),
    "finance@example.com": (91, "Fatma Finans", "finance"),
    "lead@example.com": (5, "Elif Şahin", "sales_lead"),
    "sales@example.com": (1, "Ayşe Yılmaz", "sales"),
}
CUSTOMERS = [
    "Hannah Becker",
    "Lucas Martin",
    "Sofia Rossi",
    "Omar Haddad",
    "Emma Johansson",
    "Yusuf Çelik",
    "Chloé Dubois",
    "Mateo García",
    "Aylin Kurt",
    "Noah Fischer",
    "Mia Novak",
    "Leo Costa",
    "Isabella Silva",
    "Arjun Mehta",
    "Olivia Brown",
]
CAMPAIGNS = [
    (11, "Spring Upgrade"),
    (12, "Winback Q2"),
    (13, "Enterprise Trial"),
    (14, "Annual Plan Push"),
    (15, "Partner Referral"),
]
STATUSES = ("approved", "approved", "approved", "waiting", "installment", "problem", "approved")
TYPES = ("first_sales", "first_sales", "remarketing", "upgrade", "installment")
TODAY = date(2025, 6, 18)
PAGE_MAX = 500


def _err(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message}}


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


class FakeAdmin:
    def __init__(self, n_claims: int = 300, *, latency: float = 0.0) -> None:
        self.n = n_claims
        self.latency = latency
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.tokens: dict[str, tuple[int, str, str]] = {}
        self.fail: dict[tuple[str, str], tuple[int, Any]] = {}  # (method, path) → answer
        self.overrides: dict[int, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.down = False  # the in-process transport refuses connections
        n = n_claims
        # per-claim columns for filters and sorting (cheap lists, not dicts)
        self.c_seller = [SELLERS[(i * 7) % 8][0] for i in range(1, n + 1)]
        self.c_status = [STATUSES[(i * 3) % len(STATUSES)] for i in range(1, n + 1)]
        self.c_type = [TYPES[(i * 5) % len(TYPES)] for i in range(1, n + 1)]
        self.c_rev = [20_000 + (i * 7919) % 480_000 for i in range(1, n + 1)]
        self.c_refunded = [i % 97 == 0 for i in range(1, n + 1)]
        self.events: list[dict[str, Any]] = []
        self._sio: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.server: Any = None
        self._seed_small()

    # -- data ------------------------------------------------------------------------
    def _seed_small(self) -> None:
        self.queue: list[dict[str, Any]] = []
        for i in range(1, 41):
            cust = CUSTOMERS[i % len(CUSTOMERS)]
            rev = 30_000 + (i * 3571) % 300_000
            cost = rev * (40 + i % 35) // 100
            st = "pending" if i <= 24 else ("claimed" if i <= 36 else "excluded")
            fs = ("waiting", "approved", "problem", "approved", "installment")[i % 5]
            self.queue.append(
                {
                    "id": 5000 + i,
                    "subscription_id": 90000 + i,
                    "version": 1,
                    "customer": {"email": f"{cust.split()[0].lower()}@mail.example", "name": cust},
                    "campaign": {"id": CAMPAIGNS[i % 5][0], "name": CAMPAIGNS[i % 5][1]},
                    "revenue_usd": _money(rev),
                    "cost_usd": _money(cost),
                    "margin_amount_usd": _money(rev - cost),
                    "margin_percent": f"{(rev - cost) / rev:.4f}",
                    "is_jackpot": rev > 300_000,
                    "tts_days": i % 9,
                    "margin_quality": "healthy",
                    "finance_status": fs,
                    "problem_reason": "card declined twice" if fs == "problem" else None,
                    "created_at": f"2025-06-18T{8 + i % 9:02d}:{(i * 7) % 60:02d}:00+03:00",
                    "status": st,
                    "note": "",
                }
            )
        self.sellers = [
            {
                "id": sid,
                "email": f"{name.split()[0].lower()}@example.com",
                "name": name,
                "role": role,
                "is_active": sid != 8,
                "hidden_from_tv": sid == 7,
                "version": 1,
                "wins": 40 - sid * 3,
                "revenue_usd": _money(4_000_000 - sid * 310_000),
                "margin_amount_usd": _money(1_500_000 - sid * 120_000),
            }
            for sid, name, role in SELLERS
        ]
        self.plans: list[dict[str, Any]] = []
        for k in range(1, 9):
            status = (
                "active",
                "overdue",
                "active",
                "completed",
                "frozen",
                "overdue",
                "active",
                "cancelled",
            )[k - 1]
            pays = []
            for m in range(6):
                due = TODAY + timedelta(days=30 * (m - 2))
                pst = (
                    "confirmed"
                    if m < 2 and status != "overdue"
                    else ("pending" if m > 1 else "submitted")
                )
                if status == "completed":
                    pst = "confirmed"
                pays.append(
                    {
                        "id": k * 100 + m,
                        "seq": m + 1,
                        "deadline": (due + timedelta(days=3)).isoformat(),
                        "overdue": status == "overdue" and m < 2,
                        "due_on": due.isoformat(),
                        "amount": _money(25_000 + k * 1_000),
                        "status": pst,
                        "paid_at": None,
                    }
                )
            self.plans.append(
                {
                    "id": k,
                    "queue_id": 5000 + k,
                    "claim_id": 10 + k,
                    "status": status,
                    "version": 1,
                    "tolerance_days": 3,
                    "payments": pays,
                    "customer_email": f"{CUSTOMERS[k].split()[0].lower()}@mail.example",
                    "seller": {"id": SELLERS[k % 8][0], "name": SELLERS[k % 8][1]},
                    "subscription_id": 90000 + k,
                    "total_installments": 6,
                    "total_usd": _money(6 * (25_000 + k * 1_000)),
                    "outstanding_usd": _money(
                        sum(
                            int(Decimal(p["amount"]) * 100)
                            for p in pays
                            if p["status"] != "confirmed"
                        )
                    ),
                    "overdue_amount_usd": _money(2 * (25_000 + k * 1_000))
                    if status == "overdue"
                    else "0.00",
                    "next_due_on": next(
                        (p["due_on"] for p in pays if p["status"] != "confirmed"), None
                    ),
                    "note": None,
                }
            )
        self.objections = [
            {
                "id": k,
                "claim_id": 100 + k,
                "status": ("open", "open", "accepted", "rejected", "open")[k % 5],
                "reason": ("wrong_owner", "duplicate", "refund", "other")[k % 4],
                "details": "I spoke to this customer on Monday" if k % 2 else "Same customer twice",
                "raised_by": SELLERS[k % 8][0],
                "raised_by_name": SELLERS[k % 8][1],
                "resolution": None,
                "created_at": f"2025-06-1{k % 8}T10:{k:02d}:00+03:00",
                "note": "",
                "version": 1,
            }
            for k in range(1, 9)
        ]
        self.goals = [
            {
                "id": 1,
                "scope": "team",
                "title": "June revenue",
                "period": "month",
                "target_type": "revenue",
                "target": "250000.00",
                "value": "182340.50",
                "percent": 0.7294,
                "active": True,
                "completed": False,
                "version": 1,
            },
            {
                "id": 2,
                "scope": "team",
                "title": "Wins today",
                "period": "day",
                "target_type": "count",
                "target": "30",
                "value": "21",
                "percent": 0.7,
                "active": True,
                "completed": False,
                "version": 1,
            },
            {
                "id": 3,
                "scope": "personal",
                "seller_id": 2,
                "title": "Mehmet: 15-day margin",
                "period": "15d",
                "target_type": "margin_amount",
                "target": "20000.00",
                "value": "16400.00",
                "percent": 0.82,
                "active": True,
                "completed": False,
                "version": 1,
            },
        ]
        self.challenges = [
            {
                "id": 1,
                "title": "Upgrade sprint",
                "description": "5 upgrades before Friday",
                "metric": "count",
                "claim_type": "upgrade",
                "target": "5",
                "reward_points": 150,
                "starts_at": "2025-06-16T09:00:00+03:00",
                "ends_at": "2025-06-20T18:00:00+03:00",
                "visible": True,
                "version": 1,
                "active": True,
                "progress": {
                    "team": None,
                    "completed": None,
                    "completed_count": 0,
                    "sellers": [
                        {"seller_id": 3, "name": "Zeynep Kaya", "value": "3", "completed": False}
                    ],
                },
            },
            {
                "id": 2,
                "title": "Margin king (test)",
                "description": "Try-out",
                "metric": "margin_amount",
                "claim_type": None,
                "target": "10000",
                "reward_points": 300,
                "starts_at": "2025-06-18T09:00:00+03:00",
                "ends_at": "2025-06-25T18:00:00+03:00",
                "visible": False,
                "version": 1,
                "active": True,
                "progress": {
                    "team": "4120.00",
                    "completed": False,
                    "completed_count": 0,
                    "sellers": [],
                },
            },
        ]
        self.promotions = [
            {
                "id": 1,
                "variant": "promo",
                "title": "Double points on upgrades",
                "body": "Every upgrade claimed today scores twice.",
                "starts_at": "2025-06-18T09:00:00+03:00",
                "ends_at": "2025-06-18T18:00:00+03:00",
                "version": 1,
                "showing": True,
                "ended_at": None,
            },
            {
                "id": 2,
                "variant": "info",
                "title": "Team lunch at 12:30",
                "body": "Pizza in the big room.",
                "starts_at": "2025-06-18T11:00:00+03:00",
                "ends_at": "2025-06-18T13:00:00+03:00",
                "version": 1,
                "showing": False,
                "ended_at": None,
            },
        ]
        self.audit = [
            {
                "id": k,
                "at": f"2025-06-18T{9 + k % 8:02d}:{k * 3 % 60:02d}:00+03:00",
                "actor": {"id": 91, "name": "Fatma Finans"},
                "action": (
                    "claim.finance_status",
                    "claim.adjustment",
                    "queue.exclude",
                    "seller.update",
                )[k % 4],
                "entity": ("claim", "claim", "queue", "seller")[k % 4],
                "entity_id": 100 + k,
                "before": {"finance_status": "waiting"},
                "after": {"finance_status": "approved"},
                "reason": "" if k % 3 else "customer called",
            }
            for k in range(30, 0, -1)
        ]
        self.devices = [
            {
                "id": 1,
                "name": "Sales floor TV",
                "last_seen_at": "2025-06-18T14:02:11+03:00",
                "created_at": "2025-05-02T10:00:00+03:00",
                "revoked_at": None,
                "connected": True,
            },
            {
                "id": 2,
                "name": "Kitchen TV",
                "last_seen_at": "2025-06-17T18:00:40+03:00",
                "created_at": "2025-05-09T10:00:00+03:00",
                "revoked_at": None,
                "connected": False,
            },
        ]
        self.periods = [{"month": "2025-05", "closed": True}, {"month": "2025-06", "closed": False}]

    def claim(self, cid: int) -> dict[str, Any]:
        i = cid - 1
        sid = self.c_seller[i]
        name = next(n for s, n, _ in SELLERS if s == sid)
        rev = self.c_rev[i]
        cost = rev * (35 + cid % 40) // 100
        minutes = (self.n - cid) * 7  # newest claim = the highest id
        at = time.strftime("%Y-%m-%dT%H:%M:00+03:00", time.gmtime(1750240800 - minutes * 60))
        cust = CUSTOMERS[cid % len(CUSTOMERS)]
        camp = CAMPAIGNS[cid % len(CAMPAIGNS)]
        c: dict[str, Any] = {
            "id": cid,
            "version": 1,
            "queue_id": 20000 + cid,
            "subscription_id": 700000 + cid,
            "seller": {"id": sid, "name": name},
            "claim_type": self.c_type[i],
            "finance_status": self.c_status[i],
            "claimed_at": at,
            "customer": {"email": f"{cust.split()[0].lower()}{cid}@mail.example", "name": cust},
            "campaign": {"id": camp[0], "name": camp[1]},
            "revenue_usd": _money(rev),
            "cost_usd": _money(cost),
            "margin_amount_usd": _money(rev - cost),
            "adjustments_usd": "0.00",
            "adjusted_margin_usd": _money(rev - cost),
            "refunded": self.c_refunded[i],
            "shares": [{"seller_id": sid, "name": name, "share": "1.0000"}],
            "installment_plan_id": None,
        }
        c.update(self.overrides.get(cid, {}))
        return c

    def claim_detail(self, cid: int) -> dict[str, Any]:
        c = self.claim(cid)
        c.setdefault("adjustments", [])
        c.setdefault("refund", None)
        c.setdefault("objections", [o for o in self.objections if o["claim_id"] == cid])
        c.setdefault("installment_plan", None)
        c["timeline"] = [
            {
                "at": c["claimed_at"],
                "kind": "queued",
                "actor": None,
                "detail": {"campaign": c["campaign"]["name"]},
            },
            {
                "at": c["claimed_at"],
                "kind": "claimed",
                "actor": c["seller"],
                "detail": {"claim_type": c["claim_type"]},
            },
            *c.get("_audit", []),
        ]
        c.pop("_audit", None)
        return c

    # -- HTTP ------------------------------------------------------------------------
    def user_of(self, headers: dict[str, str]) -> tuple[int, str, str] | None:
        auth = headers.get("authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer ").strip())

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        if self.latency and self.server is not None:  # loopback: a slow server thread
            time.sleep(self.latency)
        self.calls.append((method, path, query, body))
        if (method, path) in self.fail:
            return self.fail[(method, path)]
        if path == "/api/auth/login" and method == "POST":
            u = USERS.get(str((body or {}).get("email")))
            if u is None or (body or {}).get("password") != "secret":
                return _err(401, "bad_credentials", "Wrong email or password.")
            token = base64.b64encode(f"{u[0]}:{time.time_ns()}".encode()).decode()
            self.tokens[token] = u
            return 200, {"token": token, "user": self._user(u)}
        user = self.user_of(headers)
        if user is None:
            return _err(401, "unauthorized", "Log in first.")
        if path == "/api/auth/me":
            return 200, {"user": self._user(user)}
        if path == "/healthz":
            return 200, {"ok": True}
        role = user[2]
        if path.startswith("/api/admin") and role == "sales":
            return _err(403, "forbidden", "Your role may not do this.")
        with self.lock:
            return self._route(method, path, query, body or {}, user)

    @staticmethod
    def _user(u: tuple[int, str, str]) -> dict[str, Any]:
        return {"id": u[0], "name": u[1], "role": u[2], "email": "x@example.com"}

    def _page(self, rows: list[dict[str, Any]], key: str, query: dict[str, str]) -> tuple[int, Any]:
        limit = int(query.get("limit", 100))
        if not 1 <= limit <= PAGE_MAX:
            return _err(422, "invalid", "limit must be 1–500.")
        start = int(query.get("cursor") or 0)
        chunk = rows[start : start + limit]
        nxt = str(start + limit) if start + limit < len(rows) else None
        return 200, {key: chunk, "next_cursor": nxt, "total": len(rows)}

    def claim_ids(self, q: dict[str, str]) -> list[int] | tuple[int, Any]:
        for k in q:
            if k not in (
                "from",
                "to",
                "seller_id",
                "finance_status",
                "claim_type",
                "refunded",
                "q",
                "sort",
                "limit",
                "cursor",
            ):
                return _err(422, "invalid", f"Unknown filter {k}.")
        if q.get("finance_status") and q["finance_status"] not in (
            "waiting",
            "approved",
            "installment",
            "problem",
        ):
            return _err(422, "invalid", "finance_status: unknown value.")
        ids: Any = range(self.n, 0, -1)
        if any(k in q for k in ("seller_id", "finance_status", "claim_type", "refunded", "q")):
            sid = int(q["seller_id"]) if q.get("seller_id") else None
            fs, ct, rf = q.get("finance_status"), q.get("claim_type"), q.get("refunded")
            text = (q.get("q") or "").lower()
            out = []
            for cid in ids:
                i = cid - 1
                ov = self.overrides.get(cid, {})
                if sid is not None and ov.get("seller", {}).get("id", self.c_seller[i]) != sid:
                    continue
                if fs and ov.get("finance_status", self.c_status[i]) != fs:
                    continue
                if ct and self.c_type[i] != ct:
                    continue
                if rf and ov.get("refunded", self.c_refunded[i]) != (rf == "true"):
                    continue
                if (
                    text
                    and text not in CUSTOMERS[cid % len(CUSTOMERS)].lower()
                    and text not in CAMPAIGNS[cid % 5][1].lower()
                ):
                    continue
                out.append(cid)
            ids = out
        sort = q.get("sort", "-claimed_at")
        if sort.lstrip("-") in ("revenue_usd", "margin_amount_usd"):
            ids = sorted(ids, key=lambda c: self.c_rev[c - 1], reverse=sort.startswith("-"))
        elif sort == "claimed_at":
            ids = sorted(ids)
        return list(ids)

    def _route(
        self,
        method: str,
        path: str,
        q: dict[str, str],
        body: dict[str, Any],
        user: tuple[int, str, str],
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        fin = user[2] in ("finance", "admin")
        if path == "/api/admin/claims" and method == "GET":
            ids = self.claim_ids(q)
            if isinstance(ids, tuple):
                return ids
            limit = int(q.get("limit", 100))
            start = int(q.get("cursor") or 0)
            chunk = [self.claim(c) for c in ids[start : start + limit]]
            nxt = str(start + limit) if start + limit < len(ids) else None
            return 200, {"claims": chunk, "next_cursor": nxt, "total": len(ids)}
        if parts[:3] == ["api", "admin", "claims"] and len(parts) >= 4:
            try:
                cid = int(parts[3])
            except ValueError:
                return _err(404, "not_found", "No such claim.")
            if not 1 <= cid <= self.n:
                return _err(404, "not_found", "No such claim.")
            if method == "GET":
                return 200, {"claim": self.claim_detail(cid)}
            if not fin:
                return _err(403, "forbidden", "Finance only.")
            return self._claim_write(cid, parts[4] if len(parts) > 4 else "", method, body, user)
        if path == "/api/admin/queue" and method == "GET":
            st = q.get("status", "pending")
            rows = [i for i in self.queue if st == "all" or i["status"] == st]
            if q.get("finance_status"):
                rows = [i for i in rows if i["finance_status"] == q["finance_status"]]
            if q.get("q"):
                rows = [i for i in rows if q["q"].lower() in json.dumps(i).lower()]
            return self._page(rows, "items", q)
        if path == "/api/admin/queue/finance-status" and method == "POST":
            ids = body.get("ids") or []
            items = [i for i in self.queue if i["id"] in ids]
            if len(items) != len(ids):
                return _err(404, "not_found", "An item is unknown; nothing changed.")
            for i in items:
                i["finance_status"] = body.get("finance_status")
                i["version"] += 1
            return 200, {"items": items}
        if parts[:3] == ["api", "admin", "queue"] and len(parts) >= 4:
            item = next((i for i in self.queue if str(i["id"]) == parts[3]), None)
            if item is None:
                return _err(404, "not_found", "No such item.")
            if len(parts) == 5 and parts[4] == "exclude":
                if item["status"] != "pending":
                    return _err(409, "not_pending", "Only a pending item can be excluded.")
                item["status"] = "excluded"
                item["note"] = body.get("reason", "")
                item["version"] += 1
                return 200, {"item": item}
            if "version" in body and body["version"] != item["version"]:
                return _err(409, "stale", "Someone changed this item meanwhile.")
            for k in ("finance_status", "customer_name", "note"):
                if k in body:
                    if k == "customer_name":
                        item["customer"] = {**item["customer"], "name": body[k]}
                    else:
                        item[k] = body[k]
            item["version"] += 1
            return 200, {"item": item}
        if path == "/api/queue/manual" and method == "POST":
            new = dict(
                self.queue[0],
                id=6000 + len(self.queue),
                version=1,
                status="pending",
                customer={"email": body.get("customer_email"), "name": body.get("customer_name")},
                revenue_usd=str(body.get("amount")),
                note=body.get("note", ""),
            )
            self.queue.insert(0, new)
            return 201, {"item": new}
        simple = {
            "sellers": self.sellers,
            "goals": self.goals,
            "challenges": self.challenges,
            "promotions": self.promotions,
            "objections": self.objections,
            "devices": self.devices,
            "audit": self.audit,
            "periods": self.periods,
        }
        if (
            len(parts) == 3
            and parts[:2] == ["api", "admin"]
            and parts[2] in simple
            and method == "GET"
        ):
            rows = simple[parts[2]]
            if parts[2] == "objections" and q.get("status"):
                rows = [o for o in rows if o["status"] == q["status"]]
            if parts[2] == "audit" and q.get("entity"):
                rows = [e for e in rows if e["entity"] == q["entity"]]
            if parts[2] in ("audit", "devices") and user[2] == "sales_lead":
                return _err(403, "forbidden", "Finance only.")
            key = "entries" if parts[2] == "audit" else parts[2]
            return self._page(rows, key, q)
        if path == "/api/admin/installments" and method == "GET":
            rows = [p for p in self.plans if not q.get("status") or p["status"] == q["status"]]
            st, body_ = self._page(rows, "plans", q)
            body_["summary"] = {
                "active": 3,
                "overdue": 2,
                "pending_payments": 17,
                "overdue_amount_usd": "540.00",
            }
            return st, body_
        if (
            parts[:3] == ["api", "admin", "sellers"]
            and len(parts) == 5
            and parts[4] == "performance"
        ):
            days = [
                {
                    "date": (TODAY - timedelta(days=29 - d)).isoformat(),
                    "wins": (d * 7) % 5,
                    "revenue_usd": _money(((d * 7919) % 9) * 40_000),
                    "margin_amount_usd": _money(((d * 31) % 7) * 15_000),
                }
                for d in range(30)
            ]
            return 200, {
                "metrics": {"wins": {"value": 31, "previous": 27, "change_percent": "14.8"}},
                "daily": days,
            }
        if parts[:3] == ["api", "admin", "sellers"] and len(parts) == 4 and method == "PATCH":
            s = next((x for x in self.sellers if str(x["id"]) == parts[3]), None)
            if s is None:
                return _err(404, "not_found", "No such seller.")
            if "version" in body and body["version"] != s["version"]:
                return _err(409, "stale", "Someone changed this seller meanwhile.")
            s.update({k: v for k, v in body.items() if k != "version"})
            s["version"] += 1
            return 200, {"seller": s}
        if path == "/api/admin/overview":
            return 200, self._overview(q.get("month") or "2025-06")
        if (
            len(parts) >= 3
            and parts[2] in ("goals", "challenges", "promotions")
            and method in ("POST", "PATCH", "DELETE")
        ):
            rows = simple[parts[2]]
            if method == "POST":
                new = dict(body, id=len(rows) + 1, version=1)
                rows.append(new)
                return 201, {parts[2][:-1]: new}
            obj = next((x for x in rows if str(x["id"]) == parts[3]), None)
            if obj is None:
                return _err(404, "not_found", "Not found.")
            if "version" in body and body["version"] != obj["version"]:
                return _err(409, "stale", "Someone changed it meanwhile.")
            if method == "DELETE":
                obj["ended_at"] = "2025-06-18T15:00:00+03:00"
                obj["status"] = "ended"
            else:
                obj.update({k: v for k, v in body.items() if k != "version"})
            obj["version"] += 1
            return 200, {parts[2][:-1]: obj}
        if parts[:3] == ["api", "admin", "objections"] and len(parts) == 4 and method == "POST":
            o = next((x for x in self.objections if str(x["id"]) == parts[3]), None)
            if o is None:
                return _err(404, "not_found", "No such objection.")
            if o["status"] != "open":
                return _err(409, "already_resolved", "This objection is already resolved.")
            o["status"] = "accepted" if body.get("decision") == "accept" else "rejected"
            o["resolution"] = body.get("note", "")
            o["version"] += 1
            return 200, {
                "objection": o,
                "claim": self.claim(o["claim_id"]) if o["claim_id"] <= self.n else None,
            }
        if parts[:3] == ["api", "admin", "installments"] and method == "POST" and len(parts) == 3:
            plan = {
                "id": len(self.plans) + 1,
                "queue_id": body.get("queue_id"),
                "claim_id": None,
                "status": "active",
                "version": 1,
                "tolerance_days": body.get("tolerance_days", 0),
                "payments": [
                    dict(p, id=900 + n, status="pending", paid_at=None)
                    for n, p in enumerate(body.get("payments", []))
                ],
            }
            self.plans.append(plan)
            return 201, {"plan": plan}
        if parts[:3] == ["api", "admin", "installments"] and len(parts) >= 4:
            plan = next((x for x in self.plans if str(x["id"]) == parts[3]), None)
            if plan is None:
                return _err(404, "not_found", "No such plan.")
            if len(parts) == 6 and parts[4] == "payments":
                for p in plan["payments"]:
                    if str(p["id"]) == parts[5]:
                        p["status"] = body.get("status")
            elif len(parts) == 5 and parts[4] == "tolerance":
                plan["tolerance_days"] = body.get("days")
            elif method == "PATCH":
                if "version" in body and body["version"] != plan["version"]:
                    return _err(409, "stale", "Someone changed this plan meanwhile.")
                plan["status"] = body.get("status")
            plan["version"] += 1
            return 200, {"plan": plan}
        if parts[:3] == ["api", "admin", "periods"] and len(parts) == 5:
            for p in self.periods:
                if p["month"] == parts[3]:
                    p["closed"] = parts[4] == "close"
                    return 200, {"period": p}
            return _err(404, "not_found", "No such month.")
        if path == "/api/admin/devices/pair" and method == "POST":
            if body.get("code") != "K7PQ-4XZD":
                return _err(404, "not_found", "No TV shows that code (it may have expired).")
            d = {
                "id": len(self.devices) + 1,
                "name": body.get("name"),
                "last_seen_at": None,
                "created_at": "2025-06-18T15:00:00+03:00",
                "revoked_at": None,
            }
            self.devices.append(d)
            return 201, {"device": d}
        if parts[:3] == ["api", "admin", "devices"] and len(parts) == 4 and method == "DELETE":
            for d in self.devices:
                if str(d["id"]) == parts[3]:
                    d["revoked_at"] = "2025-06-18T15:00:00+03:00"
                    return 200, {"device": d}
            return _err(404, "not_found", "No such device.")
        return _err(404, "not_found", f"{method} {path} is not served by the fake.")

    def _claim_write(
        self, cid: int, action: str, method: str, body: dict[str, Any], user: tuple[int, str, str]
    ) -> tuple[int, Any]:
        c = self.claim(cid)
        ov = self.overrides.setdefault(cid, {})
        if "version" in body and body["version"] != c["version"]:
            return _err(409, "stale", "Someone changed this claim meanwhile.")
        out: dict[str, Any] = {}
        if action == "" and method == "PATCH":
            ov["finance_status"] = body.get("finance_status", c["finance_status"])
        elif action == "adjustment":
            amt = Decimal(str(body.get("amount")))
            adj = Decimal(c["adjustments_usd"]) + amt
            ov["adjustments_usd"] = f"{adj:.2f}"
            ov["adjusted_margin_usd"] = f"{Decimal(c['margin_amount_usd']) - adj:.2f}"
            out["adjustment"] = {"reason": body.get("reason"), "amount": f"{amt:.2f}"}
        elif action == "shares":
            names = {s: n for s, n, _ in SELLERS}
            ov["shares"] = [
                dict(s, name=names.get(s["seller_id"], "?")) for s in body.get("shares", [])
            ]
        elif action == "reassign":
            sid = body.get("seller_id")
            names = {s: n for s, n, _ in SELLERS}
            if sid not in names:
                return _err(422, "invalid", "seller_id: not an active seller.")
            ov["seller"] = {"id": sid, "name": names[sid]}
            ov["shares"] = [{"seller_id": sid, "name": names[sid], "share": "1.0000"}]
        elif action == "refund":
            if c["refunded"]:
                return _err(409, "already_refunded", "This claim is already refunded.")
            ov["refunded"] = True
            out["refund"] = {"reason": body.get("reason")}
        else:
            return _err(404, "not_found", "No such action.")
        ov["version"] = c["version"] + 1
        out["claim"] = self.claim(cid)
        return (201 if action in ("adjustment", "refund") else 200), out

    def _overview(self, month: str) -> dict[str, Any]:
        daily = [
            {
                "date": f"{month}-{d:02d}",
                "wins": 8 + (d * 7) % 9,
                "revenue_usd": _money(900_000 + (d * 7919) % 600_000),
                "margin_amount_usd": _money(300_000 + (d * 3571) % 250_000),
            }
            for d in range(1, 19)
        ]
        return {
            "month": month,
            "totals": {
                "wins": 214,
                "revenue_usd": "231840.50",
                "cost_usd": "139104.30",
                "margin_amount_usd": "92736.20",
                "adjustments_usd": "1820.00",
                "refunds_usd": "3480.00",
                "margin_percent": "0.4000",
            },
            "previous": {
                "wins": 198,
                "revenue_usd": "214002.00",
                "cost_usd": "130541.22",
                "margin_amount_usd": "83460.78",
                "adjustments_usd": "2410.00",
                "refunds_usd": "1200.00",
                "margin_percent": "0.3900",
            },
            "daily": daily,
            "by_seller": [
                {
                    "seller_id": s["id"],
                    "name": s["name"],
                    "wins": s["wins"],
                    "margin_amount_usd": s["margin_amount_usd"],
                }
                for s in self.sellers
            ],
            "by_campaign": [
                {"campaign": {"id": c, "name": n}, "wins": 40 - c} for c, n in CAMPAIGNS
            ],
        }

    # -- adapters ----------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        async def slow(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(self.latency)
            return handler(request)

        def handler(request: httpx.Request) -> httpx.Response:
            if self.latency and not getattr(request, "_slept", False):
                request._slept = True  # type: ignore[attr-defined]
                return slow(request)  # type: ignore[return-value]
            if self.down:
                raise httpx.ConnectError("connection refused", request=request)
            url = urlsplit(str(request.url))
            query = dict(parse_qsl(url.query))
            body = json.loads(request.content) if request.content else None
            headers = {k.lower(): v for k, v in request.headers.items()}
            if url.path == "/api/admin/export/claims.csv":
                return httpx.Response(200, content=self.claims_csv(query))
            status, out = self.handle(request.method, url.path, query, body, headers)
            return httpx.Response(status, json=out)

        return httpx.MockTransport(handler)

    def claims_csv(self, query: dict[str, str]) -> bytes:
        ids = self.claim_ids(query)
        rows = ["id,seller,revenue_usd"] + [
            f"{c['id']},{c['seller']['name']},{c['revenue_usd']}"
            for c in (self.claim(i) for i in (ids if isinstance(ids, list) else [])[:1000])
        ]
        return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()

    def asgi(self) -> Any:
        import socketio

        sio = socketio.AsyncServer(
            async_mode="asgi", cors_allowed_origins="*", logger=False, engineio_logger=False
        )
        self._sio = sio

        @sio.event
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            return True

        fake = self

        async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            chunks = []
            while True:
                msg = await receive()
                chunks.append(msg.get("body", b""))
                if not msg.get("more_body"):
                    break
            raw = b"".join(chunks)
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            query = dict(parse_qsl(scope.get("query_string", b"").decode()))
            path = scope["path"]
            if path == "/_fake/burst":  # the bench: N live events as fast as the server sends
                await fake.burst(json.loads(raw or b"{}"))
                data, ctype, status = b"{}", b"application/json", 200
            elif path == "/api/admin/export/claims.csv":
                data, ctype, status = fake.claims_csv(query), b"text/csv; charset=utf-8", 200
            else:
                status, out = await asyncio.to_thread(
                    fake.handle,
                    scope["method"],
                    path,
                    query,
                    json.loads(raw) if raw else None,
                    headers,
                )
                data, ctype = json.dumps(out).encode(), b"application/json"
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", ctype),
                        (b"content-length", str(len(data)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": data})

        return socketio.ASGIApp(sio, other_asgi_app=http)

    def serve(self, port: int = 0) -> str:
        """Start uvicorn on 127.0.0.1 in a thread → the base URL."""
        import socket

        import uvicorn

        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.asgi(), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self.server.serve(sockets=[sock]))

        threading.Thread(target=run, daemon=True, name="fake-admin").start()
        while not getattr(self.server, "started", False):
            time.sleep(0.02)
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True

    def emit(self, kind: str, payload: dict[str, Any], actor: dict[str, Any] | None = None) -> None:
        """Send one live event to every connected socket (from any thread)."""
        env = {
            "id": len(self.events) + 1,
            "type": kind,
            "payload": payload,
            "actor": actor,
            "created_at": "2025-06-18T15:00:00+03:00",
        }
        self.events.append(env)
        if self._sio is not None and self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._sio.emit(kind, env), self._loop).result(5)

    async def burst(self, spec: dict[str, Any]) -> None:
        """``{"n": 200, "claims": [ids]}``: a mix of claim, finance and queue events."""
        n = int(spec.get("n", 200))
        ids = list(spec.get("claims") or [self.n])
        actor = {"id": 5, "name": "Elif Şahin"}
        for k in range(n):
            kind = ("claim.adjusted", "finance.status_changed", "queue.updated", "queue.new")[k % 4]
            if kind == "claim.adjusted":
                cid = ids[k % len(ids)]
                payload: dict[str, Any] = {
                    "claim_id": cid,
                    "queue_id": 20000 + cid,
                    "change": "adjustment",
                    "seller_ids": [1],
                }
            elif kind == "queue.new":
                payload = {"item": dict(self.queue[0], id=80000 + k, status="pending")}
            else:
                item = self.queue[k % len(self.queue)]
                payload = {"item": dict(item, finance_status=("approved", "waiting")[k % 2])}
            env = {
                "id": len(self.events) + 1,
                "type": kind,
                "payload": payload,
                "actor": actor,
                "created_at": "2025-06-18T15:00:00+03:00",
            }
            self.events.append(env)
            if self._sio is not None:
                await self._sio.emit(kind, env)

    def connected(self) -> int:
        """Sockets connected to the fake right now."""
        if self._sio is None:
            return 0
        return len(self._sio.manager.rooms.get("/", {}).get(None, {}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--claims", type=int, default=100_000)
    a = p.parse_args()
    fake = FakeAdmin(a.claims)
    print(fake.serve(a.port), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
