"""Signs of the person at the window, for presence (online / away)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QCursor, QGuiApplication

AWAY_AFTER_S = 300


class InputWatcher(QObject):
    """Seconds since the last sign of the person at the window (for presence).

    Cheap by design: no app-wide Python event filter (that costs a Python call for every
    Qt event). Signs of input: the mouse moved (polled every 2 s), the focus moved, the
    window became active, the person typed in the chat (``touch``).
    """

    POLL_MS = 2000

    def __init__(self, on_return: Callable[[], None]) -> None:
        super().__init__()
        self.last = time.monotonic()
        self.on_return = on_return
        self._cursor = QCursor.pos()
        self._poll = QTimer(self)
        self._poll.setInterval(self.POLL_MS)
        self._poll.timeout.connect(self._check_cursor)
        self._poll.start()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusChanged.connect(lambda *_: self.touch())  # type: ignore[attr-defined]
            app.applicationStateChanged.connect(lambda *_: self.touch())

    def idle_seconds(self) -> float:
        return time.monotonic() - self.last

    def touch(self) -> None:
        was_away = self.idle_seconds() >= AWAY_AFTER_S
        self.last = time.monotonic()
        if was_away:
            self.on_return()

    def _check_cursor(self) -> None:
        pos = QCursor.pos()
        if pos != self._cursor:
            self._cursor = pos
            self.touch()

    def stop(self) -> None:
        self._poll.stop()
