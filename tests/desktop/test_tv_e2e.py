"""End to end: the real backend (``winroom-backend demo``) as a subprocess, the TV offscreen
with its real ``LiveFeed``, claims over HTTP → the TV state shows them and the celebration
overlay played."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[dict[str, Any]]:
    port = _free_port()
    data = tmp_path / "demo"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from backend.cli import main; sys.exit(main(sys.argv[1:]))",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--no-bots",  # the test's seller is the only one claiming: a streak is certain
        ],
        cwd=ROOT,
        env={**os.environ, "WINROOM_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    creds = data / "demo-credentials.json"
    try:
        deadline = time.monotonic() + 90
        info: dict[str, Any] | None = None
        while time.monotonic() < deadline and info is None:
            if proc.poll() is not None:
                pytest.fail(f"backend demo exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            if creds.exists():
                try:
                    info = json.loads(creds.read_text())
                except ValueError:
                    info = None
            time.sleep(0.3)
        assert info is not None, "demo credentials never appeared"
        info.setdefault("server", f"http://127.0.0.1:{port}")
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


async def _until(cond: Any, timeout: float = 30.0) -> None:
    deadline = asyncio.get_event_loop().time() + timeout
    while not cond():
        assert asyncio.get_event_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def test_claims_over_http_reach_the_tv(
    backend: dict[str, Any], qloop: asyncio.AbstractEventLoop, qtbot: Any, tmp_path: Path
) -> None:
    from winroom_desktop.net.api import ApiClient
    from winroom_desktop.net.feed import LiveFeed
    from winroom_desktop.sound import SoundPlayer
    from winroom_desktop.state import snapshot as snap
    from winroom_desktop.state.journal import Journal
    from winroom_desktop.state.store import Store
    from winroom_desktop.state.tvsettings import TvSettings
    from winroom_desktop.tv_app import TvApp
    from winroom_desktop.views.tv.window import TvWindow

    settings = TvSettings()
    store = Store()
    window = TvWindow(settings)
    qtbot.addWidget(window)
    server = backend["server"]
    feed = LiveFeed(
        ApiClient(server, backend["tv_token"]),
        since_provider=lambda: store.last_event_id,
        snapshot_paths=lambda: snap.tv_endpoints(list(settings.board_playlist)),
    )
    tv = TvApp(
        settings=settings,
        feed=feed,
        window=window,
        store=store,
        sound=SoundPlayer(settings, enabled=False),
        journal=Journal(tmp_path / "j.json", server),
    )
    seller = backend["sellers"][0]

    async def scenario() -> None:
        tv.start()
        try:
            await _until(lambda: feed.state == "connected")
            await _until(lambda: len(store.state.queue) >= 3, timeout=60)
            api = ApiClient(server)
            await api.login(seller["email"], seller["password"])
            claimed: list[int] = []
            heard: list[str] = []
            real_play = tv.sound.play

            def spy(name: str | None) -> bool:
                allowed = real_play(name)
                if allowed and name:
                    heard.append(name)
                return allowed

            tv.sound.play = spy  # type: ignore[method-assign]
            for item in list(store.state.queue)[:3]:
                claim = await api.claim(item.id, "first_sales")
                claimed.append(int(claim["queue_id"]))
            await api.aclose()
            assert len(claimed) == 3
            await _until(lambda: all(store.state.queue_item(q) is None for q in claimed))
            await _until(lambda: {c.queue_id for c in store.state.claims} >= set(claimed))
            # each claim is heard: the claim sound, or — when a sale is big enough for a
            # jackpot / the third makes a streak — the celebration's own sound, which takes
            # the floor while its overlay plays (sounds never talk over each other); an
            # overlay queued while another is busy starts (and sounds) a moment later
            await _until(
                lambda: bool(set(heard) & {"claim", "jackpot", "streak", "milestone", "goal"})
            )
            # three in a row → a streak celebration on the TV
            layer = window.overlay
            await _until(lambda: layer.current is not None or layer.played)
        finally:
            await tv.stop()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 120))
