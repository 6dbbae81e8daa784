"""Claims administration benchmark (issue 21).

1,000,000 claims (``--quick``: 100,000) by 100 sellers over a year, bulk-inserted (not
through the API); then, through the real app in-process (``TestClient``, so routing,
authorization and JSON are included):
- ``GET /api/admin/claims``: every filter and every sort of the contract, the first page and
  a page deep in a cursor (the key of the middle row), p50/p95;
- a claim's detail p95; each admin write p95 (status, adjustment, shares, reassign, refund);
- ``claims.csv`` of a month (the streaming generator the route returns): rows/s and RSS
  growth; the statement of a month (computed: an open month).

    .venv/bin/python bench/admin_claims.py [--quick] [--db sqlite|postgres|both] [--reps N]

PostgreSQL: ``WINROOM_BENCH_POSTGRES_URL`` or ``WINROOM_TEST_POSTGRES_URL``. Targets: list
p95 ≤ 50 ms, detail p95 ≤ 20 ms, CSV ≥ 50,000 rows/s with RSS growth < 50 MB, statement
≤ 1 s, writes p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from leaderboards import database, pct, ts

from backend.api.lists import encode_cursor
from backend.auth import issue_token
from backend.models import Seller
from backend.reads import claims as reads
from backend.reads import exports, statement
from backend.runtime import Database
from backend.server import build
from backend.settings import load_settings

SELLERS = 100
M = 1_000_000
NOW = datetime.now(UTC).replace(microsecond=0)
DOMAINS = ("gmail.com", "corp.com", "yahoo.com", "outlook.com")
CAMPAIGNS = [f"Campaign {c}" for c in "ABCDEFGHIJKLMNOPQRST"]
STATUSES = ("waiting", "approved", "installment", "problem")
TYPES = ("first_sales", "remarketing", "upgrade", "installment")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def populate(db: Database, n: int, in_time_order: bool = False) -> float:
    t0 = time.perf_counter()
    rnd = random.Random(21)
    start = NOW - timedelta(days=365)
    span = int((NOW - start).total_seconds()) - 3600
    # --in-time-order: ids follow claimed_at, as the product writes them (a claim is
    # inserted when it is made); by default claimed_at is random against the id (the worst
    # case for every range read: each row on another page)
    ordered = sorted(random.Random(22).randrange(span) for _ in range(n)) if in_time_order else []
    with db.engine.begin() as conn:
        raw: Any = conn.connection.driver_connection
        sellers = [
            (
                i,
                f"seller{i}@bench.example",
                f"Seller {i:03d}",
                "sales",
                "x",
                "#4C8DFF",
                True,
                ts(NOW),
            )
            for i in range(1, SELLERS + 1)
        ]
        queue, claims, entries, adjust, refunds = [], [], [], [], []
        for i in range(1, n + 1):
            offset = rnd.randrange(span)
            at = ts(start + timedelta(seconds=ordered[i - 1] if ordered else offset))
            rev = rnd.randrange(50, 3000) * M + rnd.randrange(100) * 10_000
            mar = (
                None
                if rnd.random() < 0.01
                else int(rev * rnd.uniform(0.05, 0.6)) // 10_000 * 10_000
            )
            sid = rnd.randrange(1, SELLERS + 1)
            refunded = rnd.random() < 0.02
            fs = STATUSES[rnd.randrange(4)]
            queue.append(
                (
                    i,
                    10_000_000 + i,
                    "core",
                    "claimed",
                    fs,
                    rev,
                    None if mar is None else rev - mar,
                    mar,
                    "healthy",
                    False,
                    f"cust{i}@{DOMAINS[i % 4]}",
                    f"Customer {i}",
                    i % 20 + 1,
                    CAMPAIGNS[i % 20],
                    "USD",
                    at,
                    at,
                )
            )
            claims.append((i, i, 10_000_000 + i, sid, TYPES[rnd.randrange(4)], fs, refunded, at))
            entries.append((i, i, sid, M, rev, mar, at, refunded))
            if i % 20 == 0:
                adjust.append((len(adjust) + 1, i, rnd.randrange(1, 200) * M, "commission", at))
            if refunded:
                refunds.append((len(refunds) + 1, i, rev, "bench", at))
        specs = [
            (
                "sellers",
                "id, email, name, role, password_hash, color, is_active, created_at",
                sellers,
            ),
            (
                "queue",
                "id, subscription_id, source, status, finance_status, revenue_usd, cost_usd,"
                " margin_amount_usd, margin_quality, is_jackpot, customer_email, customer_name,"
                " campaign_id, campaign_name, currency, sale_created_at, created_at",
                queue,
            ),
            (
                "claims",
                "id, queue_id, subscription_id, claimed_by, claim_type, finance_status,"
                " refunded, claimed_at",
                claims,
            ),
            (
                "attribution_share_entries",
                "id, claim_id, seller_id, share, revenue_usd, margin_usd, claimed_at, refunded",
                entries,
            ),
            ("claim_adjustments", "id, claim_id, amount_usd, reason, created_at", adjust),
            ("refunds", "id, claim_id, amount_usd, reason, created_at", refunds),
        ]
        if db.engine.dialect.name == "sqlite":
            cur = raw.cursor()
            for table, cols, data in specs:
                marks = ", ".join("?" for _ in cols.split(","))
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", data)
            cur.execute("ANALYZE")
        else:
            with raw.cursor() as cur:
                for table, cols, data in specs:
                    with cur.copy(f"COPY wr.{table} ({cols}) FROM STDIN") as cp:
                        for row in data:
                            cp.write_row(row)
                for table, _, _ in specs:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('wr.{table}', 'id'),"
                        f" (SELECT max(id) FROM wr.{table}))"
                    )
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - t0


def timed(fn: Callable[[], Any], reps: int) -> list[float]:
    fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def deep_cursor(db: Database, sort: str, n: int) -> str:
    """The cursor after the middle row of ``sort`` (as a client paging there would hold)."""
    order = reads.order_of(sort)
    with db.read() as s:
        from sqlalchemy import select

        from backend.models import Claim, QueueItem

        col = order.value
        stmt = (
            select(col, order.tie)
            .select_from(Claim)
            .join(QueueItem, QueueItem.id == Claim.queue_id)
            .where(col.is_not(None))
            .order_by(
                col.desc() if order.descending else col.asc(),
                order.tie.desc() if order.descending else order.tie.asc(),
            )
            .offset(n // 2)
            .limit(1)
        )
        value, tie = s.execute(stmt).one()
    return encode_cursor(f"claims:{sort}", [value, tie])


def run(kind: str, n: int, reps: int, in_time_order: bool = False) -> dict[str, Any]:
    from tests.backend.realtime.support import JWT_SECRET, TestClient

    out: dict[str, Any] = {"kind": kind, "claims": n}
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        out["load_s"] = populate(db, n, in_time_order)
        out["layout"] = "ids in time order" if in_time_order else "claimed_at random against ids"
        url = db.engine.url.render_as_string(hide_password=False)
        st = load_settings(
            data_dir=Path(tmp), database_url=url, jwt_secret=JWT_SECRET, timezone="Europe/Istanbul"
        )
        with db.transaction() as s:
            fin = Seller(email="fin@bench.example", name="Fin", role="finance", password_hash="x")
            s.add(fin)
            s.flush()
            token = issue_token(st, fin)
        app = build(st, db)
        client = TestClient(app.api, raise_server_exceptions=True)
        h = {"Authorization": f"Bearer {token}"}
        month = NOW.astimezone(st.tz).date().replace(day=1) - timedelta(days=40)
        m_first = month.replace(day=1)
        m_last = (m_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        day = (NOW - timedelta(days=100)).astimezone(st.tz).date()
        filters = {
            "none": "",
            "month": f"from={m_first}&to={m_last}",
            "day": f"from={day}&to={day}",
            "seller": "seller_id=42",
            "finance_status": "finance_status=problem",
            "claim_type": "claim_type=upgrade",
            "refunded": "refunded=true",
            "q_rare": "q=cust777777@",
            "q_common": "q=gmail",
            "seller+month": f"seller_id=42&from={m_first}&to={m_last}",
        }
        lists: dict[str, tuple[float, float]] = {}

        def get(q: str) -> Any:
            r = client.get(f"/api/admin/claims?{q}", headers=h)
            assert r.status_code == 200, r.text
            return r

        for sort in reads.SORTS:
            cur = deep_cursor(db, sort, n)
            for name, q in filters.items():
                base = f"{q}&sort={sort}" if q else f"sort={sort}"
                ms = timed(lambda b=base: get(b), reps)
                lists[f"{name} {sort} first"] = (pct(ms, 50), pct(ms, 95))
                if name in ("none", "month", "seller", "finance_status"):
                    ms = timed(lambda b=base, c=cur: get(f"{b}&cursor={c}"), reps)
                    lists[f"{name} {sort} deep"] = (pct(ms, 50), pct(ms, 95))
        out["lists"] = lists
        rnd = random.Random(5)
        ids = [rnd.randrange(1, n + 1) for _ in range(reps + 1)]
        it = iter(ids)
        ms = timed(lambda: client.get(f"/api/admin/claims/{next(it)}", headers=h), reps)
        out["detail"] = (pct(ms, 50), pct(ms, 95))

        writes: dict[str, tuple[float, float]] = {}
        todo = iter(rnd.sample(range(1, n + 1), 6 * (reps + 1)))

        def write(path: str, body: dict[str, Any], method: str = "post") -> None:
            r = getattr(client, method)(
                f"/api/admin/claims/{next(todo)}{path}", headers=h, json=body
            )
            assert r.status_code in (200, 201, 409), r.text

        cases: dict[str, Callable[[], None]] = {
            "patch status": lambda: write(
                "", {"finance_status": "approved", "note": "ok"}, "patch"
            ),
            "adjustment": lambda: write("/adjustment", {"reason": "commission", "amount": "12.50"}),
            "shares": lambda: write(
                "/shares",
                {"shares": [{"seller_id": 3, "share": "0.6"}, {"seller_id": 4, "share": "0.4"}]},
            ),
            "reassign": lambda: write("/reassign", {"seller_id": 5}),
            "refund": lambda: write("/refund", {"reason": "bench"}),
        }
        for name, fn in cases.items():
            ms = timed(fn, reps)
            writes[name] = (pct(ms, 50), pct(ms, 95))
        out["writes"] = writes

        with db.read() as s:
            f = reads.parse_filters(s, st.tz, from_=str(m_first), to=str(m_last))
        gc.collect()
        before = rss_mb()
        peak = before
        rows = 0
        t0 = time.perf_counter()
        for chunk in exports.claims_csv(db.read, f):
            rows += chunk.count(b"\r\n")
            peak = max(peak, rss_mb())
        csv_s = time.perf_counter() - t0
        out["csv"] = {
            "rows": rows - 1,
            "s": csv_s,
            "rows_per_s": (rows - 1) / csv_s,
            "rss_growth_mb": peak - before,
        }

        def stmt() -> None:
            with db.read() as s:
                statement.to_csv(statement.compute(s, m_first, st.tz))

        ms = timed(stmt, max(3, reps // 5))
        out["statement"] = (pct(ms, 50), max(ms))
        client.close()
    return out


def report(r: dict[str, Any]) -> str:
    lines = [
        f"## {r['kind']}: {r['claims']:,} claims, {r['layout']} (load {r['load_s']:.0f} s)",
        "",
    ]
    lines.append("| GET /api/admin/claims | p50 ms | p95 ms |")
    lines.append("|---|---|---|")
    for k, (p50, p95) in r["lists"].items():
        flag = "" if p95 <= 50 else " ⚠"
        lines.append(f"| {k} | {p50:.1f} | {p95:.1f}{flag} |")
    lines.append(f"\ndetail p50 {r['detail'][0]:.1f} ms, p95 {r['detail'][1]:.1f} ms (target 20)")
    lines.append("\n| write | p50 ms | p95 ms |\n|---|---|---|")
    for k, (p50, p95) in r["writes"].items():
        lines.append(f"| {k} | {p50:.1f} | {p95:.1f} |")
    c = r["csv"]
    lines.append(
        f"\nclaims.csv of a month: {c['rows']:,} rows in {c['s']:.2f} s = {c['rows_per_s']:,.0f}"
        f" rows/s, RSS growth {c['rss_growth_mb']:.1f} MB"
    )
    lines.append(
        f"statement of a month: p50 {r['statement'][0]:.0f} ms, max {r['statement'][1]:.0f} ms"
    )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--in-time-order", action="store_true", help="ids follow claimed_at")
    args = p.parse_args()
    n = 100_000 if args.quick else 1_000_000
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        print(report(run(kind, n, args.reps, args.in_time_order)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
