"""``GET /api/admin/overview?month=``: the month's and the previous month's totals, daily,
by seller and by campaign, equal to an independent sum over the claims — also after
refunds, adjustments and exclusions change days the overview has already read (its cache
of past days must notice), on SQLite and PostgreSQL (CONTRACT §4a)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from backend.actions import finance
from backend.game import daystats
from backend.models import Attribution, AttributionShareEntry, Claim, QueueItem
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.realtime.support import People, TestClient

URL = "/api/admin/overview"
CENT = Decimal("0.01")


@dataclass
class Sale:
    claim_id: int
    queue_id: int
    seller_id: int
    campaign: int
    revenue: Decimal
    cost: Decimal
    at: datetime
    refunded: bool = False
    refund: Decimal | None = None
    excluded: bool = False
    adjustments: Decimal = Decimal(0)


def m(v: Decimal) -> str:
    return str(v.quantize(CENT, rounding=ROUND_HALF_UP))


def _sales(db: Database, settings: Settings, sellers: list[int], rnd: random.Random) -> list[Sale]:
    """Claims over Oct and Nov 2026 (and the edges of the months in Istanbul time)."""
    start = datetime(2026, 9, 28, tzinfo=UTC)
    span = int((NOW - start).total_seconds() // 60)
    moments = [start + timedelta(minutes=rnd.randrange(span)) for _ in range(60)]
    moments += [
        datetime(2026, 10, 31, 20, 59, tzinfo=UTC),  # 23:59 in Istanbul: October
        datetime(2026, 10, 31, 21, 0, tzinfo=UTC),  # 00:00 in Istanbul: November
        datetime(2026, 9, 30, 21, 0, tzinfo=UTC),  # 1 October in Istanbul
    ]
    out = []
    with db.transaction() as s:
        for k, at in enumerate(moments):
            revenue = Decimal(rnd.randrange(1000, 400000)) / 100
            cost = (revenue * Decimal(rnd.randrange(10, 90)) / 100).quantize(CENT)
            campaign = rnd.choice([3, 5, 8])
            item = QueueItem(
                subscription_id=5000 + k,
                customer_email=f"c{k}@x.io",
                customer_name=f"C {k}",
                campaign_id=campaign,
                campaign_name=f"Campaign {campaign}",
                currency="USD",
                status="claimed",
                revenue_usd=revenue,
                cost_usd=cost,
                margin_amount_usd=revenue - cost,
                margin_percent=Decimal("0.5"),
                margin_quality="high",
                sale_created_at=at,
                created_at=at,
            )
            s.add(item)
            s.flush()
            seller = rnd.choice(sellers)
            claim = Claim(
                queue_id=item.id,
                subscription_id=item.subscription_id,
                claimed_by=seller,
                claim_type="first_sales",
                claimed_at=at,
            )
            s.add(claim)
            s.flush()
            s.add(Attribution(claim_id=claim.id, closer_seller_id=seller, updated_at=at))
            s.add(
                AttributionShareEntry(
                    claim_id=claim.id,
                    seller_id=seller,
                    share=Decimal(1),
                    revenue_usd=revenue,
                    margin_usd=revenue - cost,
                    claimed_at=at,
                )
            )
            out.append(Sale(claim.id, item.id, seller, campaign, revenue, cost, at))
        daystats.rebuild(s, settings.tz, settings.timezone, NOW)
    return out


NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def expected(sales: list[Sale], month: str, settings: Settings) -> dict[str, Any]:
    """The overview's numbers recomputed from the sales, independently of the code."""

    def in_month(sale: Sale) -> bool:
        local = sale.at.astimezone(settings.tz)
        return f"{local.year:04d}-{local.month:02d}" == month

    mine = [x for x in sales if in_month(x)]
    live = [x for x in mine if not x.refunded and not x.excluded]
    revenue = sum((x.revenue for x in live), Decimal(0))
    cost = sum((x.cost for x in live), Decimal(0))
    adjustments = sum((x.adjustments for x in live), Decimal(0))
    margin = revenue - cost - adjustments
    refunded = [x for x in mine if x.refunded and not x.excluded]
    totals = {
        "wins": len(live),
        "revenue_usd": m(revenue),
        "cost_usd": m(cost),
        "margin_amount_usd": m(margin),
        "adjustments_usd": m(adjustments),
        "refunds_usd": m(sum((x.refund or x.revenue for x in refunded), Decimal(0))),
        "refunds": len(refunded),
    }
    sellers: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    campaigns: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    daily: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for x in live:
        net = x.revenue - x.cost - x.adjustments
        for acc, key in (
            (sellers, x.seller_id),
            (daily, x.at.astimezone(settings.tz).date().isoformat()),
        ):
            row = acc[key]  # type: ignore[index]
            row[0] += 1
            row[1] += x.revenue
            row[2] += net
        c = campaigns[x.campaign]
        campaigns[x.campaign] = [c[0] + 1, c[1] + x.revenue, c[2] + x.cost, c[3] + net]
    return {
        "totals": totals,
        "by_seller": {sid: (int(w), m(r), m(n)) for sid, (w, r, n) in sellers.items()},
        "by_campaign": {cid: (int(w), m(r), m(c), m(n)) for cid, (w, r, c, n) in campaigns.items()},
        "daily": {d: (int(w), m(r), m(n)) for d, (w, r, n) in daily.items()},
    }


