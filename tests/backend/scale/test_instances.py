"""Several ``winroom-backend serve`` instances on one PostgreSQL and one Redis (CONTRACT §7),
as real processes: events cross instances once and in id order, replay works on any
instance, ingestion goes on exactly once when an instance is killed, and the HAProxy
configuration of ``packaging/lb`` carries WebSocket and long-polling clients."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from backend.eventlog import append_event
from backend.models import QueueItem
from backend.runtime import Database, database_for_url
from backend.server import free_port
from tests.backend.ingest.core_fixtures import CoreWriter
from tests.backend.realtime.support import JWT_SECRET, Recorder, add_item, make_people
from tests.helpers.databases import (
    fresh_postgres_database,
    migrate_url,
    postgres_admin_url,
    redis_url,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Instance:
    port: int
    proc: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Floor:
    db: Database
    env: dict[str, str]
    tmp: Path
    core: CoreWriter
    instances: list[Instance] = field(default_factory=list)

    def start(self) -> Instance:
        port = free_port()
        env = dict(self.env, WINROOM_DATA_DIR=str(self.tmp / f"i{port}"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        inst = Instance(port, proc)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{inst.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "instance did not start"
            time.sleep(0.1)
        self.instances.append(inst)
        return inst

    def stop_all(self) -> None:
        for inst in self.instances:
            if inst.proc.poll() is None:
                inst.proc.send_signal(signal.SIGTERM)
        for inst in self.instances:
            try:
                inst.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                inst.proc.kill()
                inst.proc.wait()


def _floor(tmp: Path) -> Iterator[Floor]:
    for url in fresh_postgres_database(postgres_admin_url()):
        migrate_url(url)
        db = database_for_url(url)
        core = CoreWriter(f"sqlite:///{tmp / 'core.db'}")
        core.campaign(1)
        core.user(1)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")}
        env.update(
            WINROOM_DATABASE_URL=url,
            WINROOM_CORE_DATABASE_URL=core.url,
            WINROOM_REDIS_URL=redis_url(),
            WINROOM_JWT_SECRET=JWT_SECRET,
            WINROOM_POLLER_INTERVAL_MS="200",
            WINROOM_CLAIM_RATE_LIMIT="10000/minute",
            PYTHONPATH=str(ROOT),
        )
        fl = Floor(db, env, tmp, core)
        try:
            yield fl
        finally:
            fl.stop_all()
            core.dispose()
            db.dispose()


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Floor, Any]]:
    """Two instances shared by the tests that leave them running, and one user per role."""
    for fl in _floor(tmp_path_factory.mktemp("two")):
        fl.start()
        fl.start()
        yield fl, make_people(fl.db, _settings_like(fl))


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[Floor]:
    yield from _floor(tmp_path)


def _probe(db: Database) -> int:
    with db.transaction() as s:
        return append_event(s, "leaderboard:refresh", {"boards": ["wins"]}).id


async def _joined(db: Database, *recs: Recorder) -> None:
    """Every recorder's replay is done once a fresh event reaches each of them."""
    ev = await asyncio.to_thread(_probe, db)
    for rec in recs:
        await rec.wait_for(lambda r=rec: ev in r.ids(), timeout=20)


