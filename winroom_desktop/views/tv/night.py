"""The night layer: dims the screen (``dim``) or blacks it out with a small drifting clock
(``sleep``) inside the configured night window, and wakes it in the morning."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from winroom_desktop.views.theme import DIM, Scale
from winroom_desktop.views.tv.paint import CENTER, text


class NightLayer(QWidget):
    def __init__(self, scale: Scale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = scale
        self.mode: str | None = None
        self.now = datetime.now()
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hide()

    def set_mode(self, mode: str | None, now: datetime) -> None:
        self.mode = mode
        self.now = now
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, mode == "sleep")
        self.setVisible(mode is not None)
        if mode is not None:
            self.raise_()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        if self.mode == "sleep":
            p.fillRect(self.rect(), QColor(0, 0, 0))
            s = self.scale
            # the clock drifts every minute so nothing burns in
            m = self.now.hour * 60 + self.now.minute
            fx = 0.2 + 0.6 * ((m * 37) % 100) / 100
            fy = 0.2 + 0.6 * ((m * 61) % 100) / 100
            r = QRectF(
                self.width() * fx - s.px(150), self.height() * fy - s.px(40), s.px(300), s.px(80)
            )
            text(p, s, r, self.now.strftime("%H:%M"), 56, DIM, align=CENTER)
        else:
            p.fillRect(self.rect(), QColor(0, 0, 0, 165))
        p.end()
