"""``winroom seller``: the seller desktop app — wiring of net, state and views in one place.

``SellerController`` owns the stores (room ``Store`` + ``SellerState``) and connects the
window's intent signals to async network calls on the qasync loop (``_connect``). Nothing
here blocks the Qt thread: every call is a task; renders are coalesced to one per loop turn.

Claims: the end of the hold marks the card "claiming" at once; ``POST /api/claim`` carries an
``Idempotency-Key`` so a retry after a network failure is safe (the server returns the first
answer); 409 ``already_claimed`` rolls back kindly with the winner's name; after a few failed
tries the card says plainly that it was not claimed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor, QCursor, QGuiApplication

from winroom_desktop.app import AppContext, run_app
from winroom_desktop.net.api import ApiClient, ApiError, ServerUnreachable, login_failure_text
from winroom_desktop.net.feed import LiveFeed
from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.seller_scenes import setup_scene
from winroom_desktop.state import seller as ss
from winroom_desktop.state.format import money_card
from winroom_desktop.state.reducer import InvalidEvent, validate_envelope
from winroom_desktop.state.reducer import apply as apply_room
from winroom_desktop.state.snapshot import (
    ACHIEVEMENTS,
    BOARDS,
    CHALLENGES,
    CLAIMS,
    GOALS,
    MY_GOALS,
    PROMOTIONS,
    QUEUE,
    board_path,
)
from winroom_desktop.state.spin import load_spins, next_spin
from winroom_desktop.state.store import Store
from winroom_desktop.views import theme
from winroom_desktop.views.seller.celebration import Sounds
from winroom_desktop.views.seller.login_dialog import LoginDialog
from winroom_desktop.views.seller.sales_view import ObjectionDialog
from winroom_desktop.views.seller.spin_wheel import SpinPanel
from winroom_desktop.views.seller.tray import Tray
from winroom_desktop.views.seller.window import CHAT_TAB, SellerWindow

log = logging.getLogger(__name__)

CLAIM_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
HEARTBEAT_MS = 30_000
RENDER_EVERY_MS = 40
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
AWAY_AFTER_S = 300
ME = "/api/auth/me"
CHATS = "/api/chats"
PRESENCE = "/api/presence"
POINTS = "/api/me/points"
BADGES = "/api/me/badges"
OBJECTIONS = "/api/me/objections"
MY_SALES = "/api/claims/recent?limit=50"
SPINS = "/api/me/spins"


def metrics_path(period: str) -> str:
    return f"/api/me/metrics?period={period}"


class InputWatcher(QObject):
    """Seconds since the last sign of the person at the window (for presence).

    Cheap by design: no app-wide Python event filter (that costs a Python call for every
    Qt event). Signs of input: the mouse moved (polled every 2 s), the focus moved, the
    window became active, the person typed in the chat (``touch``).
    """

    POLL_MS = 2000

    def __init__(self, on_return: Callable[[], None]) -> None:
        super().__init__()
        self.last = time.monotonic()
        self.on_return = on_return
        self._cursor = QCursor.pos()
        self._poll = QTimer(self)
        self._poll.setInterval(self.POLL_MS)
        self._poll.timeout.connect(self._check_cursor)
        self._poll.start()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusChanged.connect(lambda *_: self.touch())  # type: ignore[attr-defined]
            app.applicationStateChanged.connect(lambda *_: self.touch())

    def idle_seconds(self) -> float:
        return time.monotonic() - self.last

    def touch(self) -> None:
        was_away = self.idle_seconds() >= AWAY_AFTER_S
        self.last = time.monotonic()
        if was_away:
            self.on_return()

    def _check_cursor(self) -> None:
        pos = QCursor.pos()
        if pos != self._cursor:
            self._cursor = pos
            self.touch()

    def stop(self) -> None:
        self._poll.stop()


class SellerController(QObject):
    def __init__(
        self,
        window: SellerWindow,
        api: Any,
        feed: Any,
        *,
        store: Store | None = None,
        creds: CredentialStore | None = None,
        sounds: Sounds | None = None,
        mono: Callable[[], float] = time.monotonic,
        retry_delays: tuple[float, ...] = CLAIM_RETRY_DELAYS,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.api = api
        self.feed = feed
        self.store = store or Store()
        self.creds = creds
        self.sounds = sounds or Sounds(enabled=False)
        self.mono = mono
        self.retry_delays = retry_delays
        self.seller = ss.SellerState()
        self.server = getattr(api, "server", "")
        self.dnd = False
        self.tray: Tray | None = None
        self.login: LoginDialog | None = None
        self.connection = "connecting"
        self._render_pending = False
        self._stale_boards: set[str] = set()  # boards to refetch for the current period
        self._stale_mine = False  # my metrics and sales to refetch
        self._numbers_pending = False
        self._spinning = False
        self.spin_panel: SpinPanel | None = None
        self._inbox: list[dict[str, Any]] = []
        self._slice_active = False
        self._slice_start = 0.0
        self._celebrated: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_me_check = 0.0
        self.render_count = 0
        self.on_rendered: Callable[[], None] | None = None
        self.watcher = InputWatcher(self.heartbeat_now)
        self._connect()

    # ----------------------------------------------------------------- wiring

    def _connect(self) -> None:
        w = self.window
        self.feed.event.connect(self.on_event)
        self.feed.snapshot_loaded.connect(self.on_snapshot)
        self.feed.connection_changed.connect(self.on_connection)
        w.queue.claim_requested.connect(self.claim)
        w.queue.reaction_toggled.connect(self.react)
        w.chat.reaction_toggled.connect(self.react)
        w.chat.send_requested.connect(self.send_chat)
        w.chat.typing_changed.connect(self.send_typing)
        w.numbers.period_changed.connect(self.set_period)
        w.numbers.spin_requested.connect(self.spend_spin)
        w.sales.object_requested.connect(self.open_objection)
        w.dnd_toggled.connect(self.set_dnd)
        w.logout_requested.connect(self.logout)
        w.chat_viewed.connect(self.chat_seen)
        w.tab_shown.connect(lambda _i: self.render_now())
        self.tick = QTimer(self)
        self.tick.setInterval(500)
        self.tick.timeout.connect(self._tick)
        self.tick.start()
        self.heartbeat = QTimer(self)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self.heartbeat_now)
        self.heartbeat.start()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # the window (our parent) may be gone
            self.tick.stop()
            self.heartbeat.stop()
            self.watcher.stop()
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(BaseException):
                await t
        await self.feed.stop()

    # ----------------------------------------------------------------- snapshot paths

    def snapshot_paths(self) -> list[str]:
        period = self.seller.period
        return [
            QUEUE,
            CLAIMS,
            GOALS,
            MY_GOALS,
            ACHIEVEMENTS,
            PROMOTIONS,
            CHALLENGES,
            *(board_path(b, period) for b in BOARDS),
            ME,
            CHATS,
            PRESENCE,
            metrics_path(period),
            POINTS,
            BADGES,
            OBJECTIONS,
            MY_SALES,
            SPINS,
        ]

    # ----------------------------------------------------------------- rendering

    def set_me(self, user: dict[str, Any] | None) -> None:
        me = ss.Me.from_api(user) if user else None
        if me != self.seller.me:
            self.seller = replace(self.seller, me=me)
        self.request_render()

    def request_render(self) -> None:
        """Coalesce: at most one render per ``RENDER_EVERY_MS`` for live events."""
        if not self._render_pending:
            self._render_pending = True
            QTimer.singleShot(RENDER_EVERY_MS, self._render_if_pending)

    def _render_if_pending(self) -> None:
        if self._render_pending:
            self.render_now()

    def render_now(self) -> None:
        self._render_pending = False
        self.window.show_state(self.store.state, self.seller)
        if self.render_count == 0 or self.window.focusWidget() in (None, self.window.dnd):
            self.window.focus_queue()
        self.render_count += 1
        if self.window.incomplete:
            self.request_render()
        if self.on_rendered is not None:
            self.on_rendered()

    def _tick(self) -> None:
        now = self.mono()
        seller = ss.expire_attempts(self.seller, now)
        seller = ss.expire_typing(seller, time.time())
        if seller is not self.seller:
            self.seller = seller
            self.request_render()

    # ----------------------------------------------------------------- feed

    def on_connection(self, state: str, last_update: object) -> None:
        self.connection = state
        self.window.set_connection(state, last_update)  # type: ignore[arg-type]
        if state == "connected":
            self.window.set_banner(None)
            self.window.queue.set_empty_text("No open sales — the next one will appear here.")
            # a (re)connected window counts as input until it reports otherwise: report now,
            # so a person idle through a network blip stays away instead of flapping online
            self.heartbeat_now()
        elif state == "reconnecting":
            self.window.queue.set_empty_text(
                f"Can't reach {self.server} right now — retrying. Nothing you did is lost."
            )
            if time.monotonic() - self._last_me_check > 15 and self.api.token:
                self._last_me_check = time.monotonic()
                self.spawn(self._check_session())
        self.request_render()

    async def _check_session(self) -> None:
        try:
            await self.api.me()
        except ApiError as exc:
            if exc.status == 401:
                self.session_expired()
        except ServerUnreachable:
            pass

    def on_snapshot(self, responses: dict[str, Any], latest_id: object) -> None:
        # the room holds the caller's personal goals too; the rest of /api/me* is the seller's
        room_parts = {
            k: v
            for k, v in responses.items()
            if k in (MY_GOALS, ME) or not k.startswith(("/api/me/", ME))
        }
        if room_parts or latest_id is not None:
            self.store.load_snapshot(room_parts, latest_id if isinstance(latest_id, int) else None)
        s = self.seller
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
        self.seller = s
        self.request_render()

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
        try:
            env = validate_envelope(raw)
        except InvalidEvent:
            return
        last = self.store.last_event_id
        if last is not None and isinstance(env.get("id"), int) and env["id"] <= last:
            return
        before = self.seller
        # validated once above; the room reducer runs on the validated envelope
        self.store.replace_state(apply_room(self.store.state, env))
        self.seller = ss.apply_seller(self.seller, env, time.time(), self.mono())
        if self.window.tabs.currentIndex() == CHAT_TAB and self.window.isActiveWindow():
            self.seller = replace(self.seller, unread_chat=0)
        self._react_to(env, before)
        if self.seller.attempts is not before.attempts:
            self.render_now()  # my claim was settled by the event: show it at once
        else:
            self.request_render()

    def _stale_numbers(self, env: dict[str, Any]) -> None:
        """Numbers the event may have changed, refetched soon (HTTP is their source)."""
        me = self.seller.me
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
        self._numbers_pending = False
        period = self.seller.period
        paths = [board_path(b, period) for b in BOARDS if b in self._stale_boards]
        if self._stale_mine:
            paths[:0] = [metrics_path(period), MY_SALES, SPINS]
        self._stale_boards, self._stale_mine = set(), False
        if paths and self.feed.state == "connected":
            self.spawn(self._load(paths))

    def _react_to(self, env: dict[str, Any], before: ss.SellerState) -> None:
        """Celebrations, sounds and desktop notifications for what an event means to me."""
        self._stale_numbers(env)
        me = self.seller.me
        p = env["payload"]
        kind = env["type"]
        mine = me is not None and p.get("seller_id") == me.id
        if kind == "claimed":
            attempt = before.attempts.get(int(p["queue_id"]))
            if mine and int(p["queue_id"]) not in self._celebrated:
                self.celebrate_claim(int(p["queue_id"]), p.get("revenue_usd"))
            elif attempt is not None and attempt.busy and not mine:
                self.sounds.play("lost") if not self.dnd else None
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
            if not self.dnd:
                self.sounds.play("sale")
            if self.window.isMinimized() or not self.window.isActiveWindow():
                self.notify(
                    "New sale in the queue",
                    f"{(item.get('campaign') or {}).get('name') or 'Sale'} · "
                    f"{money_card(item.get('revenue_usd'))}",
                )
        elif (
            kind == "chat.message"
            and not mine
            and self.window.tabs.currentIndex() != CHAT_TAB
            and not self.dnd
        ):
            self.sounds.play("chat")

    # ----------------------------------------------------------------- celebrations

    def celebrate(self, title: str, subtitle: str, color: QColor, sound: str) -> None:
        self.window.celebrations.celebrate(title, subtitle, color)
        if not self.dnd:
            self.sounds.play(sound)

    def celebrate_claim(self, queue_id: int, revenue: Any) -> None:
        self._celebrated.add(queue_id)
        if len(self._celebrated) > 500:
            self._celebrated = set(list(self._celebrated)[-100:])
        amount = money_card(revenue)
        sub = f"{amount} is yours" if amount != "—" else "It's yours"
        self.celebrate("🎉 Claimed!", sub, theme.GOAL, "claim")

    def notify(self, title: str, body: str) -> None:
        if self.tray is not None and not self.dnd:
            self.tray.notify(title, body)

    def set_dnd(self, on: bool) -> None:
        self.dnd = on
        if self.tray is not None:
            self.tray.set_dnd(on)

    # ----------------------------------------------------------------- claims

    def claim(self, queue_id: int, claim_type: str, plan_id: object = None) -> None:
        self.watcher.touch()
        item = self.store.state.queue_item(queue_id)
        attempt = self.seller.attempts.get(queue_id)
        if item is None and attempt is not None:
            item = attempt.item
        if item is None:
            return
        key = str(uuid.uuid4())
        new = ss.start_claim(self.seller, item, claim_type, key, self.mono())
        if new is self.seller:
            return
        self.seller = new
        self.render_now()  # "claiming" at once, not on the next turn
        plan = int(plan_id) if isinstance(plan_id, int) else None
        self.spawn(self._claim(queue_id, claim_type, plan, key))

    async def _claim(self, queue_id: int, claim_type: str, plan: int | None, key: str) -> None:
        tries = len(self.retry_delays) + 1
        for attempt in range(tries):
            try:
                claim = await self.api.claim(
                    queue_id, claim_type, installment_plan_id=plan, idempotency_key=key
                )
            except ServerUnreachable:
                if attempt == tries - 1:
                    break
                self.seller = ss.claim_retrying(self.seller, queue_id)
                self.request_render()
                await asyncio.sleep(self.retry_delays[attempt])
                continue
            except ApiError as exc:
                self._claim_refused(queue_id, exc)
                return
            was_busy = self.seller.attempts.get(queue_id)
            self.seller = ss.claim_won(self.seller, queue_id, self.mono())
            self.render_now()
            if queue_id not in self._celebrated and was_busy is not None:
                revenue = was_busy.item.revenue_usd if was_busy.item else None
                self.celebrate_claim(queue_id, claim.get("revenue_usd", revenue))
            return
        self.seller = ss.claim_failed(
            self.seller, queue_id, ss.claim_error_message(None, None), self.mono()
        )
        self.render_now()

    def _claim_refused(self, queue_id: int, exc: ApiError) -> None:
        if exc.status == 409 and exc.code == "already_claimed":
            err = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
            winner = (err.get("claimed_by") or {}).get("name")
            self.seller = ss.claim_lost(self.seller, queue_id, winner, self.mono())
            if not self.dnd:
                self.sounds.play("lost")
        else:
            message = ss.claim_error_message(exc.status, exc.code)
            self.seller = ss.claim_failed(self.seller, queue_id, message, self.mono())
            if exc.status == 401:
                self.session_expired()
        self.render_now()

    # ----------------------------------------------------------------- reactions

    def react(self, target_type: str, target_id: int, emoji: str, add: bool) -> None:
        self.spawn(self._react(target_type, target_id, emoji, add))

    async def _react(self, target_type: str, target_id: int, emoji: str, add: bool) -> None:
        body = {"target_type": target_type, "target_id": target_id, "emoji": emoji}
        try:
            await self.api.request("POST" if add else "DELETE", "/api/emojis", json=body)
        except ApiError as exc:
            if exc.status == 401:
                self.session_expired()
            log.info("reaction not saved: %s", exc.message)
        except ServerUnreachable:
            self.window.set_banner("Reaction not saved: the server could not be reached.")

    # ----------------------------------------------------------------- chat

    def send_chat(self, text: str) -> None:
        self.spawn(self._send_chat(text))

    async def _send_chat(self, text: str) -> None:
        try:
            body = await self.api.request("POST", CHATS, json={"message": text})
        except ApiError as exc:
            notice = ss.chat_notice_from_error(exc.status, exc.body)
            muted = notice.muted_until if notice.kind == "muted" else self.seller.muted_until
            self.seller = replace(self.seller, chat_notice=notice, muted_until=muted)
            self.window.chat.message_not_sent()
            if exc.status == 401:
                self.session_expired()
            self.request_render()
            return
        except ServerUnreachable:
            self.seller = replace(self.seller, chat_notice=ss.chat_notice_from_error(None, None))
            self.window.chat.message_not_sent()
            self.request_render()
            return
        self.window.chat.message_sent()
        s = self.seller
        if isinstance(body, dict) and isinstance(body.get("message"), dict):
            s = ss.load_chat(s, {"messages": [body["message"]], "muted_until": None})
        self.seller = replace(s, chat_notice=ss.chat_notice_from_warnings(body))
        self.request_render()

    def send_typing(self, typing: bool) -> None:
        self.watcher.touch()
        self.spawn(self.feed.send_event("chat:typing", {"typing": typing}))

    def heartbeat_now(self) -> None:
        idle = round(self.watcher.idle_seconds(), 1)
        self.spawn(self.feed.send_event("presence:heartbeat", {"idle_seconds": idle}))

    def chat_seen(self) -> None:
        if self.seller.unread_chat:
            self.seller = replace(self.seller, unread_chat=0)
            self.request_render()

    # ----------------------------------------------------------------- numbers

    def set_period(self, period: str) -> None:
        if period == self.seller.period:
            return
        self.seller = replace(self.seller, period=period)
        self.request_render()
        self.spawn(self._load([metrics_path(period), *(board_path(b, period) for b in BOARDS)]))

    async def _load(self, paths: list[str]) -> None:
        try:
            responses = await self.api.load(paths)
        except ApiError as exc:
            if exc.status == 401:
                self.session_expired()
            return
        except ServerUnreachable:
            return
        self.on_snapshot(responses, None)

    # ----------------------------------------------------------------- spin & win

    def spend_spin(self) -> None:
        spin = next_spin(self.seller.spins)
        if spin is not None and not self._spinning:
            self._spinning = True
            self.spawn(self._spend_spin(spin.id))

    async def _spend_spin(self, spin_id: int) -> None:
        """The server draws the prize; the wheel plays its answer (``spin.result`` tells
        the floor). A spin already spent elsewhere just reloads the list."""
        try:
            answer = await self.api.request("POST", f"/api/me/spins/{spin_id}")
        except ApiError as exc:
            if exc.status == 401:
                self.session_expired()
            else:
                self.window.numbers.show_spin_notice(exc.message)
            answer = None
        except ServerUnreachable:
            self.window.numbers.show_spin_notice("The server could not be reached. Try again.")
            answer = None
        finally:
            self._spinning = False
        if isinstance(answer, dict):
            prize = answer.get("prize")
            self.play_spin(prize if isinstance(prize, dict) else {"label": str(prize)})
        await self._load([SPINS, POINTS])

    def play_spin(self, prize: dict[str, object]) -> None:
        if self.spin_panel is not None:
            self.spin_panel.dismiss()
        self.spin_panel = SpinPanel(prize, self.window)
        self.spin_panel.open()
        self.spin_panel.spin()
        if not self.dnd:
            self.sounds.play("achievement")

    # ----------------------------------------------------------------- objections

    def open_objection(self, claim_id: int, what: str) -> None:
        dialog = ObjectionDialog(claim_id, what, self.window)
        dialog.accepted.connect(lambda: self.file_objection(claim_id, *dialog.values()))
        dialog.open()

    def file_objection(self, claim_id: int, reason: str, details: str) -> None:
        self.spawn(self._file_objection(claim_id, reason, details))

    async def _file_objection(self, claim_id: int, reason: str, details: str) -> None:
        body = {"claim_id": claim_id, "reason": reason, "details": details}
        try:
            await self.api.request("POST", "/api/objections", json=body)
        except ApiError as exc:
            self.window.sales.show_feedback(f"Objection not filed: {exc.message}", ok=False)
            return
        except ServerUnreachable:
            self.window.sales.show_feedback(
                "Objection not filed: the server could not be reached. Try again.", ok=False
            )
            return
        self.window.sales.show_feedback("Objection filed — finance will look at it.", ok=True)
        await self._load([OBJECTIONS])

    # ----------------------------------------------------------------- session

    def session_expired(self) -> None:
        if self.creds is not None:
            self.creds.forget_token(self.server)
        self.ask_login("Your session has expired — log in again. Your window stays as it is.")

    def ask_login(self, reason: str = "") -> None:
        if self.login is not None and self.login.isVisible():
            return
        email = self.creds.get(self.server).get("email", "") if self.creds else ""
        dialog = LoginDialog(self.server, email or "", self.window)
        dialog.set_reason(reason)
        dialog.submitted.connect(lambda e, pw: self.spawn(self.do_login(e, pw)))
        self.login = dialog
        dialog.show()

    async def do_login(self, email: str, password: str) -> bool:
        try:
            user = await self.api.login(email, password)
        except (ApiError, ServerUnreachable) as exc:
            if self.login is not None:
                self.login.show_error(login_failure_text(exc, self.server))
            return False
        if self.creds is not None:
            self.creds.save(self.server, email=email, token=self.api.token, user=user)
        if self.login is not None:
            self.login.accept()
            self.login = None
        if self.seller.me is not None and self.seller.me.id != user.get("id"):
            self.seller = ss.SellerState(period=self.seller.period)
        self.set_me(user)
        self.window.set_banner(None)
        self.feed.start()
        return True

    def logout(self) -> None:
        self.spawn(self._logout())

    async def _logout(self) -> None:
        if self.creds is not None:
            self.creds.forget_token(self.server)
        self.api.token = None
        await self.feed.stop()
        self.seller = ss.SellerState(period=self.seller.period)
        self.window.set_connection("connecting", None)
        self.request_render()
        self.ask_login("You are logged out.")


# --------------------------------------------------------------------------- running


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scene",
        choices=("main", "claiming", "lost", "celebration", "chat", "spin"),
        help=argparse.SUPPRESS,  # sample data, no network: for screenshots and checks
    )
    parser.add_argument("--config", help=argparse.SUPPRESS)  # credential file (tests)


def make_feed(api: ApiClient, controller_ref: list[SellerController]) -> Any:
    return LiveFeed(
        api,
        since_provider=lambda: controller_ref[0].store.last_event_id if controller_ref else None,
        snapshot_paths=lambda: controller_ref[0].snapshot_paths() if controller_ref else [QUEUE],
    )


def _read_password(args: argparse.Namespace) -> str | None:
    password = getattr(args, "password", None)
    if password:
        return str(password)
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    return None


async def setup_seller(ctx: AppContext, args: argparse.Namespace) -> SellerController:
    """Build the seller window on a running qasync loop (``winroom seller`` and the demo)."""
    scene = getattr(args, "scene", None)
    if scene:
        return await setup_scene(ctx, args, scene, SellerController)
    server = str(args.server).rstrip("/")
    window = SellerWindow(server)
    size = getattr(args, "size", None)
    if size:
        window.resize(*size)
    config = getattr(args, "config", None)
    creds = CredentialStore(Path(config) if config else None)
    api = ApiClient(server, timeout=8.0)
    ref: list[SellerController] = []
    feed = make_feed(api, ref)
    controller = SellerController(window, api, feed, creds=creds, sounds=Sounds())
    ref.append(controller)
    controller.tray = Tray.create(window, controller)
    ctx.set_main_window(window)
    ctx.on_exit(controller.close)
    window.show()

    password = _read_password(args)
    email = getattr(args, "email", None)
    stored = creds.get(server)

    def begin() -> None:
        if email and password is not None:
            controller.spawn(_login_with_retry(controller, email, password))
        elif stored.get("token"):
            api.token = stored["token"]
            if isinstance(stored.get("user"), dict):
                controller.set_me(stored["user"])
            feed.start()
            controller.spawn(controller._check_session())
        else:
            window.set_banner("Log in to see the live queue.")
            controller.ask_login()

    begin()
    return controller


async def _login_with_retry(controller: SellerController, email: str, password: str) -> None:
    """Log in with the given credentials; while the server is unreachable, say so and retry."""
    delay = 1.0
    while True:
        try:
            user = await controller.api.login(email, password)
        except ServerUnreachable:
            controller.on_connection("reconnecting", None)
            controller.window.set_banner(
                f"Can't reach the server at {controller.server} — retrying every few seconds."
            )
            await asyncio.sleep(delay)
            delay = min(15.0, delay * 2)
            continue
        except ApiError as exc:
            controller.window.set_banner(None)
            controller.ask_login(f"Login failed: {exc.message}")
            return
        if controller.creds is not None:
            controller.creds.save(
                controller.server, email=email, token=controller.api.token, user=user
            )
        controller.window.set_banner(None)
        controller.set_me(user)
        controller.feed.start()
        return


def run_seller(args: argparse.Namespace) -> int:
    async def setup(ctx: AppContext) -> None:
        await setup_seller(ctx, args)

    return run_app(args, setup, app_name="Win Room Seller")
