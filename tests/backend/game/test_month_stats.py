"""The per-seller month aggregate (``seller_month_stats``): always exactly the sum of the
seller's day rows of the month and equal to a recomputation from the claims, through
claims, refunds, adjustments, share splits, reassignments, exclusions and sweeps; the
claim path's month-to-date numbers stay those of the day rows when a month has rows dated
after today; the migration builds it from existing day rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.actions import finance
from backend.db.engine import make_engine
from backend.db.migrate import downgrade, upgrade
from backend.game import daystats, jobs
from backend.models import Achievement, Claim
from backend.models.game import SellerDayStats, SellerMonthStats
from backend.runtime import Database
from backend.settings import Settings, load_settings
from tests.backend.game import recompute
from tests.backend.game.floor import add_item, add_seller, claim
from tests.backend.game.test_floor_day import NOW as FLOOR_NOW
from tests.backend.game.test_floor_day import TZ, run_day
from tests.helpers.databases import fresh_postgres_database, postgres_admin_url

Numbers = tuple[int, Decimal, Decimal]


def month_rows(s: Session) -> dict[tuple[date, int], Numbers]:
    return {
        (r.month, r.seller_id): (r.wins, r.revenue, r.margin)
        for r in s.scalars(select(SellerMonthStats))
    }


def day_row_sums(s: Session) -> dict[tuple[date, int], Numbers]:
    out: dict[tuple[date, int], Numbers] = {}
    for r in s.scalars(select(SellerDayStats)):
        key = (r.day.replace(day=1), r.seller_id)
        w, rev, mar = out.get(key, (0, Decimal(0), Decimal(0)))
        out[key] = (w + r.wins, rev + r.revenue, mar + r.margin)
    return out


def recomputed(s: Session, months: list[date]) -> dict[tuple[date, int], Numbers]:
    """From the claims (``recompute``: no engine code), sellers with non-zero numbers."""
    out: dict[tuple[date, int], Numbers] = {}
    for month in months:
        last = daystats.next_month(month).toordinal() - 1
        for sid, t in recompute.per_seller(s, TZ, month, date.fromordinal(last)).items():
            if t.wins or t.revenue or t.margin:
                out[(month, sid)] = (t.wins, Decimal(t.revenue), Decimal(t.margin))
    return out


@pytest.fixture
def berlin(data_dir: Path) -> Settings:
    return load_settings(data_dir=data_dir, timezone=TZ)


def test_month_rows_equal_a_recomputation_after_a_day_on_the_floor(
    db: Database, berlin: Settings
) -> None:
    run_day(db, berlin)  # claims, a share split, a refund, an adjustment, a reassignment...
    months = [date(2026, 9, 1), date(2026, 10, 1)]
    with db.read() as s:
        got = month_rows(s)
        assert got == day_row_sums(s)
        assert got == recomputed(s, months)
        assert {m for m, _ in got} == set(months)
    jobs.sweep(db, berlin, FLOOR_NOW)
    with db.read() as s:
        assert month_rows(s) == got
    with db.transaction() as s:  # a full rebuild (a time zone change) gives the same rows
        daystats.rebuild(s, berlin.tz, berlin.timezone, FLOOR_NOW)
    with db.read() as s:
        assert month_rows(s) == got


def test_a_refunded_only_claim_leaves_no_month_row(db: Database, settings: Settings) -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with db.transaction() as s:
        a, b = add_seller(s, "Ayse"), add_seller(s, "Burak")
        c = claim(s, a.id, add_item(s, "100", "10", at=now).id, settings, now)
        claim(s, b.id, add_item(s, "250.50", "20", at=now).id, settings, now)
        claim(s, b.id, add_item(s, "40", "4", at=now).id, settings, now)
    with db.read() as s:
        assert month_rows(s) == {
            (date(2026, 11, 1), a.id): (1, Decimal(100), Decimal(10)),
            (date(2026, 11, 1), b.id): (2, Decimal("290.50"), Decimal(24)),
        }
    with db.transaction() as s:
        got = s.get_one(Claim, c.id)
        finance.apply_refund(s, got, settings=settings, amount=Decimal(100), reason="x", now=now)
    with db.read() as s:
        assert month_rows(s) == {(date(2026, 11, 1), b.id): (2, Decimal("290.50"), Decimal(24))}
        assert month_rows(s) == day_row_sums(s)


def test_month_to_date_ignores_rows_dated_later_in_the_month(
    db: Database, settings: Settings
) -> None:
    """A claim dated after ``today`` (day rows later in the month) is not month-to-date:
    the $10,000 monthly milestone needs $10,000 up to today."""
    later = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with db.transaction() as s:
        a = add_seller(s, "Ayse")
        claim(s, a.id, add_item(s, "9500", "100", at=later).id, settings, later)
    with db.transaction() as s:
        claim(s, a.id, add_item(s, "600", "100", at=now).id, settings, now)
    with db.read() as s:
        kinds = [
            x.kind for x in s.scalars(select(Achievement).where(Achievement.seller_id == a.id))
        ]
        assert "monthly_revenue" not in kinds
        assert month_rows(s) == {(date(2026, 11, 1), a.id): (2, Decimal(10100), Decimal(200))}
    with db.transaction() as s:  # on the later day the month to date passes $10,000
        claim(s, a.id, add_item(s, "10", "1", at=later).id, settings, later)
    with db.read() as s:
        kinds = [
            x.kind for x in s.scalars(select(Achievement).where(Achievement.seller_id == a.id))
        ]
        assert kinds.count("monthly_revenue") == 1


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/m.db"
    else:
        yield from fresh_postgres_database(postgres_admin_url())


def test_the_migration_builds_month_rows_from_the_day_rows(empty_url: str) -> None:
    upgrade(empty_url, "0005")
    engine = make_engine(empty_url)
    at = datetime(2026, 11, 20, 9, 0)
    days = [
        (date(2026, 10, 31), 1, 1, 5_000_000, 1_000_000),
        (date(2026, 11, 1), 1, 2, 7_000_000, -500_000),
        (date(2026, 11, 30), 1, 1, 1_500_000, 250_000),
        (date(2026, 11, 2), 2, 3, 9_000_000, 3_000_000),
    ]
    try:
        with engine.begin() as conn:
            for sid in (1, 2):
                # the sellers table as it was at 0005 (the model has columns of later ones)
                conn.execute(
                    text(
                        "INSERT INTO sellers (id, email, name, role, password_hash, color,"
                        " is_active, created_at) VALUES (:i, :e, :n, 'sales', 'x', '#4C8DFF',"
                        " :a, :c)"
                    ),
                    {"i": sid, "e": f"s{sid}@example.com", "n": f"S{sid}", "a": True, "c": at},
                )
            for day, sid, wins, rev, mar in days:
                conn.execute(
                    text(
                        "INSERT INTO seller_day_stats (day, seller_id, wins, revenue, margin,"
                        " updated_at) VALUES (:d, :s, :w, :r, :m, :u)"
                    ),
                    {"d": day, "s": sid, "w": wins, "r": rev, "m": mar, "u": at},
                )
        upgrade(empty_url)
        want: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        for day, sid, wins, rev, mar in days:
            row = want[(day.replace(day=1), sid)]
            row[0], row[1], row[2] = row[0] + wins, row[1] + rev, row[2] + mar
        with engine.connect() as conn:
            got = {
                (r.month, r.seller_id): [r.wins, r.revenue, r.margin]
                for r in conn.execute(
                    text("SELECT month, seller_id, wins, revenue, margin FROM seller_month_stats")
                )
            }
        assert {(date.fromisoformat(str(m)), s): v for (m, s), v in got.items()} == dict(want)
        downgrade(empty_url, "0005")
        upgrade(empty_url)
    finally:
        engine.dispose()
