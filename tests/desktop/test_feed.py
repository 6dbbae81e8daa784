"""``LiveFeed`` against a real in-process Socket.IO + HTTP server on 127.0.0.1 (qasync loop):
``since`` replay, de-duplication, reconnect after the server drops us, ``resync.required``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
from aiohttp import web

from winroom_desktop.net.api import ApiClient
from winroom_desktop.net.feed import LiveFeed, backoff_delay
from winroom_desktop.state.store import Store


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, 0.5, 30.0, rng) for n in range(12)]
    assert all(0.25 <= d <= 30.0 for d in delays)
    assert delays[0] <= 0.5 and delays[4] >= 4.0 and delays[-1] >= 15.0
    assert len({round(d, 6) for d in delays[-3:]}) == 3  # jitter: not lock-step


class FakeServer:
    def __init__(self) -> None:
        self.sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
        self.app = web.Application()
        self.sio.attach(self.app)
        self.app.router.add_get("/api/queue", self.queue)
        self.events: list[dict[str, Any]] = []
        self.auths: list[dict[str, Any]] = []
        self.replay_overlap = 0  # also resend this many events before since
        self.runner: web.AppRunner | None = None
        self.sio.on("connect", self.on_connect)

    async def queue(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer good":
            return web.json_response({"error": {"code": "unauthorized"}}, status=401)
        return web.json_response({"items": []})

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: dict[str, Any]) -> bool:
        if not auth or auth.get("token") != "good":
            return False
        self.auths.append(dict(auth))
        since = auth.get("since")
        latest = self.events[-1]["id"] if self.events else 0
        if since is not None and since > latest:
            asyncio.get_event_loop().call_soon(
                lambda: asyncio.ensure_future(
                    self.sio.emit("resync.required", {"latest_id": latest}, to=sid)
                )
            )
            return True
        start = (since or 0) - self.replay_overlap

        async def replay() -> None:
            for env in self.events:
                if env["id"] > start and since is not None:
                    await self.sio.emit(env["type"], env, to=sid)

        asyncio.get_event_loop().call_soon(lambda: asyncio.ensure_future(replay()))
        return True

    def add(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        env = {
            "id": len(self.events) + 1,
            "type": type_,
            "payload": payload,
            "created_at": "2025-03-03T09:00:00+00:00",
        }
        self.events.append(env)
        return env

    async def start(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.shutdown()
        if self.runner is not None:
            await self.runner.cleanup()


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


async def until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_event_loop().time() + timeout
    while not cond():
        if asyncio.get_event_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def _streak(n: int) -> dict[str, Any]:
    return {"seller_id": 1, "seller_name": "Ayşe", "count": n}


def run(
    loop: asyncio.AbstractEventLoop, fn: Callable[[], Awaitable[None]], timeout: float = 30
) -> None:
    loop.run_until_complete(asyncio.wait_for(fn(), timeout))


def test_feed_replays_dedupes_reconnects_and_resyncs(qloop: asyncio.AbstractEventLoop) -> None:
    server = FakeServer()
    store = Store()
    got: list[int] = []
    states: list[str] = []
    snapshots: list[Any] = []
    resyncs: list[int] = []

    async def scenario() -> None:
        url = await server.start()
        for n in range(3):
            server.add("streak", _streak(n + 3))
        # pretend the journal said we had seen event 1
        from dataclasses import replace

        store.replace_state(replace(store.state, last_event_id=1))
        feed = LiveFeed(
            ApiClient(url, "good"),
            since_provider=lambda: store.last_event_id,
            snapshot_paths=lambda: ["/api/queue"],
            backoff_base=0.05,
            backoff_cap=0.2,
        )

        def on_event(env: dict[str, Any]) -> None:
            got.append(env["id"])
            store.apply_event(env)

        feed.event.connect(on_event)
        feed.connection_changed.connect(lambda s, _t: states.append(s))

        def on_snapshot(responses: dict[str, Any], latest: int | None) -> None:
            snapshots.append(latest)
            store.load_snapshot(responses, latest)

        feed.snapshot_loaded.connect(on_snapshot)
        feed.resync_needed.connect(resyncs.append)
        try:
            feed.start()
            await until(lambda: got == [2, 3])
            assert server.auths[-1]["since"] == 1 and snapshots == [None]
            # the server drops us; two events happen meanwhile; it replays with an overlap
            server.replay_overlap = 2
            for sid in list(server.sio.manager.get_participants("/", None)):
                await server.sio.disconnect(sid[0])
            server.add("streak", _streak(7))
            server.add("streak", _streak(8))
            await until(lambda: got == [2, 3, 4, 5])
            assert "reconnecting" in states and states[-1] == "connected"
            assert server.auths[-1]["since"] == 3
            # the database was replaced: our since is newer than anything → resync
            server.events = server.events[:2]
            for sid in list(server.sio.manager.get_participants("/", None)):
                await server.sio.disconnect(sid[0])
            await until(lambda: resyncs == [2])
            await until(lambda: snapshots[-1] == 2)
            await until(lambda: store.last_event_id == 2)
        finally:
            await feed.stop()
            await server.stop()

    run(qloop, scenario)


def test_feed_with_a_bad_token_keeps_retrying_without_events(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    server = FakeServer()
    states: list[str] = []

    async def scenario() -> None:
        url = await server.start()
        feed = LiveFeed(
            ApiClient(url, "bad"),
            since_provider=lambda: None,
            snapshot_paths=lambda: ["/api/queue"],
            backoff_base=0.02,
            backoff_cap=0.05,
        )
        feed.connection_changed.connect(lambda s, _t: states.append(s))
        try:
            feed.start()
            await until(lambda: feed.attempt >= 3)
            assert "connected" not in states and states[-1] == "reconnecting"
        finally:
            await feed.stop()
            await server.stop()

    run(qloop, scenario)


def test_api_client_errors(qloop: asyncio.AbstractEventLoop) -> None:
    from winroom_desktop.net.api import ApiError, ServerUnreachable

    server = FakeServer()

    async def scenario() -> None:
        url = await server.start()
        try:
            bad = ApiClient(url, "bad")
            with pytest.raises(ApiError) as exc:
                await bad.get("/api/queue")
            assert exc.value.status == 401 and exc.value.code == "unauthorized"
            await bad.aclose()
            good = ApiClient(url, "good")
            assert await good.load(["/api/queue", "/api/nope"]) == {"/api/queue": {"items": []}}
            await good.aclose()
        finally:
            await server.stop()
        gone = ApiClient(url, "good", timeout=1)
        with pytest.raises(ServerUnreachable):
            await gone.get("/healthz")
        with contextlib.suppress(Exception):
            await gone.aclose()

    run(qloop, scenario)


# ---- against the real backend: `winroom-backend serve` as a subprocess ------------------


class RealBackend:
    """``winroom-backend serve --no-worker`` on its own SQLite data dir and a fixed port, which
    the test may restart on the same port and database; events are committed into that
    database from the test process, as another process of the backend would."""

    def __init__(self, data_dir: Path) -> None:
        from backend.accounts import issue_device_token
        from backend.runtime import database_for_url
        from backend.server import free_port
        from backend.settings import load_settings
        from tests.helpers.databases import migrate_url

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")}
        self.env["WINROOM_DATA_DIR"] = str(data_dir)
        self.proc: subprocess.Popen[str] | None = None
        url = load_settings(data_dir=data_dir).db_url
        migrate_url(url)  # what `winroom-backend migrate` does, without another interpreter
        self.db = database_for_url(url)
        with self.db.transaction() as s:
            self.token = issue_device_token(s, "Floor TV 1")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port), "--no-worker"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def commit(self, n: int, tag: str) -> list[int]:
        from backend.eventlog import append_event

        with self.db.transaction() as s:
            ids = [
                append_event(s, "leaderboard:refresh", {"boards": [f"{tag}{i}"]}) for i in range(n)
            ]
        return [ev.id for ev in ids]

    def close(self) -> None:
        self.stop()
        self.db.dispose()


@pytest.fixture
def real_backend(tmp_path: Path) -> Iterator[RealBackend]:
    backend = RealBackend(tmp_path / "backend")
    try:
        backend.start()
        yield backend
    finally:
        backend.close()


@pytest.mark.e2e
def test_feed_against_the_real_relay_reconnects_and_replays_without_gap_or_duplicate(
    qloop: asyncio.AbstractEventLoop, real_backend: RealBackend
) -> None:
    """The TV's LiveFeed on a real server: the socket dropped by the client's transport, then
    the server restarted on the same port and database, events committed while it was away
    and right after; the feed sees every event once, in id order, with no gap."""
    got: list[int] = []
    sinces: list[int | None] = []
    first = real_backend.commit(1, "before")[0]

    def since() -> int | None:
        sinces.append(got[-1] if got else first)
        return sinces[-1]

    async def scenario() -> None:
        feed = LiveFeed(
            ApiClient(real_backend.url, real_backend.token),
            since_provider=since,
            snapshot_paths=lambda: ["/api/queue"],
            backoff_base=0.05,
            backoff_cap=0.5,
        )
        feed.event.connect(lambda env: got.append(env["id"]))
        want: list[int] = []
        try:
            feed.start()
            want += await asyncio.to_thread(real_backend.commit, 3, "live")
            await until(lambda: got == want, timeout=30)
            # 1. the engine.io connection drops under the client; events meanwhile
            sio = feed._sio
            assert sio is not None
            await sio.eio.disconnect(abort=True)
            want += await asyncio.to_thread(real_backend.commit, 4, "dropped")
            await until(lambda: got == want, timeout=30)
            assert len(sinces) == 2 and sinces[-1] == want[2]  # reopened with since
            # 2. the server goes away and comes back on the same port and database
            await asyncio.to_thread(real_backend.stop)
            want += await asyncio.to_thread(real_backend.commit, 5, "away")
            await asyncio.to_thread(real_backend.start)
            want += await asyncio.to_thread(real_backend.commit, 2, "back")
            await until(lambda: got == want, timeout=60)
            assert sinces[-1] == want[6]  # the last one seen before the restart
            await until(lambda: feed.state == "connected", timeout=30)
            want += await asyncio.to_thread(real_backend.commit, 2, "live again")
            await until(lambda: got == want, timeout=30)
        finally:
            await feed.stop()
        assert got == sorted(set(got)) == want
        assert want == list(range(first + 1, first + 1 + len(want)))  # every id, none skipped

    run(qloop, scenario, 240)
