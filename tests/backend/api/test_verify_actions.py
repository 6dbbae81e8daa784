"""The verify-action property (Zulip's ``test_events.py``), against the real backend: for
each action the floor can take, the events it appends — as a TV receives them — applied to
the TV's state taken before (with the reloads those events ask for) equal a fresh snapshot
taken after. A reducer that misses a change, an event that says too little or a hint that
reloads the wrong endpoint fails here, not on the wall."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.models import Event, Seller
from backend.realtime.envelopes import envelope, tv_copy
from backend.runtime import Database
from tests.backend.realtime.support import People, add_item
from winroom_desktop.state import snapshot as snap
from winroom_desktop.state.effects import Refetch, RefetchBoards, effects_for
from winroom_desktop.state.models import RoomState
from winroom_desktop.state.reducer import apply, validate_envelope

BOARDS = [(b, p) for b in ("wins", "revenue", "margin") for p in ("today", "month")]
PATHS = snap.tv_endpoints(BOARDS)


def _fetch(client: TestClient, people: People, paths: list[str]) -> dict[str, Any]:
    out = {}
    for path in paths:
        r = client.get(path, headers=people.headers("tv"))
        assert r.status_code == 200, (path, r.text)
        out[path] = r.json()
    return out


def _latest(db: Database) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.max(Event.id))) or 0)


def _tv_events(db: Database, after: int) -> list[dict[str, Any]]:
    """What a TV's socket receives after ``after``: its rooms, its masked copies."""
    with db.transaction() as s:
        rows = s.scalars(
            select(Event)
            .where(Event.id > after, Event.room.in_(("everyone", "tv-display")))
            .order_by(Event.id)
        ).all()
        hidden = {
            int(i): n
            for i, n in s.execute(select(Seller.id, Seller.name).where(Seller.hidden_from_tv))
        }
        return [tv_copy(envelope(ev), hidden) for ev in rows]


def _verify(client: TestClient, people: People, db: Database, act: Callable[[], Any]) -> None:
    before = snap.snapshot_from_http(_fetch(client, people, PATHS))
    since = _latest(db)
    act()
    state: RoomState = before
    reload: dict[str, None] = {}
    for env in _tv_events(db, since):
        validate_envelope(env)
        new = apply(state, env)
        for eff in effects_for(state, env, new):
            if isinstance(eff, RefetchBoards):
                reload.update(dict.fromkeys(p for p in PATHS if "/leaderboard/" in p))
            elif isinstance(eff, Refetch):
                reload.update(dict.fromkeys(eff.paths))
        state = new
    if reload:
        state = snap.snapshot_from_http(_fetch(client, people, list(reload)), base=state)
    fresh = snap.snapshot_from_http(_fetch(client, people, PATHS))
    assert state.queue == fresh.queue
    assert state.open_ids == fresh.open_ids
    assert state.claims == fresh.claims
    assert state.achievements == fresh.achievements
    assert state.team_goals == fresh.team_goals
    assert state.challenges == fresh.challenges
    assert state.promotions == fresh.promotions
    assert state.boards == fresh.boards


def _claim(client: TestClient, people: People, qid: int, who: str = "sales") -> int:
    r = client.post(
        "/api/claim",
        json={"queue_id": qid, "claim_type": "first_sales"},
        headers=people.headers(who),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["claim"]["id"])


@pytest.fixture
def floor(client: TestClient, people: People, db: Database) -> dict[str, int]:
    """A few pending items, three claims (one a jackpot), a team goal."""
    items = [
        add_item(db, email=f"c{i}@example.com", revenue=f"{100 + 50 * i}.00") for i in range(6)
    ]
    claims = [_claim(client, people, items[i]) for i in range(3)]
    r = client.post(
        "/api/admin/goals",
        json={
            "scope": "team",
            "title": "Bugün 5 satış",
            "period": "day",
            "target_type": "count",
            "target": 5,
        },
        headers=people.headers("admin"),
    )
    assert r.status_code == 201, r.text
    return {"item": items[3], "item2": items[4], "claim": claims[0], "claim2": claims[1]}


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


ACTIONS: dict[str, Callable[[TestClient, People, dict[str, int]], Any]] = {
    "claim": lambda c, p, f: _claim(c, p, f["item"]),
    "exclude": lambda c, p, f: _ok(
        c.post(
            f"/api/admin/queue/{f['item']}/exclude",
            json={"reason": "duplicate"},
            headers=p.headers("finance"),
        )
    ),
    "queue finance status": lambda c, p, f: _ok(
        c.patch(
            f"/api/admin/queue/{f['item']}",
            json={"finance_status": "problem"},
            headers=p.headers("finance"),
        )
    ),
    "queue customer name": lambda c, p, f: _ok(
        c.patch(
            f"/api/admin/queue/{f['item']}",
            json={"customer_name": "Zeynep Demir"},
            headers=p.headers("finance"),
        )
    ),
    "adjustment": lambda c, p, f: _ok(
        c.post(
            f"/api/admin/claims/{f['claim']}/adjustment",
            json={"reason": "commission", "amount": "12.50"},
            headers=p.headers("finance"),
        ),
        201,
    ),
    "shares": lambda c, p, f: _ok(
        c.post(
            f"/api/admin/claims/{f['claim']}/shares",
            json={
                "shares": [
                    {"seller_id": p.ids["sales"], "share": "0.6"},
                    {"seller_id": p.ids["sales_lead"], "share": "0.4"},
                ]
            },
            headers=p.headers("finance"),
        )
    ),
    "reassign": lambda c, p, f: _ok(
        c.post(
            f"/api/admin/claims/{f['claim']}/reassign",
            json={"seller_id": p.ids["sales_lead"]},
            headers=p.headers("finance"),
        )
    ),
    "refund": lambda c, p, f: _ok(
        c.post(
            f"/api/admin/claims/{f['claim']}/refund",
            json={"reason": "customer asked"},
            headers=p.headers("finance"),
        ),
        201,
    ),
    "hide a seller from the TV": lambda c, p, f: _ok(
        c.patch(
            f"/api/admin/sellers/{p.ids['sales']}",
            json={"hidden_from_tv": True},
            headers=p.headers("admin"),
        )
    ),
    "new team goal": lambda c, p, f: _ok(
        c.post(
            "/api/admin/goals",
            json={
                "scope": "team",
                "title": "Ay sonu 40 satış",
                "period": "month",
                "target_type": "count",
                "target": 40,
            },
            headers=p.headers("admin"),
        ),
        201,
    ),
    "new promotion": lambda c, p, f: _ok(
        c.post(
            "/api/admin/promotions",
            json={
                "variant": "promo",
                "title": "Double points till 18:00",
                "body": "Every claim counts twice.",
                "starts_at": "2020-01-01T00:00:00Z",
                "ends_at": "2099-01-01T00:00:00Z",
            },
            headers=p.headers("admin"),
        ),
        201,
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_events_take_the_tv_from_before_to_after(
    name: str, client: TestClient, people: People, db: Database, floor: dict[str, int]
) -> None:
    _verify(client, people, db, lambda: ACTIONS[name](client, people, floor))
