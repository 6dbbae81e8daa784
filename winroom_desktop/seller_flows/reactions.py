"""What an event means to me: celebrations (my claim, achievements, a streak, a goal, a new
level), sounds and desktop notifications, all quiet under do-not-disturb."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from winroom_desktop.seller_flows.host import Host
from winroom_desktop.state import seller as ss
from winroom_desktop.state.format import money_card
from winroom_desktop.views import theme
from winroom_desktop.views.seller.window import CHAT_TAB


class Reactions:
    def __init__(self, host: Host) -> None:
        self.host = host

    def to_event(self, env: dict[str, Any], before: ss.SellerState) -> None:
        h = self.host
        me = h.seller.me
        p = env["payload"]
        kind = env["type"]
        mine = me is not None and p.get("seller_id") == me.id
        if kind == "claimed":
            attempt = before.attempts.get(int(p["queue_id"]))
            if mine and int(p["queue_id"]) not in h.claims.celebrated:
                h.claims.celebrate(int(p["queue_id"]), p.get("revenue_usd"))
            elif attempt is not None and attempt.busy and not mine:
                h.sounds.play("lost") if not h.dnd else None
        elif kind == "achievement:earned" and mine:
            title = f"{p.get('emoji') or '🏆'} {p.get('title')}"
            self.celebrate(title, str(p.get("description") or ""), theme.MILESTONE, "achievement")
            self.notify(title, str(p.get("description") or ""))
        elif kind == "streak" and mine:
            self.celebrate(f"🔥 Streak × {p['count']}", "Keep it going!", theme.STREAK, "streak")
        elif kind == "goal.progress" and p.get("scope") == "personal" and p.get("completed"):
            title = str(p.get("title") or "")
            self.celebrate("🎯 Goal reached!", title, theme.GOAL, "member_mission")
        elif kind == "points.awarded":
            # from level 0 too, once the seller's points are known (not on the first load)
            old = before.points.get("level")
            if old is not None and int(p["level"]) > int(old):
                self.celebrate(f"⭐ Level {p['level']}!", "", theme.MILESTONE, "achievement")
        elif kind == "queue.new":
            item = p["item"]
            if not h.dnd:
                h.sounds.play("sale")
            if h.window.isMinimized() or not h.window.isActiveWindow():
                self.notify(
                    "New sale in the queue",
                    f"{(item.get('campaign') or {}).get('name') or 'Sale'} · "
                    f"{money_card(item.get('revenue_usd'))}",
                )
        elif (
            kind == "chat.message"
            and not mine
            and h.window.tabs.currentIndex() != CHAT_TAB
            and not h.dnd
        ):
            h.sounds.play("chat")

    def celebrate(self, title: str, subtitle: str, color: QColor, sound: str) -> None:
        self.host.window.celebrations.celebrate(title, subtitle, color)
        if not self.host.dnd:
            self.host.sounds.play(sound)

    def notify(self, title: str, body: str) -> None:
        if self.host.tray is not None and not self.host.dnd:
            self.host.tray.notify(title, body)
