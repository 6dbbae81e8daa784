"""Sample scenes of the seller window, with no network (``winroom seller --scene NAME``):
the real window and controller on :class:`SceneApi` and an ``OfflineFeed``, fed the sample
data of ``state.seller_sample``. Used for the screenshots in ``docs/screenshots/``."""

from __future__ import annotations

import argparse
import asyncio
import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from winroom_desktop.net.api import ApiError
from winroom_desktop.net.offline import OfflineFeed
from winroom_desktop.state.seller import ChatNotice
from winroom_desktop.state.seller_sample import ME, seller_responses
from winroom_desktop.views.seller.window import CHAT_TAB, MINE_TAB, SellerWindow

__all__ = ["ME", "SceneApi", "lost_race", "seller_responses", "setup_scene"]


class SceneApi:
    """The async surface of ``ApiClient`` the seller app uses, answered from the sample data
    (no network). ``claim_answers`` maps a queue id to an exception to raise or a claim dict
    to return; ``gate`` (an ``asyncio.Event``) holds claims until set (a claim "in flight");
    ``answers``: (method, path) → answer; ``responses``: what ``load`` returns."""

    def __init__(self, server: str = "http://sample.invalid", token: str | None = "t") -> None:
        self.server = server
        self.token = token
        self.claim_answers: dict[int, Any] = {}
        self.answers: dict[tuple[str, str], Any] = {}
        self.responses: dict[str, Any] = {}
        self.gate: asyncio.Event | None = None
        self._ids = itertools.count(10_001)

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
        answer = self.answers.get((method, path))
        if isinstance(answer, BaseException):
            raise answer
        if answer is None and method == "POST" and path == "/api/chats":
            return {
                "message": {
                    "id": next(self._ids),
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


async def setup_scene(
    ctx: Any, args: argparse.Namespace, scene: str, controller_class: Callable[..., Any]
) -> Any:
    """The real window and controller (``controller_class``: ``SellerController``, passed in
    by ``seller_app``) on a :class:`SceneApi` and an ``OfflineFeed``, set up as ``scene``."""

    window = SellerWindow("http://winroom.local:8000")
    window.resize(*(getattr(args, "size", None) or (1366, 820)))
    api = SceneApi(window.server)
    feed = OfflineFeed()
    controller = controller_class(window, api, feed)
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
