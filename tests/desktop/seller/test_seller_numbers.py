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
