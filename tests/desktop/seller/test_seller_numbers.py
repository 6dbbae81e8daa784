"""What the seller's numbers say about a seller with nothing yet: no rank at zero wins,
and the first level-up (0 → 1) is celebrated like every other."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from winroom_desktop.state.models import Board, BoardEntry, RoomState
from winroom_desktop.state.seller import my_rank


def _board(values: list[Any]) -> RoomState:
    entries = tuple(
        BoardEntry(seller_id=i, name=f"S{i}", value=v, normalized=0.0, rank=r)
        for i, (v, r) in enumerate(zip(values, (1, 2, 2, 4, 4, 4, 4, 4, 4), strict=False), 1)
    )
    board = Board(board="wins", period="today", entries=entries)
    return RoomState(boards={board.key: board})


def test_a_seller_with_no_wins_has_no_rank() -> None:
    room = _board([5, 3, 3, 0, 0, 0, 0, 0, 0])
    assert my_rank(room, "wins", "today", 1) == (1, 3)
    assert my_rank(room, "wins", "today", 3) == (2, 3)
    assert my_rank(room, "wins", "today", 4) == (None, 3)  # not "#4 of 9" at zero
    assert my_rank(_board(["0.00", "0", None]), "wins", "today", 1) == (None, 0)
    assert my_rank(_board(["-12.50", "0.00"]), "wins", "today", 1) == (1, 1)  # a loss ranks


def _points(total: int, level: int) -> dict[str, Any]:
    payload = {"points": 10, "reason": "claim", "source": "claim", "total": total, "level": level}
    return {
        "id": 9000 + total,
        "type": "points.awarded",
        "payload": payload,
        "created_at": datetime.now(UTC).isoformat(),
    }


def test_the_first_level_up_is_celebrated(seller: Any) -> None:
    h = seller
    h.feed.snapshot({"/api/me/points": {"points": 90, "xp": 90, "level": 0}})
    assert h.controller.seller.points["level"] == 0
    assert h.window.celebrations.toast is None
    h.feed.send(_points(100, 1))
    assert h.window.celebrations.toast is not None
    assert "Level 1" in h.window.celebrations.toast.title


def _event(n: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": n, "type": type_, "payload": payload, "created_at": datetime.now(UTC).isoformat()}


def test_my_numbers_follow_the_live_events(seller: Any) -> None:
    """A claim of mine, then the boards' refresh hint: wins, sales and rank are refetched
    (once for the burst) without a period click or a new login."""
    from tests.desktop.seller.conftest import until
    from winroom_desktop.seller_app import MY_SALES, SPINS, metrics_path
    from winroom_desktop.state.seller_sample import ME
    from winroom_desktop.state.snapshot import board_path

    h = seller
    tile = h.window.numbers.tiles["wins"]
    assert tile.value.text() == "4"
    period = h.controller.seller.period
    h.api.responses[metrics_path(period)] = {"period": period, "wins": {"value": 5}}
    h.api.responses[MY_SALES] = {"claims": []}
    h.api.responses[board_path("wins", period)] = {
        "board": "wins",
        "period": period,
        "entries": [{"seller_id": ME["id"], "name": ME["name"], "value": 5, "rank": 1}],
    }
    claimed = {
        "queue_id": 77,
        "claim_id": 7007,
        "seller_id": ME["id"],
        "seller_name": ME["name"],
        "claim_type": "first_sales",
        "revenue_usd": "10.00",
    }
    h.feed.send(_event(5001, "claimed", claimed))
    for n in range(5002, 5012):
        h.feed.send(_event(n, "leaderboard:refresh", {"boards": ["wins"]}))
    h.loop.run_until_complete(until(lambda: tile.value.text() == "5"))
    (paths,) = h.api.loads  # one refetch for the burst
    assert set(paths) == {metrics_path(period), MY_SALES, SPINS, board_path("wins", period)}
    h.loop.run_until_complete(until(lambda: "#1 of 1" in h.window.numbers.ranks["wins"].text()))
    # someone else's claim refetches no numbers of mine, only the boards the hint names
    other = {**claimed, "queue_id": 78, "claim_id": 7008, "seller_id": ME["id"] + 1}
    h.feed.send(_event(5012, "claimed", other))
    h.feed.send(_event(5013, "leaderboard:refresh", {"boards": ["revenue"]}))
    h.loop.run_until_complete(until(lambda: len(h.api.loads) == 2))
    assert h.api.loads[1] == [board_path("revenue", period)]


def test_spin_and_win_spends_the_oldest_spin_and_plays_the_servers_prize(seller: Any) -> None:
    from tests.desktop.seller.conftest import until
    from winroom_desktop.seller_app import SPINS

    h = seller
    button = h.window.numbers.spin_button
    h.feed.snapshot({SPINS: {"spins": []}})
    h.controller.render_now()
    assert not button.isEnabled()  # no spin earned yet
    spins = [
        {"id": 8, "source": "challenge", "used_at": None, "prize": None},
        {"id": 5, "source": "daily_top", "used_at": None, "prize": None},
        {"id": 2, "source": "challenge", "used_at": "2026-12-07T10:00:00Z", "prize": {}},
    ]
    h.feed.snapshot({SPINS: {"spins": spins}})
    h.controller.render_now()
    assert button.isEnabled() and "(2)" in button.text()
    prize = {"code": "points_200", "label": "200 points", "points": 200}
    h.api.answers[("POST", "/api/me/spins/5")] = {"prize": prize, "draw": 0.71}
    spent = [dict(spins[1], used_at="2026-12-08T09:00:00Z", prize=prize), spins[0], spins[2]]
    h.api.responses[SPINS] = {"spins": spent}
    button.click()
    h.loop.run_until_complete(until(lambda: h.controller.spin_panel is not None))
    assert ("POST", "/api/me/spins/5", None) in h.api.requests  # the oldest unused one
    dialog = h.controller.spin_panel
    assert dialog.result.text() == "Spinning…"
    dialog.finish()
    assert dialog.landed and dialog.result.text() == "You won: 200 points"
    assert dialog.wheel.label_under_pointer() == "200 points"  # the wheel agrees
    h.loop.run_until_complete(until(lambda: "(1)" in button.text()))
    dialog.dismiss()


def test_a_spin_spent_elsewhere_says_so_and_reloads(seller: Any) -> None:
    from tests.desktop.seller.conftest import until
    from winroom_desktop.net.api import ApiError
    from winroom_desktop.seller_app import SPINS

    h = seller
    h.feed.snapshot({SPINS: {"spins": [{"id": 3, "used_at": None, "prize": None}]}})
    h.controller.render_now()
    h.api.answers[("POST", "/api/me/spins/3")] = ApiError(
        409, "spin_used", "This spin was already used."
    )
    h.api.responses[SPINS] = {"spins": [{"id": 3, "used_at": "2026-12-08T09:00:00Z"}]}
    h.window.numbers.spin_button.click()
    h.loop.run_until_complete(until(lambda: not h.window.numbers.spin_button.isEnabled()))
    assert h.controller.spin_panel is None
    assert "already used" in h.window.numbers.spin_text.text()
