"""Sample room data (HTTP shapes) and sample overlays: for ``winroom tv --overlay KIND``,
the hidden ``--demo-data`` flag, screenshots, tests and the benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from winroom_desktop.state import effects
from winroom_desktop.state.models import Goal
from winroom_desktop.state.overlays import KINDS, Overlay, make_reel
from winroom_desktop.state.snapshot import (
    ACHIEVEMENTS,
    CHALLENGES,
    CLAIMS,
    GOALS,
    PROMOTIONS,
    QUEUE,
    board_path,
)

SELLERS = [
    (1, "Ayşe Yılmaz"),
    (2, "Mehmet Kaya"),
    (3, "Elif Demir"),
    (4, "Can Öztürk"),
    (5, "Zeynep Arslan"),
    (6, "Burak Şahin"),
    (7, "Deniz Aydın"),
    (8, "Selin Koç"),
]
CAMPAIGNS = ["Spring Upgrade", "Pro Annual", "Family Plan", "Winback 40%", "Enterprise Seats"]
CUSTOMERS = [
    ("Jonas Becker", "jonas.becker@gmail.com"),
    ("María López", "maria.lopez@outlook.com"),
    ("Priya Natarajan", "priya.n@yahoo.com"),
    ("Tom O'Neill", "tom@oneill.ie"),
    ("Lea Schmidt", "lea.schmidt@web.de"),
    ("Hiro Tanaka", "hiro@tanaka.jp"),
]


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def queue_item(i: int, now: datetime, **over: Any) -> dict[str, Any]:
    name, email = CUSTOMERS[i % len(CUSTOMERS)]
    revenue = [1449.28, 389.00, 2890.50, 129.99, 760.00, 5120.00][i % 6]
    cost = round(revenue * [0.55, 0.7, 0.48, 0.9, 0.62, 0.5][i % 6], 2)
    margin = round(revenue - cost, 2)
    pct = round(margin / revenue, 4)
    quality = (
        "high" if pct >= 0.45 else "healthy" if pct >= 0.35 else "watch" if pct > 0.2 else "risky"
    )
    item = {
        "id": 100 + i,
        "subscription_id": 5000 + i,
        "source": "core",
        "status": "pending",
        "customer": {"email": email, "name": name},
        "campaign": {"id": 1 + i % len(CAMPAIGNS), "name": CAMPAIGNS[i % len(CAMPAIGNS)]},
        "currency": "USD",
        "payment_channel": "card",
        "revenue_usd": f"{revenue:.2f}",
        "cost_usd": f"{cost:.2f}",
        "margin_amount_usd": f"{margin:.2f}",
        "margin_percent": pct,
        "margin_quality": quality,
        "is_jackpot": revenue >= 5000,
        "tts_days": [2, 0, 11, 5, 1, 3][i % 6],
        "finance_status": ["waiting", "approved", "waiting", "problem", "installment", "waiting"][
            i % 6
        ],
        "problem_reason": "card declined" if i % 6 == 3 else None,
        "core_status": "active",
        "note": None,
        "created_at": _iso(now - timedelta(minutes=3 * i + 1)),
        "queued_at": _iso(now - timedelta(minutes=3 * i + 1)),
    }
    item.update(over)
    return item


def board(name: str, period: str, shift: int = 0) -> dict[str, Any]:
    base = {"wins": 9, "revenue": 14800.0, "margin": 6100.0, "conversion": 0.42}[name]
    rows = []
    for k, (sid, sname) in enumerate(SELLERS):
        f = max(0.08, 1.0 - 0.12 * ((k + shift) % len(SELLERS)))
        v = base * f
        if name == "wins":
            value: Any = round(v)
        elif name == "conversion":
            value = round(v, 4)
        else:
            value = f"{v:.2f}"
        rows.append((sid, sname, value, f))
    rows.sort(key=lambda r: -r[3])
    top = rows[0][3]
    return {
        "board": name,
        "period": period,
        "entries": [
            {
                "seller_id": sid,
                "name": n,
                "value": v,
                "normalized": round(f / top, 4),
                "rank": i + 1,
            }
            for i, (sid, n, v, f) in enumerate(rows)
        ],
    }


def sample_responses(now: datetime | None = None, queue_size: int = 6) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    out: dict[str, Any] = {
        QUEUE: {"items": [queue_item(i, now) for i in range(queue_size)]},
        CLAIMS: {
            "claims": [
                {
                    "id": 900 + k,
                    "queue_id": 90 + k,
                    "seller_id": SELLERS[k][0],
                    "seller_name": SELLERS[k][1],
                    "claim_type": "first_sales",
                    "revenue_usd": "640.00",
                    "claimed_at": _iso(now - timedelta(minutes=10 + k)),
                }
                for k in range(3)
            ]
        },
        GOALS: {
            "goals": [
                {
                    "id": 1,
                    "title": "Today's revenue",
                    "period": "day",
                    "target_type": "revenue",
                    "target": "20000.00",
                    "value": "14820.00",
                    "percent": 0.741,
                    "completed": False,
                },
                {
                    "id": 2,
                    "title": "Monthly wins",
                    "period": "month",
                    "target_type": "count",
                    "target": 400,
                    "value": 251,
                    "percent": 0.6275,
                    "completed": False,
                },
            ]
        },
        ACHIEVEMENTS: {
            "achievements": [
                {
                    "achievement_id": 40 - k,
                    "seller_id": SELLERS[k][0],
                    "seller_name": SELLERS[k][1],
                    "kind": kind,
                    "title": title,
                    "description": desc,
                    "emoji": emoji,
                    "value": value,
                    "created_at": _iso(now - timedelta(minutes=7 * k + 2)),
                    "reactions": reactions,
                }
                for k, (kind, title, desc, emoji, value, reactions) in enumerate(
                    [
                        (
                            "revenue_milestone",
                            "$10k month",
                            "Crossed $10,000",
                            "💰",
                            "10000",
                            [
                                {"emoji": "👏", "count": 4, "seller_ids": [2, 3, 4, 5]},
                                {"emoji": "🔥", "count": 2, "seller_ids": [6, 7]},
                            ],
                        ),
                        (
                            "badge",
                            "Rising Star",
                            "$25k+ monthly revenue",
                            "⭐",
                            None,
                            [{"emoji": "🎉", "count": 3, "seller_ids": [1, 4, 8]}],
                        ),
                        (
                            "signups_milestone",
                            "25 signups",
                            "25 signups this month",
                            "🎯",
                            "25",
                            [],
                        ),
                        (
                            "streak",
                            "5 in a row",
                            "Five claims straight",
                            "🔥",
                            "5",
                            [{"emoji": "🚀", "count": 1, "seller_ids": [1]}],
                        ),
                        ("bonus_tier", "Tier 3 unlocked", "Bonus tier 3", "💎", "3", []),
                    ]
                )
            ]
        },
        PROMOTIONS: {
            "promotions": [
                {
                    "id": 1,
                    "variant": "promo",
                    "title": "Double points hour",
                    "body": "Every claim until 15:00 counts twice",
                    "starts_at": _iso(now - timedelta(hours=1)),
                    "ends_at": _iso(now + timedelta(hours=1)),
                }
            ]
        },
        CHALLENGES: {
            "challenges": [
                {
                    "id": 1,
                    "title": "3 upgrades before lunch",
                    "metric": "wins",
                    "target": 3,
                    "progress": None,
                    "ends_at": _iso(now + timedelta(hours=2)),
                    "completed": False,
                },
                {
                    "id": 2,
                    "title": "Close a jackpot today",
                    "metric": "jackpot",
                    "target": 1,
                    "progress": None,
                    "ends_at": _iso(now + timedelta(hours=6)),
                    "completed": True,
                },
            ]
        },
    }
    for name in ("revenue", "wins", "margin", "conversion"):
        for period in ("today", "15d", "month"):
            out[board_path(name, period)] = board(name, period)
    return out


def sample_overlay(kind: str, now: datetime | None = None) -> Overlay:
    """A celebration of ``kind`` with sample data (``winroom tv --overlay KIND``)."""
    now = now or datetime.now(UTC)
    key = f"sample:{kind}:{now.timestamp()}"
    if kind == "streak":
        return effects.streak_overlay("Ayşe Yılmaz", 4, key, now)
    if kind == "jackpot":
        return effects.jackpot_overlay("5120.00", "Hiro Tanaka · Enterprise Seats", key, now)
    if kind == "goal":
        goal = Goal(
            1, "team", "Today's revenue", "day", "revenue", "20000.00", "20310.00", 101.6, True
        )
        return effects.goal_overlay(goal, key, now)
    if kind == "milestone":
        return effects.milestone_overlay(
            {
                "achievement_id": 0,
                "seller_name": "Elif Demir",
                "kind": "revenue_milestone",
                "title": "$10,000 month",
                "description": "Crossed $10,000 in monthly revenue",
                "emoji": "💰",
                "value": "10000",
            },
            now,
        )
    if kind == "spin":
        return effects.spin_overlay(
            "Mehmet Kaya", {"code": "points_200", "label": "200 points", "points": 200}, key, now
        )
    if kind == "reel":
        batch = [sample_overlay(k, now) for k in ("jackpot", "streak", "goal", "milestone")]
        return make_reel(batch, now)
    raise ValueError(f"unknown overlay {kind!r} (one of {', '.join(KINDS)})")
