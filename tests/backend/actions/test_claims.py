"""The claim action: every answer it gives (a scenario of new claims, repeats and each error),
the rows and events it writes, and what it does with objects the session holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from backend.actions import claims
from backend.actions.claims import claim_out
from backend.actions.errors import ActionError
from backend.models import Claim, Event, Installment, QueueItem
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.game.floor import add_item, add_seller

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _seed(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        a, b, c = add_seller(s, "Ada"), add_seller(s, "Bo"), add_seller(s, "Cy")
        c.is_active = False
        ids = {"a": a.id, "b": b.id, "c": c.id}
        for name, revenue, margin, jackpot in [
            ("plain", "100.50", "30.25", False),
            ("jackpot", "5000", "1200.123456", True),
            ("no_revenue", None, None, False),
            ("excluded", "80", "10", False),
            ("planned", "250", "40", False),
            ("s1", "10", "1", False),
            ("s2", "20", "2", False),
            ("s3", "30", "3", False),
        ]:
            ids[name] = add_item(s, revenue, margin, jackpot=jackpot, at=T0).id
        s.get_one(QueueItem, ids["excluded"]).status = "excluded"
        plan = Installment(queue_id=ids["planned"], total_installments=3)
        s.add(plan)
        s.flush()
        ids["plan"] = plan.id
    return ids


def _scenario(db: Database, settings: Settings) -> list[Any]:
    ids = _seed(db)
    calls: list[dict[str, Any]] = [
        {"seller": "a", "item": "plain", "key": "k1"},
        {"seller": "a", "item": "plain", "key": "k1"},  # idempotent repeat
        {"seller": "b", "item": "plain"},  # already claimed, names Ada
        {"seller": "b", "item": "jackpot", "type": "upgrade"},
        {"seller": "c", "item": "no_revenue"},  # inactive: 403
        {"seller_id": 987654, "item": "no_revenue"},  # no such seller: 403
        {"seller": "a", "queue_id": 987654},  # no such item: 404
        {"seller": "a", "item": "excluded"},  # 409 not_claimable
        {"seller": "a", "item": "planned", "plan_id": 987654},  # 404 unknown plan
        {"seller": "a", "item": "planned", "plan": True, "type": "installment"},
        {"seller": "a", "item": "no_revenue", "key": "k1"},  # k1 reused: 422, no claim
        {"seller": "b", "item": "no_revenue"},
        {"seller": "a", "item": "s1"},
        {"seller": "a", "item": "s2"},
        {"seller": "a", "item": "s3"},  # a floor streak
        {"seller": "b", "item": "s3"},
    ]
    outcomes: list[Any] = []
    for n, call in enumerate(calls):
        seller_id = call.get("seller_id") or ids[call["seller"]]
        queue_id = call.get("queue_id") or ids[call["item"]]
        plan_id = ids["plan"] if call.get("plan") else call.get("plan_id")
        try:
            with db.transaction() as s:
                result = claims.claim_item(
                    s,
                    seller_id=seller_id,
                    queue_id=queue_id,
                    claim_type=call.get("type", "first_sales"),
                    settings=settings,
                    installment_plan_id=plan_id,
                    idempotency_key=call.get("key"),
                    now=T0 + timedelta(minutes=n),
                )
                item = s.get(QueueItem, result.claim.queue_id)
                outcomes.append(("ok", result.created, claim_out(result.claim, item)))
        except ActionError as exc:
            outcomes.append(("error", exc.status, exc.code, exc.extra))
    return outcomes


def test_every_answer_of_the_claim(db: Database, settings: Settings) -> None:
    general = _scenario(db, settings)
    kinds = [o[2] if o[0] == "error" else ("created" if o[1] else "repeat") for o in general]
    assert kinds == [
        "created",
        "repeat",
        "already_claimed",
        "created",
        "forbidden",
        "forbidden",
        "not_found",
        "not_claimable",
        "unknown_installment_plan",
        "created",
        "idempotency_key_reused",
        "created",
        "created",
        "created",
        "created",
        "already_claimed",
    ]
    assert general[2][3]["claimed_by"]["name"] == "Ada"
    assert general[15][3]["claimed_by"]["name"] == "Ada"
    assert general[1][2] == general[0][2]  # the repeat: the first answer
    assert general[3][2]["claim_type"] == "upgrade" and general[3][2]["revenue_usd"] == "5000.00"
    assert general[9][2]["installment_plan_id"] is not None
    with db.read() as s:
        claimed = [c.queue_id for c in s.scalars(select(Claim).order_by(Claim.id))]
        assert len(claimed) == 7  # one per "created", nothing for an error
        assert len(set(claimed)) == 7
        types = set(s.scalars(select(Event.type)))
        excluded = s.scalars(select(QueueItem).where(QueueItem.status == "excluded")).one()
        assert excluded.id not in claimed
    assert {"claimed", "streak", "leaderboard:refresh", "achievement:earned"} <= types


def test_objects_the_session_already_holds(db: Database, settings: Settings) -> None:
    """Seller and item loaded earlier in the same session: reused, the item's status set."""
    with db.transaction() as s:
        seller = add_seller(s, "Ada")
        item = add_item(s, "12.5", "2", at=T0)
        result = claims.claim_item(
            s,
            seller_id=seller.id,
            queue_id=item.id,
            claim_type="first_sales",
            settings=settings,
            now=T0,
        )
        assert result.item is item and item.status == "claimed"
        assert result.claim.claimed_by == seller.id and result.claim.refunded is False
    with db.read() as s:
        claim = s.scalars(select(Claim)).one()
        assert (claim.queue_id, claim.claimed_by) == (item.id, seller.id)
        assert s.get_one(QueueItem, item.id).status == "claimed"
        claimed = s.scalars(select(Event).where(Event.type == "claimed")).one()
        assert claimed.payload["revenue_usd"] == "12.50"


def test_a_failed_claim_changes_nothing(db: Database, settings: Settings) -> None:
    with db.transaction() as s:
        seller_id = add_seller(s, "Ada").id
        item_id = add_item(s, "12.5", at=T0).id
    with pytest.raises(ActionError) as err, db.transaction() as s:
        claims.claim_item(
            s,
            seller_id=seller_id,
            queue_id=item_id,
            claim_type="installment",
            settings=settings,
            installment_plan_id=424242,
            now=T0,
        )
    assert err.value.code == "unknown_installment_plan"
    with db.read() as s:
        assert s.get_one(QueueItem, item_id).status == "pending"
        assert s.scalars(select(Claim)).all() == []
