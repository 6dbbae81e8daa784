"""What finance must trust (issue 21): after any sequence of adjustments, share splits,
reassignments, refunds and exclusions, every board × period, each seller's metrics and the
statements equal an independent recomputation from the claims, to the cent; points follow
the claim. And two writers holding one version: exactly one wins, the other 409 ``stale``.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backend.actions import finance
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.game.rules.periods import local_day, period_days
from backend.models import Claim, PointsEntry, QueueItem
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.api.finance_support import claim_at, seller
from tests.backend.realtime.support import TestClient, make_people
from tests.helpers.databases import truncate_all

MICRO = Decimal("0.000001")
CENT = Decimal("0.01")
SELLERS = 4


def share_of(amount: Decimal, share: Decimal) -> Decimal:
    return (amount * share).quantize(MICRO, rounding=ROUND_HALF_UP)


def cents(v: Decimal) -> str:
    return str(v.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass
class Model:
    """A claim as the test knows it, independent of the server's tables."""

    id: int
    revenue: Decimal
    margin: Decimal | None
    shares: list[tuple[int, Decimal]]
    day: Any
    adjustments: list[Decimal] = field(default_factory=list)
    refunded: bool = False
    excluded: bool = False

    @property
    def closer(self) -> int:
        return self.shares[0][0]

    @property
    def live(self) -> bool:
        return not self.refunded and not self.excluded


claims_st = st.lists(
    st.tuples(
        st.integers(100, 500_000),  # revenue in cents
        st.one_of(st.none(), st.integers(0, 300_000)),  # margin in cents
        st.sampled_from([0, 0, 1, 3, 12, 20, 45]),  # days ago
        st.integers(0, SELLERS - 1),
    ),
    min_size=2,
    max_size=5,
)
op_st = st.one_of(
    st.tuples(st.just("adjust"), st.integers(0, 9), st.integers(1, 20_000)),
    st.tuples(
        st.just("shares"),
        st.integers(0, 9),
        st.lists(st.integers(0, SELLERS - 1), min_size=1, max_size=4, unique=True),
        st.lists(st.integers(1, 9999), min_size=3, max_size=3),
    ),
    st.tuples(st.just("reassign"), st.integers(0, 9), st.integers(0, SELLERS - 1)),
    st.tuples(st.just("refund"), st.integers(0, 9)),
    st.tuples(st.just("exclude"), st.integers(0, 9)),
)


