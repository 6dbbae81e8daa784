"""Every endpoint of CONTRACT §4 this service owns, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from backend.db.types import utcnow
from backend.models import (
    Attribution,
    AttributionShareEntry,
    Claim,
    Event,
    Installment,
    Promotion,
    QueueItem,
)
from backend.runtime import Database, database_for_url
from backend.server import WinRoomApp, build
from tests.backend.realtime.support import People, TestClient, add_item, make_settings


def claim(client: TestClient, people: People, qid: int, role: str = "sales", **extra: object):  # type: ignore[no-untyped-def]
    headers = {**people.headers(role), **extra.pop("headers", {})}  # type: ignore[dict-item]
    return client.post(
        "/api/claim", json={"queue_id": qid, "claim_type": "first_sales", **extra}, headers=headers
    )


def test_queue_lists_pending_items_with_masked_emails_for_tv(
    client: TestClient, people: People, db: Database
) -> None:
    a = add_item(db, email="ayse@gmail.com")
    add_item(db, status="claimed")
    add_item(db, status="excluded")
    seller = client.get("/api/queue", headers=people.headers("sales")).json()["items"]
    tv = client.get("/api/queue", headers=people.headers("tv")).json()["items"]
    assert [i["id"] for i in seller] == [a] == [i["id"] for i in tv]
    assert seller[0]["customer"]["email"] == "ayse@gmail.com"
    assert tv[0]["customer"]["email"] == "a•••@gmail.com"
    assert "note" in seller[0] and seller[0]["note"] == tv[0]["note"]  # no address in it
    for key in (
        "subscription_id",
        "campaign",
        "revenue_usd",
        "cost_usd",
        "margin_amount_usd",
        "margin_percent",
        "is_jackpot",
        "tts_days",
        "margin_quality",
        "finance_status",
        "problem_reason",
        "created_at",
    ):
        assert key in seller[0]
    assert seller[0]["revenue_usd"] == "100.00"


def test_queue_lists_every_pending_item_newest_first(
    client: TestClient, people: People, db: Database
) -> None:
    """CONTRACT §4: ``GET /api/queue`` is every pending item (it was capped at 1000)."""
    from sqlalchemy import insert

    now = utcnow()
    rows = [
        {
            "source": "manual",
            "customer_email": f"c{i}@example.com",
            "customer_name": f"C{i}",
            "status": "pending",
            "finance_status": "waiting",
            "margin_quality": "unknown",
            "is_jackpot": False,
            "sale_created_at": now,
            "created_at": now + timedelta(seconds=i),
        }
        for i in range(1005)
    ]
    with db.transaction() as s:
        s.execute(insert(QueueItem), rows)
    claimed = add_item(db, status="claimed")
    with db.read() as s:
        ids = list(s.scalars(select(QueueItem.id).where(QueueItem.status == "pending")))
    for role in ("sales", "tv"):
        items = client.get("/api/queue", headers=people.headers(role)).json()["items"]
        assert len(items) == 1005 == len(ids)
        assert [i["id"] for i in items] == sorted(ids, reverse=True)  # newest first
        assert claimed not in {i["id"] for i in items}


def test_claim_writes_claim_attribution_share_event(
    client: TestClient, people: People, db: Database
) -> None:
    qid = add_item(db, revenue="250.50", finance_status="approved", subscription_id=4242)
    resp = claim(client, people, qid)
    assert resp.status_code == 201, resp.json()
    c = resp.json()["claim"]
    assert (c["queue_id"], c["seller_id"], c["claim_type"], c["finance_status"]) == (
        qid,
        people.ids["sales"],
        "first_sales",
        "approved",
    )
    with db.read() as s:
        assert s.get(QueueItem, qid).status == "claimed"  # type: ignore[union-attr]
        attr = s.scalar(select(Attribution).where(Attribution.claim_id == c["id"]))
        assert attr is not None and attr.closer_seller_id == people.ids["sales"]
        assert attr.closer_share == Decimal(1)
        shares = list(
            s.scalars(
                select(AttributionShareEntry).where(AttributionShareEntry.claim_id == c["id"])
            )
        )
        assert [(e.seller_id, e.share, e.revenue_usd, e.margin_usd) for e in shares] == [
            (people.ids["sales"], Decimal(1), Decimal("250.5"), Decimal("210.5"))
        ]
        ev = s.scalar(select(Event).where(Event.type == "claimed"))
        assert ev is not None and ev.payload["claim_id"] == c["id"]
        assert ev.payload["seller_name"] == "Sales" and ev.payload["revenue_usd"] == "250.50"
        assert ev.subscription_id == 4242 and ev.actor == people.ids["sales"]
    # the loser learns who won
    lost = claim(client, people, qid, role="sales_lead")
    assert lost.status_code == 409
    assert lost.json()["error"]["code"] == "already_claimed"
    assert lost.json()["error"]["claimed_by"] == {"id": people.ids["sales"], "name": "Sales"}


def test_claim_excluded_unknown_and_installment(
    client: TestClient, people: People, db: Database
) -> None:
    excluded = add_item(db, status="excluded")
    resp = claim(client, people, excluded)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_claimable"
    resp = claim(client, people, 999999)
    assert resp.status_code == 404
    qid = add_item(db)
    resp = claim(client, people, qid, installment_plan_id=77)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_installment_plan"
    with db.transaction() as s:
        plan = Installment(total_installments=3)
        s.add(plan)
        s.flush()
        plan_id = plan.id
    resp = client.post(
        "/api/claim",
        json={"queue_id": qid, "claim_type": "installment", "installment_plan_id": plan_id},
        headers=people.headers("admin"),
    )
    assert resp.status_code == 201 and resp.json()["claim"]["installment_plan_id"] == plan_id


def test_idempotency_key_returns_the_first_answer(
    client: TestClient, people: People, db: Database
) -> None:
    qid = add_item(db)
    first = claim(client, people, qid, headers={"Idempotency-Key": "k-1"})
    again = claim(client, people, qid, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = claim(client, people, qid, role="sales_lead", headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    with db.read() as s:
        assert len(list(s.scalars(select(Claim)))) == 1
        assert len(list(s.scalars(select(Event).where(Event.type == "claimed")))) == 1


def test_an_idempotency_key_reused_for_another_request_is_422_not_the_other_claim(
    client: TestClient, people: People, db: Database, server_app: WinRoomApp
) -> None:
    """The same key with another item, claim type or plan is no repeat: 422
    ``idempotency_key_reused`` (naming the claim it belongs to), nothing written; the real
    repeat still gets its first answer, also over the rate limit."""
    from limits import parse

    qid, other = add_item(db), add_item(db)
    key = {"Idempotency-Key": "k-7"}
    first = claim(client, people, qid, headers=key)
    assert first.status_code == 201
    first_id = first.json()["claim"]["id"]
    for resp in (
        claim(client, people, other, headers=key),
        claim(client, people, qid, headers=key, claim_type="upgrade"),
    ):
        assert resp.status_code == 422, resp.text
        err = resp.json()["error"]
        assert err["code"] == "idempotency_key_reused" and err["claim_id"] == first_id
    with db.read() as s:
        assert [c.queue_id for c in s.scalars(select(Claim))] == [qid]
        assert s.get(QueueItem, other).status == "pending"  # type: ignore[union-attr]
    server_app.ctx.limits.claim = parse("1/minute")  # over the limit: the same answers
    assert claim(client, people, other, headers=key).status_code == 422
    assert claim(client, people, qid, headers=key).json() == first.json()


def test_claiming_ones_own_claimed_item_again_says_so(
    client: TestClient, people: People, db: Database
) -> None:
    qid = add_item(db)
    assert claim(client, people, qid).status_code == 201
    again = claim(client, people, qid)
    err = again.json()["error"]
    assert again.status_code == 409 and err["code"] == "already_claimed"
    assert err["claimed_by"] == {"id": people.ids["sales"], "name": "Sales"}
    assert err["message"] == "You have claimed this sale already."
    lost = claim(client, people, qid, role="admin").json()["error"]
    assert lost["message"] == "Someone else claimed this sale first."


def test_claim_rate_limit(
    client: TestClient, people: People, db: Database, server_app: WinRoomApp
) -> None:
    from limits import parse

    server_app.ctx.limits.claim = parse("3/minute")
    qid = add_item(db)
    statuses = [claim(client, people, qid).status_code for _ in range(4)]
    assert statuses == [201, 409, 409, 429]
    resp = claim(client, people, qid)
    assert resp.json()["error"]["code"] == "rate_limited"
    wait = resp.headers.get("Retry-After", "")
    assert wait.isdigit() and 1 <= int(wait) <= 60  # when the oldest claim leaves the minute
    assert resp.json()["error"]["retry_after"] == int(wait)
    assert claim(client, people, qid, role="admin").status_code == 409  # per seller


def test_a_muted_sender_hears_when_to_try_again(client: TestClient, people: People) -> None:
    def post(text: str) -> Any:
        return client.post("/api/chats", json={"message": text}, headers=people.headers("sales"))

    answers = [post(f"hello {i}") for i in range(9)]  # spam: two warnings, then the mute
    muted = [r for r in answers if r.status_code == 429]
    assert muted and all(r.json()["error"]["code"] == "muted" for r in muted)
    for r in muted:
        wait = r.headers.get("Retry-After", "")
        assert wait.isdigit() and 1 <= int(wait) <= 10 * 60  # the mute lasts 10 minutes


def test_a_repeat_over_the_rate_limit_still_gets_its_first_answer(
    client: TestClient, people: People, db: Database, server_app: WinRoomApp
) -> None:
    from limits import parse

    server_app.ctx.limits.claim = parse("2/minute")
    qid, other = add_item(db), add_item(db)
    key = {"Idempotency-Key": "again-1"}
    first = claim(client, people, qid, headers=key)
    repeats = [claim(client, people, qid, headers=key) for _ in range(4)]
    assert first.status_code == 201
    assert [r.status_code for r in repeats] == [201] * 4
    assert all(r.json() == first.json() for r in repeats)
    assert claim(client, people, other).status_code == 429  # a new claim is still limited


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"queue_id": "1", "claim_type": "first_sales"}, 422),
        ({"queue_id": 1.5, "claim_type": "first_sales"}, 422),
        ({"queue_id": -1, "claim_type": "first_sales"}, 422),
        ({"queue_id": 10**30, "claim_type": "first_sales"}, 422),
        ({"queue_id": 1, "claim_type": "gift"}, 422),
        ({"queue_id": 1, "claim_type": "first_sales", "bonus": True}, 422),
        ({"claim_type": "first_sales"}, 422),
        ([1, 2], 422),
        ("just a string", 422),
        (None, 422),
    ],
)
def test_claim_bad_input(client: TestClient, people: People, body: object, status: int) -> None:
    resp = client.post("/api/claim", json=body, headers=people.headers("sales"))
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == "invalid_request"
    assert "Traceback" not in resp.text


def test_malformed_and_oversized_bodies(client: TestClient, people: People) -> None:
    headers = {**people.headers("sales"), "Content-Type": "application/json"}
    resp = client.post("/api/claim", content=b'{"queue_id": 1,', headers=headers)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "malformed_json"
    big = b'{"queue_id": 1, "claim_type": "' + b"x" * 70_000 + b'"}'
    resp = client.post("/api/claim", content=big, headers=headers)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
    resp = client.get("/api/nope", headers=people.headers("sales"))
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    resp = client.put("/api/queue", headers=people.headers("sales"))
    assert resp.status_code == 405 and "error" in resp.json()


def _chunks(body: bytes, size: int = 8192):  # type: ignore[no-untyped-def]
    """The body as a generator: httpx sends it chunked, with no Content-Length."""
    for i in range(0, len(body), size):
        yield body[i : i + size]


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_bodies_answer_the_callers_authorization_first(
    client: TestClient, people: People, db: Database, chunked: bool
) -> None:
    """Over 64 KiB: 413 for a caller the endpoint allows, but the 401/403 any well-formed
    request gets from a caller it refuses (CONTRACT §4), with or without a Content-Length;
    nothing is written either way."""
    qid = add_item(db)
    big = b'{"queue_id": %d, "claim_type": "first_sales", "x": "' % qid + b"x" * 70_000 + b'"}'

    def post(path: str, role: str | None) -> tuple[int, str]:
        headers = {"Content-Type": "application/json", **(people.headers(role) if role else {})}
        content = _chunks(big) if chunked else big
        resp = client.post(path, content=content, headers=headers)  # type: ignore[arg-type]
        assert "Traceback" not in resp.text
        return resp.status_code, resp.json()["error"]["code"]

    assert post("/api/claim", None) == (401, "not_authenticated")
    assert post("/api/claim", "tv") == (403, "forbidden")
    assert post("/api/claim", "finance") == (403, "forbidden")
    assert post("/api/auth/register", "sales") == (403, "forbidden")
    assert post("/api/claim", "sales") == (413, "payload_too_large")
    assert post("/api/auth/register", "admin") == (413, "payload_too_large")
    assert post("/api/auth/login", None) == (413, "payload_too_large")
    with db.read() as s:
        assert s.scalar(select(Claim.id)) is None
    # a body under the limit sent chunked is read whole and answered as usual
    small = b'{"queue_id": %d, "claim_type": "first_sales"}' % qid
    headers = {**people.headers("sales"), "Content-Type": "application/json"}
    resp = client.post("/api/claim", content=_chunks(small, 7), headers=headers)  # type: ignore[arg-type]
    assert resp.status_code == 201, resp.text


def test_tv_gets_addresses_in_a_manual_entrys_note_masked(
    client: TestClient, people: People
) -> None:
    body = {
        "customer_email": "zed.manual@corp.com",
        "customer_name": "zed.manual@corp.com",  # a name that is the address, as often
        "campaign_id": 12,
        "amount": "100",
        "currency": "USD",
        "note": "call zed.manual@corp.com, cc finance@corp.com",
    }
    made = client.post("/api/queue/manual", json=body, headers=people.headers("admin"))
    assert made.status_code == 201, made.text
    [tv] = client.get("/api/queue", headers=people.headers("tv")).json()["items"]
    assert tv["customer"] == {"email": "z•••@corp.com", "name": "z•••@corp.com"}
    assert tv["note"] == "call z•••@corp.com, cc f•••@corp.com"
    [seller] = client.get("/api/queue", headers=people.headers("sales")).json()["items"]
    assert seller["note"] == body["note"]
    assert seller["customer"]["name"] == body["customer_name"]
    assert claim(client, people, made.json()["item"]["id"]).status_code == 201
    [recent] = client.get("/api/claims/recent", headers=people.headers("tv")).json()["claims"]
    assert (recent["customer_email"], recent["customer_name"]) == ("z•••@corp.com",) * 2


def test_manual_entry(client: TestClient, people: People, db: Database) -> None:
    body = {
        "customer_email": "mehmet@x.com",
        "customer_name": "Mehmet",
        "campaign_id": 12,
        "amount": "375.00",
        "currency": "SAR",
        "note": "walk-in",
    }
    resp = client.post("/api/queue/manual", json=body, headers=people.headers("sales_lead"))
    assert resp.status_code == 201, resp.json()
    item = resp.json()["item"]
    assert item["revenue_usd"] == "100.00" and item["source"] == "manual"
    assert item["customer"] == {"email": "mehmet@x.com", "name": "Mehmet"}
    with db.read() as s:
        ev = s.scalar(select(Event).where(Event.type == "queue.new"))
        assert ev is not None and ev.payload["item"]["id"] == item["id"]
    usd = client.post(
        "/api/queue/manual",
        json={**body, "amount": 19.99, "currency": "usd"},
        headers=people.headers("admin"),
    )
    assert usd.status_code == 201 and usd.json()["item"]["revenue_usd"] == "19.99"
    for bad in (
        {**body, "amount": -5},
        {**body, "amount": "1e12"},
        {**body, "amount": True},
        {**body, "currency": "EURO"},
        {**body, "extra": 1},
        {**body, "campaign_id": "12"},
    ):
        r = client.post("/api/queue/manual", json=bad, headers=people.headers("admin"))
        assert r.status_code == 422, bad
    for tiny in ("1e-30", "0.001", 0.001):
        # was a 500: the margin % of a fraction of a cent overflowed the storage
        r = client.post(
            "/api/queue/manual", json={**body, "amount": tiny}, headers=people.headers("admin")
        )
        assert r.status_code == 422, tiny
        assert r.json()["error"]["code"] == "invalid_request"
        assert "amount" in r.json()["error"]["message"]
    trial = client.post(
        "/api/queue/manual", json={**body, "campaign_id": 65}, headers=people.headers("admin")
    )
    assert trial.status_code == 422 and trial.json()["error"]["code"] == "trial_campaign"
    with db.read() as s:
        assert len(s.scalars(select(QueueItem)).all()) == 2  # the two above only
        assert len(s.scalars(select(Event).where(Event.type == "queue.new")).all()) == 2
    r = client.post(
        "/api/queue/manual", json={**body, "currency": "EUR"}, headers=people.headers("admin")
    )
    # queued as a problem, as an ingested sale would be (tests/backend/actions/
    # test_queue_manual_rules.py has the rest of the money rules)
    assert r.status_code == 201
    assert r.json()["item"]["finance_status"] == "problem"
    assert r.json()["item"]["problem_reason"] == "unknown_currency"


@pytest.mark.parametrize(
    "amount",
    [
        "\u0661\u0662\u0663",  # Arabic-Indic 123: was queued as 123.00
        "\u06f1\u06f2\u06f3",  # Extended Arabic-Indic (Persian)
        "\uff11\uff12\uff13",  # full-width
        "\u0967\u0968\u0969",  # Devanagari
        "12\u0663.50",  # one digit out of place
        "1_000",
        "1e\u0663",
        "NaN",
        "Infinity",
        "",
    ],
)
def test_money_takes_ascii_digits_only(
    client: TestClient, people: People, db: Database, amount: str
) -> None:
    body = {
        "customer_email": "mehmet@x.com",
        "customer_name": "Mehmet",
        "amount": amount,
        "currency": "USD",
    }
    r = client.post("/api/queue/manual", json=body, headers=people.headers("admin"))
    assert r.status_code == 422, amount
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and "amount" in err["message"]
    assert [f["field"] for f in err["fields"]] == ["body.amount"]
    with db.read() as s:
        assert s.scalars(select(QueueItem)).all() == []
    # plain digits, with or without a fraction and surrounding spaces, still work
    for fine, shown in ((" 123 ", "123.00"), ("123.5", "123.50"), (123, "123.00")):
        ok = client.post(
            "/api/queue/manual", json={**body, "amount": fine}, headers=people.headers("admin")
        )
        assert ok.status_code == 201 and ok.json()["item"]["revenue_usd"] == shown


def test_recent_claims_newest_first_with_names(
    client: TestClient, people: People, db: Database
) -> None:
    ids = [add_item(db, email=f"c{i}@mail.com") for i in range(3)]
    for qid, role in zip(ids, ("sales", "sales_lead", "admin"), strict=True):
        assert claim(client, people, qid, role=role).status_code == 201
    got = client.get("/api/claims/recent?limit=2", headers=people.headers("tv")).json()["claims"]
    assert [c["queue_id"] for c in got] == [ids[2], ids[1]]
    assert [c["seller_name"] for c in got] == ["Admin", "Sales_Lead"]
    assert got[0]["customer_email"] == "c•••@mail.com"
    seller = client.get("/api/claims/recent", headers=people.headers("finance")).json()["claims"]
    assert len(seller) == 3 and seller[0]["customer_email"] == "c2@mail.com"
    assert client.get("/api/claims/recent?limit=0", headers=people.headers("tv")).status_code == 422


def test_achievements_and_promotions(client: TestClient, people: People, db: Database) -> None:
    resp = client.get("/api/achievements", headers=people.headers("tv"))
    assert resp.status_code == 200 and isinstance(resp.json()["achievements"], list)
    assert (
        client.get("/api/achievements?limit=101", headers=people.headers("tv")).status_code == 422
    )
    now = utcnow()
    with db.transaction() as s:
        s.add(
            Promotion(
                variant="promo",
                title="Now",
                body="b",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1),
            )
        )
        s.add(
            Promotion(
                variant="info",
                title="Later",
                body="b",
                starts_at=now + timedelta(hours=1),
                ends_at=now + timedelta(hours=2),
            )
        )
    promos = client.get("/api/promotions/active", headers=people.headers("tv")).json()["promotions"]
    assert [p["title"] for p in promos] == ["Now"]
    assert set(promos[0]) >= {"variant", "title", "body", "starts_at", "ends_at"}
    # a first claim moves its seller into the top 3: an achievement, listed with its id
    assert claim(client, people, add_item(db, revenue="900.00")).status_code == 201
    [got] = client.get("/api/achievements", headers=people.headers("tv")).json()["achievements"]
    assert got["id"] == got["achievement_id"] and isinstance(got["id"], int)
    assert got["seller_id"] == people.ids["sales"] and got["kind"] == "rank_change"
    assert set(got) >= {"seller_name", "title", "description", "emoji", "value", "reactions"}


def test_objections(client: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    claim_id = claim(client, people, qid).json()["claim"]["id"]
    body = {"claim_id": claim_id, "reason": "wrong_owner", "details": "I spoke to them first"}
    resp = client.post("/api/objections", json=body, headers=people.headers("sales_lead"))
    assert resp.status_code == 201
    assert resp.json()["objection"]["status"] == "pending"
    again = client.post("/api/objections", json=body, headers=people.headers("sales_lead"))
    assert again.status_code == 409
    mine = client.get("/api/me/objections", headers=people.headers("sales_lead")).json()[
        "objections"
    ]
    assert [o["claim_id"] for o in mine] == [claim_id]
    assert (
        client.get("/api/me/objections", headers=people.headers("sales")).json()["objections"] == []
    )
    missing = client.post(
        "/api/objections", json={**body, "claim_id": 99999}, headers=people.headers("sales")
    )
    assert missing.status_code == 404
    bad = client.post(
        "/api/objections", json={**body, "reason": "angry"}, headers=people.headers("sales")
    )
    assert bad.status_code == 422


def test_game_endpoints_shapes(client: TestClient, people: People) -> None:
    h = people.headers("sales")
    for board in ("wins", "revenue", "margin", "conversion"):
        for period in ("today", "15d", "month"):
            r = client.get(
                f"/api/leaderboard/{board}?period={period}", headers=people.headers("tv")
            )
            assert r.status_code == 200
            assert (r.json()["board"], r.json()["period"]) == (board, period)
            assert isinstance(r.json()["entries"], list)
    assert client.get("/api/leaderboard/karma", headers=h).status_code == 422
    assert client.get("/api/leaderboard/wins?period=year", headers=h).status_code == 422
    assert isinstance(client.get("/api/goals/progress", headers=h).json()["goals"], list)
    assert isinstance(client.get("/api/me/goals", headers=h).json()["goals"], list)
    assert client.get("/api/me/metrics?period=15d", headers=h).json()["period"] == "15d"
    assert client.get("/api/me/metrics?period=x", headers=h).status_code == 422
    pts = client.get("/api/me/points", headers=h).json()
    assert {"points", "level"} <= set(pts)
    assert isinstance(client.get("/api/me/points/history", headers=h).json()["entries"], list)
    assert isinstance(client.get("/api/me/badges", headers=h).json()["badges"], list)
    assert isinstance(
        client.get("/api/challenges", headers=people.headers("tv")).json()["challenges"], list
    )
    assert isinstance(client.get("/api/me/spins", headers=h).json()["spins"], list)
    spin = client.post("/api/me/spins/424242", headers=h)
    assert spin.status_code == 404 and spin.json()["error"]["code"] == "not_found"
    assert client.post("/api/me/spins/-1", headers=h).status_code == 422
    team = client.get("/api/team/overview?period=month", headers=people.headers("finance")).json()
    assert team["period"] == "month" and isinstance(team["sellers"], list)


def test_goal_numbers_counts_as_numbers_money_as_strings(
    client: TestClient, people: People, db: Database
) -> None:
    """A count goal's ``target``/``value`` are JSON numbers (like the wins board's values); a
    money goal's are strings with two decimals (CONTRACT §3); ``percent`` a fraction."""
    from backend.actions import goals  # lazy: this test alone makes goals

    with db.transaction() as s:
        goals.create_goal(
            s, title="5 wins today", period="day", target_type="count", target=Decimal(5)
        )
        goals.create_goal(
            s, title="$1k today", period="day", target_type="revenue", target=Decimal(1000)
        )
    claim(client, people, add_item(db, revenue="250.50"))
    goals = client.get("/api/goals/progress", headers=people.headers("tv")).json()["goals"]
    by_type = {g["target_type"]: g for g in goals}
    count, revenue = by_type["count"], by_type["revenue"]
    assert (count["target"], count["value"], count["percent"]) == (5, 1, 0.2)
    assert (revenue["target"], revenue["value"]) == ("1000.00", "250.50")
    assert revenue["percent"] == 0.2505


