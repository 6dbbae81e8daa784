from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.runtime import Database
from backend.server import RunningServer, run_server_in_process
from backend.settings import Settings
from tests.backend.realtime.support import People, make_people, make_settings


@pytest.fixture
def rt_settings(data_dir: Path, db: Database) -> Settings:
    return make_settings(data_dir, db)


@pytest.fixture
def server(rt_settings: Settings, db: Database) -> Iterator[RunningServer]:
    with run_server_in_process(rt_settings, db=db) as srv:
        yield srv


@pytest.fixture
def people(db: Database, rt_settings: Settings) -> People:
    return make_people(db, rt_settings)
