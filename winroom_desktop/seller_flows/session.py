"""The session: the login dialog, a login (also retried while the server is unreachable at
start), an expired session (the window stays as it is), logout."""

from __future__ import annotations

import asyncio

from winroom_desktop.net.api import ApiError, ServerUnreachable, login_failure_text
from winroom_desktop.seller_flows.host import Host
from winroom_desktop.state import seller as ss
from winroom_desktop.views.seller.login_dialog import LoginDialog


class SessionFlow:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.login: LoginDialog | None = None

    async def check(self) -> None:
        """Ask the server whether the token still holds (401: the session expired)."""
        try:
            await self.host.api.me()
        except ApiError as exc:
            if exc.status == 401:
                self.expired()
        except ServerUnreachable:
            pass

    def expired(self) -> None:
        h = self.host
        if h.creds is not None:
            h.creds.forget_token(h.server)
        self.ask_login("Your session has expired — log in again. Your window stays as it is.")

    def ask_login(self, reason: str = "") -> None:
        h = self.host
        if self.login is not None and self.login.isVisible():
            return
        email = h.creds.get(h.server).get("email", "") if h.creds else ""
        dialog = LoginDialog(h.server, email or "", h.window)
        dialog.set_reason(reason)
        dialog.submitted.connect(lambda e, pw: h.spawn(self.do_login(e, pw)))
        self.login = dialog
        dialog.show()

    async def do_login(self, email: str, password: str) -> bool:
        h = self.host
        try:
            user = await h.api.login(email, password)
        except (ApiError, ServerUnreachable) as exc:
            if self.login is not None:
                self.login.show_error(login_failure_text(exc, h.server))
            return False
        if h.creds is not None:
            h.creds.save(h.server, email=email, token=h.api.token, user=user)
        if self.login is not None:
            self.login.accept()
            self.login = None
        if h.seller.me is not None and h.seller.me.id != user.get("id"):
            h.seller = ss.SellerState(period=h.seller.period)
        h.set_me(user)
        h.window.set_banner(None)
        h.feed.start()
        return True

    async def login_with_retry(self, email: str, password: str) -> None:
        """Log in with the given credentials; while the server is unreachable, say so and
        retry."""
        h = self.host
        delay = 1.0
        while True:
            try:
                user = await h.api.login(email, password)
            except ServerUnreachable:
                h.on_connection("reconnecting", None)
                h.window.set_banner(
                    f"Can't reach the server at {h.server} — retrying every few seconds."
                )
                await asyncio.sleep(delay)
                delay = min(15.0, delay * 2)
                continue
            except ApiError as exc:
                h.window.set_banner(None)
                self.ask_login(f"Login failed: {exc.message}")
                return
            if h.creds is not None:
                h.creds.save(h.server, email=email, token=h.api.token, user=user)
            h.window.set_banner(None)
            h.set_me(user)
            h.feed.start()
            return

    def logout(self) -> None:
        self.host.spawn(self._logout())

    async def _logout(self) -> None:
        h = self.host
        if h.creds is not None:
            h.creds.forget_token(h.server)
        h.api.token = None
        await h.feed.stop()
        h.seller = ss.SellerState(period=h.seller.period)
        h.window.set_connection("connecting", None)
        h.request_render()
        self.ask_login("You are logged out.")
