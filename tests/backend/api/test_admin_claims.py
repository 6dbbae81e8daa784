"""The claims administration of CONTRACT §4a over HTTP: the list (filters, sorts, keyset
cursor, total), a claim's detail and timeline, and every write (status, adjustment, shares,
reassignment, refund) with its version, audit row, events and boards."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from backend.db.types import utcnow
from backend.models import Achievement, AuditLog, Claim, Event, PointsEntry
from backend.reads import claims as reads
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.api.finance_support import claim_at, seller
from tests.backend.realtime.support import People, TestClient

BASE = "/api/admin/claims"


def _board(client: TestClient, people: People, board: str) -> dict[int, str]:
    r = client.get(f"/api/leaderboard/{board}?period=month", headers=people.headers("admin"))
    assert r.status_code == 200, r.text
    return {e["seller_id"]: e["value"] for e in r.json()["entries"]}


def _events(db: Database, type_: str) -> list[dict[str, Any]]:
    with db.read() as s:
        return [e.payload for e in s.scalars(select(Event).where(Event.type == type_))]


def _audit(db: Database, action: str) -> list[AuditLog]:
    with db.read() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.fixture
def floor(db: Database, api_settings: Settings, people: People) -> dict[str, int]:
    a, _ = seller(db, api_settings, "Ayse")
    b, _ = seller(db, api_settings, "Burak")
    now = utcnow()
    ids = {"a": a, "b": b}
    ids["c1"] = claim_at(db, api_settings, a, "100.00", "60.00", now - timedelta(minutes=3))
    ids["c2"] = claim_at(
        db,
        api_settings,
        a,
        "300.00",
        "90.00",
        now - timedelta(minutes=2),
        email="zed@corp.com",
        name="Zed",
        campaign="Silver 6",
    )
    ids["c3"] = claim_at(
        db, api_settings, b, "200.00", None, now - timedelta(minutes=1), claim_type="upgrade"
    )
    return ids


def test_the_list_has_the_contract_fields_filters_and_sorts(
    client: TestClient, people: People, floor: dict[str, int]
) -> None:
    h = people.headers("finance")
    r = client.get(BASE, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and body["next_cursor"] is None
    assert [c["id"] for c in body["claims"]] == [floor["c3"], floor["c2"], floor["c1"]]
    c1 = body["claims"][2]
    for key in (
        "id",
        "version",
        "queue_id",
        "subscription_id",
        "seller",
        "claim_type",
        "finance_status",
        "claimed_at",
        "customer",
        "campaign",
        "revenue_usd",
        "cost_usd",
        "margin_amount_usd",
        "adjustments_usd",
        "adjusted_margin_usd",
        "refunded",
        "shares",
        "installment_plan_id",
    ):
        assert key in c1
    assert c1["seller"] == {"id": floor["a"], "name": "Ayse"}
    assert c1["revenue_usd"] == "100.00" and c1["margin_amount_usd"] == "60.00"
    assert c1["adjustments_usd"] == "0.00" and c1["adjusted_margin_usd"] == "60.00"
    assert c1["shares"] == [{"seller_id": floor["a"], "name": "Ayse", "share": "1.0000"}]

    def ids(query: str) -> list[int]:
        got = client.get(f"{BASE}?{query}", headers=h)
        assert got.status_code == 200, got.text
        return [c["id"] for c in got.json()["claims"]]

    assert ids(f"seller_id={floor['b']}") == [floor["c3"]]
    assert ids("claim_type=upgrade") == [floor["c3"]]
    assert ids("q=ZED") == [floor["c2"]]
    assert ids("q=silver") == [floor["c2"]]
    assert ids("q=%25") == []  # LIKE wildcards are plain characters
    assert ids("refunded=false&finance_status=waiting") == [floor["c3"], floor["c2"], floor["c1"]]
    assert ids("refunded=true") == []
    assert ids("sort=claimed_at") == [floor["c1"], floor["c2"], floor["c3"]]
    assert ids("sort=-revenue_usd") == [floor["c2"], floor["c3"], floor["c1"]]
    assert ids("sort=revenue_usd") == [floor["c1"], floor["c3"], floor["c2"]]
    # no margin: last in both directions
    assert ids("sort=margin_amount_usd") == [floor["c1"], floor["c2"], floor["c3"]]
    assert ids("sort=-margin_amount_usd") == [floor["c2"], floor["c1"], floor["c3"]]
    today = utcnow().date()
    wide = f"from={(today - timedelta(days=2)).isoformat()}&to={(today + timedelta(days=2))}"
    assert len(ids(wide)) == 3
    old = f"from={(today - timedelta(days=9))}&to={(today - timedelta(days=5))}"
    assert ids(old) == []
    # a sales lead reads; sellers and TVs may not
    assert client.get(BASE, headers=people.headers("sales_lead")).status_code == 200
    assert client.get(BASE, headers=people.headers("sales")).status_code == 403
    assert client.get(BASE, headers=people.headers("tv")).status_code == 403


@pytest.mark.parametrize("sort", ["-claimed_at", "claimed_at", "-revenue_usd", "margin_amount_usd"])
def test_cursor_pages_visit_every_claim_once(
    client: TestClient, people: People, floor: dict[str, int], sort: str
) -> None:
    seen: list[int] = []
    cursor = None
    while True:
        q = f"{BASE}?limit=1&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(q, headers=people.headers("admin"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 3
        seen += [c["id"] for c in body["claims"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([floor["c1"], floor["c2"], floor["c3"]])
    assert len(seen) == 3


@pytest.mark.parametrize("sort", ["-revenue_usd", "revenue_usd", "-margin_amount_usd"])
def test_money_sorts_of_a_filtered_list_read_by_the_index_walk_keep_their_order(
    client: TestClient, people: People, db: Database, api_settings: Settings, sort: str
) -> None:
    """A filter selecting most claims with a money sort: SQLite walks the sort's index
    (filters checked per row); the pages are the same order, NULLs last, ties by item."""
    a, _ = seller(db, api_settings, "Ayse")
    now = utcnow()
    figures = [("100", "10"), ("300", None), ("100", "10"), ("50", "40"), ("700", "5")] * 2
    ids = [
        claim_at(db, api_settings, a, rev, mar, now - timedelta(minutes=i))
        for i, (rev, mar) in enumerate(figures)
    ]
    day = now.astimezone(api_settings.tz).date()
    query = f"from={day - timedelta(days=1)}&to={day}&seller_id={a}&sort={sort}&limit=1"
    with db.read() as s:
        f = reads.parse_filters(s, api_settings.tz, from_=str(day - timedelta(days=1)), to=str(day))
        plan = reads.read_plan(s, f, reads.order_of(sort), len(ids), 2)
    assert plan == ("walk" if db.engine.dialect.name == "sqlite" else None)
    seen: list[int] = []
    cursor = None
    while True:
        r = client.get(
            f"{BASE}?{query}" + (f"&cursor={cursor}" if cursor else ""),
            headers=people.headers("finance"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(ids)
        seen += [c["id"] for c in r.json()["claims"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    field = 0 if sort.lstrip("-") == "revenue_usd" else 1
    with db.read() as s:
        queue_of = {cid: qid for cid, qid in s.execute(select(Claim.id, Claim.queue_id))}
    value = {cid: figures[i][field] for i, cid in enumerate(ids)}
    known = sorted(
        (c for c in ids if value[c] is not None),
        key=lambda c: (Decimal(value[c] or 0), queue_of[c]),
        reverse=sort.startswith("-"),
    )
    nulls = sorted(
        (c for c in ids if value[c] is None), key=queue_of.__getitem__, reverse=sort.startswith("-")
    )
    assert seen == known + nulls


@pytest.mark.parametrize("sort", ["-claimed_at", "claimed_at", "-revenue_usd", "margin_amount_usd"])
def test_a_rare_q_read_by_sorting_the_few_keeps_the_order(
    client: TestClient, people: People, db: Database, api_settings: Settings, sort: str
) -> None:
    """``q`` selecting few of many: SQLite reads the claims once and sorts what matches
    (the sort's index is not walked); pages and order are the list's."""
    a, _ = seller(db, api_settings, "Ayse")
    now = utcnow()
    ids = [
        claim_at(db, api_settings, a, "10", "1", now - timedelta(minutes=i), email=f"c{i}@x.io")
        for i in range(12)
    ]
    rare = [
        claim_at(db, api_settings, a, rev, mar, now - timedelta(seconds=30 + i), name="Zeynep Q")
        for i, (rev, mar) in enumerate([("5", None), ("7", "3"), ("5", "2")])
    ]
    with db.read() as s:
        f = reads.parse_filters(s, api_settings.tz, q="zeynep q")
        plan = reads.read_plan(s, f, reads.order_of(sort), len(rare), 2)
    assert plan == ("sort" if db.engine.dialect.name == "sqlite" else None)
    seen: list[int] = []
    cursor = None
    while True:
        url = f"{BASE}?q=ZEYNEP%20q&sort={sort}&limit=1" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=people.headers("finance"))
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(rare)
        seen += [c["id"] for c in r.json()["claims"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    listed = client.get(f"{BASE}?sort={sort}&limit=500", headers=people.headers("finance"))
    assert seen == [c["id"] for c in listed.json()["claims"] if c["id"] in rare]
    assert len(ids) == 12 and sorted(seen) == sorted(rare)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-05-10&to=2026-05-01", "from"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("finance_status=paid", "finance_status"),
        ("claim_type=gift", "claim_type"),
        ("refunded=yes", "refunded"),
        ("sort=-name", "sort"),
        ("seller_id=999999", "seller_id"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJjbGFpbXM6LWNsYWltZWRfYXQiLFsieCIsMV1d", "cursor"),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    client: TestClient, people: People, floor: dict[str, int], query: str, field: str
) -> None:
    r = client.get(f"{BASE}?{query}", headers=people.headers("finance"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    r = client.get(f"/api/admin/export/claims.csv?{query}", headers=people.headers("finance"))
    if field != "cursor":
        assert r.status_code == 422 and r.json()["error"]["field"] == field


def test_other_bad_queries_are_422_not_500(client: TestClient, people: People) -> None:
    for query in ("limit=0", "limit=501", "seller_id=abc", "q=" + "x" * 300):
        r = client.get(f"{BASE}?{query}", headers=people.headers("finance"))
        assert r.status_code == 422, (query, r.text)
    assert client.get(f"{BASE}/999999", headers=people.headers("finance")).status_code == 404


def test_patch_status_and_note_is_versioned_audited_and_live(
    client: TestClient, people: People, db: Database, floor: dict[str, int]
) -> None:
    h, url = people.headers("finance"), f"{BASE}/{floor['c1']}"
    claim = client.get(url, headers=h).json()["claim"]
    v = claim["version"]
    r = client.patch(url, headers=h, json={"finance_status": "approved", "version": v})
    assert r.status_code == 200, r.text
    after = r.json()["claim"]
    assert after["finance_status"] == "approved" and after["version"] == v + 1
    # a second finance user still holding the old version
    r = client.patch(url, headers=h, json={"note": "late", "version": v})
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale"
    assert client.get(url, headers=h).json()["claim"]["note"] is None
    r = client.patch(url, headers=h, json={"note": "checked", "version": v + 1})
    assert r.status_code == 200 and r.json()["claim"]["note"] == "checked"
    changed = _events(db, "finance.status_changed")
    assert len(changed) == 1  # the note sent none
    assert changed[0]["claim_id"] == floor["c1"] and changed[0]["finance_status"] == "approved"
    assert changed[0]["previous_status"] == "waiting"
    rows = _audit(db, "claim.update")
    assert len(rows) == 2 and rows[0].actor_id == people.ids["finance"]
    assert rows[0].details["before"]["finance_status"] == "waiting"
    assert rows[0].details["after"]["finance_status"] == "approved"
    for bad in ({"finance_status": "paid"}, {"version": "1"}, {"nope": 1}, {"note": 5}):
        assert client.patch(url, headers=h, json=bad).status_code == 422
    assert client.patch(f"{BASE}/999999", headers=h, json={}).status_code == 404
    assert client.patch(url, headers=people.headers("sales_lead"), json={}).status_code == 403


def test_adjustment_drops_margin_by_share(
    client: TestClient, people: People, db: Database, floor: dict[str, int]
) -> None:
    h = people.headers("finance")
    r = client.post(
        f"{BASE}/{floor['c1']}/shares",
        headers=h,
        json={
            "shares": [
                {"seller_id": floor["a"], "share": "0.75"},
                {"seller_id": floor["b"], "share": 0.25},
            ]
        },
    )
    assert r.status_code == 200, r.text
    before = _board(client, people, "margin")
    r = client.post(
        f"{BASE}/{floor['c1']}/adjustment",
        headers=h,
        json={"reason": "commission", "amount": "10.10", "note": "fee"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["adjustment"]["amount_usd"] == "10.10"
    assert body["claim"]["adjustments_usd"] == "10.10"
    assert body["claim"]["adjusted_margin_usd"] == "49.90"
    after = _board(client, people, "margin")
    # a: 135.00 − 0.75 × 10.10 = 127.425, b: 15.00 − 0.25 × 10.10 = 12.475 (half-up)
    assert (before[floor["a"]], after[floor["a"]]) == ("135.00", "127.43")
    assert (before[floor["b"]], after[floor["b"]]) == ("15.00", "12.48")
    ev = _events(db, "claim.adjusted")[-1]
    assert ev["change"] == "adjustment" and ev["seller_ids"] == sorted([floor["a"], floor["b"]])
    for bad in ("0", 0, "-1", "1.234", "abc", "10000000.01", None, True):
        r = client.post(
            f"{BASE}/{floor['c1']}/adjustment", headers=h, json={"reason": "other", "amount": bad}
        )
        assert r.status_code == 422, (bad, r.text)
    r = client.post(
        f"{BASE}/{floor['c1']}/adjustment", headers=h, json={"reason": "mood", "amount": "1"}
    )
    assert r.status_code == 422
    r = client.post(f"{BASE}/999999/adjustment", headers=h, json={"reason": "other", "amount": 1})
    assert r.status_code == 404
    assert len(_audit(db, "claim.adjust")) == 1


@pytest.mark.parametrize(
    "shares",
    [
        [],
        [("a", "0.5"), ("b", "0.4")],
        [("a", "0.5"), ("b", "0.5"), ("x", "0")],
        [("a", "1.5"), ("b", "-0.5")],
        [("a", "0.5"), ("a", "0.5")],
        [("a", "0.33333"), ("b", "0.66667")],
        [("a", "0.2")] + [(f"s{i}", "0.2") for i in range(4)],
        [("a", "0.5"), ("ghost", "0.5")],
        [("a", "0.5"), ("inactive", "0.5")],
        [("a", "0.5"), ("finance", "0.5")],
        [("a", "abc"), ("b", "0.5")],
        [("a", "NaN"), ("b", "0.5")],
    ],
)
def test_bad_shares_are_422_bad_shares(
    client: TestClient,
    people: People,
    db: Database,
    api_settings: Settings,
    floor: dict[str, int],
    shares: list[tuple[str, str]],
) -> None:
    from backend.models import Seller

    ids = dict(floor)
    ids["ghost"] = 999_999
    ids["finance"] = people.ids["finance"]
    for i in range(4):
        ids[f"s{i}"] = seller(db, api_settings, f"S{i}")[0]
    ids["x"] = seller(db, api_settings, "X")[0]
    ids["inactive"] = seller(db, api_settings, "Gone")[0]
    with db.transaction() as s:
        s.get_one(Seller, ids["inactive"]).is_active = False
    body = {"shares": [{"seller_id": ids[k], "share": v} for k, v in shares]}
    r = client.post(f"{BASE}/{floor['c1']}/shares", headers=people.headers("finance"), json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "bad_shares" and r.json()["error"]["field"] == "shares"
    assert _audit(db, "claim.share_split") == []


def test_shares_of_four_the_first_holds_the_win(
    client: TestClient, people: People, db: Database, api_settings: Settings, floor: dict[str, int]
) -> None:
    c, d = seller(db, api_settings, "Cem")[0], seller(db, api_settings, "Deniz")[0]
    shares = [(floor["b"], "0.4"), (floor["a"], "0.3"), (c, "0.2"), (d, "0.1")]
    r = client.post(
        f"{BASE}/{floor['c2']}/shares",
        headers=people.headers("admin"),
        json={"shares": [{"seller_id": s, "share": v} for s, v in shares]},
    )
    assert r.status_code == 200, r.text
    claim = r.json()["claim"]
    assert claim["seller"]["id"] == floor["b"]
    assert [(e["seller_id"], e["share"]) for e in claim["shares"]] == [
        (floor["b"], "0.4000"),
        (floor["a"], "0.3000"),
        (c, "0.2000"),
        (d, "0.1000"),
    ]
    wins, revenue = _board(client, people, "wins"), _board(client, people, "revenue")
    assert wins[floor["a"]] == 1 and wins[floor["b"]] == 2  # c1 | c2 + c3
    assert revenue[c] == "60.00" and revenue[d] == "30.00"
    assert revenue[floor["a"]] == "190.00"  # 100 + 0.3 × 300
    with db.read() as s:  # the win moved, so did the claim's points
        moved = s.scalars(
            select(PointsEntry.points).where(
                PointsEntry.seller_id == floor["b"], PointsEntry.ref_id == floor["c2"]
            )
        ).all()
        assert sum(moved) > 0


def test_reassign_moves_win_revenue_margin_and_points(
    client: TestClient, people: People, db: Database, floor: dict[str, int]
) -> None:
    h = people.headers("finance")

    def points(sid: int) -> int:  # what claims earned (milestones the move set off aside)
        with db.read() as s:
            return sum(
                s.scalars(
                    select(PointsEntry.points).where(
                        PointsEntry.seller_id == sid, PointsEntry.ref_type == "claim"
                    )
                )
            )

    pa, pb = points(floor["a"]), points(floor["b"])
    earned = 0
    with db.read() as s:
        earned = sum(
            s.scalars(
                select(PointsEntry.points).where(
                    PointsEntry.ref_type == "claim", PointsEntry.ref_id == floor["c2"]
                )
            )
        )
    r = client.post(f"{BASE}/{floor['c2']}/reassign", headers=h, json={"seller_id": floor["b"]})
    assert r.status_code == 200, r.text
    assert r.json()["claim"]["seller"] == {"id": floor["b"], "name": "Burak"}
    assert _board(client, people, "wins") == {floor["a"]: 1, floor["b"]: 2} | {
        k: v for k, v in _board(client, people, "wins").items() if k not in (floor["a"], floor["b"])
    }
    assert _board(client, people, "revenue")[floor["b"]] == "500.00"
    assert _board(client, people, "margin")[floor["a"]] == "60.00"
    assert points(floor["a"]) == pa - earned and points(floor["b"]) == pb + earned
    # and back: the points follow again (each move is its own ledger entry)
    r = client.post(f"{BASE}/{floor['c2']}/reassign", headers=h, json={"seller_id": floor["a"]})
    assert r.status_code == 200
    assert points(floor["a"]) == pa and points(floor["b"]) == pb
    for bad in ({"seller_id": 999_999}, {"seller_id": people.ids["finance"]}, {"seller_id": "1"}):
        r = client.post(f"{BASE}/{floor['c2']}/reassign", headers=h, json=bad)
        assert r.status_code == 422, r.text
    assert (
        client.post(f"{BASE}/999999/reassign", headers=h, json={"seller_id": 1}).status_code == 404
    )
    assert len(_events(db, "claim.adjusted")) == 2


def test_reassign_moves_the_points_of_the_game_numbers_the_claim_earned(
    client: TestClient, people: People, db: Database, api_settings: Settings, floor: dict[str, int]
) -> None:
    """A PATCHed claim-points value applies to a claim made after it, and a reassignment
    moves those points (not the §6 default); a later change does not rewrite old claims."""
    adm = people.headers("admin")

    def earned(claim_id: int, sid: int) -> int:
        with db.read() as s:
            return sum(
                s.scalars(
                    select(PointsEntry.points).where(
                        PointsEntry.seller_id == sid,
                        PointsEntry.ref_type == "claim",
                        PointsEntry.ref_id == claim_id,
                    )
                )
            )

    r = client.patch("/api/admin/game", headers=adm, json={"claim_points": 25})
    assert r.status_code == 200, r.text
    cem, _ = seller(db, api_settings, "Cem")
    fresh = claim_at(db, api_settings, cem)
    assert earned(fresh, cem) == 25
    assert (
        client.patch("/api/admin/game", headers=adm, json={"claim_points": 40}).status_code == 200
    )
    h = people.headers("finance")
    r = client.post(f"{BASE}/{fresh}/reassign", headers=h, json={"seller_id": floor["a"]})
    assert r.status_code == 200, r.text
    assert earned(fresh, floor["a"]) == 25 and earned(fresh, cem) == 0
    # a claim of before the change moves what it earned then (the default 10)
    r = client.post(f"{BASE}/{floor['c3']}/reassign", headers=h, json={"seller_id": cem})
    assert r.status_code == 200, r.text
    assert earned(floor["c3"], cem) == 10 and earned(floor["c3"], floor["b"]) == 0


def test_refund_leaves_the_boards_takes_points_and_marks_achievements(
    client: TestClient, people: People, db: Database, api_settings: Settings
) -> None:
    a, token = seller(db, api_settings, "Ayse")
    big = claim_at(db, api_settings, a, "4500.00", "2000.00")  # a daily revenue milestone
    with db.read() as s:
        fired = list(s.scalars(select(Achievement).where(Achievement.claim_id == big)))
    assert fired, "the claim set off an achievement"
    h = people.headers("finance")
    r = client.post(f"{BASE}/{big}/refund", headers=h, json={"reason": "cancelled"})
    assert r.status_code == 201, r.text
    assert r.json()["refund"]["reason"] == "cancelled"
    assert r.json()["claim"]["refunded"] is True
    r = client.post(f"{BASE}/{big}/refund", headers=h, json={"reason": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_refunded"
    assert (
        a not in _board(client, people, "revenue") or _board(client, people, "revenue")[a] == "0.00"
    )
    mine = {"Authorization": f"Bearer {token}"}
    metrics = client.get("/api/me/metrics?period=month", headers=mine).json()
    assert metrics["wins"]["value"] == 0 and metrics["revenue"]["value"] == "0.00"
    with db.read() as s:
        ledger = list(s.scalars(select(PointsEntry).where(PointsEntry.seller_id == a)))
        claim_points = [e for e in ledger if e.ref_type == "claim" and e.ref_id == big]
        assert sum(e.points for e in claim_points) == 0
        assert any(e.source == "reversal" and "Refunded" in e.reason for e in claim_points)
        assert all(
            x.refunded for x in s.scalars(select(Achievement).where(Achievement.claim_id == big))
        )
    stories = client.get("/api/achievements", headers=people.headers("tv")).json()["achievements"]
    flagged = {x["id"]: x["refunded"] for x in stories}
    assert all(flagged[x.id] for x in fired if x.id in flagged)
    ev = _events(db, "refund.applied")
    assert len(ev) == 1 and set(ev[0]["achievement_ids"]) == {x.id for x in fired}
    detail = client.get(f"{BASE}/{big}", headers=h).json()["claim"]
    assert detail["refund"]["reason"] == "cancelled"
    kinds = [t["kind"] for t in detail["timeline"]]
    assert kinds[:2] == ["queued", "claimed"] and "claim.refund" in kinds
    ats = [t["at"] for t in detail["timeline"]]
    assert ats == sorted(ats)
    for bad in ({}, {"reason": ""}, {"reason": 5}):
        r = client.post(f"{BASE}/{big}/refund", headers=h, json=bad)
        assert r.status_code == 422


def test_detail_tells_the_whole_story(
    client: TestClient, people: People, floor: dict[str, int]
) -> None:
    h = people.headers("finance")
    url = f"{BASE}/{floor['c1']}"
    assert client.patch(url, headers=h, json={"finance_status": "approved"}).status_code == 200
    r = client.post(f"{url}/adjustment", headers=h, json={"reason": "chargeback", "amount": 5})
    assert r.status_code == 201
    objection = client.post(
        "/api/objections",
        headers=people.headers("sales"),
        json={"claim_id": floor["c1"], "reason": "wrong_owner", "details": "mine"},
    )
    assert objection.status_code == 201, objection.text
    detail = client.get(url, headers=people.headers("sales_lead")).json()["claim"]
    assert [a["amount_usd"] for a in detail["adjustments"]] == ["5.00"]
    assert detail["refund"] is None and detail["installment_plan"] is None
    assert [o["reason"] for o in detail["objections"]] == ["wrong_owner"]
    assert [t["kind"] for t in detail["timeline"]] == [
        "queued",
        "claimed",
        "claim.update",
        "claim.adjust",
        "objection",
    ]
    assert detail["timeline"][2]["actor"] == {"id": people.ids["finance"], "name": "Finance"}


def test_typed_answers_carry_every_field_the_reads_build(
    client: TestClient, people: People, floor: dict[str, int], db: Database
) -> None:
    """The response models drop nothing: each answer is the read's dict, whole."""
    h = people.headers("finance")
    url = f"{BASE}/{floor['c1']}"
    adjusted = client.post(f"{url}/adjustment", headers=h, json={"reason": "other", "amount": 1})
    client.post(
        "/api/objections",
        headers=people.headers("sales"),
        json={"claim_id": floor["c1"], "reason": "wrong_owner", "details": "mine"},
    )
    refunded = client.post(f"{url}/refund", headers=h, json={"reason": "cancelled"})
    listed = client.get(BASE, headers=h).json()
    detail = client.get(url, headers=h).json()["claim"]
    with db.read() as s:
        rows, _ = reads.rows_after(s, reads.ClaimFilters(), reads.DEFAULT_SORT, None, 100)
        assert listed["claims"] == reads.shape_rows(s, rows)
        assert detail == reads.claim_detail(s, floor["c1"])
        assert refunded.json()["claim"] == reads.claim_shape(s, floor["c1"])
    assert detail["refund"] is not None and detail["objections"]
    assert set(adjusted.json()["adjustment"]) == {
        "id",
        "claim_id",
        "reason",
        "amount_usd",
        "note",
        "created_at",
    }
    assert set(refunded.json()["refund"]) == set(detail["refund"])
