"""Seller window widgets offscreen: hold to claim, rollback on 409, retries, countdowns, chat."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QAbstractAnimation, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from tests.desktop.seller.conftest import until
from winroom_desktop.net.api import ApiError, ServerUnreachable
from winroom_desktop.seller_scenes import lost_race
from winroom_desktop.state.models import Challenge, RoomState
from winroom_desktop.state.seller import typing_line
from winroom_desktop.state.seller_sample import ME
from winroom_desktop.views.seller.hold_button import HOLD_MS, HoldToClaimButton
from winroom_desktop.views.seller.numbers_view import GoalsPanel
from winroom_desktop.views.seller.window import CHAT_TAB

# ----------------------------------------------------------------- hold to claim


def _hold_at(button: HoldToClaimButton, ms: int) -> None:
    """Stop the ring's clock where a hold of ``ms`` would have it (the test drives it)."""
    button._anim.pause()
    button._anim.setCurrentTime(ms)


def test_short_hold_does_not_claim_long_hold_does(qtbot: Any) -> None:
    button = HoldToClaimButton()
    qtbot.addWidget(button)
    button.resize(180, 36)
    button.show()
    fired: list[int] = []
    cancelled: list[int] = []
    button.held.connect(lambda: fired.append(1))
    button.cancelled.connect(lambda: cancelled.append(1))
    centre = QPoint(90, 18)
    QTest.mousePress(button, Qt.MouseButton.LeftButton, pos=centre)
    _hold_at(button, HOLD_MS // 2)
    assert button.holding and button.progress == 0.5
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton, pos=centre)
    # released early: the ring's clock is stopped (nothing can fire later), nothing fired
    assert button._anim.state() == QAbstractAnimation.State.Stopped
    assert fired == [] and cancelled == [1]
    assert button.progress == 0.0

    QTest.mousePress(button, Qt.MouseButton.LeftButton, pos=centre)
    _hold_at(button, HOLD_MS - 1)
    assert fired == [] and button.holding
    with qtbot.waitSignal(button.held, timeout=10_000):
        button._anim.resume()  # the last millisecond: the ring fills and it claims
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton, pos=centre)
    assert fired == [1] and cancelled == [1]


