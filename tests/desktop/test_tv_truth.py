"""The TV tells one truth: the wins board agrees with the streak overlay, offline boards
are from one moment (or dated), and TVs on one machine keep their own files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from winroom_desktop.state.sample import board, sample_responses
from winroom_desktop.state.snapshot import board_path, snapshot_from_http
from winroom_desktop.state.store import Store

NOW = datetime.now(UTC)


def _env(i: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": i, "type": type_, "payload": payload, "created_at": NOW.isoformat()}


def _claimed(i: int, claim_id: int, seller_id: int, name: str) -> dict[str, Any]:
    return _env(
        i,
        "claimed",
        {
            "queue_id": 100 + claim_id,
            "claim_id": claim_id,
            "seller_id": seller_id,
            "seller_name": name,
            "claim_type": "first_sales",
            "revenue_usd": "10.00",
        },
    )


def _wins(state: Any, period: str = "today") -> dict[int, tuple[int, int]]:
    return {e.seller_id: (e.value, e.rank) for e in state.board("wins", period).entries}


def test_a_claim_counts_on_the_wins_boards_at_once() -> None:
    store = Store()
    store.load_snapshot(sample_responses(NOW))
    before = _wins(store.state)
    # seller 2 (Mehmet Kaya) is second with 8; Ayşe leads with 9
    assert before[1] == (9, 1) and before[2] == (8, 2)
    state, _ = store.apply_event(_claimed(1, 9001, 2, "Mehmet Kaya"))
    after = _wins(state)
    assert after[2] == (9, 1) and after[1] == (9, 1)  # a tie shares the rank
    assert _wins(state, "month")[2][0] == before[2][0] + 1
    top = state.board("wins", "today").entries
    assert [e.seller_id for e in top[:2]] == [1, 2]  # equal values: by name
    assert top[1].normalized == 1.0
    # the same claim again (replayed, or already in the snapshot's recent claims): no double
    state, _ = store.apply_event(_claimed(2, 9001, 2, "Mehmet Kaya"))
    assert _wins(state)[2] == (9, 1)
    # the revenue board waits for the refetch
    assert state.board("revenue", "today") == snapshot_from_http(sample_responses(NOW)).board(
        "revenue", "today"
    )
    # a seller not on the board yet appears with one win
    state, _ = store.apply_event(_claimed(3, 9002, 77, "Yeni Satıcı"))
    assert _wins(state)[77][0] == 1


def test_the_streak_overlay_shows_the_board_it_celebrates(tv: Any, qtbot: Any) -> None:
    """The overlay's picture of the screen (taken when it starts) has the new win count."""
    from winroom_desktop.views.tv.paint import recording

    w = tv.window
    while w.rotation.current != ("wins", "today"):
        w.rotate_board()
    r = sample_responses(NOW)
    tv.feed.snapshot(r)
    tv.feed.go("connected", NOW)
    assert _wins(tv.store.state)[2] == (8, 2)
    tv.feed.send(_claimed(2, 9002, 2, "Mehmet Kaya"))
    with recording() as drawn:
        tv.feed.send(_env(3, "streak", {"seller_id": 2, "seller_name": "Mehmet Kaya", "count": 9}))
        assert w.overlay.busy
    i = next(k for k, d in enumerate(drawn) if d.kind == "name" and d.value == "Mehmet Kaya")
    value = next(d for d in drawn[i:] if d.kind == "money")
    assert value.lines == ("9",)


def test_journal_keeps_when_each_board_was_fetched(tmp_path: Any) -> None:
    """Boards refreshed at different moments are restored dated, not mixed silently."""
    from datetime import timedelta

    from winroom_desktop.state.journal import Journal

    t1 = datetime(2024, 5, 6, 11, 5, tzinfo=UTC)
    t2 = t1 + timedelta(minutes=27)
    store = Store()
    store.load_snapshot(sample_responses(t1), fetched_at=t1)
    fresh = board("revenue", "today", shift=3)
    store.load_snapshot({board_path("revenue", "today"): fresh}, fetched_at=t2)
    journal = Journal(tmp_path / "j.json", server="http://x")
    journal.save(store.state)
    loaded = journal.load()
    assert loaded is not None
    state, _ = loaded
    assert state.board_as_of("revenue", "today") is None  # the newest moment
    assert state.board_as_of("revenue", "month") == t1
    assert state.board_as_of("wins", "today") == t1
    # one moment: nothing is dated
    store = Store()
    store.load_snapshot(sample_responses(t1), fetched_at=t1)
    assert all(store.state.board_as_of(*k.split("/")) is None for k in store.state.boards)


def test_boards_are_fetched_together(tv: Any, qtbot: Any) -> None:
    every = [board_path(b, p) for b, p in dict.fromkeys(tv.settings.board_playlist)]
    assert len(every) == len(set(tv.settings.board_playlist)) > 1
    tv.feed.snapshot(sample_responses(NOW))
    tv.feed.go("connected", NOW)
    tv.window.rotate_board()
    assert tv.feed.refreshed[-1] == every
    tv.feed.send(_env(1, "leaderboard:refresh", {"boards": ["wins"]}))
    assert tv.feed.refreshed[-1] == every
    tv.refresh_slow_parts()
    assert set(every) <= set(tv.feed.refreshed[-1])


