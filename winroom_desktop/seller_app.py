"""``winroom seller``: the seller desktop app — net, state and views wired in one place.

``SellerController`` owns the stores (room ``Store`` + ``SellerState``) and the flows of
``seller_flows`` (intake of the feed, reactions, claims, chat, my numbers, the session), and
connects the feed and the window's intent signals to them (``_connect``). Nothing here
blocks the Qt thread: every network call is a task; renders are coalesced.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

from winroom_desktop.app import AppContext, run_app
from winroom_desktop.net.api import ApiClient
from winroom_desktop.net.feed import LiveFeed
from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.seller_flows.chat import ChatFlow
from winroom_desktop.seller_flows.claims import ClaimFlow
from winroom_desktop.seller_flows.input import InputWatcher
from winroom_desktop.seller_flows.intake import Intake
from winroom_desktop.seller_flows.mine import MineFlow
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
from winroom_desktop.seller_flows.reactions import Reactions
from winroom_desktop.seller_flows.session import SessionFlow
from winroom_desktop.seller_scenes import setup_scene
from winroom_desktop.state import seller as ss
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
from winroom_desktop.state.store import Store
from winroom_desktop.views.seller.celebration import Sounds
from winroom_desktop.views.seller.tray import Tray
from winroom_desktop.views.seller.window import SellerWindow

__all__ = ["MY_SALES", "SPINS", "SellerController", "make_feed", "metrics_path", "run_seller"]

log = logging.getLogger(__name__)

CLAIM_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
HEARTBEAT_MS = 30_000
RENDER_EVERY_MS = 40


class SellerController(QObject):
    """Owns the stores (room ``Store`` + ``SellerState``) and the flows; :meth:`_connect` wires
    the feed and the window's intent signals to them, the one place they meet."""

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
        self.connection = "connecting"
        self._render_pending = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_me_check = 0.0
        self.render_count = 0
        self.on_rendered: Callable[[], None] | None = None
        self.intake = Intake(self, self)
        self.reactions = Reactions(self)
        self.claims = ClaimFlow(self)
        self.chat = ChatFlow(self)
        self.mine = MineFlow(self)
        self.session = SessionFlow(self)
        self.watcher = InputWatcher(self.chat.heartbeat)
        self._connect()

    # ----------------------------------------------------------------- wiring

    def _connect(self) -> None:
        w = self.window
        self.feed.event.connect(self.intake.on_event)
        self.feed.snapshot_loaded.connect(self.intake.on_snapshot)
        self.feed.connection_changed.connect(self.on_connection)
        w.queue.claim_requested.connect(self.claims.claim)
        w.queue.reaction_toggled.connect(self.chat.react)
        w.chat.reaction_toggled.connect(self.chat.react)
        w.chat.send_requested.connect(self.chat.send)
        w.chat.typing_changed.connect(self.chat.typing)
        w.chat_viewed.connect(self.chat.seen)
        w.numbers.period_changed.connect(self.mine.set_period)
        w.numbers.spin_requested.connect(self.mine.spend_spin)
        w.sales.object_requested.connect(self.mine.open_objection)
        w.dnd_toggled.connect(self.set_dnd)
        w.logout_requested.connect(self.session.logout)
        w.tab_shown.connect(lambda _i: self.render_now())
        self.tick = QTimer(self)
        self.tick.setInterval(500)
        self.tick.timeout.connect(self._tick)
        self.tick.start()
        self.heartbeat = QTimer(self)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self.chat.heartbeat)
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

    # what scenes, the demo and tests ask of the app (the flows do it)
    def claim(self, queue_id: int, claim_type: str, plan_id: object = None) -> None:
        self.claims.claim(queue_id, claim_type, plan_id)

    def spend_spin(self) -> None:
        self.mine.spend_spin()

    def ask_login(self, reason: str = "") -> None:
        self.session.ask_login(reason)

    @property
    def spin_panel(self) -> Any:
        return self.mine.spin_panel

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

    def set_dnd(self, on: bool) -> None:
        self.dnd = on
        if self.tray is not None:
            self.tray.set_dnd(on)

    # ----------------------------------------------------------------- connection

    def on_connection(self, state: str, last_update: object) -> None:
        self.connection = state
        self.window.set_connection(state, last_update)  # type: ignore[arg-type]
        if state == "connected":
            self.window.set_banner(None)
            self.window.queue.set_empty_text("No open sales — the next one will appear here.")
            # a (re)connected window counts as input until it reports otherwise: report now,
            # so a person idle through a network blip stays away instead of flapping online
            self.chat.heartbeat()
        elif state == "reconnecting":
            self.window.queue.set_empty_text(
                f"Can't reach {self.server} right now — retrying. Nothing you did is lost."
            )
            if time.monotonic() - self._last_me_check > 15 and self.api.token:
                self._last_me_check = time.monotonic()
                self.spawn(self.session.check())
        self.request_render()


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
            controller.spawn(controller.session.login_with_retry(email, password))
        elif stored.get("token"):
            api.token = stored["token"]
            if isinstance(stored.get("user"), dict):
                controller.set_me(stored["user"])
            feed.start()
            controller.spawn(controller.session.check())
        else:
            window.set_banner("Log in to see the live queue.")
            controller.ask_login()

    begin()
    return controller


def run_seller(args: argparse.Namespace) -> int:
    async def setup(ctx: AppContext) -> None:
        await setup_seller(ctx, args)

    return run_app(args, setup, app_name="Win Room Seller")
