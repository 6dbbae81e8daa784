"""``winroom admin``: finance tabs over the HTTP API (claims, queue, team overview,
installments, objections). Loads every 20 s and on F5, always off the Qt thread; an endpoint
of a later batch (501) or a forbidden one (403) shows a calm note instead of a table."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

from winroom_desktop.app import AppContext, run_app
from winroom_desktop.net.api import ApiClient, ApiError, ServerUnreachable, login_failure_text
from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.state.format import money_card, percent
from winroom_desktop.views import theme
from winroom_desktop.views.admin.window import AdminWindow, TableTab
from winroom_desktop.views.seller.login_dialog import LoginDialog

REFRESH_MS = 20_000
LATER = "Comes with the admin batch: this server does not serve it yet."
FORBIDDEN = "Your role may not see this."


def _money(v: Any) -> str:
    return money_card(v) if v is not None else "—"


def _metric(row: dict[str, Any], key: str) -> Any:
    v = row.get(key)
    return v.get("value") if isinstance(v, dict) else v


def claim_rows(body: Any) -> list[dict[str, str]]:
    raw = body.get("claims", []) if isinstance(body, dict) else body or []
    out = []
    for c in raw:
        if not isinstance(c, dict):
            continue
        seller = c.get("seller_name") or (c.get("seller") or {}).get("name") or ""
        out.append(
            {
                "id": str(c.get("id", "")),
                "seller": str(seller),
                "claim_type": str(c.get("claim_type") or ""),
                "revenue": _money(c.get("revenue_usd")),
                "finance_status": str(c.get("finance_status") or ""),
                "claimed_at": str(c.get("claimed_at") or "")[:19].replace("T", " "),
            }
        )
    return out


def queue_rows(body: Any) -> list[dict[str, str]]:
    raw = body.get("items", []) if isinstance(body, dict) else []
    out = []
    for i in raw:
        cust = i.get("customer") or {}
        out.append(
            {
                "id": str(i.get("id")),
                "campaign": str((i.get("campaign") or {}).get("name") or ""),
                "customer": str(cust.get("name") or cust.get("email") or "unknown"),
                "revenue": _money(i.get("revenue_usd")),
                "margin": f"{_money(i.get('margin_amount_usd'))} ({percent(i.get('margin_percent'))})",
                "finance_status": str(i.get("finance_status") or ""),
                "problem_reason": str(i.get("problem_reason") or ""),
            }
        )
    return out


def team_rows(body: Any) -> list[dict[str, str]]:
    raw = body.get("sellers", []) if isinstance(body, dict) else []
    return [
        {
            "name": str(s.get("name") or ""),
            "wins": str(_metric(s, "wins") or 0),
            "revenue": _money(_metric(s, "revenue")),
            "margin": _money(_metric(s, "margin")),
            "avg_margin_percent": percent(_metric(s, "avg_margin_percent")),
            "leads": str(_metric(s, "leads") or 0),
            "conversion": percent(_metric(s, "conversion"), 1),
        }
        for s in raw
        if isinstance(s, dict)
    ]


def generic_rows(body: Any, key: str) -> list[dict[str, str]]:
    raw = body.get(key, []) if isinstance(body, dict) else body or []
    return [{k: str(v) for k, v in r.items()} for r in raw if isinstance(r, dict)]


class AdminController(QObject):
    def __init__(self, window: AdminWindow, api: Any, creds: CredentialStore | None) -> None:
        super().__init__(window)
        self.window = window
        self.api = api
        self.creds = creds
        self.server = getattr(api, "server", "")
        self.period = "today"
        self.login: LoginDialog | None = None
        self._task: asyncio.Task[Any] | None = None
        self.loads = 0
        window.refresh_requested.connect(self.refresh)
        window.period_changed.connect(self.set_period)
        window.logout_requested.connect(self.logout)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.load_all())

    def set_period(self, period: str) -> None:
        self.period = period
        self.refresh()

    async def _get(self, path: str, tab: TableTab) -> Any:
        try:
            return await self.api.get(path)
        except ApiError as exc:
            if exc.status == 501:
                tab.set_note(LATER)
            elif exc.status == 403:
                tab.set_note(FORBIDDEN)
            elif exc.status == 401:
                self.ask_login("Your session has expired — log in again.")
            else:
                tab.set_note(exc.message, warn=True)
            return None

    async def load_all(self) -> None:
        w = self.window
        try:
            me = await self.api.me()
        except ServerUnreachable:
            w.pill.set_connection("reconnecting", None, self.server)
            for tab in (w.claims, w.queue, w.team, w.installments, w.objections):
                tab.set_note(f"Can't reach {self.server} — retrying every 20 s.", warn=True)
            return
        except ApiError as exc:
            if exc.status == 401:
                self.ask_login("Your session has expired — log in again.")
            return
        w.set_user(me)
        w.pill.set_connection("connected", None, self.server)
        for tab in (w.claims, w.queue, w.team, w.installments, w.objections):
            tab.set_note("")
        claims = await self._get("/api/admin/claims", w.claims)
        if claims is None:  # until the admin batch: the recent claims everyone can read
            claims = await self._get("/api/claims/recent?limit=100", w.claims)
            if claims is not None:
                w.claims.set_note("Recent claims (the full claims admin comes with a later batch).")
        w.claims.set_rows(claim_rows(claims))
        queue = await self._get("/api/queue", w.queue)
        rows = queue_rows(queue)
        colors = {
            i: theme.FINANCE_COLORS.get(r["finance_status"], theme.MUTED)
            for i, r in enumerate(rows)
        }
        w.queue.set_rows(rows, colors)
        team = await self._get(f"/api/team/overview?period={self.period}", w.team)
        w.team.set_rows(team_rows(team))
        inst = await self._get("/api/admin/installments", w.installments)
        w.installments.set_rows(generic_rows(inst, "installments") if inst else [])
        w.objections.set_note(LATER)
        w.objections.set_rows([])
        self.loads += 1

    def ask_login(self, reason: str = "") -> None:
        if self.login is not None and self.login.isVisible():
            return
        email = self.creds.get(self.server).get("email", "") if self.creds else ""
        dialog = LoginDialog(self.server, email or "", self.window)
        dialog.set_reason(reason)
        dialog.submitted.connect(lambda e, pw: asyncio.ensure_future(self.do_login(e, pw)))
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
        self.window.set_user(user)
        self.start()
        return True

    def logout(self) -> None:
        if self.creds is not None:
            self.creds.forget_token(self.server)
        self.api.token = None
        self.timer.stop()
        self.window.set_user(None)
        self.ask_login("You are logged out.")

    async def close(self) -> None:
        self.timer.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        await self.api.aclose()


TABS = ("claims", "queue", "team", "installments", "objections")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--tab", choices=TABS, help="open on this tab")


async def setup_admin(ctx: AppContext, args: argparse.Namespace) -> AdminController:
    server = str(args.server).rstrip("/")
    window = AdminWindow(server)
    if getattr(args, "size", None):
        window.resize(*args.size)
    config = getattr(args, "config", None)
    creds = CredentialStore(Path(config) if config else None)
    api = ApiClient(server, timeout=8.0)
    controller = AdminController(window, api, creds)
    ctx.set_main_window(window)
    ctx.on_exit(controller.close)
    tab = getattr(args, "tab", None)
    if tab in TABS:
        window.tabs.setCurrentIndex(TABS.index(tab))
    window.show()
    password = getattr(args, "password", None)
    if not password and getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    stored = creds.get(server)
    email = getattr(args, "email", None)

    async def login() -> None:
        try:
            user = await api.login(str(email), str(password))
        except ServerUnreachable:
            controller._task = None
            controller.start()  # shows the unreachable note and keeps retrying
            return
        except ApiError as exc:
            controller.ask_login(f"Login failed: {exc.message}")
            return
        creds.save(server, email=str(email), token=api.token, user=user)
        window.set_user(user)
        controller._task = None  # this task is done with logging in: let the load start
        controller.start()

    def begin() -> None:
        if email and password:
            controller._task = asyncio.ensure_future(login())
        elif stored.get("token"):
            api.token = stored["token"]
            window.set_user(stored.get("user"))
            controller.start()
        else:
            controller.ask_login()

    begin()
    return controller


def run_admin(args: argparse.Namespace) -> int:
    async def setup(ctx: AppContext) -> None:
        await setup_admin(ctx, args)

    return run_app(args, setup, app_name="Win Room Admin")
