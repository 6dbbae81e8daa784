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


def post_at_once(
    url: str, requests: list[tuple[dict[str, object], dict[str, str]]]
) -> list[httpx.Response]:
    """``POST /api/claim`` each (body, headers) from its own thread and connection, all
    released at the same instant (each connection opened before the start line)."""
    barrier = threading.Barrier(len(requests))
    got: list[httpx.Response | BaseException] = [RuntimeError("not run")] * len(requests)

    def run(i: int) -> None:
        body, headers = requests[i]
        with httpx.Client(base_url=url, timeout=60) as http:
            http.get("/healthz")
            barrier.wait()
            try:
                got[i] = http.post("/api/claim", json=body, headers=headers)
            except BaseException as exc:
                got[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    answers = [r for r in got if isinstance(r, httpx.Response)]
    assert len(answers) == len(requests), [r for r in got if not isinstance(r, httpx.Response)]
    return answers


@pytest.mark.slow
def test_fifty_concurrent_claims_exactly_one_wins(data_dir: Path, db: Database) -> None:
    settings = make_settings(data_dir, db, claim_rate_limit="1000/minute")
    sellers = [
        add_seller(db, settings, f"s{i}@winroom.io", f"Seller {i}", "sales") for i in range(CLIENTS)
    ]
    names = {sid: f"Seller {i}" for i, (sid, _t) in enumerate(sellers)}
    qid = add_item(db)
    with run_server_in_process(settings, db=db) as server:
        responses = post_at_once(
            server.url,
            [
                (
                    {"queue_id": qid, "claim_type": "first_sales"},
                    {"Authorization": f"Bearer {token}"},
                )
                for _sid, token in sellers
            ],
        )
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


@pytest.mark.slow
def test_the_same_keyed_claim_sent_at_once_gets_one_answer_twice(
    data_dir: Path, db: Database
) -> None:
    """A client's retry racing its first try (same ``Idempotency-Key``, same body): every
    copy gets 201 and the same claim, also when one copy's flip waited for the other's
    commit (PostgreSQL); the same key with another item gets 422. Rounds of 6 copies."""
    settings = make_settings(data_dir, db, claim_rate_limit="1000/minute")
    _sid, token = add_seller(db, settings, "s@winroom.io", "Seller", "sales")
    copies = 6
    with run_server_in_process(settings, db=db) as server:
        for round_ in range(5):
            qid, other = add_item(db), add_item(db)
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{round_}"}
            answers = post_at_once(
                server.url,
                [
                    ({"queue_id": other if i == 0 else qid, "claim_type": "upgrade"}, headers)
                    for i in range(copies)
                ],
            )
            codes = sorted(r.status_code for r in answers)
            if answers[0].status_code == 201:  # the other item's copy won the key
                assert codes == [201] + [422] * (copies - 1), codes
            else:
                assert answers[0].status_code == 422, answers[0].text
                assert codes == [201] * (copies - 1) + [422], codes
                assert len({r.json()["claim"]["id"] for r in answers[1:]}) == 1
            with db.read() as s:
                assert (
                    s.scalar(
                        select(func.count())
                        .select_from(Claim)
                        .where(Claim.idempotency_key == f"k{round_}")
                    )
                    == 1
                )