def _split(n: int, cuts: list[int]) -> list[Decimal]:
    """``n`` shares (4 decimals, each > 0) summing to exactly 1."""
    points = sorted(set(cuts))[: n - 1]
    while len(points) < n - 1:
        points.append(points[-1] + 1 if points else 5000)
    points = sorted(min(max(p, 1), 9999) for p in points)
    bounds = [0, *points, 10_000]
    parts = [bounds[i + 1] - bounds[i] for i in range(n)]
    if any(p <= 0 for p in parts):
        parts = [10_000 // n] * (n - 1) + [10_000 - (10_000 // n) * (n - 1)]
    return [Decimal(p) / 10_000 for p in parts]


def _apply(
    client: TestClient,
    db: Database,
    cfg: Settings,
    headers: dict[str, str],
    model: list[Model],
    sellers: list[int],
    op: tuple[Any, ...],
) -> None:
    c = model[op[1] % len(model)]
    url = f"/api/admin/claims/{c.id}"
    if op[0] == "adjust":
        amount = Decimal(op[2]) / 100
        r = client.post(
            f"{url}/adjustment", headers=headers, json={"reason": "other", "amount": str(amount)}
        )
        assert r.status_code == 201, r.text
        c.adjustments.append(amount)
    elif op[0] == "shares":
        who = [sellers[i] for i in op[2]]
        parts = _split(len(who), op[3])
        body = {
            "shares": [{"seller_id": s, "share": str(p)} for s, p in zip(who, parts, strict=True)]
        }
        r = client.post(f"{url}/shares", headers=headers, json=body)
        assert r.status_code == 200, r.text
        c.shares = list(zip(who, parts, strict=True))
    elif op[0] == "reassign":
        new = sellers[op[2]]
        r = client.post(f"{url}/reassign", headers=headers, json={"seller_id": new})
        assert r.status_code == 200, r.text
        merged: dict[int, Decimal] = {}
        for sid, share in c.shares:
            who_ = new if sid == c.closer else sid
            merged[who_] = merged.get(who_, Decimal(0)) + share
        c.shares = sorted(merged.items(), key=lambda kv: kv[0] != new)
    elif op[0] == "refund":
        r = client.post(f"{url}/refund", headers=headers, json={"reason": "test"})
        if c.refunded:
            assert r.status_code == 409 and r.json()["error"]["code"] == "already_refunded"
        else:
            assert r.status_code == 201, r.text
        c.refunded = True
    else:
        with db.transaction() as s:
            item = s.get_one(QueueItem, s.get_one(Claim, c.id).queue_id)
            try:
                finance.exclude_item(s, item, "test", settings=cfg)
                assert not c.excluded
            except DomainError as exc:
                assert c.excluded and exc.code == "already_excluded"
        c.excluded = True


def _expected_boards(model: list[Model], days: Any) -> dict[str, dict[int, Any]]:
    wins: dict[int, int] = {}
    revenue: dict[int, Decimal] = {}
    margin: dict[int, Decimal] = {}
    for c in model:
        if not c.live or not days.contains(c.day):
            continue
        wins[c.closer] = wins.get(c.closer, 0) + 1
        adj = sum(c.adjustments, Decimal(0))
        for sid, share in c.shares:
            revenue[sid] = revenue.get(sid, Decimal(0)) + share_of(c.revenue, share)
            m = share_of(c.margin, share) if c.margin is not None else Decimal(0)
            margin[sid] = margin.get(sid, Decimal(0)) + m - (share_of(adj, share) if adj else 0)
    return {"wins": wins, "revenue": revenue, "margin": margin}


def _expected_statement(model: list[Model], month: str) -> dict[int, list[str]]:
    lines: dict[int, list[Decimal]] = {}
    for c in model:
        if c.excluded or c.day.strftime("%Y-%m") != month:
            continue
        adj = sum(c.adjustments, Decimal(0))
        lines.setdefault(c.closer, [Decimal(0)] * 5)[0] += 1
        for sid, share in c.shares:
            ln = lines.setdefault(sid, [Decimal(0)] * 5)
            m = share_of(c.margin, share) if c.margin is not None else Decimal(0)
            ln[1] += share_of(c.revenue, share)
            ln[2] += m
            if c.refunded:
                ln[4] += m
            elif adj:
                ln[3] += share_of(adj, share)
    return {
        sid: [
            str(int(w)),
            cents(r),
            cents(m),
            cents(a),
            cents(f),
            "0.00",
            cents(m - a - f),
        ]
        for sid, (w, r, m, a, f) in lines.items()
    }


def _check(
    client: TestClient, db: Database, cfg: Settings, tokens: dict[int, str], model: list[Model]
) -> None:
    today = local_day(utcnow(), cfg.tz)
    admin = {"Authorization": f"Bearer {tokens[0]}"}
    for period in ("today", "15d", "month"):
        want = _expected_boards(model, period_days(period, today))
        for board in ("wins", "revenue", "margin"):
            r = client.get(f"/api/leaderboard/{board}?period={period}", headers=admin)
            assert r.status_code == 200
            got = {e["seller_id"]: e["value"] for e in r.json()["entries"]}
            for sid in tokens:
                if sid == 0:
                    continue
                exp = want[board].get(sid, 0)
                value = exp if board == "wins" else cents(Decimal(exp))
                assert got.get(sid, 0 if board == "wins" else "0.00") == value, (board, period, sid)
        for sid, token in tokens.items():
            if sid == 0:
                continue
            m = client.get(
                f"/api/me/metrics?period={period}", headers={"Authorization": f"Bearer {token}"}
            ).json()
            assert m["wins"]["value"] == want["wins"].get(sid, 0)
            assert m["revenue"]["value"] == cents(want["revenue"].get(sid, Decimal(0)))
            assert m["margin"]["value"] == cents(want["margin"].get(sid, Decimal(0)))
    for month in sorted({c.day.strftime("%Y-%m") for c in model}):
        r = client.get(f"/api/admin/export/statement.csv?month={month}", headers=admin)
        assert r.status_code == 200
        rows = csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline=""))
        next(rows)
        got = {int(row[0]): row[2:] for row in rows}
        want_rows = _expected_statement(model, month)
        assert {k: v for k, v in got.items() if any(x not in ("0", "0.00") for x in v)} == {
            k: v for k, v in want_rows.items() if any(x not in ("0", "0.00") for x in v)
        }, month
    with db.read() as s:  # points follow the claim: all with the closer, none when off
        for c in model:
            rows = s.execute(
                select(PointsEntry.seller_id, func.sum(PointsEntry.points))
                .where(PointsEntry.ref_type == "claim", PointsEntry.ref_id == c.id)
                .group_by(PointsEntry.seller_id)
            ).all()
            held = {sid: int(p) for sid, p in rows if p}
            if c.live:
                assert set(held) == {c.closer} and held[c.closer] > 0
            else:
                assert held == {}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(claims=claims_st, ops=st.lists(op_st, min_size=1, max_size=8))
