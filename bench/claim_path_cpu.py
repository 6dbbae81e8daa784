"""CPU and statements per claim: what the claim request does around the route's own code
(issue 3, round 4; one claim path since issue 20).

One thread, no HTTP: for each claim, resolve the bearer token (prebuilt Core reads on a
plain connection, as ``deps.authorize_request``), run ``claims.claim_item`` in a
transaction, then build the response dict (10 sellers, round robin, game rules on).

Reported: thread CPU per claim (mean, p50), wall time per claim (p50, p95) and SQL
statements per claim (the auth's included), also split into the claims that fire an
achievement (a milestone, a badge: the tail of the claim-to-screen latency) and the others.
Usage:
  .venv/bin/python bench/claim_path_cpu.py [--claims 400] [--postgres URL] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leaderboards import database
from provenance import print_provenance
from sqlalchemy import event, func, select

from backend.actions import claims
from backend.api.deps import _reader
from backend.auth import Principal, issue_token, resolve_token
from backend.models import Event, QueueItem, Seller
from backend.runtime import Database
from backend.settings import Settings, load_settings


def auth_lean(db: Database, settings: Settings, token: str) -> Principal:
    with _reader(db).connect() as conn:
        return resolve_token(conn, settings, token)


def claim_lean(db: Database, settings: Settings, seller_id: int, queue_id: int) -> Any:
    with db.transaction() as s:
        result = claims.claim_item(
            s, seller_id=seller_id, queue_id=queue_id, claim_type="first_sales", settings=settings
        )
        return claims.claim_out(result.claim, result.item)


VARIANTS: dict[str, tuple[Callable[..., Principal], Callable[..., Any]]] = {
    "lean": (auth_lean, claim_lean),
}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q / 100 * (len(xs) - 1)))]


def run(kind: str, n: int, pg: str | None) -> None:
    settings = load_settings(data_dir=Path(tempfile.mkdtemp()))
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp), pg) as db:
        with db.transaction() as s:
            sellers = [
                Seller(email=f"s{i}@example.com", name=f"Seller {i}", password_hash="x")
                for i in range(10)
            ]
            s.add_all(sellers)
            items = [
                QueueItem(
                    subscription_id=1000 + i,
                    revenue_usd=Decimal("100.25") + i,
                    margin_amount_usd=Decimal("20.5"),
                    is_jackpot=i % 50 == 7,
                    sale_created_at=now,
                    customer_name="C",
                )
                for i in range(n + 20)
            ]
            s.add_all(items)
            s.flush()
            seller_ids = [x.id for x in sellers]
            tokens = [issue_token(settings, x) for x in sellers]
            item_ids = [x.id for x in items]
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(db.engine, "before_cursor_execute", count)
        cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
        wall: dict[str, list[float]] = {v: [] for v in VARIANTS}
        stmts: dict[str, list[int]] = {v: [] for v in VARIANTS}
        firing: dict[bool, tuple[list[float], list[float]]] = {True: ([], []), False: ([], [])}
        last_event = 0
        warmup = 20
        for i in range(n + 20):
            variant = "lean"
            auth, claim = VARIANTS[variant]
            k = i % len(seller_ids)
            before_stmts = statements
            c0, w0 = time.thread_time(), time.perf_counter()
            principal = auth(db, settings, tokens[k])
            out = claim(db, settings, principal.seller_id, item_ids[i])
            c1, w1 = time.thread_time(), time.perf_counter()
            assert out["seller_id"] == seller_ids[k]
            if i >= warmup:
                cpu[variant].append((c1 - c0) * 1000)
                wall[variant].append((w1 - w0) * 1000)
                stmts[variant].append(statements - before_stmts)
            with db.read() as s:  # which events the claim wrote (not timed)
                types = set(s.scalars(select(Event.type).where(Event.id > last_event)))
                last_event = s.scalar(select(func.max(Event.id))) or 0
            if i >= warmup and variant == "lean":
                fires = "achievement.created" in types
                firing[fires][0].append((c1 - c0) * 1000)
                firing[fires][1].append((w1 - w0) * 1000)
        load = os.getloadavg()
        print(f"== {kind} == ({n} claims per variant, load {load[0]:.2f})")
        for v in VARIANTS:
            print(
                f"  {v:8s} cpu mean {statistics.mean(cpu[v]):6.2f} p50 {pct(cpu[v], 50):6.2f} ms;"
                f" wall p50 {pct(wall[v], 50):6.2f} p95 {pct(wall[v], 95):6.2f} ms;"
                f" statements {statistics.mean(stmts[v]):5.1f} per claim"
            )
        for fires, label in ((True, "fires an achievement"), (False, "fires none")):
            c_, w_ = firing[fires]
            if c_:
                print(
                    f"  lean, {label:21s} cpu mean {statistics.mean(c_):6.2f}"
                    f" p50 {pct(c_, 50):6.2f} ms; wall p50 {pct(w_, 50):6.2f}"
                    f" p95 {pct(w_, 95):6.2f} ms (n={len(c_)})"
                )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=400)
    ap.add_argument("--postgres", default=os.environ.get("WINROOM_TEST_POSTGRES_URL"))
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    print_provenance()
    if not args.no_sqlite:
        run("sqlite", args.claims, None)
    if args.postgres:
        run("postgres", args.claims, args.postgres)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
