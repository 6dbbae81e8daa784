"""Team chat moderation rules (CONTRACT §6): pure functions, no I/O.

A message goes through, in order: the active mute check, link removal, profanity masking,
then the spam and shouting checks. Each rule that fires is a *reason*; the first reason in
priority order (spam, shouting, profanity, link) is recorded as one warning for the sender.
Three warnings within an hour (counted since the last mute began) mute the sender for ten
minutes. What happens to the message itself:

- ``post``: it is stored and broadcast (masked / without its links when those fired);
- ``reject``: not sent (spam, shouting, or nothing left after removing links): HTTP 422
  ``moderated`` with the reason, so the sender can rewrite it;
- ``mute``: this warning was the third: not sent, HTTP 429 ``muted`` with ``muted_until``;
- ``muted``: the sender is muted already: not sent, HTTP 429 ``muted``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

MAX_LENGTH = 500
SPAM_WINDOW = timedelta(seconds=10)
SPAM_MAX_MESSAGES = 5  # more than this many within SPAM_WINDOW is spam
SHOUT_MIN_LETTERS = 8
SHOUT_CAPITALS_RATIO = 0.7  # strictly more than this share of capitals is shouting
WARNING_WINDOW = timedelta(hours=1)
WARNINGS_TO_MUTE = 3
MUTE_DURATION = timedelta(minutes=10)

Reason = Literal["spam", "shouting", "profanity", "link"]
REASON_PRIORITY: tuple[Reason, ...] = ("spam", "shouting", "profanity", "link")

REASON_MESSAGES: dict[str, str] = {
    "spam": "Slow down: more than 5 messages in 10 seconds. This one was not sent.",
    "shouting": "Please don't write in capitals. This message was not sent.",
    "profanity": "Some words were masked. Please keep the team chat friendly.",
    "link": "Links are removed from the team chat.",
    "link_only": "Links are removed from the team chat, so nothing was left to send.",
}

Action = Literal["post", "reject", "mute", "muted"]


# --------------------------------------------------------------------------- word lists


@dataclass(frozen=True)
class WordList:
    """Compiled masking pattern: exact words, and stems (``word*``) that mask longer forms."""

    exact: frozenset[str] = frozenset()
    stems: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.exact) + len(self.stems)


def fold(text: str, *, dotless_capital_i: bool = False) -> str:
    """Lower-case ``text`` character by character, keeping its length.

    Capital ``I`` lowers to ``ı`` in Turkish and to ``i`` in English, so callers match both
    readings; ``İ`` lowers to ``i``. Characters whose lower form is longer stay as they are.
    """
    out = []
    for c in text:
        if c == "I":
            out.append("ı" if dotless_capital_i else "i")
        elif c == "İ":
            out.append("i")
        else:
            low = c.lower()
            out.append(low if len(low) == 1 else c)
    return "".join(out)


def compile_word_list(lines: Iterable[str]) -> WordList:
    """Words one per line; ``#`` starts a comment; a trailing ``*`` makes a stem."""
    exact: set[str] = set()
    stems: set[str] = set()
    for raw in lines:
        word = raw.split("#", 1)[0].strip()
        if not word:
            continue
        if word.endswith("*"):
            stem = fold(word.rstrip("*").strip())
            if stem:
                stems.add(stem)
        else:
            exact.add(fold(word))
    if not exact and not stems:
        return WordList()
    alternatives = [re.escape(w) for w in sorted(exact, key=len, reverse=True)]
    alternatives += [re.escape(s) + r"\w*" for s in sorted(stems, key=len, reverse=True)]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")
    return WordList(frozenset(exact), frozenset(stems), pattern)


def mask_profanity(text: str, words: WordList) -> tuple[str, bool]:
    """Replace every letter of each listed word with ``*``; returns (text, anything masked)."""
    if words.pattern is None or not text:
        return text, False
    spans: set[int] = set()
    for variant in (fold(text), fold(text, dotless_capital_i=True)):
        for m in words.pattern.finditer(variant):
            spans.update(range(m.start(), m.end()))
    if not spans:
        return text, False
    chars = list(text)
    for i in spans:
        if not chars[i].isspace():
            chars[i] = "*"
    return "".join(chars), True


# --------------------------------------------------------------------------- links

