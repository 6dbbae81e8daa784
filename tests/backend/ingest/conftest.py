"""Fixtures of the ingestion tests: a core database next to each Win Room database.

With the SQLite ``db`` the core database is a temporary SQLite file; with the PostgreSQL
``db`` it is a throwaway PostgreSQL database (one per test session, emptied per test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.core import CoreDatabase
from backend.ingest.worker import IngestWorker
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.ingest.core_fixtures import CoreWriter
from tests.helpers.core import core_writer_next_to, postgres_core_writer


@pytest.fixture(scope="session")
def _pg_core_writer() -> Iterator[CoreWriter]:
    with postgres_core_writer() as writer:
        yield writer


@pytest.fixture
def core_writer(
    db: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[CoreWriter]:
    with core_writer_next_to(db, tmp_path, request, "_pg_core_writer") as writer:
        yield writer


@pytest.fixture
def core(core_writer: CoreWriter) -> Iterator[CoreDatabase]:
    c = CoreDatabase(core_writer.url)
    yield c
    c.dispose()


MakeWorker = Callable[..., IngestWorker]


@pytest.fixture
def make_worker(
    db: Database, core: CoreDatabase, settings: Settings
) -> Callable[..., IngestWorker]:
    def make(**kw: Any) -> IngestWorker:
        return IngestWorker(db, core, kw.pop("settings", settings), **kw)

    return make


@pytest.fixture
def floor(core_writer: CoreWriter) -> CoreWriter:
    """dolar 34,25; campaigns 1 (6 months, 2×25) … and the trial 65; customers 1-3."""
    w = core_writer
    w.dolar("34,25")
    w.campaign(1, 6, 2, 25, "Genel İngilizce 6 Ay")  # cost 48 × 5 × 0.8 = 192
    w.campaign(2, 12, 3, 50, "Business 12 Ay")  # cost 144 × 10 × 0.7 = 1008
    w.campaign(3, 1, 5, 20, "Yoğun 1 Ay")  # cost 20 × 4 × 1.0 = 80
    w.campaign(4, 3, 2, 30, "Bozuk süre")  # 30 minutes: not in the price list
    w.campaign(65, 1, 1, 25, "Deneme Dersi")
    w.user(1, "Ayşe Kaya", "ayse@example.com", created_at=w.now - timedelta(days=5, hours=1))
    w.user(2, "John Smith", "john@example.com", created_at=w.now - timedelta(days=1))
    w.user(3, "Noura Al-Harbi", "noura@example.com", created_at=w.now - timedelta(hours=2))
    return w
