"""Snapshots and live events into the stores: the room's ``Store`` and the ``SellerState``.
Events are applied in slices (a burst never blocks the Qt thread); numbers an event may have
changed are refetched soon, a burst coalesced (HTTP is their source)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer

from winroom_desktop.seller_flows.host import Host
from winroom_desktop.seller_flows.paths import (
    BADGES,
    CHATS,
    ME,
    MY_SALES,
    OBJECTIONS,
    POINTS,
    PRESENCE,
    SPINS,
    metrics_path,
)
from winroom_desktop.state import seller as ss
from winroom_desktop.state.reducer import InvalidEvent, validate_envelope
from winroom_desktop.state.reducer import apply as apply_room
from winroom_desktop.state.snapshot import BOARDS, MY_GOALS, board_path
from winroom_desktop.state.spin import load_spins
from winroom_desktop.views.seller.window import CHAT_TAB

NUMBERS_EVERY_MS = 400  # live numbers refetched at most this often, a burst coalesced
# events after which my numbers (metrics, sales) may have changed, when they name me
MY_NUMBERS_EVENTS = (
    "claimed",
    "claim.adjusted",
    "refund.applied",
    "objection.resolved",
    "achievement:earned",  # a completed challenge may have earned a spin
)
EVENT_BUDGET_S = 0.008  # event handling per Qt turn before yielding


class Intake(QObject):
    """A QObject child of the controller (``parent``): its timers end with it."""

    def __init__(self, host: Host, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self._inbox: list[dict[str, Any]] = []
        self._slice_active = False
        self._slice_start = 0.0
        self._stale_boards: set[str] = set()  # boards to refetch for the current period
        self._stale_mine = False  # my metrics and sales to refetch
        self._numbers_pending = False

    def on_snapshot(self, responses: dict[str, Any], latest_id: object) -> None:
        h = self.host
        # the room holds the caller's personal goals too; the rest of /api/me* is the seller's
        room_parts = {
            k: v
            for k, v in responses.items()
            if k in (MY_GOALS, ME) or not k.startswith(("/api/me/", ME))
        }
        if room_parts or latest_id is not None:
            h.store.load_snapshot(room_parts, latest_id if isinstance(latest_id, int) else None)
        s = h.seller
        if isinstance(responses.get(ME), dict) and "user" in responses[ME]:
            s = replace(s, me=ss.Me.from_api(responses[ME]["user"]))
        if CHATS in responses:
            s = ss.load_chat(s, responses[CHATS])
        if PRESENCE in responses:
            s = ss.load_presence(s, responses[PRESENCE], time.time())
        for period in ss.PERIOD_LABELS:
            if metrics_path(period) in responses:
                s = ss.load_metrics(s, period, responses[metrics_path(period)])
        if isinstance(responses.get(POINTS), dict):
            s = replace(s, points=dict(responses[POINTS]))
        if BADGES in responses:
            body = responses[BADGES]
            raw = body.get("badges", []) if isinstance(body, dict) else body
            s = replace(s, badges=tuple(b for b in raw or () if isinstance(b, dict)))
        if OBJECTIONS in responses:
            s = ss.load_objections(s, responses[OBJECTIONS])
        if MY_SALES in responses:
            s = ss.load_my_sales(s, responses[MY_SALES])
        if SPINS in responses:
            s = replace(s, spins=load_spins(responses[SPINS]))
        h.seller = s
        h.request_render()

    def on_event(self, raw: dict[str, Any]) -> None:
        """Apply an event now, unless this turn already spent its budget: then queue it and
        drain the queue in slices, so a burst never blocks the Qt thread."""
        now = time.perf_counter()
        if not self._slice_active:
            self._slice_active = True
            self._slice_start = now
            QTimer.singleShot(0, self._end_slice)
        if self._inbox or now - self._slice_start > EVENT_BUDGET_S:
            self._inbox.append(raw)
            return
        self._handle(raw)

    def _end_slice(self) -> None:
        self._slice_active = False
        if self._inbox:
            self._drain()

    def _drain(self) -> None:
        start = time.perf_counter()
        while self._inbox and time.perf_counter() - start < EVENT_BUDGET_S:
            self._handle(self._inbox.pop(0))
        if self._inbox:
            QTimer.singleShot(0, self._drain)

    def _handle(self, raw: dict[str, Any]) -> None:
        h = self.host
        try:
            env = validate_envelope(raw)
        except InvalidEvent:
            return
        last = h.store.last_event_id
        if last is not None and isinstance(env.get("id"), int) and env["id"] <= last:
            return
        before = h.seller
        # validated once above; the room reducer runs on the validated envelope
        h.store.replace_state(apply_room(h.store.state, env))
        h.seller = ss.apply_seller(h.seller, env, time.time(), h.mono())
        if h.window.tabs.currentIndex() == CHAT_TAB and h.window.isActiveWindow():
            h.seller = replace(h.seller, unread_chat=0)
        self._stale_numbers(env)
        h.reactions.to_event(env, before)
        if h.seller.attempts is not before.attempts:
            h.render_now()  # my claim was settled by the event: show it at once
        else:
            h.request_render()

    def _stale_numbers(self, env: dict[str, Any]) -> None:
        """Numbers the event may have changed, refetched soon (HTTP is their source)."""
        me = self.host.seller.me
        p = env["payload"]
        kind = env["type"]
        if kind == "leaderboard:refresh":
            named = [b for b in p.get("boards") or () if b in BOARDS]
            self._stale_boards.update(named or BOARDS)
        elif kind in MY_NUMBERS_EVENTS and me is not None:
            affected = {p.get("seller_id"), *(p.get("seller_ids") or ())}
            if me.id in affected:
                self._stale_mine = True
        else:
            return
        if not self._numbers_pending:
            self._numbers_pending = True
            QTimer.singleShot(NUMBERS_EVERY_MS, self._refresh_numbers)

    def _refresh_numbers(self) -> None:
        h = self.host
        self._numbers_pending = False
        period = h.seller.period
        paths = [board_path(b, period) for b in BOARDS if b in self._stale_boards]
        if self._stale_mine:
            paths[:0] = [metrics_path(period), MY_SALES, SPINS]
        self._stale_boards, self._stale_mine = set(), False
        if paths and h.feed.state == "connected":
            h.spawn(h.mine.load(paths))
