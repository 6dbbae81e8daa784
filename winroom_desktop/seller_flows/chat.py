"""Chat: messages (moderation notices from the answer), emoji reactions on chat and queue
cards, typing, and the presence heartbeat (with how long the seller has been idle)."""

from __future__ import annotations

import logging
from dataclasses import replace

from winroom_desktop.net.api import ApiError, ServerUnreachable
from winroom_desktop.seller_flows.host import Host
from winroom_desktop.seller_flows.paths import CHATS
from winroom_desktop.state import seller as ss

log = logging.getLogger(__name__)


class ChatFlow:
    def __init__(self, host: Host) -> None:
        self.host = host

    def react(self, target_type: str, target_id: int, emoji: str, add: bool) -> None:
        self.host.spawn(self._react(target_type, target_id, emoji, add))

    async def _react(self, target_type: str, target_id: int, emoji: str, add: bool) -> None:
        h = self.host
        body = {"target_type": target_type, "target_id": target_id, "emoji": emoji}
        try:
            await h.api.request("POST" if add else "DELETE", "/api/emojis", json=body)
        except ApiError as exc:
            if exc.status == 401:
                h.session.expired()
            log.info("reaction not saved: %s", exc.message)
        except ServerUnreachable:
            h.window.set_banner("Reaction not saved: the server could not be reached.")

    def send(self, text: str) -> None:
        self.host.spawn(self._send(text))

    async def _send(self, text: str) -> None:
        h = self.host
        try:
            body = await h.api.request("POST", CHATS, json={"message": text})
        except ApiError as exc:
            notice = ss.chat_notice_from_error(exc.status, exc.body)
            muted = notice.muted_until if notice.kind == "muted" else h.seller.muted_until
            h.seller = replace(h.seller, chat_notice=notice, muted_until=muted)
            h.window.chat.message_not_sent()
            if exc.status == 401:
                h.session.expired()
            h.request_render()
            return
        except ServerUnreachable:
            h.seller = replace(h.seller, chat_notice=ss.chat_notice_from_error(None, None))
            h.window.chat.message_not_sent()
            h.request_render()
            return
        h.window.chat.message_sent()
        s = h.seller
        if isinstance(body, dict) and isinstance(body.get("message"), dict):
            s = ss.load_chat(s, {"messages": [body["message"]], "muted_until": None})
        h.seller = replace(s, chat_notice=ss.chat_notice_from_warnings(body))
        h.request_render()

    def typing(self, typing: bool) -> None:
        self.host.watcher.touch()
        self.host.spawn(self.host.feed.send_event("chat:typing", {"typing": typing}))

    def heartbeat(self) -> None:
        idle = round(self.host.watcher.idle_seconds(), 1)
        self.host.spawn(self.host.feed.send_event("presence:heartbeat", {"idle_seconds": idle}))

    def seen(self) -> None:
        h = self.host
        if h.seller.unread_chat:
            h.seller = replace(h.seller, unread_chat=0)
            h.request_render()
