"""The ingestion worker against a real core database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from backend.core import CoreDatabase
from backend.core import tables as core_tables
from backend.db.types import utcnow
from backend.ingest.worker import IngestWorker
from backend.models import Event, IngestRecord, QueueItem, SubscriptionMetrics
from backend.runtime import Database, database_for_url
from backend.settings import Settings
from tests.backend.ingest.core_fixtures import CoreWriter

MakeWorker = Callable[..., IngestWorker]


def queue(db: Database) -> list[QueueItem]:
    with db.read() as s:
        return list(s.scalars(select(QueueItem).order_by(QueueItem.subscription_id)))


def by_sub(db: Database) -> dict[int, QueueItem]:
    return {q.subscription_id: q for q in queue(db) if q.subscription_id is not None}


def records(db: Database, kind: str | None = None) -> list[IngestRecord]:
    with db.read() as s:
        q = select(IngestRecord).order_by(IngestRecord.id)
        if kind:
            q = q.where(IngestRecord.kind == kind)
        return list(s.scalars(q))


def events(db: Database, type_: str | None = None) -> list[Event]:
    with db.read() as s:
        q = select(Event).order_by(Event.id)
        if type_:
            q = q.where(Event.type == type_)
        return list(s.scalars(q))


def count(db: Database, model: Any) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_money_to_the_cent(db: Database, floor: CoreWriter, make_worker: MakeWorker) -> None:
    w = floor
    try_sale = w.sub(user_id=1, campaign_id=2, subs_amount=Decimal("49636.00"), currency="TRY")
    usd_sale = w.sub(user_id=2, campaign_id=1, subs_amount=Decimal("312.50"), currency="USD")
    sar_sale = w.sub(user_id=3, campaign_id=3, subs_amount=Decimal("1125.00"), currency="SAR")
    infos = w.sub(user_id=2, campaign_id=3, subs_amount=None, currency="USD")
    w.payment(infos, Decimal("3425.00"), "TRY")
    w.payment(infos, Decimal("37.50"), "SAR")
    w.payment(infos, Decimal("10.01"), "USD")
    make_worker().catch_up()
    q = by_sub(db)
    out = {sid: (q[sid].revenue_usd, q[sid].cost_usd) for sid in q}
    assert len(out) == 4
    t = q[try_sale]
    assert [t.currency, t.customer_name, t.customer_email, t.campaign_name] == [
        "TRY",
        "Ayşe Kaya",
        "ayse@example.com",
        "Business 12 Ay",
    ]
    from backend.schemas.queue import queue_item_out

    item = queue_item_out(t)
    assert (item.revenue_usd, item.cost_usd, item.margin_amount_usd) == (
        "1449.23",
        "1008.00",
        "441.23",
    )
    assert item.margin_percent == 0.3045 and item.margin_quality == "healthy"
    assert item.is_jackpot and item.tts_days == 5 and item.finance_status == "waiting"
    u = queue_item_out(q[usd_sale])
    assert (u.revenue_usd, u.cost_usd, u.margin_amount_usd, u.margin_quality) == (
        "312.50",
        "192.00",
        "120.50",
        "healthy",
    )
    assert u.margin_percent == 0.3856 and not u.is_jackpot and u.tts_days == 1
    sar = queue_item_out(q[sar_sale])
    assert (sar.revenue_usd, sar.cost_usd, sar.margin_quality, sar.tts_days) == (
        "300.00",
        "80.00",
        "high",
        0,
    )
    # 3425 TRY = 100 USD, 37.50 SAR = 10 USD, 10.01 USD
    assert queue_item_out(q[infos]).revenue_usd == "120.01"
    # events: one queue.new per item (its payload is the item), one jackpot
    news = events(db, "queue.new")
    assert [e.subscription_id for e in news] == [try_sale, usd_sale, sar_sale, infos]
    assert news[0].payload["item"]["revenue_usd"] == "1449.23"
    jackpots = events(db, "jackpot")
    assert len(jackpots) == 1
    assert jackpots[0].payload == {
        "queue_id": t.id,
        "subscription_id": try_sale,
        "revenue_usd": "1449.23",
        "customer_name": "Ayşe Kaya",
        "campaign_name": "Business 12 Ay",
    }


def test_gifts_and_free_ones_are_queued_but_never_jackpots(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    gift = floor.sub(subs_amount=Decimal("90000"), currency="TRY", payment_channel="Hediye")
    free = floor.sub(user_id=2, subs_amount=Decimal("90000"), currency="TRY", is_free=1)
    make_worker().catch_up()
    q = by_sub(db)
    assert not q[gift].is_jackpot and not q[free].is_jackpot
    assert events(db, "jackpot") == []


@pytest.mark.parametrize(
    ("setup", "reason", "revenue_null", "cost_null"),
    [
        (lambda w: w.sub(currency="EUR"), "unknown_currency", True, False),
        (lambda w: (w.dolar(None), w.sub(currency="TRY"))[1], "missing_rate", True, False),
        (lambda w: (w.dolar("bir lira"), w.sub(currency="TRY"))[1], "missing_rate", True, False),
        (lambda w: w.sub(subs_amount=None), "no_amount", True, False),
        (lambda w: w.sub(campaign_id=999), "unknown_campaign", False, True),
        (lambda w: w.sub(campaign_id=4), "unknown_campaign", False, True),
    ],
    ids=["currency", "no-rate", "bad-rate", "no-amount", "no-campaign", "bad-duration"],
)
def test_problem_rows_are_queued_with_their_reason(
    db: Database,
    floor: CoreWriter,
    make_worker: MakeWorker,
    setup: Callable[[CoreWriter], int],
    reason: str,
    revenue_null: bool,
    cost_null: bool,
) -> None:
    sid = setup(floor)
    after = floor.sub(user_id=2, campaign_id=3, currency="USD")
    make_worker().catch_up()
    q = by_sub(db)
    assert q[sid].finance_status == "problem" and q[sid].problem_reason == reason
    assert (q[sid].revenue_usd is None) is revenue_null
    assert (q[sid].cost_usd is None) is cost_null
    assert q[sid].margin_amount_usd is None and q[sid].margin_quality == "unknown"
    assert q[after].finance_status == "waiting" and q[after].problem_reason is None


def test_unknown_customer_is_queued_without_a_problem(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    sid = floor.sub(user_id=4242)
    make_worker().catch_up()
    item = by_sub(db)[sid]
    assert item.customer_name is None and item.customer_email is None
    assert item.finance_status == "waiting" and item.tts_days is None


def test_negative_amount_is_rejected_and_does_not_block(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    bad = floor.sub(subs_amount=Decimal("-10.00"))
    bad_info = floor.sub(user_id=2, subs_amount=None)
    floor.payment(bad_info, Decimal("-5"), "USD")
    good = floor.sub(user_id=3)
    make_worker().catch_up()
    assert set(by_sub(db)) == {good}
    rejected = {r.subscription_id: r.reason for r in records(db, "rejected")}
    assert rejected == {bad: "negative_amount", bad_info: "negative_amount"}


def test_unparseable_rows_are_rejected(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's column types cannot hold such values")
    a = floor.sub()
    floor.exec(text(f"UPDATE subscriptions SET subs_amount = 'zwölf' WHERE id = {a}"))
    b = floor.sub(user_id=2)
    c = floor.sub(user_id=3, status="mystery")
    floor.exec(text(f"UPDATE subscriptions SET created_at = 'gestern' WHERE id = {b}"))
    good = floor.sub(user_id=3, campaign_id=3)
    make_worker().catch_up()
    assert set(by_sub(db)) == {good}
    rejected = {r.subscription_id: r.reason for r in records(db, "rejected")}
    assert rejected == {
        a: "unparseable_amount",
        b: "unparseable_created_at",
        c: "unknown_status",
    }


def test_figures_beyond_storage_are_rejected_and_do_not_block(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    """Figures are stored as integer millionths (64 bits): a sale whose margin % is beyond
    that (a fraction of a cent against a real cost) is rejected ``out_of_range``, in the
    batch itself (not by its row-by-row retry), and the rows after it go through."""
    floor.campaign(5, 12, 2_000_000_000, 50, "Absurd terms")  # cost 6.72 × 10^11 USD
    absurd = floor.sub(campaign_id=5, subs_amount=Decimal("0.01"))
    tiny = None
    if db.engine.dialect.name == "sqlite":  # PostgreSQL's NUMERIC(12,2) cannot hold it
        tiny = floor.sub(user_id=2)
        floor.exec(text(f"UPDATE subscriptions SET subs_amount = 1e-30 WHERE id = {tiny}"))
    good = floor.sub(user_id=3, campaign_id=3)
    make_worker().catch_up()
    assert set(by_sub(db)) == {good}
    rejected = {r.subscription_id: r.reason for r in records(db, "rejected")}
    want = {absurd: "out_of_range"} | ({tiny: "out_of_range"} if tiny else {})
    assert rejected == want
    with db.read() as s:
        m = s.get(SubscriptionMetrics, absurd)
        assert m is not None and m.outcome == "rejected" and m.problem_reason == "out_of_range"


def test_duplicates(db: Database, floor: CoreWriter, make_worker: MakeWorker) -> None:
    hour = floor.now.replace(minute=0)
    first = floor.sub(created_at=hour.replace(minute=5), stripe_sub_id="sub_A")
    same_hour = floor.sub(created_at=hour.replace(minute=55))
    next_hour = floor.sub(created_at=hour + timedelta(minutes=65))
    other_campaign = floor.sub(campaign_id=3, created_at=hour.replace(minute=6))
    stripe = floor.sub(user_id=2, stripe_sub_id="sub_A", created_at=hour + timedelta(hours=2))
    paypal_1 = floor.sub(user_id=3, paypal_sub_id="I-1", created_at=hour + timedelta(hours=3))
    paypal_2 = floor.sub(user_id=2, paypal_sub_id="I-1", created_at=hour + timedelta(hours=4))
    make_worker().catch_up()
    assert set(by_sub(db)) == {first, next_hour, other_campaign, paypal_1}
    dups = {r.subscription_id: (r.reason, r.details) for r in records(db, "duplicate")}
    assert dups == {
        same_hour: ("same_user_campaign_hour", {"of_subscription_id": first}),
        stripe: ("same_stripe_sub_id", {"of_subscription_id": first}),
        paypal_2: ("same_paypal_sub_id", {"of_subscription_id": paypal_1}),
    }
    # a duplicate in a later poll is found against the earlier batches too
    later = floor.sub(created_at=hour.replace(minute=30), updated_at=floor.now + timedelta(hours=5))
    make_worker().catch_up()
    assert later not in by_sub(db)
    assert records(db, "duplicate")[-1].subscription_id == later


def test_trials_are_recorded_with_metrics_never_queued(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    trial = floor.sub(campaign_id=65, subs_amount=Decimal("5.00"))
    make_worker().catch_up()
    assert queue(db) == []
    assert [(r.subscription_id, r.kind) for r in records(db)] == [(trial, "trial")]
    with db.read() as s:
        m = s.get(SubscriptionMetrics, trial)
        assert m is not None and m.outcome == "trial"
        assert m.revenue_usd == Decimal(5) and m.cost_usd == Decimal(20)


def test_pending_enters_when_paid_and_cancelled_never(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    pending = floor.sub(status="pending")
    cancelled = floor.sub(user_id=2, status="cancelled")
    worker = make_worker()
    worker.catch_up()
    assert queue(db) == []
    floor.set_status(pending, "paid")
    floor.set_status(cancelled, "paid")
    worker.catch_up()
    assert set(by_sub(db)) == {pending}
    assert by_sub(db)[pending].core_status == "paid"
    assert len(events(db, "queue.new")) == 1


def test_status_change_after_queueing_is_recorded_not_rewritten(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    sid = floor.sub(subs_amount=Decimal("312.50"))
    worker = make_worker()
    worker.catch_up()
    before = by_sub(db)[sid]
    floor.set_status(sid, "refunded")
    worker.catch_up()
    after = by_sub(db)[sid]
    assert after.core_status == "refunded" and after.status == "pending"
    assert (after.revenue_usd, after.margin_amount_usd) == (
        before.revenue_usd,
        before.margin_amount_usd,
    )
    changes = records(db, "status_change")
    assert [(r.subscription_id, r.details["from"], r.details["to"]) for r in changes] == [
        (sid, "paid", "refunded")
    ]
    assert len(events(db, "queue.new")) == 1
    worker.catch_up()  # nothing new: nothing recorded twice
    assert len(records(db, "status_change")) == 1


def test_first_run_looks_back_only_so_far(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    old = floor.sub(created_at=floor.now - timedelta(hours=30), updated_at=floor.now)
    recent = floor.sub(user_id=2, created_at=floor.now - timedelta(hours=20))
    make_worker().catch_up()
    assert set(by_sub(db)) == {recent}
    with db.read() as s:
        m = s.get(SubscriptionMetrics, old)
        assert m is not None and m.outcome == "skipped"


def test_dolar_is_read_at_most_hourly(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    clock = [1000.0]
    worker = make_worker(monotonic=lambda: clock[0])
    a = floor.sub(subs_amount=Decimal("3425.00"), currency="TRY")
    worker.catch_up()
    floor.dolar("68,50")
    b = floor.sub(user_id=2, subs_amount=Decimal("3425.00"), currency="TRY")
    clock[0] += 3599
    worker.catch_up()
    clock[0] += 1
    c = floor.sub(user_id=3, subs_amount=Decimal("3425.00"), currency="TRY")
    worker.catch_up()
    q = by_sub(db)
    assert [q[x].revenue_usd for x in (a, b, c)] == [Decimal(100), Decimal(100), Decimal(50)]
    assert worker.dolar.reads == 2


class Crash(BaseException):
    """A process dying mid-batch (not an ordinary error the worker would handle)."""


def test_crash_between_and_inside_batches_loses_and_doubles_nothing(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    base = floor.now - timedelta(hours=2)
    rows = [
        {
            "user_id": 1 + i % 3,
            "campaign_id": 1 + i % 3,
            "subs_amount": Decimal("100.00") + i,
            "currency": "USD",
            "status": "paid",
            "is_free": 0,
            "payment_channel": "Stripe",
            "stripe_sub_id": None,
            "paypal_sub_id": None,
            "created_at": base + timedelta(hours=i),  # no duplicates: one per hour
            "updated_at": base + timedelta(minutes=i),
        }
        for i in range(35)
    ]
    floor.subs_bulk(rows)
    worker = make_worker(batch_size=10)
    batches = [0]

    def crash_in_third(_result: object) -> None:
        batches[0] += 1
        if batches[0] == 3:
            raise Crash()

    worker.after_batch = crash_in_third
    with pytest.raises(Crash):
        worker.catch_up()
    assert len(queue(db)) == 20  # two batches committed, the third rolled back
    restarted = make_worker(batch_size=10)
    restarted.catch_up()
    restarted.catch_up()
    assert len(queue(db)) == 35
    assert len(events(db, "queue.new")) == 35
    assert count(db, SubscriptionMetrics) == 35


def test_a_failing_row_is_recorded_and_its_batch_goes_through(
    db: Database, floor: CoreWriter, make_worker: MakeWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.ingest import actions

    bad = floor.sub(user_id=1)
    good = floor.sub(user_id=2)
    real = actions._Batch.ingest

    def ingest(self: actions._Batch, row: Any) -> None:
        if row.id == bad:
            raise RuntimeError("boom")
        real(self, row)

    monkeypatch.setattr(actions._Batch, "ingest", ingest)
    make_worker().catch_up()
    assert set(by_sub(db)) == {good}
    assert [(r.subscription_id, r.reason) for r in records(db, "rejected")] == [
        (bad, "ingest_error")
    ]


def test_row_behind_the_cursor_is_still_ingested_once(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    worker = make_worker()
    first = floor.sub(updated_at=floor.now + timedelta(seconds=10))
    worker.catch_up()
    # a writer that stamped its row earlier commits only now
    late = floor.sub(user_id=2, updated_at=floor.now)
    worker.catch_up()
    worker.catch_up()
    assert set(by_sub(db)) == {first, late}
    assert len(events(db, "queue.new")) == 2


def test_late_commit_by_a_concurrent_writer(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers are serialized: ids commit in order")
    from sqlalchemy import insert

    from backend.core import tables as t

    worker = make_worker()
    slow = floor.engine.connect()
    tx = slow.begin()
    low = slow.execute(
        insert(t.subscriptions)
        .values(
            user_id=1,
            campaign_id=1,
            subs_amount=Decimal(200),
            currency="USD",
            status="paid",
            is_free=0,
            payment_channel="Stripe",
            created_at=floor.now,
            updated_at=utcnow().replace(tzinfo=None),
        )
        .returning(t.subscriptions.c.id)
    ).scalar_one()
    high = floor.sub(user_id=2, updated_at=utcnow().replace(tzinfo=None))
    assert high > low
    worker.catch_up()
    assert set(by_sub(db)) == {high}
    tx.commit()
    slow.close()
    worker.catch_up()
    worker.catch_up()
    assert set(by_sub(db)) == {low, high}
    assert len(events(db, "queue.new")) == 2


def test_two_workers_at_once_ingest_each_subscription_once(
    db: Database, floor: CoreWriter, settings: Settings
) -> None:
    base = floor.now - timedelta(hours=3)
    floor.subs_bulk(
        [
            {
                "user_id": 1 + i,
                "campaign_id": 1,
                "subs_amount": Decimal("99.99"),
                "currency": "USD",
                "status": "paid",
                "is_free": 0,
                "payment_channel": "Stripe",
                "stripe_sub_id": None,
                "paypal_sub_id": None,
                "created_at": base + timedelta(seconds=i),
                "updated_at": base + timedelta(seconds=i),
            }
            for i in range(300)
        ]
    )
    url = db.engine.url.render_as_string(hide_password=False)
    errors: list[BaseException] = []

    def run() -> None:
        own_db = database_for_url(url)
        own_core = CoreDatabase(floor.url)
        try:
            w = IngestWorker(own_db, own_core, settings, batch_size=25)
            for _ in range(30):
                w.catch_up()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own_core.dispose()
            own_db.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == []
    assert len(queue(db)) == 300
    news = events(db, "queue.new")
    assert len(news) == 300 and len({e.subscription_id for e in news}) == 300
    assert records(db) == []


@pytest.mark.slow
def test_backlog_of_ten_thousand(db: Database, floor: CoreWriter, make_worker: MakeWorker) -> None:
    base = floor.now - timedelta(hours=12)
    n = 10_000
    for start in range(0, n, 2500):
        floor.subs_bulk(
            [
                {
                    "user_id": 1 + i,
                    "campaign_id": 1 + i % 3,
                    "subs_amount": Decimal("150.00"),
                    "currency": ("USD", "TRY", "SAR")[i % 3],
                    "status": "paid",
                    "is_free": 0,
                    "payment_channel": "Stripe",
                    "stripe_sub_id": None,
                    "paypal_sub_id": None,
                    "created_at": base + timedelta(seconds=i),
                    "updated_at": base + timedelta(seconds=i),
                }
                for i in range(start, start + 2500)
            ]
        )
    worker = make_worker(batch_size=1000)
    while worker.catch_up(max_batches=100).rows:
        pass
    assert count(db, QueueItem) == n
    assert count(db, SubscriptionMetrics) == n
    with db.read() as s:
        assert s.scalar(select(func.count()).where(Event.type == "queue.new")) == n


def test_a_campaign_term_changed_between_batches_is_seen(
    db: Database, floor: CoreWriter, make_worker: MakeWorker
) -> None:
    """The cost of a campaign's terms is cached (per raw terms): when the core changes a
    campaign between two batches, the next sale is costed with the new terms."""
    worker = make_worker()
    first = floor.sub(user_id=1, campaign_id=1)
    worker.catch_up()
    c = core_tables.campaigns
    floor.exec(c.update().where(c.c.id == 1).values(lesson_duration=50, per_week=3))
    second = floor.sub(user_id=2, campaign_id=1)
    worker.catch_up()
    q = by_sub(db)
    assert q[first].cost_usd == Decimal("192.000000")  # 48 lessons × $5 × 0.8
    assert q[second].cost_usd == Decimal("576.000000")  # 72 lessons × $10 × 0.8
    floor.exec(c.update().where(c.c.id == 1).values(lesson_duration=25, per_week=2))
    third = floor.sub(user_id=3, campaign_id=1)
    worker.catch_up()
    assert by_sub(db)[third].cost_usd == Decimal("192.000000")