def test_points_history_explains_every_point(
    client: TestClient, people: People, db: Database
) -> None:
    """Every ledger entry, newest first, not only the newest 200; ``limit`` the newest N."""
    from backend.models import PointsEntry

    sid = people.ids["sales"]
    with db.transaction() as s:
        for i in range(250):
            s.add(PointsEntry(seller_id=sid, points=1, reason=f"r{i}", source="claim"))
    h = people.headers("sales")
    entries = client.get("/api/me/points/history", headers=h).json()["entries"]
    assert len(entries) == 250 and entries[0]["reason"] == "r249"
    assert {"points", "reason", "source", "created_at"} <= set(entries[0])
    newest = client.get("/api/me/points/history?limit=10", headers=h).json()["entries"]
    assert [e["reason"] for e in newest] == [f"r{i}" for i in range(249, 239, -1)]
    assert client.get("/api/me/points/history?limit=0", headers=h).status_code == 422


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    for path in ("/healthz", "/readyz"):
        head = client.head(path)
        assert head.status_code == 200 and head.content == b""
    spec = client.get("/openapi.json").json()
    assert "/api/claim" in spec["paths"]
    ok = spec["paths"]["/api/claim"]["post"]["responses"]["201"]["content"]["application/json"]
    assert ok["schema"]["$ref"].endswith("/ClaimEnvelope")
    assert client.get("/docs").status_code == 200


