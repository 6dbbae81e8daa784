"""Overlays (full-screen celebrations) and their queue, in plain Python.

``OverlayQueue`` guarantees what the floor sees: overlays never overlap (one is current at a
time, the view asks for the next when it is done), a burst plays in order, every
celebration plays once (keys are remembered), and a long backlog — after a reconnect or a
replay — is compressed into one short "while you were away" reel instead of minutes of
confetti.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# The seed's durations (ms).
DURATIONS = {"streak": 2600, "jackpot": 3200, "goal": 3200, "milestone": 3200, "spin": 4600}
KINDS = ("streak", "jackpot", "goal", "milestone", "spin", "reel")


@dataclass(frozen=True)
class Overlay:
    kind: str
    key: str
    title: str
    subtitle: str = ""
    detail: str = ""
    duration_ms: int = 3200
    sound: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    variant: str = ""
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def reel_line(self) -> str:
        emoji = {"streak": "🔥", "jackpot": "🎰", "goal": "🎯", "milestone": "🏅", "spin": "🎡"}
        text = self.title.split(" ", 1)[-1] if self.title[:1] in "🔥🎰" else self.title
        parts = [emoji.get(self.kind, "⭐"), text]
        if self.subtitle:
            parts.append("·")
            parts.append(self.subtitle)
        return " ".join(parts)


class OverlayQueue:
    """FIFO of overlays with de-duplication and backlog compression.

    ``max_backlog``: more pending than this → everything pending becomes one reel.
    ``stale_after``: overlays older than this when they come up are shown in a reel.
    """

    def __init__(
        self,
        max_backlog: int = 4,
        stale_after: timedelta = timedelta(seconds=90),
        remember: int = 1000,
    ) -> None:
        self.max_backlog = max_backlog
        self.stale_after = stale_after
        self._pending: deque[Overlay] = deque()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self.current: Overlay | None = None

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def pending(self) -> list[Overlay]:
        return list(self._pending)

    def push(self, overlay: Overlay) -> bool:
        """Queue an overlay; ``False`` if this celebration was already queued or played."""
        if overlay.key in self._seen:
            return False
        self._seen[overlay.key] = None
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        self._pending.append(overlay)
        return True

    def pop_next(self, now: datetime | None = None) -> Overlay | None:
        """The next overlay to play (a reel when compressed), now the ``current`` one."""
        now = now or datetime.now(UTC)
        if not self._pending:
            self.current = None
            return None
        if len(self._pending) > self.max_backlog:
            batch = list(self._pending)
            self._pending.clear()
            self.current = make_reel(batch, now)
            return self.current
        stale: list[Overlay] = []
        while self._pending and now - self._pending[0].created_at > self.stale_after:
            stale.append(self._pending.popleft())
        if stale:
            self.current = make_reel(stale, now)
            return self.current
        self.current = self._pending.popleft()
        return self.current

    def finish(self) -> None:
        self.current = None

    def clear(self) -> None:
        self._pending.clear()
        self.current = None


REEL_LINES = 6


def make_reel(batch: list[Overlay], now: datetime) -> Overlay:
    lines = [o.reel_line for o in batch[:REEL_LINES]]
    more = len(batch) - len(lines)
    if more > 0:
        lines.append(f"…and {more} more")
    sound = "jackpot" if any(o.kind == "jackpot" for o in batch) else "happy"
    return Overlay(
        kind="reel",
        key=f"reel:{batch[0].key}:{len(batch)}",
        title="While you were away",
        subtitle=f"{len(batch)} celebration{'s' if len(batch) != 1 else ''}",
        duration_ms=min(6000, max(3200, 900 * len(lines))),
        sound=sound,
        created_at=now,
        data={"lines": lines, "count": len(batch)},
    )
