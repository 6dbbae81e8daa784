"""Starting ``winroom admin``: options, the live feed, login, the window."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from winroom_desktop.admin_app.controller import AdminController
from winroom_desktop.admin_app.helpers import (
    settle_heap,
)
from winroom_desktop.app import AppContext, run_app
from winroom_desktop.net.admin_api import AdminApi
from winroom_desktop.net.api import ApiClient, ApiError, ServerUnreachable
from winroom_desktop.net.feed import LiveFeed
from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.state.admin.specs import (
    TAB_NAMES,
    spec,
)
from winroom_desktop.views.admin.window import AdminWindow

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--tab", choices=TAB_NAMES, help="open on this tab")


def make_feed(api: ApiClient, ref: list[AdminController]) -> Any:

    return LiveFeed(
        api,
        since_provider=lambda: ref[0].last_event_id if ref else None,
        snapshot_paths=lambda: ["/api/auth/me"],
    )


async def setup_admin(ctx: AppContext, args: argparse.Namespace) -> AdminController:
    server = str(args.server).rstrip("/")
    window = AdminWindow(server)
    if getattr(args, "size", None):
        window.resize(*args.size)
    config = getattr(args, "config", None)
    creds = CredentialStore(Path(config) if config else None)
    client = ApiClient(server, timeout=8.0)
    ref: list[AdminController] = []
    feed = make_feed(client, ref)
    controller = AdminController(window, AdminApi(client), feed, creds)
    ref.append(controller)
    ctx.set_main_window(window)
    ctx.on_exit(controller.close)
    settle_heap()
    tab = getattr(args, "tab", None)
    window.show()
    password = getattr(args, "password", None)
    if not password and getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    stored = creds.get(server)
    email = getattr(args, "email", None)

    def open_tab(user: dict[str, Any] | None) -> None:
        if user:
            window.set_user(user)
        if tab and not window.show_tab(tab):
            window.say(f"Your role does not see the {spec(tab).title} tab.", warn=True)

    async def login() -> None:
        delay = 1.0
        while True:
            try:
                user = await client.login(str(email), str(password))
                break
            except ServerUnreachable:
                window.set_connection("reconnecting", None)
                await asyncio.sleep(delay)
                delay = min(15.0, delay * 2)
            except ApiError as exc:
                controller.ask_login(f"Login failed: {exc.message}")
                return
        creds.save(server, email=str(email), token=client.token, user=user)
        open_tab(user)
        controller.start(user)

    if email and password:
        controller.spawn(login())
    elif stored.get("token"):
        client.token = stored["token"]
        user = stored.get("user") if isinstance(stored.get("user"), dict) else None
        open_tab(user)
        controller.start(user)
    else:
        controller.ask_login()
    return controller


def run_admin(args: argparse.Namespace) -> int:
    async def setup(ctx: AppContext) -> None:
        await setup_admin(ctx, args)

    return run_app(args, setup, app_name="Win Room Admin")