def test_a_database_that_cannot_be_reached_is_503_not_500(
    data_dir: Path, db: Database, people: People
) -> None:
    """PostgreSQL down (here: nothing listens on the port): login and reads answer 503
    ``database_unavailable`` with Retry-After, as /readyz does; never a 500."""
    down = database_for_url("postgresql+psycopg://postgres@127.0.0.1:9/winroom")
    try:
        app = build(make_settings(data_dir, db), down)
        c = TestClient(app.api, raise_server_exceptions=False)  # no lifespan: no relay
        answers = [
            c.post("/api/auth/login", json={"email": "a@winroom.io", "password": "x" * 8}),
            c.get("/api/queue", headers=people.headers("sales")),
            c.get("/readyz"),
        ]
        c.close()
    finally:
        down.dispose()
    for resp in answers:
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["code"] == "database_unavailable"
    assert answers[0].headers["Retry-After"] == "5"


def test_a_database_error_that_is_no_outage_stays_a_500(data_dir: Path, db: Database) -> None:
    """A statement that will always fail (here: an unmigrated SQLite file, "no such table")
    is a bug, not an outage: 500 ``internal_error`` (logged with its traceback), never a 503
    telling the client to retry."""
    empty = database_for_url(f"sqlite:///{data_dir / 'unmigrated.db'}")
    try:
        app = build(make_settings(data_dir, db), empty)
        c = TestClient(app.api, raise_server_exceptions=False)
        resp = c.post("/api/auth/login", json={"email": "a@winroom.io", "password": "x" * 8})
        c.close()
    finally:
        empty.dispose()
    assert resp.status_code == 500, resp.text
    assert resp.json()["error"]["code"] == "internal_error"
    assert "Retry-After" not in resp.headers


