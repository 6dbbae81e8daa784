"""Fixtures for the seller app's widget tests: a qasync loop and a wired window with stubs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import qasync


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
    """Let the loop (and Qt) run until ``cond()`` holds; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@pytest.fixture
def seller(loop: asyncio.AbstractEventLoop, qtbot: Any) -> Iterator[Any]:
    """A real ``SellerWindow`` + ``SellerController`` on ``StubSellerApi`` / ``StubFeed``."""
    from tests.helpers.seller_api import StubSellerApi
    from tests.helpers.stub_feed import StubFeed
    from winroom_desktop.seller_app import SellerController
    from winroom_desktop.state.seller_sample import seller_responses
    from winroom_desktop.views.seller.window import SellerWindow

    window = SellerWindow("http://stub")
    qtbot.addWidget(window)
    api = StubSellerApi()
    feed = StubFeed()
    controller = SellerController(window, api, feed, retry_delays=(0.01, 0.01))
    window.show()
    feed.go("connected")
    feed.snapshot(seller_responses())
    controller.render_now()

    class Harness:
        pass

    h = Harness()
    h.window, h.api, h.feed, h.controller, h.loop = window, api, feed, controller, loop  # type: ignore[attr-defined]
    yield h
    loop.run_until_complete(controller.close())