def test_boards_metrics_and_statements_equal_a_recomputation(
    db: Database, api_settings: Settings, client: TestClient, claims: Any, ops: Any
) -> None:
    truncate_all(db)
    people = make_people(db, api_settings)
    tokens = {0: people.tokens["admin"]}
    sellers = []
    for i in range(SELLERS):
        sid, tok = seller(db, api_settings, f"Seller{i}")
        sellers.append(sid)
        tokens[sid] = tok
    now = utcnow()
    model = []
    for n, (rev, mar, days_ago, who) in enumerate(claims):
        at = now - timedelta(days=days_ago, minutes=n + 1)
        revenue = Decimal(rev) / 100
        margin = None if mar is None else Decimal(min(mar, rev)) / 100
        cid = claim_at(
            db,
            api_settings,
            sellers[who],
            str(revenue),
            None if margin is None else str(margin),
            at,
        )
        model.append(
            Model(
                cid, revenue, margin, [(sellers[who], Decimal(1))], local_day(at, api_settings.tz)
            )
        )
    headers = people.headers("finance")
    for op in ops:
        _apply(client, db, api_settings, headers, model, sellers, op)
    _check(client, db, api_settings, tokens, model)


def test_two_writers_with_one_version_exactly_one_wins(
    db: Database, api_settings: Settings, client: TestClient
) -> None:
    people = make_people(db, api_settings)
    a, _ = seller(db, api_settings, "Ayse")
    cid = claim_at(db, api_settings, a)
    h = people.headers("finance")
    v = client.get(f"/api/admin/claims/{cid}", headers=h).json()["claim"]["version"]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def write(body: dict[str, Any], path: str) -> None:
        barrier.wait()
        r = client.post(f"/api/admin/claims/{cid}{path}", headers=h, json=body)
        results.append(r.status_code if r.status_code != 409 else -409)
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "stale"

    threads = [
        threading.Thread(
            target=write, args=({"reason": "other", "amount": "5", "version": v}, "/adjustment")
        ),
        threading.Thread(target=write, args=({"reason": "x", "version": v}, "/refund")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [-409, 201]
    claim = client.get(f"/api/admin/claims/{cid}", headers=h).json()["claim"]
    assert claim["version"] == v + 1
    # the loser changed nothing: exactly one of the two writes is there
    assert (claim["adjustments_usd"] != "0.00") != claim["refunded"]


@pytest.mark.postgres
def test_two_sessions_racing_on_postgresql_one_is_stale(
    postgres_db: Database, data_dir: Any
) -> None:
    from tests.backend.realtime.support import make_settings

    cfg = make_settings(data_dir, postgres_db)
    a, _ = seller(postgres_db, cfg, "Ayse")
    cid = claim_at(postgres_db, cfg, a)
    with postgres_db.read() as s:
        v = s.get_one(Claim, cid).version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def racer(amount: str) -> None:
        try:
            with postgres_db.transaction() as s:
                claim = s.get_one(Claim, cid)
                barrier.wait()  # both read version v before either writes
                finance.add_adjustment(s, claim, Decimal(amount), "other", settings=cfg, version=v)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=racer, args=(x,)) for x in ("1", "2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["ok", "stale"]
    with postgres_db.read() as s:
        assert s.get_one(Claim, cid).version == v + 1
