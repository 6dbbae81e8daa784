"""The desktop state layer without Qt: reducers converge, the store de-duplicates, the
journal round-trips, overlays queue and compress, formatting is what the TV shows."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from winroom_desktop.state import format as fmt
from winroom_desktop.state.effects import CardEnter, CardLeave, RefetchBoards, Sound, effects_for
from winroom_desktop.state.journal import Journal
from winroom_desktop.state.models import RoomState, energy_level
from winroom_desktop.state.overlays import Overlay, OverlayQueue
from winroom_desktop.state.reducer import InvalidEvent, apply, apply_all, validate_envelope
from winroom_desktop.state.rotation import BoardRotation, parse_playlist
from winroom_desktop.state.sample import queue_item, sample_overlay, sample_responses
from winroom_desktop.state.snapshot import (
    ACHIEVEMENTS,
    CLAIMS,
    GOALS,
    QUEUE,
    snapshot_from_http,
    state_to_responses,
)
from winroom_desktop.state.store import Store
from winroom_desktop.state.tvsettings import TvSettings, in_window, parse_window

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class FakeRoom:
    """A tiny server model producing both CONTRACT §5 events and §4 HTTP bodies."""

    def __init__(self) -> None:
        self.queue: dict[int, dict[str, Any]] = {}
        self.claims: list[dict[str, Any]] = []
        self.goals: dict[int, dict[str, Any]] = {
            1: {
                "id": 1,
                "title": "Today",
                "period": "day",
                "target_type": "revenue",
                "target": "1000.00",
                "value": "0.00",
                "percent": 0.0,
                "completed": False,
            }
        }
        self.achievements: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self.next_item = 1
        self.clock = T0

    def _env(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.clock += timedelta(seconds=5)
        env = {
            "id": self.next_id,
            "type": type_,
            "payload": payload,
            "created_at": self.clock.isoformat(),
        }
        self.next_id += 1
        return env

    def new_sale(self) -> dict[str, Any]:
        i = self.next_item
        self.next_item += 1
        item = queue_item(i, T0, id=i)
        self.queue[i] = item
        return self._env("queue.new", {"item": item})

    def claim(self, pick: int, seller: int) -> dict[str, Any] | None:
        if not self.queue:
            return None
        qid = sorted(self.queue)[pick % len(self.queue)]
        item = self.queue.pop(qid)
        claim = {
            "id": 1000 + qid,
            "queue_id": qid,
            "seller_id": seller,
            "seller_name": f"Seller {seller}",
            "claim_type": "first_sales",
            "revenue_usd": item["revenue_usd"],
            "claimed_at": self.clock.isoformat(),
        }
        env = self._env(
            "claimed",
            {
                "queue_id": qid,
                "claim_id": claim["id"],
                "seller_id": seller,
                "seller_name": claim["seller_name"],
                "claim_type": "first_sales",
                "revenue_usd": item["revenue_usd"],
            },
        )
        claim["claimed_at"] = env["created_at"]
        self.claims.append(claim)
        return env

    def progress(self, value: int) -> dict[str, Any]:
        g = self.goals[1]
        g.update(value=f"{value}.00", percent=value / 10, completed=value >= 1000)
        return self._env(
            "goal.progress",
            {
                "goal_id": 1,
                "scope": "team",
                "value": g["value"],
                "target": g["target"],
                "percent": g["percent"],
                "completed": g["completed"],
            },
        )

    def achievement(self, seller: int) -> dict[str, Any]:
        aid = len(self.achievements) + 1
        env = self._env(
            "achievement.created",
            {
                "achievement_id": aid,
                "seller_id": seller,
                "seller_name": f"Seller {seller}",
                "kind": "badge",
                "title": f"Badge {aid}",
                "description": "d",
                "emoji": "⭐",
                "value": None,
            },
        )
        self.achievements[aid] = {
            **env["payload"],
            "created_at": env["created_at"],
            "reactions": {},
        }
        return env

    def react(self, pick: int, seller: int, emoji: str, add: bool) -> dict[str, Any] | None:
        if not self.achievements:
            return None
        aid = sorted(self.achievements)[pick % len(self.achievements)]
        who = self.achievements[aid]["reactions"].setdefault(emoji, set())
        (who.add if add else who.discard)(seller)
        return self._env(
            "emoji.added" if add else "emoji.removed",
            {"target_type": "achievement", "target_id": aid, "emoji": emoji, "seller_id": seller},
        )

    def responses(self) -> dict[str, Any]:
        achievements = []
        for a in sorted(self.achievements.values(), key=lambda a: -a["achievement_id"])[:12]:
            reactions = [
                {"emoji": e, "count": len(s), "seller_ids": sorted(s)}
                for e, s in a["reactions"].items()
                if s
            ]
            achievements.append({**a, "reactions": reactions})
        return {
            QUEUE: {"items": list(self.queue.values())},
            CLAIMS: {"claims": sorted(self.claims, key=lambda c: -c["id"])[:20]},
            GOALS: {"goals": list(self.goals.values())},
            ACHIEVEMENTS: {"achievements": achievements},
        }


def _run(room: FakeRoom, ops: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
    events = []
    for op, a, b in ops:
        env: dict[str, Any] | None
        if op == "sale":
            env = room.new_sale()
        elif op == "claim":
            env = room.claim(a, b)
        elif op == "goal":
            env = room.progress(a * 50)
        elif op == "ach":
            env = room.achievement(b)
        else:
            env = room.react(a, b, "👏🔥🎉"[a % 3], op == "react+")
        if env is not None:
            events.append(env)
    return events


def _reactions_canonical(state: RoomState) -> RoomState:
    """Reaction order is not meaningful: compare as sorted."""
    return replace(
        state,
        achievements=tuple(
            replace(a, reactions=tuple(sorted(a.reactions, key=lambda r: r.emoji)))
            for a in state.achievements
        ),
    )


OPS = st.lists(
    st.tuples(
        st.sampled_from(["sale", "sale", "claim", "goal", "ach", "react+", "react-"]),
        st.integers(0, 30),
        st.integers(1, 5),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(before=OPS, after=OPS)
def test_old_snapshot_plus_events_equals_fresh_snapshot(before: list, after: list) -> None:
    room = FakeRoom()
    _run(room, before)
    old = snapshot_from_http(room.responses())
    events = _run(room, after)
    fresh = snapshot_from_http(room.responses())
    replayed = apply_all(old, [validate_envelope(e) for e in events])
    assert _reactions_canonical(replayed) == _reactions_canonical(fresh)
    # replaying the same events again changes nothing (idempotent reducers)
    again = apply_all(replayed, [validate_envelope(e) for e in events])
    assert _reactions_canonical(again) == _reactions_canonical(fresh)


def test_store_drops_duplicates_and_invalid_events() -> None:
    room = FakeRoom()
    store = Store()
    e1, e2 = room.new_sale(), room.new_sale()
    store.apply_event(e1)
    store.apply_event(e2)
    store.apply_event(e1)  # replay overlap
    assert [i.id for i in store.state.queue] == [2, 1]
    assert store.duplicate_events == 1
    bad = {"id": 99, "type": "claimed", "payload": {"queue_id": "x"}, "created_at": "now"}
    state, effects = store.apply_event(bad)
    assert effects == [] and store.invalid_events == 1 and state.last_event_id == 2


def test_validate_envelope_rejects_renamed_fields() -> None:
    env = {
        "id": 1,
        "type": "streak",
        "payload": {"seller": 1, "count": 3},
        "created_at": T0.isoformat(),
    }
    with pytest.raises(InvalidEvent):
        validate_envelope(env)


def test_effects_of_sale_claim_and_celebrations() -> None:
    room = FakeRoom()
    s0 = snapshot_from_http({GOALS: room.responses()[GOALS]})  # knows the goal's period
    sale = validate_envelope(room.new_sale())
    s1 = apply(s0, sale)
    assert effects_for(s0, sale, s1) == [CardEnter(1), Sound("notification")]
    claim = validate_envelope(room.claim(0, 3))
    s2 = apply(s1, claim)
    assert effects_for(s1, claim, s2) == [CardLeave(1, "Seller 3"), Sound("claim")]
    assert s2.claims[0].seller_name == "Seller 3" and s2.queue == ()
    done = validate_envelope(room.progress(1000))
    s3 = apply(s2, done)
    (goal,) = effects_for(s2, done, s3)
    assert isinstance(goal, Overlay) and goal.kind == "goal" and goal.variant == "daily"
    assert goal.sound == "happy" and goal.duration_ms == 3200
    # the same goal still complete on the next progress event: no second celebration
    more = validate_envelope(room.progress(1100))
    assert effects_for(s3, more, apply(s3, more)) == []
    refresh = validate_envelope(
        {
            "id": 50,
            "type": "leaderboard:refresh",
            "payload": {"boards": ["wins"]},
            "created_at": T0.isoformat(),
        }
    )
    assert effects_for(s3, refresh, s3) == [RefetchBoards(("wins",))]


def test_streak_and_jackpot_overlays_use_the_seed_durations() -> None:
    s = RoomState()
    streak = validate_envelope(
        {
            "id": 1,
            "type": "streak",
            "created_at": T0.isoformat(),
            "payload": {"seller_id": 1, "seller_name": "Ayşe", "count": 4},
        }
    )
    (ov,) = effects_for(s, streak, s)
    assert (ov.kind, ov.title, ov.subtitle, ov.duration_ms) == ("streak", "🔥 STREAK", "Ayşe", 2600)
    jack = validate_envelope(
        {
            "id": 2,
            "type": "jackpot",
            "created_at": T0.isoformat(),
            "payload": {"queue_id": 7, "subscription_id": 1, "revenue_usd": "5120.00"},
        }
    )
    (ov,) = effects_for(s, jack, s)
    assert (ov.title, ov.subtitle, ov.duration_ms) == ("🎰 JACKPOT!", "$5,120.00", 3200)


def _ov(key: str, kind: str = "streak", at: datetime | None = None) -> Overlay:
    return Overlay(kind=kind, key=key, title=key, created_at=at or T0)


def test_overlay_queue_plays_a_burst_in_order_once() -> None:
    q = OverlayQueue(max_backlog=4)
    for k in ("a", "b", "c"):
        assert q.push(_ov(k))
    assert not q.push(_ov("b"))  # the same celebration is never queued twice
    now = T0 + timedelta(seconds=1)
    assert [q.pop_next(now).key for _ in range(3)] == ["a", "b", "c"]  # type: ignore[union-attr]
    assert q.pop_next(now) is None


def test_overlay_backlog_is_compressed_into_one_reel() -> None:
    q = OverlayQueue(max_backlog=4)
    for i in range(12):
        q.push(_ov(f"k{i}", "jackpot" if i % 3 == 0 else "streak"))
    reel = q.pop_next(T0 + timedelta(seconds=1))
    assert reel is not None and reel.kind == "reel" and reel.data["count"] == 12
    assert reel.data["lines"][-1] == "…and 6 more" and reel.sound == "jackpot"
    assert reel.duration_ms <= 6000
    assert q.pop_next(T0) is None


def test_stale_overlays_after_a_reconnect_become_a_reel_fresh_ones_play() -> None:
    q = OverlayQueue(max_backlog=10, stale_after=timedelta(seconds=90))
    q.push(_ov("old1", at=T0))
    q.push(_ov("old2", at=T0 + timedelta(seconds=5)))
    q.push(_ov("new", at=T0 + timedelta(minutes=10)))
    now = T0 + timedelta(minutes=10, seconds=1)
    first = q.pop_next(now)
    assert first is not None and first.kind == "reel" and first.data["count"] == 2
    second = q.pop_next(now)
    assert second is not None and second.key == "new"


def test_journal_round_trip_and_atomic_write(tmp_path: Path) -> None:
    state = replace(snapshot_from_http(sample_responses(T0)), last_event_id=41)
    j = Journal(tmp_path / "j.json", server="http://a")
    j.save(state, saved_at=T0)
    loaded = j.load()
    assert loaded is not None
    got, saved_at = loaded
    assert got == state and got.last_event_id == 41 and saved_at == T0
    assert list(tmp_path.iterdir()) == [tmp_path / "j.json"]  # no temp files left
    assert Journal(tmp_path / "j.json", server="http://other").load() is None
    (tmp_path / "j.json").write_text("{not json")
    assert j.load() is None


def test_the_journal_is_readable_by_its_user_only(tmp_path: Path) -> None:
    """The TV's journal (its last screen) sits in the data dir beside the backend's files:
    a directory it creates is 0700, one it finds open to others is tightened, the file 0600."""
    state = snapshot_from_http(sample_responses(T0))
    fresh = tmp_path / "new" / "winroom"
    Journal(fresh / "tv-journal-x.json").save(state)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    assert stat.S_IMODE((fresh / "tv-journal-x.json").stat().st_mode) == 0o600
    shared = tmp_path / "old"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    (shared / "tv-journal-y.json").write_text("{}")
    (shared / "tv-journal-y.json").chmod(0o644)
    Journal(shared / "tv-journal-y.json").save(state)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    assert stat.S_IMODE((shared / "tv-journal-y.json").stat().st_mode) == 0o600


def test_snapshot_round_trip() -> None:
    state = snapshot_from_http(sample_responses(T0))
    assert snapshot_from_http(json.loads(json.dumps(state_to_responses(state)))) == state
    assert len(state.queue) == 6 and state.board("revenue", "today") is not None


def test_energy_level_follows_todays_team_goal() -> None:
    state = snapshot_from_http(sample_responses(T0))
    assert energy_level(state) == pytest.approx(14820 / 20000)
    assert energy_level(RoomState()) == 0.0


def test_formatting_for_the_tv() -> None:
    assert fmt.money_card("1449.28") == "$1,449.28"
    assert fmt.money_card("-5") == "-$5.00"
    assert fmt.money_short("12400.00") == "$12.4k"
    assert fmt.money_short("950") == "$950"
    assert fmt.money_short("2500000") == "$2.5M"
    assert fmt.mask_email("ayse@gmail.com") == "a•••@gmail.com"
    assert fmt.mask_email("a•••@gmail.com") == "a•••@gmail.com"
    assert fmt.percent(0.3856) == "39%"
    assert fmt.board_value("conversion", 0.42) == "42%"
    assert fmt.board_value("wins", 12) == "12"


def test_settings_windows_and_playlist() -> None:
    night = parse_window("20:00-07:00")
    assert in_window(time(23), night) and in_window(time(6, 59), night)
    assert not in_window(time(7), night) and not in_window(time(12), night)
    assert not in_window(time(12), None)
    with pytest.raises(ValueError):
        parse_window("8-late")
    s = TvSettings(quiet_hours="12:00-13:00")
    assert s.is_quiet(time(12, 30)) and not s.is_quiet(time(14))
    assert parse_playlist("revenue/today, wins/15d") == (("revenue", "today"), ("wins", "15d"))
    with pytest.raises(ValueError):
        parse_playlist("karma/today")
    r = BoardRotation((("wins", "today"), ("revenue", "month")))
    assert r.advance() == ("revenue", "month") and r.advance() == ("wins", "today")


def test_settings_file_is_read_and_bad_values_fall_back(tmp_path: Path) -> None:
    p = tmp_path / "tv.json"
    p.write_text(json.dumps({"volume": 0.3, "night": "21:00-06:00", "night_mode": "sleep"}))
    s = TvSettings.load(p)
    assert (s.volume, s.night, s.night_mode) == (0.3, "21:00-06:00", "sleep")
    p.write_text(json.dumps({"night_mode": "explode"}))
    assert TvSettings.load(p).night_mode == "dim"


@pytest.mark.parametrize("kind", ["streak", "jackpot", "goal", "milestone", "spin", "reel"])
def test_every_sample_overlay_exists(kind: str) -> None:
    ov = sample_overlay(kind, T0)
    assert ov.kind == kind and ov.title
