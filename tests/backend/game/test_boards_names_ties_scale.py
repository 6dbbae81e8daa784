"""The boards with names from every script, ties on every board and a claim timestamp shared
by different sellers (through the claim path the API uses), and ten thousand claims: every
board equals an independent recomputation, to the cent, and orders as the rules say (equal
values share a rank, 1, 2, 2, 4, and are ordered by name, case-insensitively, then id)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from backend.actions import finance
from backend.actions.claims import claim_item
from backend.game import daystats, read
from backend.game.read import BOARDS, PERIODS
from backend.models import (
    Attribution,
    AttributionShareEntry,
    Claim,
    LeadAssignmentDaily,
    QueueItem,
    Seller,
)
from backend.runtime import Database
from backend.server import build
from backend.settings import Settings, load_settings
from tests.backend.game import recompute
from tests.backend.game.floor import add_item, add_seller
from tests.backend.realtime.support import TestClient, make_people, make_settings
from tests.backend.realtime.support import add_item as add_pending

TZ = "Europe/Istanbul"
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # 15:00 local, Wednesday 18 March
NAMES = ("Şükrü Öztürk", "İlkay Iğdır", "محمد", "Jürgen Größ")
# by name, case-insensitively (str.casefold, code point order), as rank_rows orders ties
BY_NAME = ["İlkay Iğdır", "Jürgen Größ", "Şükrü Öztürk", "محمد"]


@pytest.fixture
def istanbul(data_dir: Path) -> Settings:
    return load_settings(data_dir=data_dir, timezone=TZ)


def claim_at(
    db: Database, st: Settings, seller_id: int, revenue: str, margin: str, at: datetime
) -> int:
    with db.transaction() as s:
        item = add_item(s, revenue, margin, at=at)
        return claim_item(
            s,
            seller_id=seller_id,
            queue_id=item.id,
            claim_type="first_sales",
            settings=st,
            now=at,
        ).claim.id


def entries(s: Any, st: Settings, board: str, period: str) -> list[dict[str, Any]]:
    got = read.leaderboard(s, board, period, st, NOW)["entries"]
    return [{k: e[k] for k in ("seller_id", "name", "value", "rank")} for e in got]


def test_ties_on_every_board_with_names_from_every_script(db: Database, istanbul: Settings) -> None:
    with db.transaction() as s:
        ids = {n: add_seller(s, n).id for n in NAMES}
    # two pairs with equal numbers on every board and period: Şükrü = İlkay, محمد = Jürgen;
    # the claims of each pair share their timestamps, to the microsecond
    same = [NOW - timedelta(hours=2), NOW - timedelta(days=3), NOW - timedelta(days=10)]
    for at in same:
        for name in ("Şükrü Öztürk", "İlkay Iğdır"):
            claim_at(db, istanbul, ids[name], "1000.10", "400.05", at)
        for name in ("محمد", "Jürgen Größ"):
            claim_at(db, istanbul, ids[name], "500.01", "200.01", at)
    with db.transaction() as s:
        for name in NAMES:  # conversion today: one win of two leads each — a four-way tie
            seller = s.get_one(Seller, ids[name])
            s.add(
                LeadAssignmentDaily(
                    day=NOW.date(), seller_email=seller.email, seller_id=seller.id, leads=2
                )
            )
    with db.read() as s:
        claimed = list(s.scalars(select(Claim.claimed_at).order_by(Claim.id)))
        assert len(set(claimed)) == 3  # four sellers' claims on three instants
        for board in BOARDS:
            for period in PERIODS:
                got = entries(s, istanbul, board, period)
                assert got == recompute.board(s, TZ, board, period, NOW), (board, period)
                assert {e["name"] for e in got} == set(NAMES)  # every name, byte for byte
        # the order the rules give, written out
        top, low = ["İlkay Iğdır", "Şükrü Öztürk"], ["Jürgen Größ", "محمد"]
        for board, period, want_values in (
            ("wins", "today", [1, 1, 1, 1]),
            ("wins", "15d", [3, 3, 3, 3]),
            ("revenue", "today", ["1000.10", "1000.10", "500.01", "500.01"]),
            ("revenue", "month", ["3000.30", "3000.30", "1500.03", "1500.03"]),
            ("margin", "15d", ["1200.15", "1200.15", "600.03", "600.03"]),
            ("conversion", "today", [0.5, 0.5, 0.5, 0.5]),
        ):
            got = entries(s, istanbul, board, period)
            assert [e["value"] for e in got] == want_values, (board, period)
            if board in ("wins", "conversion"):
                assert [e["name"] for e in got] == BY_NAME and [e["rank"] for e in got] == [1] * 4
            else:
                assert [e["name"] for e in got] == top + low
                assert [e["rank"] for e in got] == [1, 1, 3, 3]


def claim_rows(
    item_id: int,
    subscription_id: int,
    seller_id: int,
    revenue: Decimal,
    margin: Decimal,
    at: datetime,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The claim, attribution and share rows the claim path writes for one claim (checked
    against its own rows below)."""
    claim = {
        "queue_id": item_id,
        "subscription_id": subscription_id,
        "claimed_by": seller_id,
        "claim_type": "first_sales",
        "finance_status": "waiting",
        "refunded": False,
        "claimed_at": at,
    }
    attribution = {"closer_seller_id": seller_id, "closer_share": Decimal(1), "updated_at": at}
    share = {
        "seller_id": seller_id,
        "share": Decimal(1),
        "revenue_usd": revenue,
        "margin_usd": margin,
        "claimed_at": at,
        "refunded": False,
    }
    return claim, attribution, share


