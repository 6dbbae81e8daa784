"""``FrameClock``: the one shared frame timer for every animation of a window.

Animated things register with ``request(fn)``; ``fn(now_ms)`` is called every frame and
returns ``True`` while it still animates. The timer stops when nothing animates, so an idle
screen costs no CPU. Tests and the benchmark drive it with ``tick(now_ms)`` directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

Animator = Callable[[float], bool]


def now_ms() -> float:
    return time.monotonic() * 1000.0


class FrameClock(QObject):
    def __init__(self, interval_ms: int = 16, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timeout)
        self._active: dict[Animator, Animator] = {}  # bound methods hash by (self, func)
        self.manual = False  # the benchmark drives frames itself

    @property
    def running(self) -> bool:
        return bool(self._active)

    def request(self, fn: Animator) -> None:
        self._active[fn] = fn
        if not self.manual and not self._timer.isActive():
            self._timer.start()

    def _on_timeout(self) -> None:
        self.tick(now_ms())

    def tick(self, t: float) -> None:
        for key, fn in list(self._active.items()):
            if not fn(t):
                self._active.pop(key, None)
        if not self._active:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        self._active.clear()


def ease_out(t: float) -> float:
    t = min(1.0, max(0.0, t))
    return 1 - (1 - t) ** 3


def ease_in_out(t: float) -> float:
    t = min(1.0, max(0.0, t))
    return 4 * t * t * t if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2
