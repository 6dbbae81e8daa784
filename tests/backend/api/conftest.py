from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.runtime import Database
from backend.server import WinRoomApp, build
from backend.settings import Settings
from tests.backend.realtime.support import People, TestClient, make_people, make_settings


@pytest.fixture
def api_settings(data_dir: Path, db: Database) -> Settings:
    return make_settings(data_dir, db)


@pytest.fixture
def server_app(api_settings: Settings, db: Database) -> WinRoomApp:
    return build(api_settings, db)


@pytest.fixture
def client(server_app: WinRoomApp) -> Iterator[TestClient]:
    c = TestClient(server_app.api, raise_server_exceptions=False)
    yield c
    c.close()


@pytest.fixture
def people(db: Database, api_settings: Settings) -> People:
    return make_people(db, api_settings)
