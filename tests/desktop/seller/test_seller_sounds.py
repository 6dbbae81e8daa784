"""The seller app plays the seed's sounds where they belong (the TV's WAVs, not tones of
its own), one at a time, and none with "Sounds off"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from winroom_desktop.sound import NAMES, SOUNDS_DIR
from winroom_desktop.state.seller_sample import ME
from winroom_desktop.views.seller.celebration import SELLER_SOUNDS, Sounds

_n = iter(range(20_000, 30_000))


def _send(h: Any, type_: str, payload: dict[str, Any]) -> None:
    now = datetime.now(UTC).isoformat()
    h.feed.send({"id": next(_n), "type": type_, "payload": payload, "created_at": now})


def test_every_sound_the_app_asks_for_is_a_seed_sound() -> None:
    for seed in SELLER_SOUNDS.values():
        assert seed in NAMES and (SOUNDS_DIR / f"{seed}.wav").is_file()
    sounds = Sounds(enabled=False)
    for name in ("claim", "streak", "member_mission", "team_mission", "jackpot", "sale"):
        sounds.play(name)
    sounds.play("not-a-sound")
    assert sounds.played == [
        "claim",
        "streak",
        "member_mission",
        "team_mission",
        "jackpot",
        "notification",
    ]


def test_my_streak_and_my_personal_goal_have_their_own_sounds(seller: Any) -> None:
    h = seller
    sounds = Sounds(enabled=False)
    h.controller.sounds = sounds
    _send(h, "streak", {"seller_id": ME["id"], "seller_name": ME["name"], "count": 3})
    assert sounds.played[-1] == "streak"
    goal = {
        "goal_id": 9,
        "scope": "personal",
        "value": "6",
        "target": "6",
        "percent": 100.0,
        "completed": True,
        "title": "My daily wins",
    }
    _send(h, "goal.progress", goal)
    assert sounds.played[-1] == "member_mission"
    # "Sounds off" (do not disturb): the toast stays, the sound goes
    h.controller.set_dnd(True)
    before = list(sounds.played)
    _send(h, "streak", {"seller_id": ME["id"], "seller_name": ME["name"], "count": 4})
    assert sounds.played == before
