"""``POST /api/queue/manual`` goes through the money rules of an ingested sale (CONTRACT §3):
campaign from the core database, the same currency conversion, cost, margin, quality,
jackpot and the same problem reasons. On SQLite and PostgreSQL (each with its own core)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.actions.queue_manual import manual_metrics, read_campaign
from backend.core import CoreDatabase
from backend.db.types import utcnow
from backend.ingest.worker import IngestWorker
from backend.models import Event, QueueItem
from backend.rules import money
from backend.runtime import Database
from backend.server import build
from backend.settings import Settings
from tests.backend.ingest.core_fixtures import CoreWriter
from tests.backend.realtime.support import People, TestClient, make_people, make_settings
from tests.helpers.core import core_writer_next_to, postgres_core_writer

DOLAR = Decimal("34.25")
MONEY_FIELDS = (
    "revenue_usd",
    "cost_usd",
    "margin_amount_usd",
    "margin_percent",
    "margin_quality",
    "is_jackpot",
    "finance_status",
    "problem_reason",
    "campaign",
    "currency",
)


@pytest.fixture(scope="module")
def _pg_core() -> Iterator[CoreWriter]:
    with postgres_core_writer() as writer:
        yield writer


@pytest.fixture
def core_writer(
    db: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[CoreWriter]:
    """The campaigns of the ingest tests' floor and ``dolar`` = 34,25."""
    with core_writer_next_to(db, tmp_path, request, "_pg_core") as w:
        w.dolar("34,25")
        w.campaign(1, 6, 2, 25, "Genel İngilizce 6 Ay")  # cost 48 × 5 × 0.8 = 192
        w.campaign(2, 12, 3, 50, "Business 12 Ay")  # cost 144 × 10 × 0.7 = 1008
        w.campaign(3, 1, 5, 20, "Yoğun 1 Ay")  # cost 20 × 4 × 1.0 = 80
        w.campaign(4, 3, 2, 30, "Bozuk süre")  # 30 minutes: not in the price list
        w.user(1, "Ayşe Kaya", "ayse@example.com")
        yield w


@pytest.fixture
def app_settings(data_dir: Path, db: Database, core_writer: CoreWriter) -> Settings:
    return make_settings(data_dir, db, core_database_url=core_writer.url)


@pytest.fixture
def client(app_settings: Settings, db: Database) -> Iterator[TestClient]:
    c = TestClient(build(app_settings, db).api, raise_server_exceptions=False)
    yield c
    c.close()


@pytest.fixture
def people(db: Database, app_settings: Settings) -> People:
    return make_people(db, app_settings)


def manual(client: TestClient, people: People, role: str = "sales_lead", **kw: Any) -> Any:
    body: dict[str, Any] = {
        "customer_email": "mehmet@example.com",
        "customer_name": "Mehmet",
        "campaign_id": 1,
        "amount": "500.00",
        "currency": "USD",
        "note": "walk-in",
        **kw,
    }
    return client.post("/api/queue/manual", json=body, headers=people.headers(role))


def created(client: TestClient, people: People, **kw: Any) -> dict[str, Any]:
    r = manual(client, people, **kw)
    assert r.status_code == 201, r.text
    return dict(r.json()["item"])


def stored(db: Database, qid: int) -> QueueItem:
    with db.read() as s:
        item = s.get(QueueItem, qid)
        assert item is not None
        s.expunge(item)
        return item


CASES = [
    # amount, currency, campaign
    ("500.00", "USD", 1),  # 308 margin / 500: high
    ("1449.28", "USD", 2),  # 441.28 / 1449.28: healthy
    ("17125.00", "TRY", 1),  # 500 USD at 34,25
    ("4000.00", "TRY", 3),  # 116.79 USD: margin 31 %
    ("375.00", "SAR", 3),  # 100 USD: 20 %: watch
    ("1000.00", "usd", 2),  # below cost: risky
    ("0.00", "USD", 1),  # no revenue: no margin %
    ("60000.00", "TRY", 2),  # a jackpot (≥ 40 000 TRY)
]


