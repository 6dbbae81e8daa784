"""A real race: 50 concurrent HTTP clients claim one item on a running uvicorn server."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from backend.models import Claim, Event
from backend.runtime import Database
from backend.server import run_server_in_process
from tests.backend.realtime.support import add_item, add_seller, make_settings

CLIENTS = 50


@pytest.mark.slow
def test_fifty_concurrent_claims_exactly_one_wins(data_dir: Path, db: Database) -> None:
    settings = make_settings(data_dir, db, claim_rate_limit="1000/minute")
    sellers = [
        add_seller(db, settings, f"s{i}@winroom.io", f"Seller {i}", "sales") for i in range(CLIENTS)
    ]
    names = {sid: f"Seller {i}" for i, (sid, _t) in enumerate(sellers)}
    qid = add_item(db)
    barrier = threading.Barrier(CLIENTS)
    results: list[httpx.Response | BaseException] = [RuntimeError("not run")] * CLIENTS

    with run_server_in_process(settings, db=db) as server:

        def run(i: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                http.get("/healthz")  # open the connection before the start line
                barrier.wait()
                try:
                    results[i] = http.post(
                        "/api/claim",
                        json={"queue_id": qid, "claim_type": "first_sales"},
                        headers={"Authorization": f"Bearer {sellers[i][1]}"},
                    )
                except BaseException as exc:
                    results[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)

    responses = [r for r in results if isinstance(r, httpx.Response)]
    assert len(responses) == CLIENTS, [r for r in results if not isinstance(r, httpx.Response)]
    won = [r for r in responses if r.status_code == 201]
    lost = [r for r in responses if r.status_code == 409]
    assert len(won) == 1 and len(lost) == CLIENTS - 1, sorted(r.status_code for r in responses)
    winner = won[0].json()["claim"]["seller_id"]
    for r in lost:
        err = r.json()["error"]
        assert err["code"] == "already_claimed"
        assert err["claimed_by"] == {"id": winner, "name": names[winner]}
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 1
        assert s.scalar(select(func.count()).select_from(Event).where(Event.type == "claimed")) == 1
