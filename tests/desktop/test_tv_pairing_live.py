"""The TV pairs itself against the real backend (in-process server, qasync loop): no token →
a code on screen; an admin approves it → the token is stored (0600) and the live feed
connects; the admin revokes the device → the TV is back to pairing with a new code."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.runtime import Database
from backend.server import RunningServer, run_server_in_process
from tests.backend.realtime.support import People, make_people, make_settings
from winroom_desktop.net.api import ApiClient
from winroom_desktop.net.feed import LiveFeed
from winroom_desktop.net.pairing import PairingClient
from winroom_desktop.state.store import Store
from winroom_desktop.state.tvsettings import TvSettings
from winroom_desktop.state.tvtoken import TokenFile
from winroom_desktop.tv_app import TvApp
from winroom_desktop.tv_pairing import TvPairing
from winroom_desktop.views.tv.pairing import PairingView
from winroom_desktop.views.tv.window import TvWindow


@pytest.fixture
def live(tmp_path: Path, sqlite_db: Database) -> Iterator[tuple[RunningServer, People]]:
    data = tmp_path / "server"
    data.mkdir(mode=0o700)
    settings = make_settings(data, sqlite_db)
    people = make_people(sqlite_db, settings)
    with run_server_in_process(settings, db=sqlite_db) as srv:
        yield srv, people


@pytest.fixture
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(None)


async def until(cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_event_loop().time() + timeout
    while not cond():
        assert asyncio.get_event_loop().time() < deadline, what
        await asyncio.sleep(0.05)


def test_pair_run_revoke_pair_again(
    live: tuple[RunningServer, People], qloop: asyncio.AbstractEventLoop, qtbot: Any, tmp_path: Path
) -> None:
    server, people = live
    url = server.url
    settings = TvSettings()
    window = TvWindow(settings)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    store = Store()
    api = ApiClient(url, None)
    feed = LiveFeed(
        api,
        since_provider=lambda: store.last_event_id,
        snapshot_paths=lambda: ["/api/queue"],
        backoff_base=0.05,
        backoff_cap=0.2,
    )
    tv = TvApp(settings=settings, feed=feed, window=window, store=store)
    token_file = TokenFile(tmp_path / "tv" / "tv-token.json", url)
    view = PairingView(window)
    pairing = TvPairing(
        tv=tv, api=api, token_file=token_file, view=view, make_client=lambda: PairingClient(url)
    )
    admin = people.headers("admin")

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            try:
                pairing.run(None)
                await until(lambda: view.screen_model.code is not None, "no code shown")
                assert view.isVisible()
                code = view.screen_model.code
                assert code is not None
                made = await http.post(
                    "/api/admin/devices/pair", json={"code": code, "name": "Wall"}, headers=admin
                )
                assert made.status_code == 201, made.text
                await until(lambda: feed.state == "connected", "the paired TV never connected")
                assert not view.isVisible()
                assert stat.S_IMODE(os.stat(token_file.path).st_mode) == 0o600
                stored = token_file.load()
                assert stored is not None and stored.name == "Wall" and api.token == stored.token

                dev_id = made.json()["device"]["id"]
                gone = await http.delete(f"/api/admin/devices/{dev_id}", headers=admin)
                assert gone.status_code == 200
                await until(
                    lambda: view.isVisible() and view.screen_model.code not in (None, code),
                    "the revoked TV did not go back to pairing",
                )
                assert token_file.load() is None
            finally:
                await pairing.stop()
                await tv.stop()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 90))
