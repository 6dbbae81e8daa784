"""Helpers for the API and real-time tests: a built app, people of every role with tokens,
queue items, and a Socket.IO client that records what it receives."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import socketio

from backend.accounts import issue_device_token
from backend.auth import issue_token
from backend.db.types import utcnow
from backend.models import QueueItem, Seller
from backend.passwords import hash_password
from backend.runtime import Database
from backend.settings import Settings, load_settings

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["TestClient"]

PASSWORD = "correct-horse-9"
ROLES = ("sales", "sales_lead", "finance", "admin")
EPHEMERAL = ("presence.changed", "typing")
JWT_SECRET = "test-secret-0123456789abcdef-0123456789"


@lru_cache(maxsize=1)
def fast_hash() -> str:
    return hash_password(PASSWORD, rounds=4)


def make_settings(data_dir: Path, db: Database, **overrides: Any) -> Settings:
    url = db.engine.url.render_as_string(hide_password=False)
    overrides.setdefault("claim_rate_limit", "10000/minute")
    return load_settings(data_dir=data_dir, database_url=url, jwt_secret=JWT_SECRET, **overrides)


@dataclass
class People:
    """One user per role (``ids``/``headers`` by role) plus a TV token."""

    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str | None) -> dict[str, str]:
        if role is None:
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def add_seller(
    db: Database, settings: Settings, email: str, name: str, role: str
) -> tuple[int, str]:
    with db.transaction() as s:
        seller = Seller(email=email, name=name, role=role, password_hash=fast_hash())
        s.add(seller)
        s.flush()
        return seller.id, issue_token(settings, seller)


def make_people(db: Database, settings: Settings) -> People:
    people = People()
    for role in ROLES:
        sid, tok = add_seller(db, settings, f"{role}@winroom.io", role.title(), role)
        people.ids[role] = sid
        people.tokens[role] = tok
    with db.transaction() as s:
        people.tokens["tv"] = issue_device_token(s, "Floor TV")
    return people


def add_item(
    db: Database,
    *,
    email: str = "ayse@gmail.com",
    revenue: str = "100.00",
    status: str = "pending",
    finance_status: str = "waiting",
    subscription_id: int | None = None,
) -> int:
    with db.transaction() as s:
        item = QueueItem(
            subscription_id=subscription_id,
            customer_email=email,
            customer_name="Ayşe Yılmaz",
            campaign_id=7,
            campaign_name="Gold 12",
            currency="USD",
            status=status,
            finance_status=finance_status,
            revenue_usd=Decimal(revenue),
            cost_usd=Decimal("40"),
            margin_amount_usd=Decimal(revenue) - Decimal(40),
            margin_percent=Decimal("0.6"),
            margin_quality="high",
            sale_created_at=utcnow(),
        )
        s.add(item)
        s.flush()
        return item.id


async def refused_at_connect(url: str, auth: dict[str, Any]) -> dict[str, Any]:
    """Connect with ``auth``, expecting a refusal; returns the connect error the client got
    (``{"message", "data": {"code", "message"}}``)."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert not client.connected
    assert refusals and isinstance(refusals[0], dict)
    return refusals[0]


class Recorder:
    """A Socket.IO client recording every event (name, envelope) in arrival order."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()

        @self.client.on("*")
        async def _any(event: str, data: Any) -> None:
            self.events.append((event, data))
            self._changed.set()

    async def connect(
        self, url: str, token: str, since: Any = None, transport: str = "websocket"
    ) -> None:
        await self.client.connect(
            url, auth={"token": token, "since": since}, transports=[transport], wait_timeout=10
        )

    async def disconnect(self) -> None:
        await self.client.disconnect()

    async def joined(self, server: Any, room: str = "everyone", timeout: float = 10.0) -> None:
        """Wait until ``server`` (a RunningServer in this process) has put this socket in
        ``room``: its replay is done and live events reach it from then on."""
        sid = self.client.get_sid("/")
        manager = server.app.sio.manager

        async def loop() -> None:
            while sid not in manager.rooms.get("/", {}).get(room, {}):
                await asyncio.sleep(0.005)

        await asyncio.wait_for(loop(), timeout)

    def ids(self, skip: tuple[str, ...] = EPHEMERAL) -> list[int]:
        """Ids of the events received, in order (presence/typing left out by default:
        other connections' comings and goings add those at any time)."""
        return [
            d["id"] for e, d in self.events if isinstance(d, dict) and "id" in d and e not in skip
        ]

    async def wait_for(self, cond: Callable[[], bool], timeout: float = 10.0) -> None:
        async def loop() -> None:
            while not cond():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)
