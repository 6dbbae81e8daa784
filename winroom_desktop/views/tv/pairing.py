"""``PairingView``: the TV's pairing screen, laid over the whole TV window.

The code across the screen, readable from 5 m (its letters about a fifth of the screen's
height, near-white on the dark background), the server's address, and where an admin
approves it. It draws a :class:`PairingScreen` and the time the code has left; it never
talks to the network. Sizes from the window (``theme.Scale``), text as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from winroom_desktop.state.pairing import (
    SHOWING,
    UNREACHABLE,
    PairingScreen,
    instructions,
    remaining_text,
)
from winroom_desktop.views.theme import (
    BG,
    FAMILY,
    LINE,
    MUTED,
    NEW_SALE,
    PANEL,
    TEXT,
    WARNING,
    Scale,
)

CODE_HEIGHT = 0.2  # the code's letters: this share of the screen's height (~216 px at 1080p)


class PairingView(QWidget):
    def __init__(
        self, parent: QWidget | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(parent)
        self.screen_model = PairingScreen(server="")
        self._now = now or (lambda: datetime.now(UTC))
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.update)
        if parent is not None:
            parent.installEventFilter(self)
            self.setGeometry(parent.rect())
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
        return False

    def show_screen(self, screen: PairingScreen) -> None:
        self.screen_model = screen
        self.update()

    def showEvent(self, event: object) -> None:
        self._tick.start()
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()

    def hideEvent(self, event: object) -> None:
        self._tick.stop()

    def stop_timers(self) -> None:
        self._tick.stop()

    # -- what is on screen (tests read it) ----------------------------------------------
    def lines(self) -> list[str]:
        m = self.screen_model
        out = ["Pair this screen"]
        if m.code:
            out.append(m.code)
            out += list(instructions(m.code))
        elif m.phase == UNREACHABLE:
            out.append("No code yet")
        else:
            out.append("Getting a code…")
        out.append(f"Server: {m.server}")
        remaining = remaining_text(m, self._now())
        if remaining:
            out.append(remaining)
        if m.problem:
            out.append(m.problem)
        return out

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.screen_model
        w, h = self.width(), self.height()
        s = Scale(w, h)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.fillRect(self.rect(), BG)
        side = s.pxf(96)
        top = h * 0.07

        def text(y: float, height: float, value: str, font: QFont, color: object) -> None:
            p.setFont(font)
            p.setPen(color)  # type: ignore[call-overload]
            p.drawText(
                QRectF(side, y, w - 2 * side, height),
                int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextSingleLine),
                value,
            )

        text(top, s.pxf(80), "Pair this screen", s.font(64, 700), TEXT)
        text(
            top + s.pxf(86),
            s.pxf(50),
            "An admin approves it once; then this TV starts by itself.",
            s.font(34),
            MUTED,
        )

        # the code, on a panel across the screen
        panel = QRectF(side, h * 0.27, w - 2 * side, h * 0.34)
        p.setPen(QPen(LINE, s.pxf(3)))
        p.setBrush(PANEL)
        p.drawRoundedRect(panel, s.pxf(28), s.pxf(28))
        if m.code:
            font = _code_font(h * CODE_HEIGHT, panel.width() * 0.92, m.code)
            p.setFont(font)
            p.setPen(TEXT)
            p.drawText(panel, int(Qt.AlignmentFlag.AlignCenter), m.code)
        else:
            waiting = "No code yet" if m.phase == UNREACHABLE else "Getting a code…"
            p.setFont(s.font(72, 700))
            p.setPen(MUTED)
            p.drawText(panel, int(Qt.AlignmentFlag.AlignCenter), waiting)

        y = panel.bottom() + s.pxf(40)
        first, second = instructions(m.code)
        text(y, s.pxf(56), first, s.font(42, 600), TEXT)
        text(y + s.pxf(62), s.pxf(56), second, _mono(s.px(38)), NEW_SALE)
        text(y + s.pxf(140), s.pxf(50), f"Server: {m.server}", s.font(36), MUTED)

        foot = h - s.pxf(96)
        note = m.problem or remaining_text(m, self._now())
        color = WARNING if m.problem else MUTED
        if note:
            text(foot, s.pxf(48), note, s.font(32, 600 if m.problem else 400), color)
        elif m.phase != SHOWING:
            text(foot, s.pxf(48), "Connecting…", s.font(32), MUTED)
        p.end()


def _mono(px: int, weight: int = 600) -> QFont:
    font = QFont(f"{FAMILY} Mono")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPixelSize(max(1, px))
    font.setWeight(QFont.Weight(weight))
    return font


def _code_font(height: float, width: float, code: str) -> QFont:
    """The code's font: letters ``height`` px tall, shrunk only if the code would not fit."""
    from PySide6.QtGui import QFontMetricsF

    px = max(8, int(height / 0.73))  # DejaVu's capitals are ~0.73 of the pixel size
    font = _mono(px, 700)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    advance = QFontMetricsF(font).horizontalAdvance(code)
    if advance > width:
        font = _mono(max(8, int(px * width / advance)), 700)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    return font
