"""End to end: two seller apps (real ApiClient + LiveFeed) against a real backend race for
one sale; exactly one wins and the other sees who did. Also chat and presence live."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.seller.conftest import until

pytestmark = pytest.mark.e2e


@pytest.fixture
def backend(sqlite_db: Any, tmp_path: Path) -> Any:
    from backend.server import run_server_in_process
    from tests.backend.realtime.support import add_seller, make_settings

    settings = make_settings(tmp_path / "data", sqlite_db)
    ayse = add_seller(sqlite_db, settings, "ayse@winroom.io", "Ayşe Yılmaz", "sales")
    can = add_seller(sqlite_db, settings, "can@winroom.io", "Can Öztürk", "sales")
    server = run_server_in_process(settings, db=sqlite_db)
    yield server, sqlite_db, {"ayse": ayse, "can": can}
    server.stop()


def make_app(url: str, seller: tuple[int, str], qtbot: Any) -> Any:
    from winroom_desktop.net.api import ApiClient
    from winroom_desktop.seller_app import SellerController, make_feed
    from winroom_desktop.views.seller.window import SellerWindow

    window = SellerWindow(url)
    qtbot.addWidget(window)
    api = ApiClient(url, token=seller[1], timeout=5)
    ref: list[Any] = []
    controller = SellerController(window, api, make_feed(api, ref))
    ref.append(controller)
    window.show()
    controller.feed.start()
    return controller


def test_two_sellers_race_for_one_sale(backend: Any, loop: Any, qtbot: Any) -> None:
    from backend.eventlog import append_event
    from backend.models import QueueItem
    from backend.schemas.queue import queue_item_out
    from tests.backend.realtime.support import add_item

    def new_sale() -> int:
        qid = add_item(db, revenue="1449.28")
        with db.transaction() as s:
            item = s.get(QueueItem, qid)
            append_event(s, "queue.new", {"item": queue_item_out(item)})
        return qid

    server, db, people = backend
    a = make_app(server.url, people["ayse"], qtbot)
    c = make_app(server.url, people["can"], qtbot)

    async def scenario() -> None:
        await until(lambda: a.connection == "connected" and c.connection == "connected", 15)
        await until(lambda: a.seller.me is not None and c.seller.me is not None)
        qid = new_sale()
        # both see the new sale live, then both finish their hold at the same moment
        await until(
            lambda: (
                a.store.state.queue_item(qid) is not None
                and c.store.state.queue_item(qid) is not None
            ),
            10,
        )
        a.render_now()
        c.render_now()
        a.window.queue.cards[qid].hold.held.emit()
        c.window.queue.cards[qid].hold.held.emit()
        await until(lambda: not a.seller.attempts[qid].busy and not c.seller.attempts[qid].busy, 10)
        phases = sorted([a.seller.attempts[qid].phase, c.seller.attempts[qid].phase])
        assert phases == ["claimed", "lost"]
        winner, loser = (a, c) if a.seller.attempts[qid].phase == "claimed" else (c, a)
        assert loser.seller.attempts[qid].winner_name == winner.seller.me.name
        loser.render_now()
        assert loser.window.queue.cards[qid].status.text() == (
            f"{winner.seller.me.name} claimed it first"
        )
        # the claimed event reaches both: the item leaves both queues
        await until(
            lambda: a.store.state.queue_item(qid) is None and c.store.state.queue_item(qid) is None,
            10,
        )

        # chat goes both ways live, and each sees the other online
        a.chat.send("Congrats!")
        await until(lambda: any(m.text == "Congrats!" for m in c.seller.chat), 10)
        await until(lambda: c.seller.people.get(a.seller.me.id) is not None, 10)
        assert c.seller.people[a.seller.me.id].status == "online"
        await a.close()
        await until(
            lambda: (
                c.seller.people.get(a.seller.me.id) is not None
                and c.seller.people[a.seller.me.id].status == "offline"
            ),
            10,
        )
        await c.close()

    loop.run_until_complete(asyncio.wait_for(scenario(), 60))
