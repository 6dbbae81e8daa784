"""``winroom-backend serve`` as operators run it, and the Redis-backed variant."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import socketio

from backend.eventlog import append_event
from backend.realtime.fanout import DirectFanout
from backend.runtime import Database
from backend.server import free_port, run_server_in_process
from tests.backend.realtime.support import Recorder, make_people, make_settings
from tests.helpers.databases import redis_url


@pytest.mark.e2e
def test_serve_migrates_answers_and_shuts_down_gracefully(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")}
    env["WINROOM_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout
            time.sleep(0.1)
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{url}/api/queue").status_code == 401
        assert "paths" in httpx.get(f"{url}/openapi.json").json()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "Traceback" not in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / "winroom.db").exists()


@pytest.mark.redis
def test_with_redis_manager_and_limits_in_redis(tmp_path: Path, sqlite_db: Database) -> None:
    url = redis_url()
    settings = make_settings(tmp_path, sqlite_db, redis_url=url)
    people = make_people(sqlite_db, settings)
    with run_server_in_process(settings, db=sqlite_db) as server:
        assert isinstance(server.app.sio.manager, socketio.AsyncRedisManager)
        assert isinstance(server.app.sio.manager, DirectFanout)
        assert "Redis" in type(server.app.ctx.limits.storage).__name__
        server.app.ctx.limits.reset()

        async def main() -> None:
            rec = Recorder()
            await rec.connect(server.url, people.tokens["tv"])
            await rec.joined(server)

            def emit() -> int:
                with sqlite_db.transaction() as s:
                    return append_event(s, "leaderboard:refresh", {"boards": ["wins"]}).id

            ev_id = await asyncio.to_thread(emit)
            await rec.wait_for(lambda: ev_id in rec.ids())
            assert rec.ids().count(ev_id) == 1
            await rec.disconnect()

        asyncio.run(main())
        server.app.ctx.limits.reset()
