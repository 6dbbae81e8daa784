"""Sample data of the seller window (plain Python): the signed-in seller and what the
seller's endpoints answer, on top of the room's ``state.sample``. For the screenshot scenes
(``winroom seller --scene NAME``) and the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from winroom_desktop.state.sample import SELLERS, sample_responses

ME = {"id": 3, "name": "Elif Demir", "email": "elif@example.com", "role": "sales"}


def seller_responses(now: datetime | None = None) -> dict[str, Any]:
    """Room sample data plus the seller's own endpoints."""
    now = now or datetime.now(UTC)
    out = sample_responses(now, queue_size=5)
    out["/api/auth/me"] = {"user": dict(ME)}
    out["/api/me/metrics?period=today"] = {
        "period": "today",
        "wins": {"value": 4, "previous": 3, "change_percent": 33.3},
        "revenue": {"value": "5210.40", "previous": "6020.00", "change_percent": -13.4},
        "margin": {"value": "2380.15", "previous": "2101.90", "change_percent": 13.2},
        "avg_margin_percent": {"value": 0.4568, "previous": 0.3492, "change_percent": 30.8},
        "leads": {"value": 11, "previous": 12, "change_percent": -8.3},
        "conversion": {"value": 0.3636, "previous": 0.25, "change_percent": 45.4},
    }
    out["/api/me/points"] = {
        "points": 1340,
        "xp": 1340,
        "level": 5,
        "xp_for_next_level": 1470,
        "xp_to_next_level": 130,
    }
    out["/api/me/spins"] = {
        "spins": [
            {"id": 42, "source": "challenge", "earned_at": now.isoformat(), "used_at": None},
            {"id": 41, "source": "daily_top", "earned_at": now.isoformat(), "used_at": None},
        ]
    }
    out["/api/me/badges"] = {
        "badges": [
            {"code": "first", "name": "First sale", "emoji": "🥇", "awarded_at": None},
            {"code": "streak3", "name": "Hat trick", "emoji": "🔥", "awarded_at": None},
            {"code": "jackpot", "name": "Jackpot", "emoji": "💰", "awarded_at": None},
        ]
    }
    out["/api/me/goals"] = {
        "goals": [
            {
                "id": 7,
                "title": "My daily wins",
                "period": "day",
                "target_type": "count",
                "target": 6,
                "value": 4,
                "percent": 0.666667,
            }
        ]
    }
    out["/api/me/objections"] = {
        "objections": [
            {
                "id": 3,
                "claim_id": 902,
                "reason": "wrong_owner",
                "details": "Customer was my lead since Monday",
                "status": "pending",
            }
        ]
    }
    mine = [
        {
            "id": 950 + k,
            "queue_id": 80 + k,
            "seller_id": ME["id"],
            "seller_name": ME["name"],
            "claim_type": "first_sales" if k else "installment",
            "revenue_usd": ["1449.28", "760.00", "389.00"][k],
            "campaign_name": ["Pro Annual", "Family Plan", "Spring Upgrade"][k],
            "claimed_at": (now - timedelta(minutes=20 + 35 * k)).isoformat(),
        }
        for k in range(3)
    ]
    out["/api/claims/recent?limit=50"] = {"claims": mine}
    chat = [
        (1, "Ayşe Yılmaz", "Morning team! Coffee is on me if we hit the daily goal ☕", 40),
        (2, "Mehmet Kaya", "Two calls booked for the Enterprise Seats promo", 31),
        (3, "Elif Demir", "Nice! I'll take the Family Plan leads this afternoon", 25),
        (4, "Can Öztürk", "Reminder: installment plans need the plan id when claiming", 12),
        (1, "Ayşe Yılmaz", "<b>not bold</b> — chat is always plain text", 4),
    ]
    out["/api/chats"] = {
        "messages": [
            {
                "id": 500 + i,
                "seller_id": sid,
                "seller_name": name,
                "text": text,
                "created_at": (now - timedelta(minutes=m)).isoformat(),
                "reactions": [{"emoji": "👍", "count": 2, "seller_ids": [2, 3]}] if i == 0 else [],
            }
            for i, (sid, name, text, m) in enumerate(chat)
        ],
        "muted_until": None,
    }
    statuses = ["online", "online", "online", "away", "online", "offline", "offline", "away"]
    out["/api/presence"] = {
        "people": [
            {"seller_id": sid, "name": n, "status": statuses[k], "typing": sid == 2}
            for k, (sid, n) in enumerate(SELLERS)
        ]
    }
    ends = now + timedelta(hours=3, minutes=12, seconds=40)
    out["/api/challenges"] = {
        "challenges": [
            {
                "id": 1,
                "title": "Afternoon sprint",
                "description": "3 claims before 18:00",
                "metric": "wins",
                "target": 3,
                "progress": 2,
                "ends_at": ends.isoformat(),
            },
            {
                "id": 2,
                "title": "Margin master",
                "description": "$2,500 margin this week",
                "metric": "margin",
                "target": 2500,
                "progress": 1710,
                "ends_at": (now + timedelta(days=2, hours=5)).isoformat(),
            },
        ]
    }
    return out
