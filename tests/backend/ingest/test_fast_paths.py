"""The ingest worker's fast paths write exactly what the slow, obvious ones would.

- ``queue_new_payload`` builds the ``queue.new`` payload without ORM objects or pydantic:
  it must equal ``queue_item_out(item)`` and validate as ``QueueNew``.
- ``NewMetrics`` is a plain record of a ``subscription_metrics`` row.
- ``insert_rows`` (COPY on PostgreSQL, driver executemany on SQLite) stores the same values
  as a SQLAlchemy INSERT, and a database error in it still falls back row by row. On
  PostgreSQL the worker's rows go in binary COPY form; other values take the text form.
- queue ids taken before the INSERT never collide with ids the database hands out itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from backend.ingest import bulk
from backend.ingest.actions import NewMetrics, allocate_queue_ids, queue_new_payload
from backend.ingest.bulk import insert_rows
from backend.models import Event, IngestRecord, QueueItem, SubscriptionMetrics
from backend.runtime import Database
from backend.schemas.events import QueueNew
from backend.schemas.queue import queue_item_out
from tests.backend.ingest.conftest import MakeWorker
from tests.backend.ingest.core_fixtures import CoreWriter

ISTANBUL = timezone(timedelta(hours=3))


def item(**kw: Any) -> dict[str, Any]:
    """Every queue column, as the worker builds a new row."""
    row: dict[str, Any] = {
        "id": 7,
        "subscription_id": 4711,
        "source": "core",
        "customer_user_id": 12,
        "customer_email": "ayse@example.com",
        "customer_name": "Ayşe Kaya",
        "campaign_id": 1,
        "campaign_name": "Genel İngilizce 6 Ay",
        "currency": "TRY",
        "payment_channel": "Stripe",
        "core_status": "paid",
        "status": "pending",
        "finance_status": "waiting",
        "problem_reason": None,
        "revenue_usd": Decimal("1000.00") / Decimal("34.25"),  # 29.19708029197080291970802920
        "cost_usd": Decimal("192.0"),
        "margin_amount_usd": Decimal("1000.00") / Decimal("34.25") - Decimal("192.0"),
        "margin_percent": Decimal("-5.57600000000000000000000001"),
        "margin_quality": "risky",
        "is_jackpot": False,
        "tts_days": 5,
        "sale_created_at": datetime(2025, 3, 1, 10, 5, 59, 123456, tzinfo=UTC),
        "note": None,
        "created_by": None,
        "created_at": datetime(2025, 3, 1, 10, 6, 1, 5, tzinfo=UTC),
    }
    row.update(kw)
    return row


SAMPLES = {
    "ordinary": item(),
    "jackpot": item(
        revenue_usd=Decimal("2345.675"),
        cost_usd=Decimal(1008),
        margin_amount_usd=Decimal("1337.675"),
        margin_percent=Decimal("0.57027"),
        margin_quality="high",
        is_jackpot=True,
        currency="USD",
    ),
    "problem": item(
        finance_status="problem",
        problem_reason="unknown_currency",
        revenue_usd=None,
        margin_amount_usd=None,
        margin_percent=None,
        margin_quality="unknown",
        currency="EUR",
        tts_days=None,
    ),
    "unknown-customer-and-campaign": item(
        customer_user_id=None,
        customer_email=None,
        customer_name=None,
        campaign_id=None,
        campaign_name=None,
        cost_usd=None,
        payment_channel=None,
        core_status="active",
    ),
    "half-cent": item(revenue_usd=Decimal("0.005"), cost_usd=Decimal("0.015")),
}


@pytest.mark.parametrize("row", SAMPLES.values(), ids=SAMPLES.keys())
def test_queue_new_payload_is_what_the_schema_gives(row: dict[str, Any]) -> None:
    fast = queue_new_payload(row)
    slow = {"item": queue_item_out(QueueItem(**row)).model_dump(mode="json")}
    assert fast == slow
    assert QueueNew.model_validate(fast).model_dump(mode="json") == fast


def test_new_metrics_is_exactly_a_metrics_row() -> None:
    columns = {c.key for c in SubscriptionMetrics.__table__.columns}
    assert set(NewMetrics.__slots__) == columns
    m = NewMetrics(5)
    row = m.row()
    assert set(row) == columns
    # the column defaults an ORM insert would fill in
    assert (row["margin_quality"], row["is_jackpot"]) == ("unknown", False)
    assert row["computed_at"] is not None and row["subscription_id"] == 5


def _read_queue(db: Database, sids: list[int]) -> list[dict[str, Any]]:
    with db.read() as s:
        items = s.scalars(
            select(QueueItem)
            .where(QueueItem.subscription_id.in_(sids))
            .order_by(QueueItem.subscription_id)
        ).all()
        skip = {"id", "subscription_id"}
        return [
            {c.key: getattr(i, c.key) for c in QueueItem.__table__.columns if c.key not in skip}
            for i in items
        ]


def test_insert_rows_stores_what_a_sqlalchemy_insert_stores(db: Database) -> None:
    odd = "tab\there, new\nline, back\\slash, 'quote' \"double\" ; Ümit Çağ 🎉"
    variants = [
        item(),
        item(customer_name=odd, campaign_name=odd, payment_channel="Hediye"),
        item(
            sale_created_at=datetime(2025, 3, 1, 13, 5, tzinfo=ISTANBUL),  # not UTC
            created_at=datetime(2025, 3, 1, 10, 0),  # naive: UTC
            is_jackpot=True,
        ),
        *SAMPLES.values(),
    ]
    n = len(variants)
    fast = [dict(v, id=100 + i, subscription_id=1000 + i) for i, v in enumerate(variants)]
    slow = [dict(v, id=200 + i, subscription_id=2000 + i) for i, v in enumerate(variants)]
    records = [
        {
            "subscription_id": 1000 + i,
            "kind": "rejected",
            "reason": f"reason {i}",
            "details": {"detail": odd, "n": i, "nested": {"x": [1, None, True]}},
            "created_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
        }
        for i in range(3)
    ]
    with db.transaction() as s:
        conn = s.connection()
        insert_rows(conn, QueueItem.__table__, fast)  # type: ignore[arg-type]
        insert_rows(conn, IngestRecord.__table__, records)  # type: ignore[arg-type]
        conn.execute(insert(QueueItem.__table__), slow)
    got_fast = _read_queue(db, [1000 + i for i in range(n)])
    got_slow = _read_queue(db, [2000 + i for i in range(n)])
    assert len(got_fast) == n and got_fast == got_slow
    # exact to the micro-dollar, rounded half-up like the Micros type
    assert got_fast[0]["revenue_usd"] == Decimal("29.197080")
    assert got_fast[1]["customer_name"] == odd
    assert got_fast[2]["sale_created_at"] == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)
    with db.read() as s:
        stored = s.scalars(select(IngestRecord).order_by(IngestRecord.subscription_id)).all()
        assert [(r.subscription_id, r.reason, r.details, r.created_at) for r in stored] == [
            (r["subscription_id"], r["reason"], r["details"], r["created_at"]) for r in records
        ]


def test_a_database_error_in_a_batch_falls_back_row_by_row(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    """A core row whose queue INSERT violates a constraint (here: its subscription id is
    already on a manual queue item) fails the fast batch; row by row, only it is rejected."""
    before = floor.sub(user_id=1, campaign_id=1)
    clash = floor.sub(user_id=2, campaign_id=2)
    after = floor.sub(user_id=3, campaign_id=3)
    with db.transaction() as s:
        manual = QueueItem(
            subscription_id=clash,
            source="manual",
            sale_created_at=datetime.now(UTC),
            status="pending",
        )
        s.add(manual)
        s.flush()
        manual_id = manual.id
    make_worker().catch_up()
    with db.read() as s:
        items = {q.subscription_id: q for q in s.scalars(select(QueueItem))}
        news = s.scalars(select(Event).where(Event.type == "queue.new")).all()
        rejected = s.scalars(select(IngestRecord).where(IngestRecord.kind == "rejected")).all()
        metrics = {m.subscription_id: m for m in s.scalars(select(SubscriptionMetrics))}
    assert set(items) == {before, clash, after}
    assert items[clash].source == "manual" and items[clash].id == manual_id
    assert sorted(e.subscription_id for e in news) == [before, after]
    assert {e.payload["item"]["id"] for e in news} == {items[before].id, items[after].id}
    assert [(r.subscription_id, r.reason) for r in rejected] == [(clash, "ingest_error")]
    assert metrics[clash].outcome == "rejected"
    assert metrics[before].queue_id == items[before].id
    assert metrics[after].queue_id == items[after].id
    # ids the database hands out itself later do not collide with the allocated ones
    with db.transaction() as s:
        later = QueueItem(source="manual", sale_created_at=datetime.now(UTC), status="pending")
        s.add(later)
        s.flush()
        assert later.id not in {items[before].id, items[after].id, manual_id}


def test_allocated_queue_ids_are_new_and_ascending(db: Database) -> None:
    with db.transaction() as s:
        s.add(QueueItem(source="manual", sale_created_at=datetime.now(UTC), status="pending"))
        s.flush()
        top = max(s.scalars(select(QueueItem.id)).all())
        ids = allocate_queue_ids(s, 5)
    assert ids == sorted(set(ids)) and len(ids) == 5 and min(ids) > top


def test_insert_rows_raises_sqlalchemy_errors_and_writes_nothing(db: Database) -> None:
    rows = [item(id=300 + i, subscription_id=3000 + i) for i in range(3)]
    rows[2]["subscription_id"] = 3000  # unique violation on the last row
    with pytest.raises(IntegrityError), db.transaction() as s:
        insert_rows(s.connection(), QueueItem.__table__, rows)  # type: ignore[arg-type]
    assert _read_queue(db, [3000, 3001]) == []


def test_the_collector_is_paused_during_a_batch_only(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    import gc

    floor.sub(user_id=1, campaign_id=1)
    worker = make_worker()
    during: list[bool] = []
    worker.after_batch = lambda _result: during.append(gc.isenabled())
    assert gc.isenabled()
    worker.catch_up()
    assert during == [False] and gc.isenabled()
    # a collector that was off before stays off after
    floor.sub(user_id=2, campaign_id=2)
    gc.disable()
    try:
        worker.catch_up()
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert during == [False, False]


def test_binary_copy_only_for_values_it_stores_exactly(db: Database) -> None:
    """On PostgreSQL the worker's queue rows take the binary COPY form; a value the binary
    form would not store as a SQLAlchemy INSERT does (here a Decimal in an integer column)
    sends the whole COPY in text form, and still stores the same as the INSERT."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's (SQLite: executemany)")
    table: Any = QueueItem.__table__
    odd = [dict(item(), id=400, subscription_id=4000, tts_days=Decimal(3))]
    plain = [dict(item(), id=401, subscription_id=4001)]
    aware = [dict(r, sale_created_at=datetime(2025, 1, 1, tzinfo=UTC)) for r in plain]
    keys = list(plain[0])
    with db.transaction() as s:
        conn = s.connection()
        driver = conn.connection.driver_connection

        def binary(rows: list[dict[str, Any]]) -> bool:
            cols = bulk._columns(table, conn, keys, rows)
            return bulk._binary_types(driver, table, keys, cols) is not None

        assert binary(plain) and binary(aware)  # the bind processor makes it naive
        assert not binary(odd) and not binary(odd + plain)
        insert_rows(conn, table, odd + plain)
        copies = [
            dict(r, id=r["id"] + 100, subscription_id=r["subscription_id"] + 100)
            for r in odd + plain
        ]
        conn.execute(insert(table), copies)
    got = _read_queue(db, [4000, 4001])
    assert got == _read_queue(db, [4100, 4101])
    assert got[0]["tts_days"] == 3 and got[1]["tts_days"] == item()["tts_days"]