@pytest.mark.parametrize(("amount", "currency", "campaign"), CASES)
def test_a_manual_entry_has_the_money_of_the_same_ingested_sale(
    client: TestClient,
    people: People,
    db: Database,
    core_writer: CoreWriter,
    app_settings: Settings,
    amount: str,
    currency: str,
    campaign: int,
) -> None:
    item = created(client, people, amount=amount, currency=currency, campaign_id=campaign)
    # the same sale through the ingest worker
    core_writer.sub(user_id=1, campaign_id=campaign, subs_amount=Decimal(amount), currency=currency)
    core = CoreDatabase(core_writer.url)
    try:
        IngestWorker(db, core, app_settings).poll_once()
    finally:
        core.dispose()
    queue = client.get("/api/queue", headers=people.headers("sales")).json()["items"]
    ingested = next(i for i in queue if i["source"] == "core")
    assert {k: item[k] for k in MONEY_FIELDS} == {k: ingested[k] for k in MONEY_FIELDS}
    assert item["source"] == "manual" and item["note"] == "walk-in"
    # stored exactly as the ingested row (six decimals), and as the rules compute it
    a, b = stored(db, item["id"]), stored(db, ingested["id"])
    for col in ("revenue_usd", "cost_usd", "margin_amount_usd", "margin_percent"):
        assert getattr(a, col) == getattr(b, col), col
    rates = money.Rates(DOLAR, app_settings.sar_per_usd)
    revenue = money.to_usd(Decimal(amount), currency, rates)
    cost = money.cost_usd(core_writer_terms(core_writer, campaign))
    assert item["revenue_usd"] == _money(revenue)
    assert item["cost_usd"] == _money(cost)
    assert item["margin_amount_usd"] == _money(revenue - cost)
    percent = money.margin_percent(revenue, cost)
    assert item["margin_quality"] == money.margin_quality(percent)
    assert item["finance_status"] == "waiting" and item["problem_reason"] is None
    assert item["campaign"]["id"] == campaign and item["campaign"]["name"]


def core_writer_terms(w: CoreWriter, cid: int) -> money.CampaignTerms:
    core = CoreDatabase(w.url)
    try:
        c = core.campaigns([cid])[cid]
    finally:
        core.dispose()
    return money.CampaignTerms(c.campaign_length, c.per_week, c.lesson_duration)


def _money(value: Decimal) -> str:
    from backend.schemas.common import money as money_str

    out = money_str(value)
    assert out is not None
    return out


def test_known_figures(client: TestClient, people: People) -> None:
    item = created(client, people, amount="1449.28", campaign_id=2)
    assert (item["revenue_usd"], item["cost_usd"], item["margin_amount_usd"]) == (
        "1449.28",
        "1008.00",
        "441.28",
    )
    assert item["margin_percent"] == pytest.approx(0.3045, abs=1e-4)
    assert item["margin_quality"] == "healthy" and item["is_jackpot"] is True  # ≥ 1167.88
    assert item["campaign"] == {"id": 2, "name": "Business 12 Ay"}
    try_item = created(client, people, amount="17125", currency="try", campaign_id=1)
    assert try_item["revenue_usd"] == "500.00" and try_item["currency"] == "TRY"
    assert try_item["margin_amount_usd"] == "308.00" and try_item["margin_quality"] == "high"


@pytest.mark.parametrize("campaign_id", [999, 4, None])
def test_an_unknown_campaign_is_a_problem(
    client: TestClient, people: People, campaign_id: int | None
) -> None:
    item = created(client, people, campaign_id=campaign_id)
    assert item["finance_status"] == "problem"
    assert item["problem_reason"] == "unknown_campaign"
    assert item["revenue_usd"] == "500.00"
    assert item["cost_usd"] is None and item["margin_amount_usd"] is None
    assert item["margin_percent"] is None and item["margin_quality"] == "unknown"
    assert item["campaign"]["id"] == campaign_id


def test_an_unknown_currency_and_a_missing_rate_are_problems(
    client: TestClient, people: People, core_writer: CoreWriter
) -> None:
    eur = created(client, people, currency="EUR")
    assert (eur["finance_status"], eur["problem_reason"]) == ("problem", "unknown_currency")
    assert eur["revenue_usd"] is None and eur["margin_amount_usd"] is None
    assert eur["cost_usd"] == "192.00"  # the campaign is known
    assert eur["currency"] == "EUR" and eur["is_jackpot"] is False
    # a revenue problem is reported before a campaign problem, as for an ingested row
    both = created(client, people, currency="XYZ", campaign_id=999)
    assert both["problem_reason"] == "unknown_currency"


def test_a_missing_dolar_rate_is_a_problem(
    data_dir: Path, db: Database, core_writer: CoreWriter
) -> None:
    core_writer.dolar(None)  # before the app reads (and caches) it
    settings = make_settings(data_dir, db, core_database_url=core_writer.url)
    people = make_people(db, settings)
    with TestClient(build(settings, db).api, raise_server_exceptions=False) as client:
        item = created(client, people, amount="100000", currency="TRY")
        assert (item["finance_status"], item["problem_reason"]) == ("problem", "missing_rate")
        assert item["revenue_usd"] is None and item["is_jackpot"] is False
        usd = created(client, people, amount="9000", currency="USD")
        # no rate: the TRY jackpot threshold is unknown, so no jackpot (as when ingesting)
        assert usd["problem_reason"] is None and usd["is_jackpot"] is False


