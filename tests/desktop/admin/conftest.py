"""Fixtures for the admin window: a qasync loop, the fake §4a API in-process (httpx mock
transport), a stub live feed and a scripted asker instead of dialogs."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import qasync

from tests.desktop.admin.fake_api import FakeAdmin


@pytest.fixture(autouse=True)
def _heap_thawed() -> Iterator[None]:
    """The admin window freezes its start-up heap (``settle_heap``); in a test process that
    would outlive the test and change what later tests see of the collector."""
    yield
    gc.unfreeze()


@pytest.fixture
def loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    lp = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(lp)
    yield lp
    pending = [t for t in asyncio.all_tasks(lp) if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        lp.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    asyncio.set_event_loop(None)
    lp.close()


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@dataclass
class ScriptedAsker:
    """Answers the controller's questions from lists; records what it was shown."""

    forms: list[dict[str, Any] | None] = field(default_factory=list)
    confirms: list[bool] = field(default_factory=list)
    splits: list[Any] = field(default_factory=list)
    shown: list[tuple[str, str]] = field(default_factory=list)
    form_titles: list[str] = field(default_factory=list)
    path: str | None = None

    async def form(self, spec: Any) -> dict[str, Any] | None:
        self.form_titles.append(spec.title)
        return self.forms.pop(0) if self.forms else None

    async def confirm(self, title: str, text: str, ok: str = "", danger: bool = False) -> bool:
        self.shown.append((title, text))
        return self.confirms.pop(0) if self.confirms else True

    async def shares(self, claim: dict[str, Any], sellers: list[tuple[int, str]]) -> Any:
        return self.splits.pop(0) if self.splits else None

    async def save_path(self, suggested: str) -> str | None:
        return self.path

    async def info(self, title: str, text: str) -> None:
        self.shown.append((title, text))


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    fake: FakeAdmin
    window: Any
    controller: Any
    feed: Any
    asker: ScriptedAsker

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, 20))

    def wait(self, cond: Callable[[], bool]) -> None:
        self.run(until(cond))

    def calls(self, method: str, path: str) -> list[tuple[str, str, dict[str, str], Any]]:
        """The fake's requests to exactly ``method path``, oldest first."""
        return [c for c in self.fake.calls if c[0] == method and c[1] == path]


def make_admin(
    loop: asyncio.AbstractEventLoop, qtbot: Any, role_email: str, n: int = 350
) -> Harness:
    from tests.helpers.stub_feed import StubFeed
    from winroom_desktop.admin_app import AdminController
    from winroom_desktop.net.admin_api import AdminApi
    from winroom_desktop.net.api import ApiClient
    from winroom_desktop.views.admin.window import AdminWindow

    fake = FakeAdmin(n)
    client = ApiClient("http://fake", transport=fake.transport())
    user = loop.run_until_complete(client.login(role_email, "secret"))
    window = AdminWindow("http://fake")
    qtbot.addWidget(window)
    window.resize(1366, 768)
    feed = StubFeed()
    asker = ScriptedAsker()
    controller = AdminController(window, AdminApi(client), feed, None, asker)
    window.show()
    controller.start(user)
    return Harness(loop, fake, window, controller, feed, asker)


@pytest.fixture
def admin(loop: asyncio.AbstractEventLoop, qtbot: Any) -> Iterator[Harness]:
    h = make_admin(loop, qtbot, "finance@example.com")
    h.wait(lambda: h.window.pages["claims"].model.rowCount() > 0)
    yield h
    loop.run_until_complete(h.controller.close())
