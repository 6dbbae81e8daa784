"""``GET /api/admin/overview`` benchmark (issue 21): 1,000,000 claims by 100 sellers over a
year (``--quick``: 100,000) in 20 campaigns, 2 % refunded, one in a hundred adjusted,
bulk-inserted (the same generator as ``bench/leaderboards.py``), the board aggregates built
once; then the overview of the latest month and of earlier months, p50/p95, read as the
route reads it, on SQLite and PostgreSQL. Target: p95 ≤ 100 ms.

    .venv/bin/python bench/admin_overview.py [--quick] [--db sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import leaderboards
from leaderboards import NOW, SELLERS, database, pct, populate, timed
from provenance import print_provenance
from sqlalchemy import text

from backend.game import daystats
from backend.reads.overview import overview
from backend.runtime import Database
from backend.settings import load_settings

CAMPAIGNS = 20
_random_times = leaderboards.gen_rows


def gen_rows_in_time_order(n: int, seed: int = 7) -> Any:
    """``leaderboards.gen_rows`` with ids in time order, as a live floor makes them (a claim
    and its queue item get higher ids than earlier ones): a day's rows sit together."""
    rows = sorted(_random_times(n, seed), key=lambda r: r[4])
    for i, row in enumerate(rows, start=1):
        yield (i, *row[1:])


def campaigns_and_refunds(db: Database) -> None:
    """Campaigns on the generated items and a refund row for each refunded claim."""
    pg = db.engine.dialect.name == "postgresql"
    concat = "'Campaign ' || (id % 20 + 1)" if not pg else "'Campaign ' || (id % 20 + 1)::text"
    with db.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE queue SET campaign_id = id % {CAMPAIGNS} + 1, campaign_name = {concat}")
        )
        conn.execute(
            text(
                "INSERT INTO refunds (claim_id, amount_usd, reason, created_at)"
                " SELECT id, NULL, 'bench', claimed_at FROM claims WHERE refunded"
            )
        )
        if pg:
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def run(kind: str, n: int, reps: int, ordered: bool) -> dict[str, Any]:
    leaderboards.gen_rows = gen_rows_in_time_order if ordered else _random_times
    st = load_settings(data_dir=Path(tempfile.mkdtemp()), timezone="Europe/Istanbul")
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        load_s = populate(db, n)
        campaigns_and_refunds(db)
        with db.transaction() as s:
            daystats.rebuild(s, st.tz, st.timezone, NOW)
        months = ["2026-11", "2026-10", "2026-06", "2026-01"]
        out: dict[str, tuple[float, float]] = {}
        cold: dict[str, float] = {}
        with db.read() as s:
            for m in months:  # the first request of a month (and its previous) after start
                t0 = time.perf_counter()
                overview(s, m, st, NOW)
                cold[m] = (time.perf_counter() - t0) * 1000
            wins = overview(s, "2026-10", st, NOW)["totals"]["wins"]
            for m in months:
                ms = timed(lambda m=m: overview(s, m, st, NOW), reps)
                out[m] = (pct(ms, 50), pct(ms, 95))
        # a finance write to a claim of an earlier day: the next request recomputes that day
        after: list[float] = []
        for k in range(5):
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO claim_adjustments (claim_id, amount_usd, reason, created_at)"
                        " SELECT id, 1000000, 'other', claimed_at FROM claims"
                        f" WHERE claimed_at >= '2026-10-1{k}' ORDER BY claimed_at LIMIT 1"
                    )
                )
            with db.read() as s:
                t0 = time.perf_counter()
                overview(s, "2026-10", st, NOW)
                after.append((time.perf_counter() - t0) * 1000)
    return {
        "kind": kind,
        "claims": n,
        "load_s": load_s,
        "months": out,
        "cold": cold,
        "after_write": max(after),
        "wins_oct": wins,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 claims, fewer repetitions")
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--claims", type=int)
    ap.add_argument(
        "--random-ids",
        action="store_true",
        help="ids in random time order (bench/leaderboards.py's data; the worst case)",
    )
    args = ap.parse_args()
    n = args.claims or (100_000 if args.quick else 1_000_000)
    reps = 10 if args.quick else 30
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and not (
        os.environ.get("WINROOM_BENCH_POSTGRES_URL") or os.environ.get("WINROOM_TEST_POSTGRES_URL")
    ):
        print("PostgreSQL skipped: set WINROOM_BENCH_POSTGRES_URL or WINROOM_TEST_POSTGRES_URL")
        kinds.remove("postgres")
    print_provenance(platform.processor() or platform.machine())
    for kind in kinds:
        r = run(kind, n, reps, ordered=not args.random_ids)
        order = "random" if args.random_ids else "time"
        print(
            f"\n### {kind}: {r['claims']:,} claims, {SELLERS} sellers, {CAMPAIGNS} campaigns"
            f" (ids in {order} order)"
        )
        print(f"bulk load {r['load_s']:.1f} s; October: {r['wins_oct']:,} wins\n")
        print("| month | first request ms | p50 ms | p95 ms |\n|---|---:|---:|---:|")
        for m, (p50, p95) in r["months"].items():
            print(f"| {m} | {r['cold'][m]:.0f} | {p50:.1f} | {p95:.1f} |")
        print(f"\nafter an adjustment to an October claim: {r['after_write']:.1f} ms (worst of 5)")
        worst = max(p95 for _, p95 in r["months"].values())
        print(f"\nworst p95 {worst:.1f} ms (target ≤ 100) — {'OK' if worst <= 100 else 'MISSED'}")
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