def test_ten_thousand_claims_equal_a_naive_recomputation(db: Database, istanbul: Settings) -> None:
    """10,000 claims over 45 days by twelve sellers (names of several scripts, some equal
    but for case), many sharing an instant: 9,800 written as the claim path writes them and
    the aggregate rebuilt as the sweep does, then 200 through the claim path on top, with
    adjustments and refunds. (All 10,000 through the claim path take minutes here: the game
    engine runs for each.) Every board x period equals the naive recomputation."""
    rnd = random.Random(26)
    names = [*NAMES, "ilkay iğdır", "Zoë", "Ольга", "李娜", "Ayşe", "AYŞE", "Can", "can"]
    with db.transaction() as s:
        ids = [add_seller(s, n).id for n in names]
        for sid in ids[::2]:
            seller = s.get_one(Seller, sid)
            for back in range(0, 40, 3):
                day = (NOW - timedelta(days=back)).date()
                s.add(
                    LeadAssignmentDaily(
                        day=day, seller_email=seller.email, seller_id=sid, leads=rnd.randint(1, 60)
                    )
                )
    instants = [NOW - timedelta(minutes=rnd.randint(0, 60 * 24 * 45)) for _ in range(2500)]

    def money() -> tuple[Decimal, Decimal]:
        cents = rnd.randint(1, 1_000_000)
        return Decimal(cents) / 100, Decimal(rnd.randint(-cents // 5, cents)) / 100

    bulk, on_top = 9_800, 200
    with db.transaction() as s:
        items = []
        for i in range(bulk):
            revenue, margin = money()
            at = rnd.choice(instants)
            items.append(
                {
                    "subscription_id": 50_000_000 + i,
                    "source": "core",
                    "status": "claimed",
                    "revenue_usd": revenue,
                    "margin_amount_usd": margin,
                    "is_jackpot": False,
                    "sale_created_at": at,
                    "created_at": at,
                    "customer_name": "Customer",
                    "campaign_name": "Campaign",
                }
            )
        s.execute(insert(QueueItem), items)
        rows = s.execute(
            select(QueueItem.id, QueueItem.subscription_id).where(
                QueueItem.subscription_id >= 50_000_000
            )
        ).all()
        by_sub = {sub: qid for qid, sub in rows}
        made = [
            claim_rows(
                by_sub[it["subscription_id"]],
                it["subscription_id"],
                rnd.choice(ids),
                it["revenue_usd"],
                it["margin_amount_usd"],
                it["created_at"],
            )
            for it in items
        ]
        s.execute(insert(Claim), [c for c, _a, _e in made])
        claim_ids = {qid: cid for qid, cid in s.execute(select(Claim.queue_id, Claim.id))}
        s.execute(
            insert(Attribution),
            [{**a, "claim_id": claim_ids[c["queue_id"]]} for c, a, _e in made],
        )
        s.execute(
            insert(AttributionShareEntry),
            [{**e, "claim_id": claim_ids[c["queue_id"]]} for c, _a, e in made],
        )
        daystats.rebuild(s, istanbul.tz, istanbul.timezone, NOW)
    # on top, through the claim path: claims at instants the bulk already has
    via_path: list[tuple[int, int, Decimal, Decimal, datetime]] = []
    with db.transaction() as s:
        for _ in range(on_top):
            revenue, margin = money()
            at = rnd.choice(instants)
            item = add_item(s, revenue, margin, jackpot=rnd.random() < 0.05, at=at)
            seller = rnd.choice(ids)
            claim_item(
                s,
                seller_id=seller,
                queue_id=item.id,
                claim_type="first_sales",
                settings=istanbul,
                now=at,
            )
            via_path.append((item.id, seller, revenue, margin, at))
    with db.transaction() as s:
        some = list(s.scalars(select(Claim).order_by(Claim.id).limit(40)))
        for c in some[:20]:
            finance.add_adjustment(
                s, c, Decimal(rnd.randint(1, 5000)) / 100, "commission", settings=istanbul, now=NOW
            )
        for c in some[20:30]:
            finance.apply_refund(s, c, settings=istanbul, amount=None, reason="test", now=NOW)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == bulk + on_top
        # the bulk rows are what the claim path writes
        for qid, seller, revenue, margin, at in via_path[:25]:
            c = s.scalars(select(Claim).where(Claim.queue_id == qid)).one()
            want_c, want_a, want_e = claim_rows(qid, c.subscription_id, seller, revenue, margin, at)
            assert {k: getattr(c, k) for k in want_c} == want_c
            a = s.scalars(select(Attribution).where(Attribution.claim_id == c.id)).one()
            assert {k: getattr(a, k) for k in want_a} == want_a
            e = s.scalars(
                select(AttributionShareEntry).where(AttributionShareEntry.claim_id == c.id)
            ).one()
            assert {k: getattr(e, k) for k in want_e} == want_e
        for board in BOARDS:
            for period in PERIODS:
                got = entries(s, istanbul, board, period)
                assert got == recompute.board(s, TZ, board, period, NOW), (board, period)
                ranks = [e["rank"] for e in got]
                assert ranks == sorted(ranks) and ranks[0] == 1


def test_names_from_every_script_through_the_api(db: Database, data_dir: Path) -> None:
    """Registered, logged in and claiming over HTTP: the names come back byte for byte on
    the user, the claim answers, the recent claims and the boards; equal numbers tie."""
    settings = make_settings(data_dir, db)
    people = make_people(db, settings)
    client = TestClient(build(settings, db).api, raise_server_exceptions=False)
    try:
        headers: dict[str, dict[str, str]] = {}
        for i, name in enumerate(NAMES):
            email = f"seller{i}@winroom.io"
            body = {"email": email, "name": name, "password": "pässwörd-9", "role": "sales"}
            r = client.post("/api/auth/register", json=body, headers=people.headers("admin"))
            assert r.status_code == 201 and r.json()["user"]["name"] == name
            r = client.post("/api/auth/login", json={"email": email, "password": "pässwörd-9"})
            assert r.status_code == 200 and r.json()["user"]["name"] == name
            headers[name] = {"Authorization": f"Bearer {r.json()['token']}"}
            assert client.get("/api/auth/me", headers=headers[name]).json()["user"]["name"] == name
        # Şükrü and İlkay each claim $250.50 of revenue, محمد and Jürgen $99.99
        for name in NAMES:
            revenue = "250.50" if name in ("Şükrü Öztürk", "İlkay Iğdır") else "99.99"
            qid = add_pending(db, revenue=revenue)
            r = client.post(
                "/api/claim",
                json={"queue_id": qid, "claim_type": "first_sales"},
                headers=headers[name],
            )
            assert r.status_code == 201, r.text
        tv = people.headers("tv")
        recent = client.get("/api/claims/recent?limit=10", headers=tv).json()["claims"]
        assert sorted(c["seller_name"] for c in recent) == sorted(NAMES)
        board = client.get("/api/leaderboard/revenue?period=today", headers=tv).json()
        mine = [e for e in board["entries"] if e["name"] in NAMES]
        assert [(e["name"], e["value"], e["rank"]) for e in mine] == [
            ("İlkay Iğdır", "250.50", 1),
            ("Şükrü Öztürk", "250.50", 1),
            ("Jürgen Größ", "99.99", 3),
            ("محمد", "99.99", 3),
        ]
        wins = client.get("/api/leaderboard/wins?period=today", headers=tv).json()["entries"]
        assert [e["name"] for e in wins if e["name"] in NAMES] == BY_NAME
        assert {e["rank"] for e in wins if e["name"] in NAMES} == {1}
    finally:
        client.close()
