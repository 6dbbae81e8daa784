"""Leaderboards and game rules benchmark (issue 4).

1,000,000 claims by 100 sellers over one year (``--quick``: 100,000), bulk-inserted; the
per-seller-per-day and per-seller-per-month aggregates built once; then all 12 board×period
queries and one seller's personal metrics, p50/p95, on SQLite and PostgreSQL; and the extra
time the game rules (``on_claim``) add to one claim, measured inside the real claim action.

    .venv/bin/python bench/leaderboards.py [--quick] [--db sqlite|postgres|both]

PostgreSQL: ``WINROOM_BENCH_POSTGRES_URL`` or ``WINROOM_TEST_POSTGRES_URL`` (a private
database is created next to it and dropped at the end). Targets: p95 ≤ 50 ms per board
query; rules ≤ 5 ms per claim.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provenance import print_provenance

import backend.actions.claims as claims_action
from backend.db.migrate import upgrade
from backend.game import daystats, jobs, read
from backend.game.hooks import on_claim
from backend.models import QueueItem
from backend.runtime import Database, database_for_url
from backend.settings import Settings, load_settings

SELLERS = 100
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 15:00 in Istanbul
M = 1_000_000  # micro-dollars per dollar


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def gen_rows(n: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """(id, seller, revenue_micros, margin_micros, claimed_at, refunded) over a year."""
    rnd = random.Random(seed)
    start = NOW - timedelta(days=365)
    span = int((NOW - start).total_seconds())
    for i in range(1, n + 1):
        at = start + timedelta(seconds=rnd.randrange(span))
        rev = rnd.randrange(50, 3000) * M + rnd.randrange(100) * 10_000
        margin = int(rev * rnd.uniform(0.05, 0.6)) // 10_000 * 10_000
        yield i, rnd.randrange(1, SELLERS + 1), rev, margin, at, rnd.random() < 0.02


def ts(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def populate(db: Database, n: int) -> float:
    t0 = time.perf_counter()
    dialect = db.engine.dialect.name
    rnd = random.Random(11)
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
        leads = []
        for sid in range(1, SELLERS + 1):
            for d in range(366):
                day = (NOW - timedelta(days=d)).date()
                leads.append(
                    (
                        day.isoformat(),
                        f"seller{sid}@bench.example",
                        sid,
                        rnd.randrange(0, 12),
                        ts(NOW),
                    )
                )
        rows = list(gen_rows(n))
        queue = [
            (
                i,
                10_000_000 + i,
                "core",
                "claimed",
                "waiting",
                rev,
                rev - mar,
                mar,
                "healthy",
                False,
                ts(at),
                ts(at),
            )
            for i, _, rev, mar, at, _ in rows
        ]
        claims = [
            (i, i, 10_000_000 + i, sid, "first_sales", "waiting", ref, ts(at))
            for i, sid, _, _, at, ref in rows
        ]
        entries = [(i, i, sid, M, rev, mar, ts(at), ref) for i, sid, rev, mar, at, ref in rows]
        adjust = [
            (k, i, rnd.randrange(1, 200) * M, "commission", ts(at))
            for k, (i, _, _, _, at, _) in enumerate(rows[::100], start=1)
        ]
        specs = [
            (
                "sellers",
                "id, email, name, role, password_hash, color, is_active, created_at",
                sellers,
            ),
            ("lead_assignments_daily", "day, seller_email, seller_id, leads, updated_at", leads),
            (
                "queue",
                "id, subscription_id, source, status, finance_status, revenue_usd, cost_usd,"
                " margin_amount_usd, margin_quality, is_jackpot, sale_created_at, created_at",
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
        ]
        if dialect == "sqlite":
            cur = raw.cursor()
            for table, cols, data in specs:
                marks = ", ".join("?" for _ in cols.split(","))
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", data)
        else:
            with raw.cursor() as cur:
                for table, cols, data in specs:
                    with cur.copy(f"COPY wr.{table} ({cols}) FROM STDIN") as cp:
                        for row in data:
                            cp.write_row(row)
                for table in (
                    "sellers",
                    "queue",
                    "claims",
                    "attribution_share_entries",
                    "claim_adjustments",
                    "lead_assignments_daily",
                ):
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('wr.{table}', 'id'),"
                        f" (SELECT max(id) FROM wr.{table}))"
                    )
                cur.execute("ANALYZE")
    return time.perf_counter() - t0


def timed(fn: Callable[[], Any], reps: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def rules_cost(db: Database, st: Settings, claims_n: int) -> dict[str, float]:
    """Claims through the real action: time inside on_claim vs the whole claim."""
    inside: list[float] = []
    total: list[float] = []

    def timed_hook(session: Any, ctx: Any) -> None:
        t0 = time.perf_counter()
        on_claim(session, ctx)
        inside.append((time.perf_counter() - t0) * 1000)

    claims_action.on_claim = timed_hook  # type: ignore[assignment]
    with db.transaction() as s:
        items = []
        for k in range(claims_n + 20):
            item = QueueItem(
                subscription_id=900_000_000 + k,
                source="core",
                revenue_usd=Decimal(random.randrange(100, 2500)),
                margin_amount_usd=Decimal(300),
                is_jackpot=k % 25 == 0,
                sale_created_at=NOW,
                created_at=NOW,
            )
            s.add(item)
            items.append(item)
        s.flush()
        ids = [i.id for i in items]
    load_before = os.getloadavg()[0]
    for k, qid in enumerate(ids):
        at = NOW + timedelta(seconds=k)
        t0 = time.perf_counter()
        with db.transaction() as s:
            claims_action.claim_item(
                s,
                seller_id=1 + (k // 3) % SELLERS,
                queue_id=qid,
                claim_type="first_sales",
                settings=st,
                now=at,
            )
        if k >= 20:  # warm-up
            total.append((time.perf_counter() - t0) * 1000)
    claims_action.on_claim = on_claim  # type: ignore[assignment]
    rules = inside[20:]
    return {
        "rules_p50": pct(rules, 50),
        "rules_p95": pct(rules, 95),
        "rules_mean": statistics.mean(rules),
        "rules_p99": pct(rules, 99),
        "claim_p50": pct(total, 50),
        "claim_p95": pct(total, 95),
        "load": (load_before, os.getloadavg()[0]),
    }


@contextmanager
def database(kind: str, workdir: Path, pg: str | None = None) -> Iterator[Database]:
    """A migrated database for one run: a SQLite file in ``workdir``, or a private PostgreSQL
    database created next to ``pg`` (default: ``WINROOM_BENCH_POSTGRES_URL`` or
    ``WINROOM_TEST_POSTGRES_URL``) and dropped at the end."""
    with ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{workdir}/bench.db"
        else:
            from tests.helpers.databases import fresh_postgres_database

            base = (
                pg
                or os.environ.get("WINROOM_BENCH_POSTGRES_URL")
                or os.environ["WINROOM_TEST_POSTGRES_URL"]
            )
            url = stack.enter_context(contextmanager(fresh_postgres_database)(base))
        upgrade(url)
        db = database_for_url(url)
        stack.callback(db.dispose)
        yield db


def run(kind: str, n: int, reps: int, rule_claims: int) -> dict[str, Any]:
    st = load_settings(data_dir=Path(tempfile.mkdtemp()), timezone="Europe/Istanbul")
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        load_s = populate(db, n)
        t0 = time.perf_counter()
        with db.transaction() as s:
            agg_rows = daystats.rebuild(s, st.tz, st.timezone, NOW)
        build_s = time.perf_counter() - t0
        boards: dict[str, tuple[float, float]] = {}
        with db.read() as s:
            for period in read.PERIODS:
                for board in read.BOARDS:
                    ms = timed(lambda b=board, p=period: read.leaderboard(s, b, p, st, NOW), reps)
                    boards[f"{board}/{period}"] = (pct(ms, 50), pct(ms, 95))
                ms = timed(lambda p=period: read.my_metrics(s, 7, p, st, NOW), reps)
                boards[f"my_metrics/{period}"] = (pct(ms, 50), pct(ms, 95))
            ms = timed(lambda: read.team_overview(s, "month", st, NOW), reps)
            boards["team_overview/month"] = (pct(ms, 50), pct(ms, 95))
        t0 = time.perf_counter()
        jobs.sweep(db, st, NOW)  # fires the generated history's backlog of milestones once
        sweep_s = time.perf_counter() - t0
        rules = rules_cost(db, st, rule_claims)
    return {
        "kind": kind,
        "claims": n,
        "load_s": load_s,
        "build_s": build_s,
        "sweep_s": sweep_s,
        "agg_rows": agg_rows,
        "boards": boards,
        "rules": rules,
    }


def report(results: list[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        lines.append(f"\n### {r['kind']}: {r['claims']:,} claims, {SELLERS} sellers, one year\n")
        lines.append(
            f"bulk load {r['load_s']:.1f} s; aggregate rebuild {r['build_s']:.1f} s "
            f"({r['agg_rows']:,} seller-day rows); first sweep {r['sweep_s']:.1f} s\n"
        )
        lines.append("| query | p50 ms | p95 ms |\n|---|---:|---:|")
        for k, (p50, p95) in r["boards"].items():
            lines.append(f"| {k} | {p50:.2f} | {p95:.2f} |")
        ru = r["rules"]
        lines.append(
            f"\nrules (on_claim) per claim: p50 {ru['rules_p50']:.2f} ms, p95 "
            f"{ru['rules_p95']:.2f} ms, p99 {ru['rules_p99']:.2f} ms, mean "
            f"{ru['rules_mean']:.2f} ms; whole claim "
            f"transaction p50 {ru['claim_p50']:.2f} ms, p95 {ru['claim_p95']:.2f} ms "
            f"(load average {ru['load'][0]:.2f} → {ru['load'][1]:.2f} over the claims)"
        )
        worst = max(
            p95
            for k, (_, p95) in r["boards"].items()
            if "/" in k and k.split("/")[0] in read.BOARDS
        )
        rules_ok = ru["rules_p50"] <= 5 and ru["rules_p95"] <= 5
        lines.append(
            f"\nworst board p95: {worst:.2f} ms (target ≤ 50) — "
            f"{'OK' if worst <= 50 else 'MISSED'}; rules p50 / p95 "
            f"{ru['rules_p50']:.2f} / {ru['rules_p95']:.2f} ms (target ≤ 5) — "
            f"{'OK' if rules_ok else 'MISSED'}"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 claims, fewer repetitions")
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--claims", type=int, help="how many generated claims (default 1,000,000)")
    args = ap.parse_args()
    n = args.claims or (100_000 if args.quick else 1_000_000)
    reps = 20 if args.quick else 50
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    has_pg = bool(
        os.environ.get("WINROOM_BENCH_POSTGRES_URL") or os.environ.get("WINROOM_TEST_POSTGRES_URL")
    )
    if "postgres" in kinds and not has_pg:
        print("PostgreSQL skipped: set WINROOM_BENCH_POSTGRES_URL or WINROOM_TEST_POSTGRES_URL")
        kinds.remove("postgres")
    print_provenance(platform.processor() or platform.machine())
    results = [run(k, n, reps, 60 if args.quick else 200) for k in kinds]
    print(report(results))
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