def test_space_held_on_a_focused_button_claims(qtbot: Any) -> None:
    button = HoldToClaimButton()
    qtbot.addWidget(button)
    button.show()
    button.setFocus()
    fired: list[int] = []
    button.held.connect(lambda: fired.append(1))
    QTest.keyPress(button, Qt.Key.Key_Space)
    _hold_at(button, HOLD_MS // 3)
    QTest.keyRelease(button, Qt.Key.Key_Space)
    assert button._anim.state() == QAbstractAnimation.State.Stopped
    assert fired == [] and button.progress == 0.0
    with qtbot.waitSignal(button.held, timeout=10_000):
        QTest.keyPress(button, Qt.Key.Key_Space)
    QTest.keyRelease(button, Qt.Key.Key_Space)
    assert fired == [1]


def test_busy_button_ignores_holds(qtbot: Any) -> None:
    button = HoldToClaimButton()
    qtbot.addWidget(button)
    button.set_busy(True, "Claiming…")
    button.begin_hold()
    assert not button.holding


# ----------------------------------------------------------------- claims


def first_card(h: Any) -> tuple[int, Any]:
    qid = h.controller.store.state.queue[0].id
    return qid, h.window.queue.cards[qid]


def test_claim_shows_claiming_at_once_then_claimed(seller: Any) -> None:
    h = seller
    qid, card = first_card(h)
    h.api.gate = asyncio.Event()
    card.hold.held.emit()  # the end of the hold
    assert card.hold.text == "Claiming…"  # at once, before the server answered
    assert h.controller.seller.attempts[qid].phase == "claiming"

    async def answer() -> None:
        h.api.gate.set()
        await until(lambda: h.controller.seller.attempts[qid].phase == "claimed")

    h.loop.run_until_complete(answer())
    assert card.hold.text == "Claimed ✓"
    assert "yours" in card.status.text()
    assert h.window.celebrations.toast is not None
    ((claimed_qid, ctype, plan, key),) = h.api.claims
    assert (claimed_qid, ctype, plan) == (qid, "first_sales", None) and key


def test_lost_race_rolls_back_with_the_winners_name(seller: Any) -> None:
    h = seller
    qid, card = first_card(h)
    h.api.claim_answers[qid] = lost_race("Ayşe Yılmaz", 1)
    card.hold.held.emit()
    h.loop.run_until_complete(until(lambda: h.controller.seller.attempts[qid].phase == "lost"))
    assert card.status.text() == "Ayşe Yılmaz claimed it first"
    assert h.window.celebrations.toast is None  # nothing to celebrate, no error either


def test_claimed_event_of_someone_else_settles_my_attempt(seller: Any) -> None:
    h = seller
    qid, card = first_card(h)
    h.api.gate = asyncio.Event()
    card.hold.held.emit()
    h.loop.run_until_complete(until(lambda: bool(h.api.claims)))  # in flight
    h.feed.send(
        {
            "id": 50_000,
            "type": "claimed",
            "payload": {
                "queue_id": qid,
                "claim_id": 77,
                "seller_id": 2,
                "seller_name": "Mehmet Kaya",
                "claim_type": "first_sales",
                "revenue_usd": "10.00",
            },
            "created_at": datetime.now(UTC).isoformat(),
        }
    )
    assert h.controller.seller.attempts[qid].phase == "lost"
    h.controller.render_now()
    # the item left the room's queue but my card stays with the outcome for a moment
    assert h.controller.store.state.queue_item(qid) is None
    assert h.window.queue.cards[qid].status.text() == "Mehmet Kaya claimed it first"


def test_installment_claim_sends_the_plan(seller: Any) -> None:
    h = seller
    _qid, card = first_card(h)
    card.claim_type.setCurrentIndex(card.claim_type.findData("installment"))
    card.plan.setValue(42)
    card.hold.held.emit()
    h.loop.run_until_complete(until(lambda: bool(h.api.claims)))
    assert h.api.claims[0][1:3] == ("installment", 42)


def test_unreachable_server_retries_with_the_same_key(seller: Any) -> None:
    h = seller
    qid, card = first_card(h)
    ok = {"id": 1, "queue_id": qid, "seller_id": ME["id"], "claim_type": "first_sales"}
    h.api.claim_answers[qid] = [ServerUnreachable("down"), ServerUnreachable("down"), ok]
    card.hold.held.emit()
    h.loop.run_until_complete(until(lambda: h.controller.seller.attempts[qid].phase == "claimed"))
    keys = {c[3] for c in h.api.claims}
    assert len(h.api.claims) == 3 and len(keys) == 1


def test_dead_server_reports_not_claimed(seller: Any) -> None:
    h = seller
    qid, card = first_card(h)
    h.api.claim_answers[qid] = ServerUnreachable("down")
    card.hold.held.emit()
    h.loop.run_until_complete(until(lambda: h.controller.seller.attempts[qid].phase == "failed"))
    assert card.status.text() == "Not claimed: the server could not be reached"
    assert card.hold.isEnabled()  # one can try again


def test_rate_limited_claim_is_reported(seller: Any) -> None:
    h = seller
    qid, card = first_card(h)
    h.api.claim_answers[qid] = ApiError(429, "rate_limited", "slow down", None)
    card.hold.held.emit()
    h.loop.run_until_complete(until(lambda: h.controller.seller.attempts[qid].phase == "failed"))
    assert "Too many claims" in card.status.text()


def test_reconnecting_state_is_calm(seller: Any) -> None:
    h = seller
    h.feed.go("reconnecting", datetime.now(UTC))
    assert "Reconnecting" in h.window.pill.text()


# ----------------------------------------------------------------- countdowns


def test_challenge_countdown_ticks(qtbot: Any) -> None:
    panel = GoalsPanel()
    qtbot.addWidget(panel)
    now = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)
    clock = {"now": now}
    panel.now_fn = lambda: clock["now"]
    ends = (now + timedelta(seconds=65)).isoformat()
    panel.set_state(RoomState(challenges=(Challenge(1, "Sprint", ends_at=ends, target=3),)))
    assert panel.countdown_texts() == ["⏱ 00:01:05"]
    clock["now"] = now + timedelta(seconds=1)
    panel.tick()
    assert panel.countdown_texts() == ["⏱ 00:01:04"]
    clock["now"] = now + timedelta(seconds=70)
    panel.tick()
    assert panel.countdown_texts() == ["ended"]


def test_countdown_timer_runs_by_itself(qtbot: Any) -> None:
    panel = GoalsPanel()
    qtbot.addWidget(panel)
    ticks: list[int] = []
    panel.clock.timeout.connect(lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) >= 1, timeout=3000)


# ----------------------------------------------------------------- chat


