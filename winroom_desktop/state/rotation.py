"""The TV's leaderboard playlist: which board and period is on, and what comes next."""

from __future__ import annotations

from dataclasses import dataclass

from winroom_desktop.state.snapshot import BOARDS, PERIODS

DEFAULT_PLAYLIST: tuple[tuple[str, str], ...] = (
    ("revenue", "today"),
    ("wins", "today"),
    ("margin", "today"),
    ("conversion", "15d"),
    ("revenue", "month"),
)


def parse_playlist(text: str) -> tuple[tuple[str, str], ...]:
    """``"revenue/today,wins/today"`` → ``(("revenue","today"),("wins","today"))``."""

    out: list[tuple[str, str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        board, _, period = part.partition("/")
        period = period or "today"
        if board not in BOARDS or period not in PERIODS:
            raise ValueError(f"unknown board {part!r} (boards {BOARDS}, periods {PERIODS})")
        out.append((board, period))
    if not out:
        raise ValueError("empty board playlist")
    return tuple(out)


@dataclass
class BoardRotation:
    playlist: tuple[tuple[str, str], ...] = DEFAULT_PLAYLIST
    interval_s: float = 15.0
    index: int = 0

    @property
    def current(self) -> tuple[str, str]:
        return self.playlist[self.index % len(self.playlist)]

    def advance(self) -> tuple[str, str]:
        self.index = (self.index + 1) % len(self.playlist)
        return self.current