def test_a_restored_board_older_than_the_rest_is_dated(tv: Any, qtbot: Any) -> None:
    from datetime import timedelta

    from winroom_desktop.state import format as fmt
    from winroom_desktop.views.tv.paint import recording

    t1 = NOW - timedelta(hours=2)
    store = Store()
    store.load_snapshot(sample_responses(t1), fetched_at=t1)
    store.load_snapshot(
        {board_path("revenue", "today"): board("revenue", "today", 2)}, fetched_at=NOW
    )
    tv.journal.save(store.state)
    assert tv.restore_journal()
    w = tv.window

    def drawn_title() -> list[str]:
        with recording() as drawn:
            w.board.grab()
        return [ln for d in drawn for ln in d.lines if ln.startswith("as of")]

    assert w.board.key == ("revenue", "today")
    assert drawn_title() == []  # the newest board: the banner's "last update" covers it
    while w.rotation.current[1] == "today":
        w.rotate_board()
    assert drawn_title() == [f"as of {fmt.hhmm(t1)}"]
    tv.feed.go("connected", NOW)
    assert drawn_title() == []


def test_each_screen_keeps_its_own_journal_and_settings(tmp_path: Any, monkeypatch: Any) -> None:
    import json

    from winroom_desktop.cli import build_parser
    from winroom_desktop.state.journal import Journal
    from winroom_desktop.tv_app import data_dir, journal_path, load_settings, settings_path

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("WINROOM_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    server = "http://10.0.0.5:8000"

    def args(*extra: str) -> Any:
        return build_parser().parse_args(["tv", "--server", server, "--token", "t", *extra])

    a0, a1, a2 = args(), args("--screen", "1"), args("--screen", "2")
    # screen 0 keeps today's paths (a one-TV machine upgrades without losing anything)
    assert settings_path(a0).name == "tv-settings.json"
    assert settings_path(args("--screen", "0")) == settings_path(a0)
    assert journal_path(data_dir(a0), server).name.startswith("tv-journal-")
    assert journal_path(data_dir(a0), server, 0) == journal_path(data_dir(a0), server)
    paths = {journal_path(data_dir(a), server, a.screen) for a in (a0, a1, a2)}
    assert len(paths) == 3 and len({settings_path(a) for a in (a0, a1, a2)}) == 3
    # two TVs' journals do not overwrite each other
    s0 = Store()
    s0.load_snapshot(sample_responses(NOW, queue_size=1))
    s1 = Store()
    s1.load_snapshot(sample_responses(NOW, queue_size=4))
    Journal(journal_path(data_dir(a0), server, 0), server=server).save(s0.state)
    Journal(journal_path(data_dir(a1), server, 1), server=server).save(s1.state)
    back0 = Journal(journal_path(data_dir(a0), server, 0), server=server).load()
    back1 = Journal(journal_path(data_dir(a1), server, 1), server=server).load()
    assert back0 is not None and back1 is not None
    assert len(back0[0].queue) == 1 and len(back1[0].queue) == 4
    # settings: screen 0's file; a screen without its own starts from it, then keeps its own
    settings_path(a0).parent.mkdir(parents=True)
    settings_path(a0).write_text(json.dumps({"volume": 0.3, "playlist": "wins/today"}))
    assert load_settings(a1).playlist == "wins/today"
    settings_path(a1).write_text(json.dumps({"volume": 0.9, "playlist": "revenue/month"}))
    assert load_settings(a1).playlist == "revenue/month"
    assert load_settings(a0).playlist == "wins/today"
    assert load_settings(a2).playlist == "wins/today"


def test_admin_hints_reload_what_they_name(tv: Any, qtbot: Any) -> None:
    """A goal, challenge or promotion made in the admin window reaches the wall at once:
    the hint events reload their endpoint (CONTRACT §5), a refund its claims and stories."""
    from winroom_desktop.state.snapshot import ACHIEVEMENTS, CHALLENGES, CLAIMS, GOALS, PROMOTIONS

    tv.feed.snapshot(sample_responses(NOW))
    tv.feed.go("connected", NOW)
    for i, (kind, want) in enumerate(
        [
            ("goals.changed", [GOALS]),
            ("challenges.changed", [CHALLENGES]),
            ("promotions.changed", [PROMOTIONS]),
        ],
        start=1,
    ):
        tv.feed.send(_env(i, kind, {"id": 7, "action": "created"}))
        assert tv.feed.refreshed[-1] == want
    refund = {"claim_id": 1, "queue_id": 1, "change": "refund", "seller_ids": [1]}
    tv.feed.send(_env(9, "refund.applied", refund))
    assert tv.feed.refreshed[-1] == [CLAIMS, ACHIEVEMENTS]
