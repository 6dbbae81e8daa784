"""Chat moderation rules (pure): masking, links, shouting, spam, warnings and mutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.social import moderation as m
from backend.social.wordlists import word_list

NOW = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)
WORDS = m.compile_word_list(["# comment", "", "fuck*", "shit", "göt", "siktir*", "piç"])


# ----------------------------------------------------------------- word lists, masking


def test_compile_skips_comments_and_blank_lines() -> None:
    wl = m.compile_word_list(["# only a comment", "  ", "bad # trailing comment", "worse*"])
    assert wl.exact == frozenset({"bad"})
    assert wl.stems == frozenset({"worse"})
    assert len(wl) == 2


def test_empty_word_list_masks_nothing() -> None:
    wl = m.compile_word_list(["# nothing", "*"])
    assert len(wl) == 0 and wl.pattern is None
    assert m.mask_profanity("shit happens", wl) == ("shit happens", False)


def test_masks_exact_word_case_insensitively_keeping_length() -> None:
    assert m.mask_profanity("Oh SHIT, again", WORDS) == ("Oh ****, again", True)


def test_exact_word_does_not_mask_longer_words() -> None:
    assert m.mask_profanity("shitake mushrooms", WORDS) == ("shitake mushrooms", False)


def test_stem_masks_longer_forms() -> None:
    text, hit = m.mask_profanity("this fucking printer", WORDS)
    assert hit and text == "this ******* printer"


def test_turkish_words_and_capital_i_readings() -> None:
    assert m.mask_profanity("SİKTİR git", WORDS) == ("****** git", True)
    assert m.mask_profanity("siktirin", WORDS) == ("********", True)
    assert m.mask_profanity("Göt!", WORDS) == ("***!", True)
    assert m.mask_profanity("PİÇ", WORDS) == ("***", True)


def test_dotless_i_words_do_not_collide() -> None:
    wl = m.compile_word_list(["sık"])
    # "SIK" reads as "sık" in Turkish: masked; "sik..." is a different word.
    assert m.mask_profanity("SIK", wl) == ("***", True)
    assert m.mask_profanity("sikke", wl) == ("sikke", False)


def test_fold_keeps_length_for_odd_characters() -> None:
    assert m.fold("İI") == "ii"
    assert m.fold("İI", dotless_capital_i=True) == "iı"
    # a character whose lower form is longer stays unchanged (length preserved)
    assert len(m.fold("ẞ")) == 1


def test_shipped_lists_cover_both_languages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    wl = word_list(tmp_path)
    assert m.mask_profanity("bullshit", wl)[1]
    assert m.mask_profanity("orospu çocuğu", wl)[1]
    assert not m.mask_profanity("Harika satış, tebrikler!", wl)[1]
    assert not m.mask_profanity("Bu ay sıkıntı yok", wl)[1]


def test_admins_extend_the_list_through_the_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert not m.mask_profanity("that banana", word_list(tmp_path))[1]
    (tmp_path / "profanity_extra.txt").write_text("banana\n", encoding="utf-8")
    assert m.mask_profanity("that banana", word_list(tmp_path)) == ("that ******", True)
    assert not m.mask_profanity("banana", word_list(None))[1]


def test_unreadable_extra_list_is_ignored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "profanity_extra.txt").write_bytes(b"\xff\xfe\xfa")
    assert m.mask_profanity("shit", word_list(tmp_path))[1]


# ----------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://evil.example/x?y=1 now", "see now"),
        ("go to www.site.org", "go to"),
        ("bit.ly/abc is fun", "is fun"),
        ("visit shop.example.com.tr/promo today", "visit today"),
        ("ftp://files.local/a", ""),
    ],
)
def test_links_are_removed(text: str, expected: str) -> None:
    assert m.remove_links(text) == (expected, True)


@pytest.mark.parametrize(
    "text", ["mail a.b@gmail.com please", "e.g. this one", "3.75 SAR", "no links at all"]
)
def test_not_links(text: str) -> None:
    assert m.remove_links(text) == (text, False)


# ----------------------------------------------------------------- shouting


@pytest.mark.parametrize(
    ("text", "shouting"),
    [
        ("HELLO TEAM", True),  # 9 letters, all capitals
        ("HELLO TE", False),  # 7 letters: too short to shout
        ("HELLO TEa", True),  # 8 letters, 7 capitals = 87.5 %
        ("HELLO Team", False),  # 6/9 = 66 %
        ("HELLOTEabc", False),  # 7/10 = 70 %, not over
        ("SÜPER SATIŞ", True),
        ("WOW!!! 1234567", False),
    ],
)
def test_shouting(text: str, shouting: bool) -> None:
    assert m.is_shouting(text) is shouting


# ----------------------------------------------------------------- spam


def test_spam_is_the_sixth_message_within_ten_seconds() -> None:
    five = [NOW - timedelta(seconds=s) for s in (1, 2, 3, 4, 9)]
    assert m.is_spam(five, NOW)
    assert not m.is_spam(five[:4], NOW)
    old = [NOW - timedelta(seconds=s) for s in (1, 2, 3, 4, 10)]  # one at exactly 10 s
    assert not m.is_spam(old, NOW)


# ----------------------------------------------------------------- validation


def test_validate_text() -> None:
    assert m.validate_text("   ") == "empty_message"
    assert m.validate_text("x" * 501) == "message_too_long"
    assert m.validate_text("x" * 500) is None


# ----------------------------------------------------------------- the verdict


def _warn(minutes_ago: float, muted_for: float | None = None) -> m.PastWarning:
    at = NOW - timedelta(minutes=minutes_ago)
    return m.PastWarning(at, at + timedelta(minutes=muted_for) if muted_for else None)


def test_clean_message_posts_unchanged() -> None:
    v = m.moderate("Great sale, Ayşe!", now=NOW, words=WORDS)
    assert (v.action, v.text, v.reasons, v.warning) == ("post", "Great sale, Ayşe!", (), None)
    assert v.reason is None and v.message == ""


def test_profanity_posts_masked_with_a_warning() -> None:
    v = m.moderate("shit, missed it", now=NOW, words=WORDS)
    assert v.action == "post" and v.text == "****, missed it"
    assert v.warning == "profanity" and v.reason == "profanity"
    assert "masked" in v.message


def test_link_posts_without_link_with_a_warning() -> None:
    v = m.moderate("look https://x.example/a here", now=NOW, words=WORDS)
    assert (v.action, v.text, v.warning) == ("post", "look here", "link")


def test_only_a_link_is_rejected() -> None:
    v = m.moderate("https://x.example/a", now=NOW, words=WORDS)
    assert (v.action, v.warning) == ("reject", "link")
    assert "nothing was left" in v.message


def test_shouting_is_rejected_with_a_warning() -> None:
    v = m.moderate("WHO TOOK MY SALE", now=NOW, words=WORDS)
    assert (v.action, v.reason, v.warning) == ("reject", "shouting", "shouting")
    assert "capitals" in v.message


def test_spam_is_rejected_and_outranks_other_reasons() -> None:
    recent = [NOW - timedelta(seconds=1)] * 5
    v = m.moderate("shit see www.a.com", now=NOW, words=WORDS, recent_sent=recent)
    assert v.action == "reject"
    assert v.reasons == ("spam", "profanity", "link")
    assert v.warning == "spam"
    assert "Slow down" in v.message and "masked" in v.message


def test_third_warning_within_an_hour_mutes_for_ten_minutes() -> None:
    v = m.moderate("shit", now=NOW, words=WORDS, warnings=[_warn(50), _warn(5)])
    assert v.action == "mute" and v.warning == "profanity"
    assert v.muted_until == NOW + timedelta(minutes=10)
    assert "muted until 12:10 UTC" in v.message and "3 warnings" in v.message


def test_warnings_older_than_an_hour_do_not_count() -> None:
    v = m.moderate("shit", now=NOW, words=WORDS, warnings=[_warn(61), _warn(5)])
    assert v.action == "post" and v.warning == "profanity"


def test_muted_sender_cannot_post_even_clean_text() -> None:
    v = m.moderate("hello", now=NOW, words=WORDS, warnings=[_warn(3, muted_for=10)])
    assert v.action == "muted" and v.reason == "muted"
    assert v.muted_until == NOW + timedelta(minutes=7)
    assert v.message == "You are muted until 12:07 UTC."


def test_after_a_mute_ends_the_count_starts_again() -> None:
    # three warnings then a mute that started 20 min ago and is over
    warnings = [_warn(40), _warn(30), _warn(20, muted_for=10)]
    v = m.moderate("shit", now=NOW, words=WORDS, warnings=warnings)
    assert v.action == "post"  # first warning after the mute
    v2 = m.moderate("shit", now=NOW, words=WORDS, warnings=[*warnings, _warn(5), _warn(2)])
    assert v2.action == "mute"


def test_active_mute_takes_the_latest_end() -> None:
    assert m.active_mute([_warn(3, 10), _warn(1, 10)], NOW) == NOW + timedelta(minutes=9)
    assert m.active_mute([_warn(30, 10)], NOW) is None


def test_verdict_message_for_mute_without_end_falls_back() -> None:
    v = m.Verdict("reject", "x", ("shouting",), "shouting")
    assert v.message == m.REASON_MESSAGES["shouting"]
