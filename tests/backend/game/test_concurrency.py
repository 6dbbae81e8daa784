"""Many simultaneous claims (threads, real database) never fire a milestone twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.models import Achievement, Event, StreakState
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.game.floor import add_item, add_seller, claim

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
THREADS = 8
PER_THREAD = 3


def test_simultaneous_claims_fire_each_milestone_once(db: Database, settings: Settings) -> None:
    with db.transaction() as s:
        ayse, burak = add_seller(s, "Ayse"), add_seller(s, "Burak")
        # 24 items of $1,000: Ayse gets 16 of them, Burak 8 -> every threshold is crossed
        # by several racing transactions at once.
        items = [add_item(s, "1000", "400", at=NOW).id for _ in range(THREADS * PER_THREAD)]
    sellers = [ayse.id if i % 3 else burak.id for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for k in range(PER_THREAD):
                item = items[n * PER_THREAD + k]
                with db.transaction() as s:
                    claim(s, sellers[n], item, settings, NOW + timedelta(seconds=n * 10 + k))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    assert not any(th.is_alive() for th in threads)

    with db.read() as s:
        created = [
            e.payload
            for e in s.scalars(
                select(Event).where(Event.type == "achievement.created").order_by(Event.id)
            )
        ]
        keys = Counter((p["kind"], p["seller_id"], p["title"], p["value"]) for p in created)
        assert keys and max(keys.values()) == 1, keys
        titles = {(p["seller_id"], p["title"]) for p in created}
        a_wins = sum(PER_THREAD for n in range(THREADS) if sellers[n] == ayse.id)
        assert a_wins * 1000 >= 10000
        for title in (
            "4K Form",
            "8K Momentum",
            "10K Legend",
            "$10,000 Revenue Milestone",
            "10 Signups Milestone",
            "15 Signups Milestone",
            "Bonus Tier 1 Unlocked!",
        ):
            assert (ayse.id, title) in titles, title
        assert (burak.id, "4K Form") in titles
        team = [p for p in created if p["kind"] == "team_daily_revenue"]
        assert [p["title"] for p in team] == ["20K Day"]
        n_ach = len(s.scalars(select(Achievement)).all())
        assert n_ach == len(created)
        # the streak events count runs of the commit order, each count once per run
        streaks = [
            e.payload["count"]
            for e in s.scalars(select(Event).where(Event.type == "streak").order_by(Event.id))
        ]
        assert all(c >= 3 for c in streaks)
        state = s.get(StreakState, "floor")
        assert state is not None and state.count >= 1