def test_a_big_try_amount_is_a_jackpot_with_its_event(
    client: TestClient, people: People, db: Database, app_settings: Settings
) -> None:
    threshold = app_settings.jackpot_threshold_try  # 40 000 TRY
    item = created(client, people, amount=str(threshold + 10000), currency="TRY", campaign_id=2)
    assert item["is_jackpot"] is True and item["finance_status"] == "waiting"
    exact = created(client, people, amount=str(threshold), currency="TRY", campaign_id=2)
    assert exact["is_jackpot"] is True  # ≥ the threshold
    below = created(client, people, amount=str(threshold - Decimal("0.01")), currency="TRY")
    assert below["is_jackpot"] is False
    usd = created(client, people, amount="1200.00", currency="USD")  # 41 100 TRY
    assert usd["is_jackpot"] is True
    gift = created(
        client, people, amount="90000", currency="TRY", campaign_id=2, payment_channel="Hediye"
    )
    assert gift["is_jackpot"] is False and gift["payment_channel"] == "Hediye"
    paid = created(client, people, amount="90000", currency="TRY", payment_channel="Stripe")
    assert paid["is_jackpot"] is True and paid["payment_channel"] == "Stripe"
    with db.read() as s:
        jackpots = list(s.scalars(select(Event).where(Event.type == "jackpot").order_by(Event.id)))
    assert [e.payload["queue_id"] for e in jackpots] == [
        item["id"],
        exact["id"],
        usd["id"],
        paid["id"],
    ]
    assert jackpots[0].payload["campaign_name"] == "Business 12 Ay"
    assert jackpots[0].payload["subscription_id"] is None
    assert jackpots[0].payload["revenue_usd"] == item["revenue_usd"]
    assert stored(db, item["id"]).is_jackpot is True


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@", "@example.com", "a b@example.com", "ayse@@example.com"]
)
def test_a_bad_customer_email_is_422_with_the_envelope(
    client: TestClient, people: People, db: Database, email: str
) -> None:
    r = manual(client, people, customer_email=email)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and "customer_email" in err["message"]
    with db.read() as s:
        assert s.scalar(select(QueueItem.id)) is None


def test_the_email_is_kept_normalized(client: TestClient, people: People) -> None:
    item = created(client, people, customer_email="  Mehmet.Yilmaz@Example.COM ")
    assert item["customer"]["email"] == "mehmet.yilmaz@example.com"


@pytest.mark.parametrize(
    "extra",
    [
        {"surprise": 1},
        {"campaign_id": 2**62 + 1},
        {"campaign_id": 0},
        {"payment_channel": "x" * 41},
        {"payment_channel": 5},
    ],
)
def test_bad_fields_stay_422(client: TestClient, people: People, extra: dict[str, Any]) -> None:
    r = manual(client, people, **extra)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_an_unreadable_core_database_makes_an_unknown_campaign(
    data_dir: Path, db: Database, tmp_path: Path
) -> None:
    """No core tables yet (or the core is down): queued as a problem, never a 500."""
    empty = f"sqlite:///{tmp_path / 'empty-core.db'}"
    assert read_campaign(empty, 1) is None
    settings = make_settings(data_dir, db, core_database_url=empty)
    people = make_people(db, settings)
    with TestClient(build(settings, db).api, raise_server_exceptions=False) as client:
        item = created(client, people, campaign_id=1)
    assert (item["finance_status"], item["problem_reason"]) == ("problem", "unknown_campaign")
    assert item["revenue_usd"] == "500.00"


def test_manual_metrics_is_compute_metrics_of_a_paid_sale(core_writer: CoreWriter) -> None:
    core = CoreDatabase(core_writer.url)
    try:
        campaign = core.campaigns([2])[2]
    finally:
        core.dispose()
    assert read_campaign(core_writer.url, 2) == campaign
    assert read_campaign(core_writer.url, None) is None
    rates = money.Rates(DOLAR, Decimal("3.75"))
    now = utcnow()
    got = manual_metrics(
        amount=Decimal("50000"),
        currency="TRY",
        campaign=campaign,
        rates=rates,
        threshold_try=Decimal("40000"),
        payment_channel=None,
        sale_created_at=now,
    )
    want = money.compute_metrics(
        subs_amount=Decimal("50000"),
        currency="TRY",
        payment_infos=[],
        campaign=money.CampaignTerms(12, 3, 50),
        rates=rates,
        threshold_try=Decimal("40000"),
        is_free=0,
        payment_channel="Stripe",
        status="paid",
        sale_created_at=now,
        user_created_at=None,
    )
    assert got == want
    assert got.revenue_usd == Decimal("50000") / DOLAR  # exact, not rounded
    assert got.is_jackpot is True and got.tts_days is None


