"""Sample scenes of the seller window, with no network (``winroom seller --scene NAME``).

Used for the screenshots in ``docs/screenshots/`` and by checks: the real window and
controller, fed by ``StubFeed`` and ``StubSellerApi`` with sample data.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from winroom_desktop.net.api import ApiError
from winroom_desktop.net.stub import StubFeed
from winroom_desktop.state.sample import SELLERS, sample_responses

ME = {"id": 3, "name": "Elif Demir", "email": "elif@example.com", "role": "sales"}


class StubSellerApi:
    """The async surface of ``ApiClient`` the seller app uses, answered from memory.

    ``claim_answers`` maps a queue id to an exception to raise or a claim dict to return;
    ``gate`` (an ``asyncio.Event``) holds claims until set (a claim "in flight").
    """

    def __init__(self, server: str = "http://sample.invalid", token: str | None = "t") -> None:
        self.server = server
        self.token = token
        self.claims: list[tuple[int, str, int | None, str | None]] = []
        self.claim_answers: dict[int, Any] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.answers: dict[tuple[str, str], Any] = {}
        self.responses: dict[str, Any] = {}
        self.loads: list[list[str]] = []
        self.gate: asyncio.Event | None = None

    async def aclose(self) -> None:
        return None

    async def claim(
        self,
        queue_id: int,
        claim_type: str = "first_sales",
        *,
        installment_plan_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        self.claims.append((queue_id, claim_type, installment_plan_id, idempotency_key))
        if self.gate is not None:
            await self.gate.wait()
        answer = self.claim_answers.get(queue_id)
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer or {
            "id": 1000 + queue_id,
            "queue_id": queue_id,
            "seller_id": ME["id"],
            "claim_type": claim_type,
            "finance_status": "waiting",
            "claimed_at": datetime.now(UTC).isoformat(),
        }

    async def request(self, method: str, path: str, *, json: Any = None, **_: Any) -> Any:
        self.requests.append((method, path, json))
        answer = self.answers.get((method, path))
        if isinstance(answer, BaseException):
            raise answer
        if answer is None and method == "POST" and path == "/api/chats":
            return {
                "message": {
                    "id": 10_000 + len(self.requests),
                    "seller_id": ME["id"],
                    "seller_name": ME["name"],
                    "text": json["message"],
                    "created_at": datetime.now(UTC).isoformat(),
                },
                "warnings": [],
            }
        return answer

    async def get(self, path: str) -> Any:
        return await self.request("GET", path)

    async def load(self, paths: list[str]) -> dict[str, Any]:
        self.loads.append(list(paths))
        return {p: self.responses[p] for p in paths if p in self.responses}

    async def me(self) -> dict[str, Any]:
        return dict(ME)

    async def login(self, email: str, password: str) -> dict[str, Any]:
        self.token = "t"
        return dict(ME)


def lost_race(name: str, sid: int = 2) -> ApiError:
    return ApiError(
        409,
        "already_claimed",
        "Someone else claimed this sale.",
        {"error": {"code": "already_claimed", "claimed_by": {"id": sid, "name": name}}},
    )


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


async def setup_scene(ctx: Any, args: argparse.Namespace, scene: str) -> Any:
    from winroom_desktop.seller_app import SellerController
    from winroom_desktop.views.seller.window import CHAT_TAB, MINE_TAB, SellerWindow

    window = SellerWindow("http://winroom.local:8000")
    window.resize(*(getattr(args, "size", None) or (1366, 820)))
    api = StubSellerApi(window.server)
    feed = StubFeed()
    controller = SellerController(window, api, feed)
    ctx.set_main_window(window)
    ctx.on_exit(controller.close)
    window.show()
    now = datetime.now(UTC)
    feed.go("connected", now)
    feed.snapshot(seller_responses(now))
    await asyncio.sleep(0.05)
    first = controller.store.state.queue[1].id if len(controller.store.state.queue) > 1 else 0
    if scene == "claiming":
        api.gate = asyncio.Event()  # never answered: stays "claiming"
        controller.claim(controller.store.state.queue[0].id, "first_sales", None)
        slow = window.queue.cards[first].hold
        slow._anim.setDuration(4000)  # a ring caught part-way for the picture
        slow.begin_hold()
    elif scene == "lost":
        api.claim_answers[first] = lost_race("Mehmet Kaya")
        controller.claim(first, "first_sales", None)
    elif scene == "celebration":
        controller.claim(controller.store.state.queue[0].id, "first_sales", None)
    elif scene == "spin":
        window.tabs.setCurrentIndex(MINE_TAB)
        prize = {"code": "points_200", "label": "200 points", "points": 200}
        api.answers[("POST", "/api/me/spins/41")] = {"prize": prize, "draw": 0.7}
        controller.spend_spin()
    elif scene == "chat":
        window.tabs.setCurrentIndex(CHAT_TAB)
        window.chat.input.setText("WHO TOOK THE ENTERPRISE LEAD")
        from dataclasses import replace

        from winroom_desktop.state.seller import ChatNotice

        controller.seller = replace(
            controller.seller,
            chat_notice=ChatNotice(
                "rejected",
                "Please don't write in capitals. This message was not sent.",
                "shouting",
            ),
        )
        controller.request_render()
    return controller
