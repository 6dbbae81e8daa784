"""Open sockets end when their token would be refused: a revoked TV token, a deactivated
seller, an expired JWT. Sockets with good tokens stay."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import update

from backend.accounts import revoke_device_token
from backend.models import Seller
from backend.realtime import sockets
from backend.runtime import Database
from backend.server import RunningServer, run_server_in_process
from backend.settings import Settings
from tests.backend.realtime.support import People, Recorder


class Clock:
    """The socket watcher's ``time`` module, with a wall clock the test moves forward."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(sockets, "time", c)
    return c


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every revalidation the watcher ran: the sids it ended."""
    done: list[list[str]] = []
    revalidate = sockets.SocketServer.revalidate

    async def counting(self: sockets.SocketServer) -> list[str]:
        ended = await revalidate(self)
        done.append(ended)
        return ended

    monkeypatch.setattr(sockets.SocketServer, "revalidate", counting)
    return done


@pytest.fixture
def quick_server(
    rt_settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Iterator[RunningServer]:
    monkeypatch.setattr(sockets, "REVALIDATE_S", 0.05)
    with run_server_in_process(rt_settings, db=db) as srv:
        yield srv


async def until(cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.02)


def test_sockets_end_when_their_token_no_longer_holds(
    quick_server: RunningServer,
    people: People,
    db: Database,
    rt_settings: Settings,
    clock: Clock,
    checks: list[list[str]],
) -> None:
    now = datetime.now(UTC)
    hour = jwt.encode(  # expires in an hour, which the test's clock makes pass
        {
            "seller_id": people.ids["finance"],
            "email": "finance@winroom.io",
            "role": "finance",
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=1)).timestamp()),
        },
        rt_settings.jwt_key(),
        algorithm="HS256",
    )

    async def main() -> None:
        tv, sales, lead, finance = Recorder(), Recorder(), Recorder(), Recorder()
        await tv.connect(quick_server.url, people.tokens["tv"])
        await sales.connect(quick_server.url, people.tokens["sales"])
        await lead.connect(quick_server.url, people.tokens["sales_lead"])
        await finance.connect(quick_server.url, hour)
        seen = len(checks)
        await until(lambda: len(checks) >= seen + 3, "the watcher never ran")
        assert all(ended == [] for ended in checks)  # a few checks passed: nobody refused
        assert all(r.client.connected for r in (tv, sales, lead, finance))

        def revoke_and_deactivate() -> None:
            with db.transaction() as s:
                revoke_device_token(s, "Floor TV")
                s.execute(
                    update(Seller).where(Seller.id == people.ids["sales"]).values(is_active=False)
                )

        await asyncio.to_thread(revoke_and_deactivate)
        await until(lambda: not tv.client.connected and not sales.client.connected, "kept")
        assert lead.client.connected and finance.client.connected
        clock.ahead = 3600 + 60  # the finance JWT's hour is up
        await until(lambda: not finance.client.connected, "the expired JWT's socket stayed")
        assert lead.client.connected
        await lead.disconnect()

    asyncio.run(main())