_TLDS = (
    "com|net|org|io|co|tr|info|biz|me|app|dev|ly|gl|gg|xyz|ru|de|uk|us|eu|link|site|online|"
    "shop|store|club|tv|to|cc|ai|sh|in|top|live|click|website|page"
)
_LINK = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)\S+"
    r"|(?<![@.\w-])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"\.(?:" + _TLDS + r")\b(?:[/?#]\S*)?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t]{2,}")


def remove_links(text: str) -> tuple[str, bool]:
    """Drop URLs and bare domains (``example.com/x``, not e-mail addresses)."""
    cleaned, n = _LINK.subn("", text)
    if not n:
        return text, False
    cleaned = _SPACES.sub(" ", cleaned)
    cleaned = "\n".join(line.strip() for line in cleaned.split("\n")).strip()
    return cleaned, True


# --------------------------------------------------------------------------- shouting, spam


def is_shouting(text: str) -> bool:
    """8 or more letters, of which more than 70 % are capitals."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < SHOUT_MIN_LETTERS:
        return False
    capitals = sum(1 for c in letters if c.isupper())
    return capitals / len(letters) > SHOUT_CAPITALS_RATIO


def is_spam(recent_sent: Sequence[datetime], now: datetime) -> bool:
    """This message would be the 6th (or later) within 10 s of the sender's posted ones."""
    since = now - SPAM_WINDOW
    in_window = sum(1 for t in recent_sent if since < t <= now)
    return in_window + 1 > SPAM_MAX_MESSAGES


# --------------------------------------------------------------------------- warnings, mutes


@dataclass(frozen=True)
class PastWarning:
    created_at: datetime
    muted_until: datetime | None = None
    reason: Reason | None = None  # what the warning was for (the mute's cause, for a mute)


def active_mute(warnings: Iterable[PastWarning], now: datetime) -> datetime | None:
    """The end of the mute in force at ``now``, if any (the latest one)."""
    ends = [w.muted_until for w in warnings if w.muted_until is not None and w.muted_until > now]
    return max(ends) if ends else None


def counting_warnings(warnings: Iterable[PastWarning], now: datetime) -> int:
    """Warnings that count toward the next mute: within the hour and after the last mute."""
    items = list(warnings)
    mutes = [w.created_at for w in items if w.muted_until is not None]
    last_mute = max(mutes) if mutes else None
    since = now - WARNING_WINDOW
    return sum(
        1
        for w in items
        if since < w.created_at <= now and (last_mute is None or w.created_at > last_mute)
    )


def validate_text(text: str) -> str | None:
    """An error code for a message that cannot be sent at all, else ``None``."""
    if not text.strip():
        return "empty_message"
    if len(text) > MAX_LENGTH:
        return "message_too_long"
    return None


# --------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Verdict:
    action: Action
    text: str
    reasons: tuple[Reason, ...] = ()
    warning: Reason | None = None  # the warning to record (one per message at most)
    muted_until: datetime | None = None
    muted_for: Reason | None = None  # "muted": what the mute in force was for

    @property
    def reason(self) -> str | None:
        """The main reason to show the sender."""
        if self.action == "muted":
            return "muted"
        return self.reasons[0] if self.reasons else None

    @property
    def message(self) -> str:
        """One sentence for the sender."""
        if self.action in ("muted", "mute") and self.muted_until is not None:
            until = self.muted_until.strftime("%H:%M UTC")
            if self.action == "mute":
                why = REASON_MESSAGES.get(self.reason or "", "")
                return f"{why} That is 3 warnings within an hour: you are muted until {until}."
            return f"You are muted until {until}."
        if self.action == "reject" and self.reasons == ("link",):
            return REASON_MESSAGES["link_only"]
        return " ".join(REASON_MESSAGES[r] for r in self.reasons)


def moderate(
    text: str,
    *,
    now: datetime,
    words: WordList,
    recent_sent: Sequence[datetime] = (),
    warnings: Sequence[PastWarning] = (),
) -> Verdict:
    """Decide what happens to ``text`` from the sender's recent messages and warnings."""
    muted_until = active_mute(warnings, now)
    if muted_until is not None:
        cause = max(
            (w for w in warnings if w.muted_until == muted_until), key=lambda w: w.created_at
        ).reason
        return Verdict("muted", text, muted_until=muted_until, muted_for=cause)

    cleaned, had_link = remove_links(text)
    masked, had_profanity = mask_profanity(cleaned, words)
    fired = {
        "spam": is_spam(recent_sent, now),
        "shouting": is_shouting(masked),
        "profanity": had_profanity,
        "link": had_link,
    }
    reasons = tuple(r for r in REASON_PRIORITY if fired[r])
    if not reasons:
        return Verdict("post", text)

    warning = reasons[0]
    if counting_warnings(warnings, now) + 1 >= WARNINGS_TO_MUTE:
        return Verdict("mute", masked, reasons, warning, muted_until=now + MUTE_DURATION)
    if fired["spam"] or fired["shouting"] or not masked.strip():
        return Verdict("reject", masked, reasons, warning)
    return Verdict("post", masked, reasons, warning)