def _claim(url: str, token: str, queue_id: int) -> dict[str, Any]:
    r = httpx.post(
        f"{url}/api/claim",
        json={"queue_id": queue_id, "claim_type": "first_sales"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert r.status_code == 201, r.text
    return r.json()["claim"]  # type: ignore[no-any-return]


def test_a_claim_on_one_instance_reaches_every_instance_once_in_order(
    two: tuple[Floor, Any],
) -> None:
    floor, people = two
    a, b = floor.instances
    items = [add_item(floor.db, email=f"c{i}@example.com") for i in range(6)]

    async def main() -> None:
        seller, tv = Recorder(), Recorder()
        await seller.connect(a.url, people.tokens["sales"])
        await tv.connect(b.url, people.tokens["tv"])
        await _joined(floor.db, seller, tv)
        for i, qid in enumerate(items):  # alternate the instance taking the claim
            await asyncio.to_thread(_claim, (a, b)[i % 2].url, people.tokens["sales"], qid)
        ev = await asyncio.to_thread(_probe, floor.db)
        for rec in (seller, tv):
            await rec.wait_for(lambda r=rec: ev in r.ids(), timeout=20)
            ids = rec.ids()
            assert ids == sorted(set(ids)), "every event once, in id order"
            claimed = [d["payload"]["queue_id"] for e, d in rec.events if e == "claimed"]
            assert claimed == items
        await seller.disconnect()
        await tv.disconnect()

    asyncio.run(main())


def test_replay_on_another_instance_is_gap_free(two: tuple[Floor, Any]) -> None:
    floor, people = two
    a, b = floor.instances
    items = [add_item(floor.db, email=f"r{i}@example.com") for i in range(5)]

    async def main() -> None:
        first, watcher = Recorder(), Recorder()
        await first.connect(a.url, people.tokens["sales_lead"])
        await watcher.connect(b.url, people.tokens["admin"])
        await _joined(floor.db, first, watcher)
        await asyncio.to_thread(_claim, a.url, people.tokens["sales"], items[0])
        await first.wait_for(lambda: any(e == "claimed" for e, _ in first.events))
        last = first.ids()[-1]
        await first.disconnect()
        for qid in items[1:]:  # missed while away, committed through the other instance
            await asyncio.to_thread(_claim, b.url, people.tokens["sales"], qid)
        again = Recorder()
        await again.connect(b.url, people.tokens["sales_lead"], since=last)
        ev = await asyncio.to_thread(_probe, floor.db)
        await again.wait_for(lambda: ev in again.ids(), timeout=20)
        await watcher.wait_for(lambda: ev in watcher.ids(), timeout=20)
        seen = [i for i in watcher.ids() if i > last]
        assert again.ids() == seen, "the replay plus live events: what the floor saw"
        await again.disconnect()
        await watcher.disconnect()

    asyncio.run(main())


def _status(url: str, token: str, seller_id: int) -> str:
    r = httpx.get(f"{url}/api/presence", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text
    return next(str(p["status"]) for p in r.json()["people"] if p["seller_id"] == seller_id)


def test_presence_is_the_same_on_every_instance(two: tuple[Floor, Any]) -> None:
    """One person, a window on each instance: online on both while either is open, one
    offline event when the last closes, whichever instance it was on."""
    floor, people = two
    a, b = floor.instances
    me, admin = people.ids["sales"], people.tokens["admin"]

    def changes(rec: Recorder) -> list[str]:
        return [
            d["payload"]["status"]
            for e, d in rec.events
            if e == "presence.changed" and d["payload"]["seller_id"] == me
        ]

    async def until(cond: Any, what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not await asyncio.to_thread(cond):
            assert time.monotonic() < deadline, what
            await asyncio.sleep(0.2)

    async def main() -> None:
        watcher, on_a, on_b = Recorder(), Recorder(), Recorder()
        await watcher.connect(b.url, admin)
        await _joined(floor.db, watcher)
        await on_a.connect(a.url, people.tokens["sales"])
        await on_b.connect(b.url, people.tokens["sales"])
        for inst in (a, b):
            await until(lambda i=inst: _status(i.url, admin, me) == "online", "online")
        await on_a.disconnect()
        await asyncio.sleep(2.5)  # two sweeps of each instance
        for inst in (a, b):
            assert await asyncio.to_thread(_status, inst.url, admin, me) == "online"
        await on_b.disconnect()
        for inst in (a, b):
            await until(lambda i=inst: _status(i.url, admin, me) == "offline", "offline")
        await watcher.wait_for(lambda: changes(watcher)[-1:] == ["offline"])
        seen = changes(watcher)
        assert seen[-2:] == ["online", "offline"], seen
        assert seen.count("offline") == 1, "reported once, not once per instance"
        await watcher.disconnect()

    asyncio.run(main())


def test_ingestion_goes_on_exactly_once_when_an_instance_is_killed(floor: Floor) -> None:
    a, b = floor.start(), floor.start()
    first = [floor.core.sub(user_id=floor.core.user(100 + i)) for i in range(20)]
    _wait_queued(floor.db, len(first), timeout=30)
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait()
    killed_at = time.monotonic()
    later = [floor.core.sub(user_id=floor.core.user(200 + i)) for i in range(20)]
    _wait_queued(floor.db, len(first) + len(later), timeout=10)
    took = time.monotonic() - killed_at
    with floor.db.transaction() as s:
        subs = list(s.scalars(select(QueueItem.subscription_id)))
    assert sorted(subs) == sorted(first + later), "each subscription queued exactly once"
    assert b.proc.poll() is None
    print(f"ingestion after kill -9: all queued {took:.2f} s later")


def test_a_killed_instances_people_go_offline_on_the_others(floor: Floor) -> None:
    people = make_people(floor.db, _settings_like(floor))
    a, b = floor.start(), floor.start()
    me, admin = people.ids["sales"], people.tokens["admin"]

    async def main() -> None:
        watcher, seller = Recorder(), Recorder()
        await watcher.connect(b.url, admin)
        await _joined(floor.db, watcher)
        await seller.connect(a.url, people.tokens["sales"])
        deadline = time.monotonic() + 15
        while await asyncio.to_thread(_status, b.url, admin, me) != "online":
            assert time.monotonic() < deadline, "online on the other instance"
            await asyncio.sleep(0.2)
        a.proc.send_signal(signal.SIGKILL)  # no goodbye: its liveness key expires
        await asyncio.to_thread(a.proc.wait)
        killed = time.monotonic()
        while await asyncio.to_thread(_status, b.url, admin, me) != "offline":
            assert time.monotonic() - killed < 20, "offline within the liveness window"
            await asyncio.sleep(0.2)
        await watcher.wait_for(
            lambda: any(
                e == "presence.changed"
                and d["payload"]["seller_id"] == me
                and d["payload"]["status"] == "offline"
                for e, d in watcher.events
            ),
            timeout=10,
        )
        with contextlib.suppress(Exception):
            await seller.disconnect()
        await watcher.disconnect()

    asyncio.run(main())


def test_haproxy_carries_websocket_and_polling_clients(
    two: tuple[Floor, Any], tmp_path: Path
) -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(haproxy).exists(), "haproxy is a test dependency (packaging/system_deps.sh)"
    floor, people = two
    a, b = floor.instances
    port = free_port()
    servers = "\n".join(
        f"    server i{n} 127.0.0.1:{inst.port} check cookie i{n}" for n, inst in enumerate((a, b))
    )
    cfg = tmp_path / "haproxy.cfg"
    template = (ROOT / "packaging" / "lb" / "haproxy.cfg.in").read_text()
    cfg.write_text(template.replace("{{PORT}}", str(port)).replace("{{SERVERS}}", servers))
    check = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    lb = subprocess.Popen(
        [haproxy, "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "haproxy did not come up"
            time.sleep(0.1)
        qid = add_item(floor.db)

        async def main() -> None:
            ws, poll = Recorder(), Recorder()
            await ws.connect(url, people.tokens["tv"], transport="websocket")
            await poll.connect(url, people.tokens["sales"], transport="polling")
            await _joined(floor.db, ws, poll)
            claim = await asyncio.to_thread(_claim, url, people.tokens["sales"], qid)
            for rec in (ws, poll):
                await rec.wait_for(
                    lambda r=rec: any(
                        e == "claimed" and d["payload"]["claim_id"] == claim["id"]
                        for e, d in r.events
                    ),
                    timeout=20,
                )
            await ws.disconnect()
            await poll.disconnect()

        asyncio.run(main())
    finally:
        lb.terminate()
        lb.wait(timeout=10)


def _wait_queued(db: Database, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with db.transaction() as s:
            got = int(s.scalar(select(func.count()).select_from(QueueItem)) or 0)
        if got >= n:
            return
        assert time.monotonic() < deadline, f"{got} of {n} queued after {timeout} s"
        time.sleep(0.1)


def _settings_like(floor: Floor) -> Any:
    from backend.settings import load_settings

    return load_settings(
        data_dir=floor.tmp, database_url=floor.env["WINROOM_DATABASE_URL"], jwt_secret=JWT_SECRET
    )
