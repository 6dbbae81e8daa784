"""The seller state (plain Python): claim attempts, chat, presence, typing, numbers."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.state import seller as ss
from winroom_desktop.state.models import QueueItem, RoomState

ME = ss.Me(3, "Elif")
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def env(type_: str, payload: dict, id_: int = 1, at: datetime = NOW) -> dict:  # type: ignore[type-arg]
    return {"id": id_, "type": type_, "payload": payload, "created_at": at.isoformat()}


def test_attempt_lifecycle_and_expiry() -> None:
    s = ss.SellerState(me=ME)
    item = QueueItem(7)
    s = ss.start_claim(s, item, "first_sales", "k", now=10.0)
    assert s.attempts[7].busy and s.attempts[7].label == "Claiming…"
    assert ss.start_claim(s, item, "upgrade", "k2", now=10.1) is s  # one at a time
    s = ss.claim_retrying(s, 7)
    assert "waiting" in s.attempts[7].label
    s = ss.claim_lost(s, 7, "Ayşe", now=11.0)
    assert s.attempts[7].label == "Ayşe claimed it first"
    assert ss.claim_won(s, 7, now=11.1) is s  # settled once
    assert 7 in ss.expire_attempts(s, 13.9).attempts
    assert 7 not in ss.expire_attempts(s, 14.0).attempts
    # the card stays on screen while the attempt is shown, even after the item left
    cards = ss.queue_cards(RoomState(), s)
    assert [c.item.id for c in cards] == [7]


def test_claim_error_messages() -> None:
    assert "Too many" in ss.claim_error_message(429, "rate_limited")
    assert "no longer" in ss.claim_error_message(409, "not_claimable")
    assert "log in" in ss.claim_error_message(401, "x")
    assert "could not be reached" in ss.claim_error_message(None, None)
    assert "try again" in ss.claim_error_message(500, "x")


def test_claimed_event_settles_my_attempt_either_way() -> None:
    s = ss.start_claim(ss.SellerState(me=ME), QueueItem(7), "first_sales", "k", 1.0)
    p = {"queue_id": 7, "claim_id": 1, "claim_type": "first_sales", "revenue_usd": None}
    mine = ss.apply_seller(s, env("claimed", {**p, "seller_id": 3, "seller_name": "Elif"}), 0, 2)
    assert mine.attempts[7].phase == "claimed" and mine.attempts[7].resolved_at == 2
    other = ss.apply_seller(s, env("claimed", {**p, "seller_id": 1, "seller_name": "Ayşe"}), 0)
    assert other.attempts[7].winner_name == "Ayşe"


def test_chat_is_capped_deduplicated_and_counts_unread() -> None:
    s = ss.SellerState(me=ME)
    for i in range(55):
        p = {"message_id": i, "seller_id": 1 if i % 2 else 3, "seller_name": "X", "text": str(i)}
        s = ss.apply_seller(s, env("chat.message", p, id_=i), NOW.timestamp())
    assert len(s.chat) == 50 and s.chat[0].id == 5
    assert s.unread_chat == 27  # only the others' messages
    again = ss.apply_seller(
        s,
        env("chat.message", {"message_id": 54, "seller_id": 1, "seller_name": "X", "text": "x"}),
        0,
    )
    assert again is s


def test_typing_clears_itself_and_ignores_old_replays() -> None:
    s = ss.SellerState(me=ME, people={1: ss.Person(1, "Ayşe", "online")})
    t = NOW.timestamp()
    typing = {"seller_id": 1, "typing": True}
    s1 = ss.apply_seller(s, env("typing", typing), t)
    assert ss.typing_line(s1) == "Ayşe is typing…"
    assert ss.expire_typing(s1, t + 4.9) is s1
    assert ss.typing_line(ss.expire_typing(s1, t + 5)) == ""
    old = env("typing", typing, at=NOW - timedelta(seconds=30))
    assert ss.apply_seller(s, old, t) is s
    assert ss.apply_seller(s, env("typing", {"seller_id": 3, "typing": True}), t) is s  # me
    s2 = ss.apply_seller(s1, env("typing", {"seller_id": 1, "typing": False}), t)
    assert s2.typing == {}


def test_typing_line_for_many() -> None:
    people = {i: ss.Person(i, n) for i, n in [(1, "Ayşe"), (2, "Can"), (4, "Deniz")]}
    s = ss.SellerState(people=people, typing={1: 9e9, 2: 9e9})
    assert ss.typing_line(s) == "Ayşe and Can are typing…"
    s = ss.SellerState(people=people, typing={1: 9e9, 2: 9e9, 4: 9e9})
    assert ss.typing_line(s) == "3 people are typing…"


def test_presence_and_offline_clears_typing() -> None:
    s = ss.SellerState(typing={1: 9e9})
    s = ss.apply_seller(
        s, env("presence.changed", {"seller_id": 1, "status": "offline", "seller_name": "Ayşe"}), 0
    )
    assert s.people[1].status == "offline" and s.typing == {}


def test_emoji_on_chat_and_queue() -> None:
    s = ss.load_chat(
        ss.SellerState(),
        {
            "messages": [{"id": 5, "seller_id": 1, "seller_name": "A", "text": "hi"}],
            "muted_until": None,
        },
    )
    add = {"target_type": "chat", "target_id": 5, "emoji": "🔥", "seller_id": 2}
    s = ss.apply_seller(s, env("emoji.added", add), 0)
    assert s.chat[0].reactions[0].count == 1
    s = ss.apply_seller(s, env("emoji.removed", add), 0)
    assert s.chat[0].reactions == ()
    q = {**add, "target_type": "queue", "target_id": 9}
    s = ss.apply_seller(s, env("emoji.added", q), 0)
    assert s.queue_reactions[9][0].seller_ids == (2,)
    s = ss.apply_seller(s, env("emoji.removed", q), 0)
    assert 9 not in s.queue_reactions


def test_chat_notices() -> None:
    muted = {"error": {"code": "muted", "message": "m", "reason": "spam", "muted_until": "T"}}
    n = ss.chat_notice_from_error(429, muted)
    assert (n.kind, n.reason, n.muted_until) == ("muted", "spam", "T")
    n = ss.chat_notice_from_error(
        422, {"error": {"code": "moderated", "message": "x", "reason": "shouting"}}
    )
    assert (n.kind, n.reason) == ("rejected", "shouting")
    assert ss.chat_notice_from_error(None, None).kind == "error"
    assert ss.chat_notice_from_warnings({"warnings": []}) is None
    w = ss.chat_notice_from_warnings({"warnings": [{"reason": "link", "message": "L"}]})
    assert w is not None and w.text == "L"


def test_numbers_helpers() -> None:
    assert ss.change_text(12.5) == ("↑ 12.5%", "up")
    assert ss.change_text(-8.0) == ("↓ 8%", "down")
    assert ss.change_text(None) == ("—", "flat")
    assert ss.change_text(0.01) == ("→ 0%", "flat")
    assert ss.countdown((NOW + timedelta(days=2, seconds=3723)).isoformat(), NOW) == "2d 01:02:03"
    assert ss.countdown((NOW - timedelta(seconds=1)).isoformat(), NOW) == "ended"
    assert ss.countdown(None, NOW) == ""
    level, xp, need, frac = ss.level_progress(
        {"level": 5, "xp": 1340, "xp_for_next_level": 1470, "xp_to_next_level": 130}
    )
    assert (level, xp, need) == (5, 1340, 1470) and abs(frac - 222 / 352) < 1e-9
    assert ss.level_progress({}) == (0, 0, 0, 0.0)


def test_credentials_are_private(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "cfg" / "session.json")
    store.save("http://s/", email="e@x.io", token="secret", user={"id": 1})
    mode = stat.S_IMODE((tmp_path / "cfg" / "session.json").stat().st_mode)
    assert mode == 0o600
    assert store.get("http://s")["token"] == "secret"
    store.forget_token("http://s")
    assert store.get("http://s") == {"email": "e@x.io", "token": None, "user": None}
