"""Presence and typing rules (pure): online/away/offline and typing expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.social.presence import PresenceBook, PresenceChange, TypingChange

T0 = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_connect_is_online_and_disconnect_offline() -> None:
    book = PresenceBook()
    assert book.status(1, T0) == "offline"
    assert book.connect(1, "Ayşe", "s1", T0) == [PresenceChange(1, "Ayşe", "online")]
    assert book.status(1, T0) == "online"
    assert book.disconnect("s1", at(1)) == [PresenceChange(1, "Ayşe", "offline")]
    assert book.snapshot(at(1)) == {1: "offline"}


def test_two_windows_stay_online_until_the_last_one_goes() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    assert book.connect(1, "Ayşe", "s2", at(1)) == []
    assert book.disconnect("s1", at(2)) == []
    assert book.disconnect("s2", at(3)) == [PresenceChange(1, "Ayşe", "offline")]


def test_unknown_sockets_are_ignored() -> None:
    book = PresenceBook()
    assert book.disconnect("nope", T0) == []
    assert book.heartbeat("nope", 0, T0) == []
    assert book.typing("nope", True, T0) == []


def test_away_after_five_minutes_without_input_and_back_on_input() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    # heartbeat at 4:59 says the last input was at the start: still online
    assert book.heartbeat("s1", 299, at(299)) == []
    assert book.heartbeat("s1", 300, at(300)) == [PresenceChange(1, "Ayşe", "away")]
    assert book.heartbeat("s1", 10_000, at(330)) == []
    assert book.heartbeat("s1", 1, at(331)) == [PresenceChange(1, "Ayşe", "online")]


def test_a_windows_idle_report_is_its_truth_even_just_after_connecting() -> None:
    """A window that reports 400 s without input is away at once (it reconnected, or its
    person walked away before it did): the report may put the last input before the
    connection. A person is online while any of their windows had input lately."""
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    assert book.heartbeat("s1", 400, at(5)) == [PresenceChange(1, "Ayşe", "away")]
    assert book.status(1, at(5)) == "away"
    # a second window, in use: online again; its own idleness later makes her away again
    assert book.connect(1, "Ayşe", "s2", at(10)) == [PresenceChange(1, "Ayşe", "online")]
    assert book.heartbeat("s1", 500, at(20)) == []
    assert book.heartbeat("s2", 301, at(311)) == [PresenceChange(1, "Ayşe", "away")]
    # the idle window closes: the one left decides
    assert book.disconnect("s2", at(312)) == []
    assert book.typing("s1", True, at(313)) == [
        PresenceChange(1, "Ayşe", "online"),
        TypingChange(1, "Ayşe", True),
    ]


def test_sweep_notices_idleness_without_a_heartbeat() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    book.connect(2, "Mehmet", "s2", at(200))
    assert book.sweep(at(299)) == []
    assert book.sweep(at(300)) == [PresenceChange(1, "Ayşe", "away")]
    assert book.sweep(at(500)) == [PresenceChange(2, "Mehmet", "away")]


def test_reconnecting_after_being_offline_counts_as_input() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    book.disconnect("s1", at(10))
    assert book.connect(1, "Ayşe", "s2", at(1000)) == [PresenceChange(1, "Ayşe", "online")]


def test_typing_clears_itself_after_five_seconds() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    assert book.typing("s1", True, at(1)) == [TypingChange(1, "Ayşe", True)]
    assert book.typing_now(at(2)) == [1]
    # more typing only extends it, no new change
    assert book.typing("s1", True, at(3)) == []
    assert book.sweep(at(7.9)) == []
    assert book.sweep(at(8)) == [TypingChange(1, "Ayşe", False)]
    assert book.typing_now(at(8)) == []


def test_typing_false_clears_at_once_and_only_once() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    book.typing("s1", True, at(1))
    assert book.typing("s1", False, at(2)) == [TypingChange(1, "Ayşe", False)]
    assert book.typing("s1", False, at(3)) == []


def test_typing_brings_an_away_person_back_online() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    book.sweep(at(400))
    assert book.status(1, at(400)) == "away"
    assert book.typing("s1", True, at(401)) == [
        PresenceChange(1, "Ayşe", "online"),
        TypingChange(1, "Ayşe", True),
    ]


def test_disconnect_clears_typing() -> None:
    book = PresenceBook()
    book.connect(1, "Ayşe", "s1", T0)
    book.typing("s1", True, at(1))
    assert book.disconnect("s1", at(2)) == [
        TypingChange(1, "Ayşe", False),
        PresenceChange(1, "Ayşe", "offline"),
    ]