def open_chat(h: Any) -> Any:
    h.window.tabs.setCurrentIndex(CHAT_TAB)
    h.controller.render_now()
    return h.window.chat


def test_chat_moderation_feedback_keeps_the_text(seller: Any) -> None:
    h = seller
    chat = open_chat(h)
    h.api.answers[("POST", "/api/chats")] = ApiError(
        422,
        "moderated",
        "Please don't write in capitals.",
        {
            "error": {
                "code": "moderated",
                "message": "Please don't write in capitals.",
                "reason": "shouting",
            }
        },
    )
    chat.input.setText("WHO TOOK MY SALE")
    chat._send()
    h.loop.run_until_complete(until(lambda: not chat.notice.isHidden()))
    assert "capitals" in chat.notice.text()
    assert chat.input.text() == "WHO TOOK MY SALE"
    assert h.controller.seller.chat_notice.reason == "shouting"


def test_chat_mute_is_shown_with_its_end(seller: Any) -> None:
    h = seller
    chat = open_chat(h)
    until_iso = "2030-01-01T10:10:00+00:00"
    h.api.answers[("POST", "/api/chats")] = ApiError(
        429,
        "muted",
        "You are muted until 10:10 UTC.",
        {
            "error": {
                "code": "muted",
                "message": "You are muted until 10:10 UTC.",
                "reason": "muted",
                "muted_until": until_iso,
            }
        },
    )
    chat.input.setText("hello?")
    chat._send()
    h.loop.run_until_complete(until(lambda: not chat.notice.isHidden()))
    assert "muted until 10:10" in chat.notice.text()
    assert h.controller.seller.muted_until == until_iso


def test_chat_warning_after_posting_clears_the_input(seller: Any) -> None:
    h = seller
    chat = open_chat(h)
    h.api.answers[("POST", "/api/chats")] = {
        "message": {
            "id": 9001,
            "seller_id": ME["id"],
            "seller_name": ME["name"],
            "text": "see now",
            "created_at": datetime.now(UTC).isoformat(),
        },
        "warnings": [{"reason": "link", "message": "Links are removed from the team chat."}],
    }
    chat.input.setText("see https://x.example now")
    chat._send()
    h.loop.run_until_complete(until(lambda: 9001 in chat.bubbles))
    assert chat.input.text() == ""
    assert "Links are removed" in chat.notice.text()


def test_unreachable_chat_keeps_the_text(seller: Any) -> None:
    h = seller
    chat = open_chat(h)
    h.api.answers[("POST", "/api/chats")] = ServerUnreachable("down")
    chat.input.setText("still here")
    chat._send()
    h.loop.run_until_complete(until(lambda: not chat.notice.isHidden()))
    assert chat.input.text() == "still here" and "could not be reached" in chat.notice.text()


def test_chat_text_is_plain(seller: Any) -> None:
    h = seller
    open_chat(h)
    bubble = next(b for b in h.window.chat.bubbles.values() if "<b>" in b.text.text())
    assert bubble.text.textFormat() == Qt.TextFormat.PlainText
    for label in h.window.chat.findChildren(QLabel):
        if "<b>" in label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText


def test_live_chat_presence_and_typing(seller: Any) -> None:
    h = seller
    now = datetime.now(UTC).isoformat()
    h.feed.send(
        {
            "id": 60_001,
            "type": "typing",
            "created_at": now,
            "payload": {"seller_id": 4, "typing": True, "seller_name": "Can Öztürk"},
        }
    )
    assert "Can Öztürk" in typing_line(h.controller.seller)
    h.feed.send(
        {
            "id": 60_002,
            "type": "chat.message",
            "created_at": now,
            "payload": {
                "message_id": 777,
                "seller_id": 4,
                "seller_name": "Can Öztürk",
                "text": "done!",
            },
        }
    )
    h.feed.send(
        {
            "id": 60_003,
            "type": "presence.changed",
            "created_at": now,
            "payload": {"seller_id": 8, "status": "online", "seller_name": "Selin Koç"},
        }
    )
    h.controller.render_now()
    assert "Can Öztürk" not in typing_line(h.controller.seller)  # a message ends the typing
    assert h.controller.seller.people[8].status == "online"
    assert "Team chat (1)" in h.window.tabs.tabText(CHAT_TAB)
    open_chat(h)
    assert 777 in h.window.chat.bubbles
    assert h.controller.seller.unread_chat == 0  # seen


