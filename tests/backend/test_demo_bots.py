from __future__ import annotations

import random
import threading
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from backend.db.types import utcnow
from backend.demo_bots import patience, run_bots
from backend.demo_data import SELLERS, seed_demo
from backend.models import Claim, Event, QueueItem, Seller
from backend.runtime import Database
from backend.settings import Settings


def _item(s, age: timedelta, n: int) -> QueueItem:  # type: ignore[no-untyped-def]
    now = utcnow()
    item = QueueItem(
        subscription_id=10_000 + n,
        customer_name=f"Customer {n}",
        customer_email=f"c{n}@example.com",
        campaign_name="Demo",
        revenue_usd=Decimal("500"),
        cost_usd=Decimal("200"),
        margin_amount_usd=Decimal("300"),
        margin_percent=Decimal("0.6"),
        margin_quality="high",
        sale_created_at=now - age,
        created_at=now - age,
    )
    s.add(item)
    s.flush()
    return item


def test_patience_is_stable_and_leaves_some_sales_for_people() -> None:
    assert patience(3) is None and patience(7) is None
    waits = [patience(i) for i in range(1, 200) if i % 4 != 3]
    assert all(w is not None and 8 <= w.total_seconds() <= 35 for w in waits)
    assert patience(5) == patience(5)


def test_bots_claim_old_sales_through_the_claim_action_and_never_as_the_human(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as s:
        seed_demo(s, utcnow())
        old = [_item(s, timedelta(minutes=1), n) for n in range(8)]
        fresh = _item(s, timedelta(seconds=0), 99)
        ids = [i.id for i in old]
        fresh_id = fresh.id
    left_for_people = [i for i in ids if patience(i) is None]
    stop = threading.Event()
    bot_emails = [email for email, _ in SELLERS[1:]]
    t = threading.Thread(
        target=run_bots,
        args=(db, settings, bot_emails, stop),
        kwargs={"tick": 0.05, "rng": random.Random(1)},
    )
    t.start()
    try:
        expected = len(ids) - len(left_for_people)
        for _ in range(400):
            with db.read() as s:
                if len(list(s.scalars(select(Claim.id)))) >= expected:
                    break
            stop.wait(0.05)
    finally:
        stop.set()
        t.join(10)
    with db.read() as s:
        claims = list(s.scalars(select(Claim)))
        human = s.scalar(select(Seller.id).where(Seller.email == SELLERS[0][0]))
        claimed_types = list(s.scalars(select(Event.type).where(Event.type == "claimed")))
        status = {i.id: i.status for i in s.scalars(select(QueueItem))}
    assert {c.queue_id for c in claims} == set(ids) - set(left_for_people)
    assert all(c.claimed_by != human for c in claims)
    assert len(claimed_types) == len(claims)  # each went through the claim action's events
    assert status[fresh_id] == "pending"
    assert all(status[i] == "pending" for i in left_for_people)