def check(client: TestClient, people: People, sales: list[Sale], settings: Settings) -> None:
    for month, previous in (("2026-11", "2026-10"), ("2026-10", "2026-09")):
        r = client.get(URL, params={"month": month}, headers=people.headers("finance"))
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["month"], got["previous_month"]) == (month, previous)
        want = expected(sales, month, settings)
        totals = {k: v for k, v in got["totals"].items() if k != "margin_percent"}
        assert totals == want["totals"]
        prev = {k: v for k, v in got["previous"].items() if k != "margin_percent"}
        assert prev == expected(sales, previous, settings)["totals"]
        assert {
            s["seller_id"]: (s["wins"], s["revenue_usd"], s["margin_amount_usd"])
            for s in got["by_seller"]
        } == want["by_seller"]
        margins = [Decimal(s["margin_amount_usd"]) for s in got["by_seller"]]
        assert margins == sorted(margins, reverse=True)
        assert {
            c["campaign_id"]: (c["wins"], c["revenue_usd"], c["cost_usd"], c["margin_amount_usd"])
            for c in got["by_campaign"]
        } == want["by_campaign"]
        days = {
            d["date"]: (d["wins"], d["revenue_usd"], d["margin_amount_usd"]) for d in got["daily"]
        }
        assert len(days) == (30 if month == "2026-11" else 31)
        assert {d: v for d, v in days.items() if v[0]} == want["daily"]


def test_overview_equals_an_independent_sum(
    client: TestClient, people: People, db: Database, api_settings: Settings
) -> None:
    from backend.reads import overview as ov

    rnd = random.Random(21)
    sellers = [people.ids["sales"], people.ids["sales_lead"], people.ids["admin"]]
    sales = _sales(db, api_settings, sellers, rnd)
    original = ov.utcnow
    ov.utcnow = lambda: NOW  # type: ignore[assignment]  # "today" of the month windows
    try:
        check(client, people, sales, api_settings)  # fills the cache of past days
        # finance changes days already read: every answer still equals the sum
        by_id = {x.claim_id: x for x in sales}
        for step in range(12):
            x = rnd.choice([y for y in sales if not y.refunded and not y.excluded])
            with db.transaction() as s:
                claim = s.get(Claim, x.claim_id)
                assert claim is not None
                kind = step % 3
                if kind == 0:
                    amount = Decimal(rnd.randrange(1, 5000)) / 100
                    finance.add_adjustment(
                        s, claim, amount, "commission", settings=api_settings, now=NOW
                    )
                    by_id[x.claim_id].adjustments += amount
                elif kind == 1:
                    amount = Decimal(rnd.randrange(1, 9000)) / 100 if step % 2 else None
                    finance.apply_refund(s, claim, settings=api_settings, amount=amount, now=NOW)
                    x.refunded, x.refund = True, amount
                else:
                    item = s.get(QueueItem, x.queue_id)
                    assert item is not None
                    finance.exclude_item(s, item, "duplicate", settings=api_settings, now=NOW)
                    x.excluded = True
            check(client, people, sales, api_settings)
    finally:
        ov.utcnow = original  # type: ignore[assignment]


def test_an_empty_month(client: TestClient, people: People) -> None:
    r = client.get(URL, params={"month": "2020-02"}, headers=people.headers("sales_lead"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totals"] == {
        "wins": 0,
        "revenue_usd": "0.00",
        "cost_usd": "0.00",
        "margin_amount_usd": "0.00",
        "adjustments_usd": "0.00",
        "refunds_usd": "0.00",
        "refunds": 0,
        "margin_percent": None,
    }
    assert body["previous_month"] == "2020-01" and len(body["daily"]) == 29
    assert body["by_seller"] == [] and body["by_campaign"] == []
    assert client.get(URL, headers=people.headers("admin")).status_code == 200  # this month


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-01", "0000-01", "9999-12", "x", ""])
def test_bad_months(client: TestClient, people: People, month: str) -> None:
    r = client.get(URL, params={"month": month}, headers=people.headers("finance"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] in ("invalid_request", "invalid_month")


def test_roles(client: TestClient, people: People) -> None:
    for role in ("sales", "tv"):
        assert client.get(URL, headers=people.headers(role)).status_code == 403