@pytest.mark.parametrize(
    ("orig", "outage"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: sellers"), False),
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.ProgramLimitExceeded("index row size exceeds maximum"), False),
        (psycopg.errors.UndefinedTable("relation does not exist"), False),
    ],
)
def test_which_database_errors_are_outages(orig: Exception, outage: bool) -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from backend.api.errors import is_database_outage

    cls = ProgrammingError if isinstance(orig, psycopg.errors.UndefinedTable) else OperationalError
    assert is_database_outage(cls("SELECT 1", {}, orig)) is outage
    assert is_database_outage(PoolTimeout("QueuePool limit reached"))
    assert is_database_outage(OperationalError("SELECT 1", {}, orig, connection_invalidated=True))


def test_readyz_says_whether_redis_answers(data_dir: Path, db: Database) -> None:
    """CONTRACT §7: with Redis down an instance keeps serving HTTP and says so on /readyz
    (200: the database answers; ``"redis": "down"``); without Redis configured, no field."""
    import socket

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build(make_settings(data_dir, db, redis_url=f"redis://127.0.0.1:{port}/0"), db)
    c = TestClient(app.api, raise_server_exceptions=False)  # no lifespan: no socket manager
    try:
        resp = c.get("/readyz")
        assert resp.status_code == 200 and resp.json() == {"status": "ready", "redis": "down"}
    finally:
        c.close()


@pytest.mark.redis
def test_readyz_says_redis_is_up(data_dir: Path, db: Database) -> None:
    from tests.helpers.databases import redis_url

    app = build(make_settings(data_dir, db, redis_url=redis_url()), db)
    c = TestClient(app.api, raise_server_exceptions=False)
    try:
        assert c.get("/readyz").json() == {"status": "ready", "redis": "up"}
    finally:
        c.close()