def test_money_converted_once_per_memo_is_stored_exactly(db: Database) -> None:
    """Queue and metrics rows of a batch share their money values: with a memo each value is
    converted once, and what is stored is still exactly what an INSERT stores."""
    tiny = Decimal("0.0000005")  # half a micro-dollar: rounds half up
    variants = [
        item(revenue_usd=Decimal("10.5"), cost_usd=Decimal("10.50")),
        item(revenue_usd=Decimal("10.500000"), cost_usd=tiny, margin_amount_usd=-tiny),
        item(revenue_usd=10, cost_usd=Decimal(10), margin_percent=Decimal("0.33333333333")),
        item(revenue_usd=None, cost_usd=None, margin_amount_usd=None, margin_percent=None),
    ]
    fast = [dict(v, id=500 + i, subscription_id=5000 + i) for i, v in enumerate(variants)]
    slow = [dict(v, id=600 + i, subscription_id=6000 + i) for i, v in enumerate(variants)]
    memo: dict[Any, Any] = {}
    with db.transaction() as s:
        conn = s.connection()
        insert_rows(conn, QueueItem.__table__, fast[:2], memo=memo)  # type: ignore[arg-type]
        insert_rows(conn, QueueItem.__table__, fast[2:], memo=memo)  # type: ignore[arg-type]
        conn.execute(insert(QueueItem.__table__), slow)
    assert memo  # the memo was used
    got = _read_queue(db, [5000 + i for i in range(len(variants))])
    assert got == _read_queue(db, [6000 + i for i in range(len(variants))])
    assert [g["cost_usd"] for g in got] == [
        Decimal("10.5"),
        Decimal("0.000001"),
        Decimal(10),
        None,
    ]
    assert got[1]["margin_amount_usd"] == Decimal("-0.000001")  # half-up: away from zero
    assert got[2]["margin_percent"] == Decimal("0.333333")
