"""Formatting for screens: money, percentages, times, masked emails (plain Python)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.schemas.common import mask_email as _mask


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money_card(value: Any) -> str:
    """``"1449.28"`` → ``$1,449.28`` (cards)."""
    d = _dec(value)
    if d is None:
        return "—"
    sign = "-" if d < 0 else ""
    q = abs(d).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{sign}${q:,.2f}"


def money_short(value: Any) -> str:
    """``"12400"`` → ``$12.4k`` (boards): one decimal for k/M, none under 1,000."""
    d = _dec(value)
    if d is None:
        return "—"
    sign = "-" if d < 0 else ""
    a = abs(d)
    if a >= 1_000_000:
        return f"{sign}${(a / 1_000_000).quantize(Decimal('0.1'), ROUND_HALF_UP)}M"
    if a >= 1000:
        k = (a / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return f"{sign}${k:.1f}k" if k < 100 else f"{sign}${k:.0f}k"
    return f"{sign}${a.quantize(Decimal('1'), ROUND_HALF_UP)}"


def percent(fraction: Any, places: int = 0) -> str:
    """``0.3856`` → ``39%``."""
    d = _dec(fraction)
    if d is None:
        return "—"
    return f"{(d * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)}%"


def board_value(board: str, value: Any) -> str:
    if board in ("revenue", "margin"):
        return money_short(value)
    if board == "conversion":
        return percent(value)
    d = _dec(value)
    return "—" if d is None else f"{int(d):,}"


def mask_email(email: str | None) -> str:
    """What a TV shows of a customer's email (idempotent: an already masked one stays)."""
    return _mask(email) or ""


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def floor_zone(name: str | None) -> tzinfo | None:
    """The floor's time zone by name (as the server announces it); None: unknown or
    unreadable, so the machine's own zone is used."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def floor_time(now: datetime, zone: str | None) -> datetime:
    """``now`` on the floor's wall clock (the machine's when the zone is unknown): a kiosk
    box left on UTC still shows the day the boards count as today."""
    tz = floor_zone(zone)
    return now.astimezone(tz) if tz is not None else now.astimezone()


def hhmm(dt: datetime | None, zone: str | None = None) -> str:
    """Wall-clock ``14:32`` on the floor (the machine's zone when ``zone`` is unknown)."""
    if dt is None:
        return "—"
    return floor_time(dt, zone).strftime("%H:%M")


def ago(value: str | None, now: datetime | None = None) -> str:
    dt = parse_time(value)
    if dt is None:
        return ""
    secs = int(((now or datetime.now(UTC)) - dt).total_seconds())
    if secs < 60:
        return "just now"
    if secs < 3600:
        return f"{secs // 60} min ago"
    if secs < 86400:
        return f"{secs // 3600} h ago"
    return f"{secs // 86400} d ago"


def tts(days: int | None) -> str:
    """Time to sale."""
    if days is None:
        return ""
    if days == 0:
        return "same day"
    return "1 day" if days == 1 else f"{days} days"


MARGIN_LABELS = {
    "high": "High",
    "healthy": "Healthy",
    "risky": "Risky",
    "watch": "Watch",
}


def margin_label(quality: str) -> str:
    return MARGIN_LABELS.get(quality.lower(), quality.capitalize() if quality else "")


# -- names that do not fit ------------------------------------------------------------
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# words that bind to the next one: a name is never shortened to end on one of them
_BINDING = frozenset(
    {
        "عبد",
        "بن",
        "بنت",
        "ابن",
        "أبو",
        "ابو",
        "أم",
        "ام",
        "آل",
        "ال",
        "abd",
        "abdul",
        "abu",
        "bin",
        "binti",
        "ibn",
        "al",
        "el",
        "de",
        "da",
        "di",
        "du",
        "van",
        "von",
        "der",
        "den",
        "del",
        "la",
        "le",
    }
)


def _initial(word: str) -> str:
    """``Größmann-Überschall`` → ``G.``; ``al-Otaibi`` → ``O.`` (the first letter of the
    part that carries the name)."""
    parts = [p for p in re.split(r"[-‐'’]", word) if p]
    if len(parts) > 1 and parts[0].casefold() in _BINDING:
        parts = parts[1:]
    letter = next((ch for ch in (parts[0] if parts else word) if ch.isalpha()), "")
    return f"{letter.upper()}." if letter else ""


def name_variants(name: str | None) -> list[str]:
    """The forms a name may take on a screen, longest first, each made of whole words:
    ``Zeynep Demir`` → ``["Zeynep Demir", "Zeynep D.", "Zeynep"]``.

    Latin, Cyrillic, Greek… names: the full name, then the first name and the initial of
    the last one, then the first name. Arabic-script names have no initials: trailing
    words are dropped, never ending on a word that binds to the next (``عبد``, ``بن``):
    ``عبد الرحمن بن عبد العزيز`` → ``[…, "عبد الرحمن"]``. A leading binding word stays
    with the word after it (``Abu Bakr Siddiq`` → ``Abu Bakr S.``)."""
    words = (name or "").split()
    if not words:
        return [""]
    full = " ".join(words)
    out = [full]
    if len(words) > 1:
        first_n = 1
        while first_n < len(words) - 1 and words[first_n - 1].casefold() in _BINDING:
            first_n += 1
        first = " ".join(words[:first_n])
        if _ARABIC.search(full):
            for n in range(len(words) - 1, first_n - 1, -1):
                if words[n - 1].casefold() not in _BINDING:
                    out.append(" ".join(words[:n]))
            out.append(first)
        elif first_n < len(words):
            initial = _initial(words[-1])
            if initial:
                out.append(f"{first} {initial}")
            out.append(first)
    return list(dict.fromkeys(out))
