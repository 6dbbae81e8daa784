"""Open sockets end when their token would be refused: a revoked TV token, a deactivated
seller, an expired JWT. Sockets with good tokens stay."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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


@pytest.fixture
def quick_server(
    rt_settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningServer]:
    monkeypatch.setattr(sockets, "REVALIDATE_S", 0.2)
    with run_server_in_process(rt_settings, db=db) as srv:
        yield srv


def test_sockets_end_when_their_token_no_longer_holds(
    quick_server: RunningServer, people: People, db: Database, rt_settings: Settings
) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=2)
    short_lived = jwt.encode(
        {
            "seller_id": people.ids["finance"],
            "email": "finance@winroom.io",
            "role": "finance",
            "iat": int(datetime.now(UTC).timestamp()),
            "exp": int(soon.timestamp()),
        },
        rt_settings.jwt_key(),
        algorithm="HS256",
    )

    async def main() -> None:
        tv, sales, lead, finance = Recorder(), Recorder(), Recorder(), Recorder()
        await tv.connect(quick_server.url, people.tokens["tv"])
        await sales.connect(quick_server.url, people.tokens["sales"])
        await lead.connect(quick_server.url, people.tokens["sales_lead"])
        await finance.connect(quick_server.url, short_lived)
        await asyncio.sleep(0.6)  # a few checks pass: nobody is refused yet
        assert all(r.client.connected for r in (tv, sales, lead, finance))

        def revoke_and_deactivate() -> None:
            with db.transaction() as s:
                revoke_device_token(s, "Floor TV")
                s.execute(
                    update(Seller).where(Seller.id == people.ids["sales"]).values(is_active=False)
                )

        await asyncio.to_thread(revoke_and_deactivate)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while (tv.client.connected or sales.client.connected) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert not tv.client.connected and not sales.client.connected
        assert lead.client.connected
        while finance.client.connected and loop.time() < deadline + 5:
            await asyncio.sleep(0.05)
        assert not finance.client.connected  # its JWT expired
        assert lead.client.connected
        await lead.disconnect()

    asyncio.run(main())