def test_typing_signals_go_to_the_server(seller: Any) -> None:
    h = seller
    h.window.chat.input.setText("h")
    h.window.chat.input.textEdited.emit("h")
    h.loop.run_until_complete(until(lambda: ("chat:typing", {"typing": True}) in h.feed.sent))
    h.window.chat.input.setText("")
    h.window.chat.input.textEdited.emit("")
    h.loop.run_until_complete(until(lambda: ("chat:typing", {"typing": False}) in h.feed.sent))


# ----------------------------------------------------------------- queue card pool


def test_a_card_that_left_is_refilled_for_the_next_sale_with_fresh_state(qtbot: Any) -> None:
    from winroom_desktop.state.models import QueueItem, Reaction
    from winroom_desktop.state.seller import CardView, ClaimAttempt
    from winroom_desktop.views.seller.queue_view import QueuePanel

    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.show()
    old = QueueItem(id=1, campaign_name="Old", finance_status="problem", margin_quality="risky")
    lost = ClaimAttempt(1, old, "first_sales", "k", phase="lost", winner_name="Ayşe")
    fire = (Reaction("🔥", 2, (ME["id"],)), Reaction("👏", 1, (99,)))
    assert panel.set_cards([CardView(old, lost, fire)], ME["id"])
    card = panel.cards[1]
    card.claim_type.setCurrentIndex(card.claim_type.findData("installment"))
    assert card.hold.text == "Taken" and not card.plan.isHidden()

    new = QueueItem(id=2, campaign_name="New", finance_status="approved")
    assert panel.set_cards([CardView(new, None, (Reaction("👏", 1, (99,)),))], ME["id"])
    assert list(panel.cards) == [2]
    again = panel.cards[2]
    assert again is card  # reused, not rebuilt
    assert again.queue_id == 2 and again.campaign.text() == "New"
    assert again.hold.text == "Hold to claim" and again.hold.isEnabled()
    assert again.status.text() == "" and again.problem.isHidden()
    assert again.claim_type.currentData() == "first_sales" and again.plan.isHidden()
    assert again.finance.text() == "Finance: approved"
    shown = [b for b in again.reactions._buttons if not b.isHidden()]
    assert [b.text() for b in shown] == ["👏 1"] and not shown[0].isChecked()

    reacted: list[tuple[str, int, str, bool]] = []
    claimed: list[tuple[int, str, object]] = []
    panel.reaction_toggled.connect(lambda *a: reacted.append(a))
    panel.claim_requested.connect(lambda *a: claimed.append(a))
    shown[0].click()
    again.hold.held.emit()
    assert reacted == [("queue", 2, "👏", True)]  # the new sale, not the one that left
    assert claimed == [(2, "first_sales", None)]


def test_a_reconnected_window_reports_its_idleness_at_once(seller: Any) -> None:
    """Connecting counts as input on the server until the window says otherwise: the app
    sends its heartbeat (idle seconds since the last input) as soon as it is connected
    again, so a person idle through a network blip stays away."""
    h = seller
    h.feed.sent.clear()
    h.feed.go("reconnecting")
    h.feed.go("connected")
    h.loop.run_until_complete(
        until(lambda: any(name == "presence:heartbeat" for name, _ in h.feed.sent))
    )
    [data] = [d for name, d in h.feed.sent if name == "presence:heartbeat"]
    assert set(data) == {"idle_seconds"} and data["idle_seconds"] >= 0


def test_the_callers_personal_goals_from_the_snapshot_are_shown(seller: Any) -> None:
    """``/api/me/goals`` belongs to the room's state (the other ``/api/me*`` answers are the
    seller's own): a snapshot with a personal goal shows it under My goals."""
    h = seller
    room = h.controller.store.state
    assert [(g.title, g.value, g.target) for g in room.personal_goals] == [
        ("My daily wins", "4", "6")
    ]
    panel = h.window.goals
    assert panel.no_personal.isHidden()
    [row] = [r for (kind, _id), r in panel._rows.items() if kind == "p"]
    assert row.amount.text().startswith("4 / 6")


def test_a_challenge_without_a_description_shows_its_progress_alone(qtbot: Any) -> None:
    panel = GoalsPanel()
    qtbot.addWidget(panel)
    panel.set_state(
        RoomState(
            challenges=(
                Challenge(1, "3 wins before 18:00", target=3, progress=2),
                Challenge(2, "Sprint", description="Close fast", target=3, progress=1),
            )
        )
    )
    texts = [r.desc.text() for (k, _), r in panel._rows.items() if k == "c"]
    assert texts == ["2 / 3", "Close fast  ·  1 / 3"]
