"""TV settings: sound (volume, mute, quiet hours), night schedule, motion, board playlist.

Read from ``tv-settings.json`` in the user config dir (every key optional), then overridden
by command-line flags. Time windows are local wall-clock ``"HH:MM-HH:MM"`` and may wrap
midnight (``"20:00-07:00"``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any

from winroom_desktop.state.rotation import DEFAULT_PLAYLIST, parse_playlist

log = logging.getLogger(__name__)


def parse_window(text: str | None) -> tuple[time, time] | None:
    """``"22:00-07:00"`` → ``(time(22), time(7))``; empty/None → no window."""
    if not text:
        return None
    try:
        a, b = text.split("-", 1)
        return time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
    except ValueError as exc:
        raise ValueError(f"bad time window {text!r}: use HH:MM-HH:MM") from exc


def in_window(now: time, window: tuple[time, time] | None) -> bool:
    if window is None:
        return False
    start, end = window
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


@dataclass
class TvSettings:
    volume: float = 0.8
    muted: bool = False
    quiet_hours: str = ""  # sounds off inside this window, e.g. "19:00-08:00"
    night: str = ""  # night schedule window, e.g. "20:00-07:00"
    night_mode: str = "dim"  # "dim" or "sleep"
    reduced_motion: bool = False
    playlist: str = ",".join(f"{b}/{p}" for b, p in DEFAULT_PLAYLIST)
    rotate_seconds: float = 15.0
    pixel_shift_minutes: float = 3.0
    pixel_shift_px: int = 6  # at 1080p
    refresh_seconds: float = 60.0  # promotions/challenges/boards reload over HTTP
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> TvSettings:
        parse_window(self.quiet_hours)
        parse_window(self.night)
        parse_playlist(self.playlist)
        if self.night_mode not in ("dim", "sleep"):
            raise ValueError("night_mode must be 'dim' or 'sleep'")
        self.volume = min(1.0, max(0.0, float(self.volume)))
        self.rotate_seconds = max(3.0, float(self.rotate_seconds))
        return self

    def is_quiet(self, now: time) -> bool:
        return self.muted or in_window(now, parse_window(self.quiet_hours))

    def is_night(self, now: time) -> bool:
        return in_window(now, parse_window(self.night))

    @property
    def board_playlist(self) -> tuple[tuple[str, str], ...]:
        return parse_playlist(self.playlist)

    @classmethod
    def load(cls, path: Path | None) -> TvSettings:
        s = cls()
        if path is None or not path.exists():
            return s
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable TV settings %s: %s", path, exc)
            return s
        names = {f.name for f in fields(cls)} - {"extra"}
        for key, value in data.items():
            if key in names:
                setattr(s, key, value)
            else:
                s.extra[key] = value
        try:
            return s.validate()
        except ValueError as exc:
            log.warning("ignoring invalid TV settings %s: %s", path, exc)
            return cls()


def save_sound(path: Path, muted: bool, volume: float) -> str:
    """The settings file's text with this screen's mute and volume (what the person at the
    TV changed) and everything else as the file had it; the caller writes it (atomically)."""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            data = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            data = {}
    data["muted"] = bool(muted)
    data["volume"] = round(min(1.0, max(0.0, float(volume))), 2)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
