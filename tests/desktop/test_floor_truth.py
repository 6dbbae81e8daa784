"""Counts and clocks the wall shows: the open count is not the card cap, and the date and
clock are the floor's (the server's ``WINROOM_TIMEZONE``), not the kiosk box's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from winroom_desktop.state import format as fmt
from winroom_desktop.state import reducer
from winroom_desktop.state.models import QUEUE_CAP, RoomState
from winroom_desktop.state.reducer import apply_all, validate_envelope
from winroom_desktop.state.sample import queue_item
from winroom_desktop.state.snapshot import (
    ME,
    QUEUE,
    snapshot_from_http,
    state_to_responses,
    tv_endpoints,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _queue(ids: list[int]) -> dict[str, Any]:
    return {"items": [queue_item(i, T0, id=i) for i in ids]}


def _env(n: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return validate_envelope(
        {"id": n, "type": type_, "payload": payload, "created_at": T0.isoformat()}
    )


def _claimed(n: int, qid: int) -> dict[str, Any]:
    payload = {
        "queue_id": qid,
        "claim_id": 10_000 + qid,
        "seller_id": 1,
        "seller_name": "Ayşe",
        "claim_type": "first_sales",
        "revenue_usd": "10.00",
    }
    return _env(n, "claimed", payload)


def test_the_open_count_is_every_pending_sale_not_the_card_cap() -> None:
    total = QUEUE_CAP + 150
    state = snapshot_from_http({QUEUE: _queue(list(range(1, total + 1)))})
    assert len(state.queue) == QUEUE_CAP and state.open_count == total
    # claims of the oldest items (never cards) and of the newest (cards) both count
    events = [_claimed(1, 1), _claimed(2, 2), _claimed(3, total)]
    events.append(_env(4, "queue.new", {"item": queue_item(total + 1, T0, id=total + 1)}))
    gone = queue_item(3, T0, id=3, status="excluded")
    events.append(_env(5, "queue.excluded", {"queue_id": 3, "item": gone, "reason": "test"}))
    state = apply_all(state, events)
    assert state.open_count == total - 4 + 1
    # the same claim again changes nothing (replay after a reconnect)
    assert apply_all(state, events[:3]).open_count == state.open_count
    # the journal keeps the count beside its capped cards
    again = snapshot_from_http(json.loads(json.dumps(state_to_responses(state))))
    assert again.open_count == state.open_count and again.queue == state.queue


OPS = st.lists(st.tuples(st.sampled_from(["sale", "claim", "exclude"]), st.integers(0, 50)))


@settings(max_examples=60, deadline=None)
@given(start=st.integers(0, 12), ops=OPS)
def test_events_keep_the_open_count_equal_to_the_servers(start: int, ops: list) -> None:
    """With a tiny card cap, the count after any events equals a fresh snapshot's."""
    with mock.patch.object(reducer, "QUEUE_CAP", 3):
        pending = list(range(1, start + 1))
        state = snapshot_from_http({QUEUE: _queue(pending)})
        next_item, events = start + 1, []
        for n, (op, pick) in enumerate(ops, 1):
            if op == "sale":
                item = queue_item(next_item, T0, id=next_item)
                events.append(_env(n, "queue.new", {"item": item}))
                pending.append(next_item)
                next_item += 1
            elif pending:
                qid = pending.pop(pick % len(pending))
                if op == "claim":
                    events.append(_claimed(n, qid))
                else:
                    item = queue_item(qid, T0, id=qid, status="excluded")
                    events.append(_env(n, "queue.excluded", {"queue_id": qid, "item": item}))
        replayed = apply_all(state, events)
        fresh = snapshot_from_http({QUEUE: _queue(pending)})
    assert replayed.open_count == fresh.open_count == len(pending)
    assert replayed.open_ids == fresh.open_ids


def test_the_tv_paints_the_uncapped_count(qtbot: Any) -> None:
    from winroom_desktop.state.tvsettings import TvSettings
    from winroom_desktop.views.tv.window import TvWindow

    window = TvWindow(TvSettings())
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    total = QUEUE_CAP + 197
    window.show_state(snapshot_from_http({QUEUE: _queue(list(range(1, total + 1)))}))
    assert window.queue.open_total == total
    assert window.queue.header_label() == f"{total} open"
    shown = min(len(window.queue.cards), window.queue.visible_capacity())
    assert window.queue.more_label(shown) == f"+{total - shown} more waiting"
    window.stop_timers()


def test_floor_time_follows_the_announced_zone() -> None:
    late = datetime(2026, 12, 7, 23, 45, tzinfo=UTC)  # a Monday in UTC, Tuesday in Istanbul
    assert fmt.floor_time(late, "Europe/Istanbul").strftime("%A %d %B %H:%M") == (
        "Tuesday 08 December 02:45"
    )
    assert fmt.hhmm(late, "Europe/Istanbul") == "02:45"
    # unknown or hostile names fall back to the machine's zone, never raise
    for bad in (None, "", "Mars/Olympus", "../../etc/passwd"):
        assert fmt.floor_time(late, bad) == late.astimezone()


def test_the_tv_loads_the_zone_and_its_clock_shows_the_floors_day(qtbot: Any) -> None:
    from winroom_desktop.state.tvsettings import TvSettings
    from winroom_desktop.views.tv.window import TvWindow

    assert ME in tv_endpoints()
    late = datetime(2026, 12, 7, 23, 45, tzinfo=UTC)
    window = TvWindow(TvSettings(), now=lambda: late)
    qtbot.addWidget(window)
    state = snapshot_from_http(
        {ME: {"user": {"role": "tv", "name": "TV"}, "floor": {"timezone": "Asia/Tokyo"}}}
    )
    assert state.timezone == "Asia/Tokyo"
    window.show_state(state)
    assert window.header.now.strftime("%A %d %B %H:%M") == "Tuesday 08 December 08:45"
    # kept across a restart by the journal
    again = snapshot_from_http(json.loads(json.dumps(state_to_responses(state))))
    assert again.timezone == "Asia/Tokyo"
    window.show_state(RoomState(timezone="Europe/Istanbul"))
    assert window.header.now.strftime("%A %H:%M") == "Tuesday 02:45"
    window.stop_timers()