def nothing_written(db: Database) -> bool:
    with db.read() as s:
        return s.scalar(select(QueueItem.id)) is None and s.scalar(select(Event.id)) is None


@pytest.mark.parametrize("amount", ["1e-30", "0.001", "19.999", "1E-7", 0.30000000000000004])
def test_fractions_of_a_cent_are_422_with_the_envelope(
    client: TestClient, people: People, db: Database, amount: object
) -> None:
    """Money is NUMERIC(12,2) in the core database: ``"1e-30"`` was a 500 (its margin % of
    −1.9 × 10^32 overflowed the storage); now refused, and nothing is written."""
    r = manual(client, people, amount=amount)
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error"}
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and "amount" in err["message"]
    assert "2 decimal places" in err["message"]
    assert nothing_written(db)


@pytest.mark.parametrize(
    ("amount", "revenue"),
    [("0.01", "0.01"), ("12.5", "12.50"), ("1.500", "1.50"), ("1E+2", "100.00"), (7, "7.00")],
)
def test_amounts_to_the_cent_are_taken(
    client: TestClient, people: People, amount: object, revenue: str
) -> None:
    assert created(client, people, amount=amount)["revenue_usd"] == revenue


def test_the_action_refuses_fractions_of_a_cent_too(db: Database, app_settings: Settings) -> None:
    from backend.actions.errors import ActionError
    from backend.actions.queue_manual import add_manual_item

    with pytest.raises(ActionError) as err, db.transaction() as s:
        add_manual_item(
            s,
            created_by=1,
            customer_email="a@example.com",
            customer_name="A",
            campaign_id=1,
            amount=Decimal("1e-30"),
            currency="USD",
            note=None,
            settings=app_settings,
            try_per_usd=DOLAR,
        )
    assert (err.value.status, err.value.code) == (422, "invalid_amount")
    assert nothing_written(db)


def test_figures_beyond_storage_are_refused_as_the_worker_rejects_them(
    client: TestClient,
    people: People,
    db: Database,
    core_writer: CoreWriter,
    app_settings: Settings,
) -> None:
    """A cent against a cost of 6.72 × 10^11 USD: margin % −6.72 × 10^13, beyond what the
    storage (integer millionths, 64 bits) holds. The worker rejects that sale
    (``out_of_range``, never queued); a manual entry of it is a 422, never a 500."""
    core_writer.campaign(5, 12, 2_000_000_000, 50, "Absurd terms")
    r = manual(client, people, amount="0.01", campaign_id=5)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "out_of_range"
    assert nothing_written(db)
    # the same sale through the ingest worker
    sid = core_writer.sub(user_id=1, campaign_id=5, subs_amount=Decimal("0.01"), currency="USD")
    core = CoreDatabase(core_writer.url)
    try:
        IngestWorker(db, core, app_settings).poll_once()
    finally:
        core.dispose()
    from backend.models import IngestRecord

    with db.read() as s:
        assert s.scalar(select(QueueItem.id)) is None
        recs = [(r.subscription_id, r.kind, r.reason) for r in s.scalars(select(IngestRecord))]
    assert recs == [(sid, "rejected", "out_of_range")]
    # a sale of the same campaign whose figures fit is queued as usual
    item = created(client, people, amount="9000000", campaign_id=5)
    assert item["margin_quality"] == "risky" and item["margin_percent"] is not None


def test_a_trial_campaign_is_refused_and_nothing_written(
    client: TestClient, people: People, db: Database, core_writer: CoreWriter
) -> None:
    """CONTRACT §3: trial campaigns (``WINROOM_TRIAL_CAMPAIGN_IDS``, default 65) never enter
    the queue, by hand neither."""
    core_writer.campaign(65, 1, 1, 25, "Deneme Dersi")
    for role in ("sales_lead", "admin"):
        r = manual(client, people, role=role, campaign_id=65)
        assert r.status_code == 422, r.text
        assert set(r.json()) == {"error"}
        assert r.json()["error"]["code"] == "trial_campaign"
        assert "65" in r.json()["error"]["message"]
    assert nothing_written(db)


def test_the_trial_list_comes_from_the_settings(
    data_dir: Path, db: Database, core_writer: CoreWriter
) -> None:
    settings = make_settings(
        data_dir, db, core_database_url=core_writer.url, trial_campaign_ids="3,7"
    )
    people = make_people(db, settings)
    with TestClient(build(settings, db).api, raise_server_exceptions=False) as client:
        for cid in (3, 7):
            r = manual(client, people, campaign_id=cid)
            assert r.status_code == 422 and r.json()["error"]["code"] == "trial_campaign"
        assert nothing_written(db)
        core_writer.campaign(65, 1, 1, 25, "Not a trial here")
        assert created(client, people, campaign_id=65)["campaign"]["id"] == 65
