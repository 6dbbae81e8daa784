"""The ingest figures in ``/metrics``: the lag while behind, and rows by outcome."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend import metrics
from tests.backend.ingest.conftest import MakeWorker
from tests.backend.ingest.core_fixtures import CoreWriter


def sample(name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def test_lag_while_behind_then_zero(floor: CoreWriter, make_worker: MakeWorker) -> None:
    w = floor
    first = w.now - timedelta(minutes=30)
    for i in range(3):
        w.sub(user_id=i + 1, created_at=first + timedelta(minutes=i))
    now = w.now.replace(tzinfo=UTC)
    queued = sample("winroom_ingest_rows_total", outcome="queued")
    worker = make_worker(batch_size=1, read_ahead=1, clock=lambda: now)
    worker.catch_up(max_batches=1)  # one row of three: behind
    assert sample("winroom_ingest_lag_seconds") == 30 * 60  # the cursor's row waited 30 min
    worker.catch_up()
    assert sample("winroom_ingest_lag_seconds") == 0
    assert sample("winroom_ingest_rows_total", outcome="queued") - queued == 3


def test_no_lag_in_a_process_that_does_not_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_lag", [])  # no poll has run here (serve beside a worker)
    text = metrics.render().decode()
    assert "winroom_ingest_lag_seconds" not in text  # absent, not a 0 that reads caught up
