"""The TV window driven by a stub feed (pytest-qt, offscreen)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel

from winroom_desktop.state.format import name_variants
from winroom_desktop.state.sample import queue_item, sample_overlay, sample_responses
from winroom_desktop.state.snapshot import board_path
from winroom_desktop.views.frameclock import now_ms

NOW = datetime.now(UTC)


def _env(i: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": i, "type": type_, "payload": payload, "created_at": datetime.now(UTC).isoformat()}


def test_snapshot_then_live_sale_and_claim(tv: Any, qtbot: Any) -> None:
    tv.feed.snapshot(sample_responses(NOW, queue_size=2))
    tv.feed.go("connected", NOW)
    assert [c.item.id for c in tv.window.queue.cards] == [101, 100]
    tv.feed.send(_env(1, "queue.new", {"item": queue_item(7, NOW, id=500)}))
    assert tv.store.state.queue[0].id == 500
    assert tv.window.queue.cards[0].item.id == 500
    assert tv.sound.played == ["notification"]
    tv.feed.send(
        _env(
            2,
            "claimed",
            {
                "queue_id": 500,
                "claim_id": 9,
                "seller_id": 3,
                "seller_name": "Elif Demir",
                "claim_type": "first_sales",
                "revenue_usd": "10.00",
            },
        )
    )
    assert tv.store.state.queue_item(500) is None
    leaving = next(c for c in tv.window.queue.cards if c.item.id == 500)
    assert leaving.claimed_by == "Elif Demir" and leaving.leave_t0 is not None
    # after the hold and the fade the card is gone
    tv.window.queue.tick(now_ms() + 5000)
    assert 500 not in [c.item.id for c in tv.window.queue.cards]
    tv.feed.send(
        _env(
            2,
            "claimed",
            {
                "queue_id": 100,
                "claim_id": 10,
                "seller_id": 3,
                "seller_name": "X",
                "claim_type": "first_sales",
                "revenue_usd": "1.00",
            },
        )
    )
    assert tv.store.state.queue_item(100) is not None  # duplicate id 2: ignored


def painted(widget: Any) -> list[str]:
    """Every string the widget (and its children) hands to QPainter.drawText when rendered —
    drawText paints plain text, so this is what the screen shows, character for character."""
    original = QPainter.drawText
    got: list[str] = []

    def recording(self: QPainter, *args: Any) -> Any:
        got.extend(a for a in args if isinstance(a, str))
        return original(self, *args)

    QPainter.drawText = recording  # type: ignore[method-assign]
    try:
        image = widget.grab().toImage()
    finally:
        QPainter.drawText = original  # type: ignore[method-assign]
    assert not image.isNull()
    return got


def shows(shown: list[str], value: str) -> bool:
    """``value`` is among the painted strings, whole or elided to fit (``…`` at the end)."""
    return any(t == value or (t.endswith("…") and value.startswith(t[:-1])) for t in shown)


def no_rich_text_labels(widget: Any) -> None:
    for label in widget.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_emails_are_masked_and_user_text_is_plain(tv: Any, qtbot: Any) -> None:
    html = "<b>Boss</b> <img src=x>"
    item = queue_item(1, NOW, id=42, customer={"email": "secret.person@corp.com", "name": html})
    tv.feed.snapshot({"/api/queue": {"items": [item]}})
    card = tv.window.queue.cards[0]
    assert card.lines()[1] == html  # shown literally, never as markup
    assert card.lines()[2] == "s•••@corp.com"
    assert "secret.person" not in " ".join(card.lines())
    shown = painted(tv.window)
    # the markup itself is painted, whole or in a shorter form of whole words ("<b>Boss</b>")
    assert any(shows(shown, v) for v in name_variants(html))
    assert [t for t in shown if t.startswith("<b>Boss</b")]
    assert "s•••@corp.com" in shown
    assert not [t for t in shown if "secret.person" in t]
    no_rich_text_labels(tv.window)


def test_seller_names_with_markup_are_painted_literally(tv: Any, qtbot: Any) -> None:
    bold, img = "<b>Ayşe</b>", "<img src=x>"
    responses = sample_responses(NOW, queue_size=1)
    board = responses[board_path("revenue", "today")]
    board["entries"][0]["name"] = bold
    board["entries"][1]["name"] = img
    responses["/api/achievements?limit=12"]["achievements"][0]["seller_name"] = img
    tv.feed.snapshot(responses)
    tv.feed.go("connected", NOW)
    tv.window.board.tick(now_ms() + 60_000)  # the count-up is over
    shown = painted(tv.window)
    on_board = painted(tv.window.board)
    # rows 1 and 2 show the markup itself (elided to the name column: "<b>Ayşe…")
    assert on_board[1:3] == ["1", on_board[2]] and on_board[2].startswith("<b>Ay")
    assert shows(on_board, bold)
    assert on_board[5].startswith("<img src=") and shows(on_board, img)
    assert img in painted(tv.window.stories)  # the achievement story, whole
    assert "Ayşe" not in shown  # never the markup's rendering
    no_rich_text_labels(tv.window)
    # a claim by such a name: the leaving card says who, literally
    tv.feed.send(
        _env(
            1,
            "claimed",
            {
                "queue_id": 100,
                "claim_id": 9,
                "seller_id": 3,
                "seller_name": bold,
                "claim_type": "first_sales",
                "revenue_usd": "10.00",
            },
        )
    )
    shown = painted(tv.window.queue)  # the mark and the name are painted side by side
    assert [t for t in shown if t.strip() == "✓ Claimed by"] and shows(shown, bold)


def test_the_key_numbers_and_labels_are_painted(tv: Any, qtbot: Any) -> None:
    tv.feed.snapshot(sample_responses(NOW, queue_size=2))
    tv.feed.go("connected", NOW)
    tv.window.board.tick(now_ms() + 60_000)
    shown = painted(tv.window)
    for label in ("LIVE QUEUE", "2 open", "REVENUE · TODAY", "TEAM GOALS", "ACHIEVEMENTS"):
        assert label in shown, label
    # the queue's amounts and customers (masked), the team goals' numbers
    for value in ("$389.00", "$1,449.28", "m•••@outlook.com", "$14.8k", "74%", "251", "63%"):
        assert value in shown, value
    assert "of 400" in shown
    # the revenue board, row by row: rank, name, value (the sample's leader: 14800.00)
    entries = sample_responses(NOW)[board_path("revenue", "today")]["entries"]
    assert (entries[0]["name"], entries[0]["value"]) == ("Ayşe Yılmaz", "14800.00")
    on_board = painted(tv.window.board)
    assert on_board[0] == "REVENUE · TODAY"
    assert on_board[1:4] == ["1", "Ayşe Yılmaz", "$14.8k"]
    assert [on_board[i] for i in range(1, len(on_board), 3)] == [str(r) for r in range(1, 9)]


def test_disconnect_shows_banner_with_last_update_and_keeps_the_screen(tv: Any, qtbot: Any) -> None:
    tv.feed.snapshot(sample_responses(NOW, queue_size=3))
    tv.feed.go("connected", NOW)
    assert not tv.window.banner.isVisibleTo(tv.window)
    last = datetime(2025, 3, 3, 14, 32).astimezone()
    tv.feed.go("reconnecting", last)
    assert tv.window.banner.isVisibleTo(tv.window)
    assert tv.window.banner.message() == "Reconnecting… last update 14:32"
    assert len(tv.window.queue.cards) == 3  # the last screen stays
    tv.feed.go("connected", NOW)
    assert not tv.window.banner.isVisibleTo(tv.window)


def test_overlays_play_one_at_a_time_in_order(tv: Any, qtbot: Any) -> None:
    layer = tv.window.overlay
    started: list[str] = []
    layer.started.connect(lambda ov: started.append(ov.kind))
    for i, kind in enumerate(("streak", "jackpot", "goal")):
        ov = sample_overlay(kind)
        layer.enqueue(type(ov)(**{**ov.__dict__, "key": f"k{i}"}))
    assert started == ["streak"] and layer.isVisibleTo(tv.window)
    layer.tick(now_ms() + 2600 + 400)
    assert started == ["streak", "jackpot"]
    layer.tick(now_ms() + 3200 + 400)
    layer.tick(now_ms() + 3200 + 400)
    assert started == ["streak", "jackpot", "goal"]
    assert [o.kind for o in layer.played] == ["streak", "jackpot", "goal"]
    assert not layer.busy and not layer.isVisibleTo(tv.window)
    assert tv.sound.played == ["streak", "jackpot", "happy"]


def test_celebration_events_queue_overlays_and_compress_a_backlog(tv: Any, qtbot: Any) -> None:
    layer = tv.window.overlay
    for i in range(1, 13):
        tv.feed.send(_env(i, "streak", {"seller_id": 1, "seller_name": "Ayşe", "count": 3 + i}))
    # the first plays at once; the eleven behind it are more than the backlog allows
    assert layer.current is not None and layer.current.kind == "streak"
    layer.tick(now_ms() + 5000)
    assert layer.current is not None and layer.current.kind == "reel"
    assert layer.current.data["count"] == 11


def test_board_rotation_reloads_the_next_board(tv: Any, qtbot: Any) -> None:
    tv.feed.snapshot(sample_responses(NOW))
    tv.feed.go("connected", NOW)
    assert tv.window.board.key == ("revenue", "today")
    with qtbot.waitSignal(tv.window.board_changed) as sig:
        tv.window.rotate_board()
    assert sig.args == ["wins", "today"]
    assert tv.window.board.key == ("wins", "today")
    assert board_path("wins", "today") in tv.feed.refreshed[-1]
    assert tv.window.board.lines()[0] == "Ayşe Yılmaz"


def test_leaderboard_refresh_event_refetches_boards(tv: Any, qtbot: Any) -> None:
    tv.feed.send(_env(1, "leaderboard:refresh", {"boards": ["margin"]}))
    assert board_path("margin", "today") in tv.feed.refreshed[-1]


def test_kiosk_keys_only_ctrl_q_quits(tv: Any, qtbot: Any) -> None:
    w = tv.window
    w.kiosk = True
    quits: list[bool] = []
    w.quit_requested.connect(lambda: quits.append(True))
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.keyClick(w, Qt.Key.Key_Q)
    assert quits == []
    assert w.close() is False  # Alt+F4 / close requests are ignored on a kiosk
    qtbot.keyClick(w, Qt.Key.Key_M)
    assert w.settings.muted and tv.sound.play("claim") is False
    qtbot.keyClick(w, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert quits == [True]


def test_journal_restores_the_last_screen(tv: Any, qtbot: Any) -> None:
    tv.feed.snapshot(sample_responses(NOW, queue_size=4))
    tv.save_journal()
    from tests.helpers.stub_feed import StubFeed
    from winroom_desktop.state.tvsettings import TvSettings
    from winroom_desktop.tv_app import TvApp
    from winroom_desktop.views.tv.window import TvWindow

    window = TvWindow(TvSettings())
    qtbot.addWidget(window)
    again = TvApp(settings=TvSettings(), feed=StubFeed(), window=window, journal=tv.journal)
    assert again.restore_journal()
    assert len(window.queue.cards) == 4
    assert window.banner.isVisibleTo(window)  # shown as "reconnecting" until live again
    window.stop_timers()


def test_layout_scales_with_the_window(tv: Any, qtbot: Any) -> None:
    tv.feed.snapshot(sample_responses(NOW))
    tv.window.show()
    qtbot.waitExposed(tv.window)
    for w, h in ((1280, 720), (1920, 1080), (3840, 2160)):
        tv.window.resize(w, h)
        qtbot.waitUntil(lambda w=w: tv.window.width() == w)
        assert tv.window.queue.x() == round(w * 0.05)  # 5 % safe margin
        assert tv.window.scale.font(28).pixelSize() == round(28 * w / 1920)
        img = tv.window.grab().toImage()
        assert (img.width(), img.height()) == (w, h)


def test_night_schedule_dims_and_wakes(tv: Any, qtbot: Any) -> None:
    w = tv.window
    w.settings.night = "00:00-23:59"
    w.check_night()
    assert w.night.mode == "dim" and w.night.isVisibleTo(w)
    w.settings.night = ""
    w.check_night()
    assert w.night.mode is None and not w.night.isVisibleTo(w)


def test_the_picture_behind_an_overlay_follows_the_connection(tv: Any, qtbot: Any) -> None:
    """An overlay that starts while the TV is still connecting shows the screen beneath as
    it is once the feed is live (the banner gone), not as it was when the overlay began."""
    layer = tv.window.overlay
    grabs: list[bool] = []
    original = layer.backdrop

    def backdrop() -> Any:
        grabs.append(tv.window.banner.isVisibleTo(tv.window))
        return original()

    layer.backdrop = backdrop
    tv.feed.go("connecting", None)
    layer.enqueue(sample_overlay("spin"))
    assert grabs == [True]  # taken with the "Connecting…" banner showing
    before = layer._composed.toImage()
    tv.feed.snapshot(sample_responses(NOW, queue_size=2))
    tv.feed.go("connected", NOW)
    assert grabs == [True, False]  # taken again without it
    assert layer._composed.toImage() != before  # and what the overlay blits is the new one
    tv.feed.go("connected", NOW)  # no change: no new grab
    assert grabs == [True, False]
    layer.tick(now_ms() + 60_000)
    layer.tick(now_ms() + 60_000)
    assert not layer.busy
    tv.feed.go("reconnecting", NOW)  # no overlay playing: nothing to grab
    assert grabs == [True, False]


def test_a_refund_marks_the_story_it_set_off(tv: Any, qtbot: Any) -> None:
    """refund.applied names the achievements its claim set off: their stories stay, marked
    "Refunded" (CONTRACT §4a), the others keep their time."""
    responses = sample_responses(NOW, queue_size=1)
    stories = responses["/api/achievements?limit=12"]["achievements"]
    first, second = stories[0]["achievement_id"], stories[1]["achievement_id"]
    tv.feed.snapshot(responses)
    tv.feed.go("connected", NOW)
    assert "Refunded" not in painted(tv.window.stories)
    tv.feed.send(
        {
            "id": 10_000,
            "type": "refund.applied",
            "payload": {
                "claim_id": 1,
                "queue_id": 1,
                "change": "refund",
                "seller_ids": [1],
                "achievement_ids": [first],
            },
            "created_at": NOW.isoformat(),
        }
    )
    marked = {a.id: a.refunded for a in tv.store.state.achievements}
    assert marked[first] is True and marked[second] is False
    assert painted(tv.window.stories).count("Refunded") == 1
