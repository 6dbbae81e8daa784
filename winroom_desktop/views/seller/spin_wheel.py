"""Spin & win in the seller app: the wheel spins to the prize the server drew, then says it.

The server draws (``POST /api/me/spins/{id}``); this dialog only plays the answer, so a
closed dialog or a skipped animation never changes what was won."""

from __future__ import annotations

import math

from PySide6.QtCore import QEasingCurve, QEvent, QObject, QPointF, QRectF, Qt, QVariantAnimation
from PySide6.QtGui import QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from winroom_desktop.state.spin import prize_label, wheel_segments
from winroom_desktop.views import theme
from winroom_desktop.views.seller.style import font

SPIN_MS = 3200
TURNS = 5


class Wheel(QWidget):
    """Equal segments; ``progress`` 0 → 1 turns the wheel until the prize is under the pointer."""

    def __init__(self, labels: list[str], target: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels = labels or ["Prize"]
        self.target = target
        self.progress = 0.0
        self.setMinimumSize(300, 300)

    def angle(self) -> float:
        seg = 360.0 / len(self.labels)
        final = 360.0 * TURNS + (90.0 - (self.target + 0.5) * seg)
        return final * self.progress

    def label_under_pointer(self) -> str:
        """Which segment the pointer (at the top, 90°) points at now."""
        seg = 360.0 / len(self.labels)
        rel = (90.0 - self.angle()) % 360.0
        return self.labels[int(rel // seg) % len(self.labels)]

    def paintEvent(self, _e: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = float(self.width()), float(self.height())
        radius = min(w, h) * 0.44
        cx, cy = w / 2, h / 2 + radius * 0.06
        seg = 360.0 / len(self.labels)
        rect = QRectF(cx - radius, cy - radius, 2 * radius, 2 * radius)
        p.setPen(theme.BG)
        p.setFont(font(max(8, int(radius * 0.075)), 700))
        for i, label in enumerate(self.labels):
            start = self.angle() + i * seg
            p.setBrush(theme.SELLER_PALETTE[i % len(theme.SELLER_PALETTE)])
            p.drawPie(rect, int(start * 16), int(seg * 16))
            mid = math.radians(start + seg / 2)
            p.save()
            p.translate(cx + math.cos(mid) * radius * 0.6, cy - math.sin(mid) * radius * 0.6)
            p.rotate(-(start + seg / 2))
            p.setPen(theme.BG)
            box = QRectF(-radius * 0.42, -radius * 0.1, radius * 0.84, radius * 0.2)
            p.drawText(box, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), label)
            p.restore()
        pointer = QPainterPath()
        pointer.moveTo(QPointF(cx, cy - radius + radius * 0.1))
        pointer.lineTo(QPointF(cx - radius * 0.09, cy - radius - radius * 0.12))
        pointer.lineTo(QPointF(cx + radius * 0.09, cy - radius - radius * 0.12))
        pointer.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.TEXT)
        p.drawPath(pointer)
        p.setBrush(theme.BG)
        p.drawEllipse(QPointF(cx, cy), radius * 0.1, radius * 0.1)
        p.end()


class SpinPanel(QFrame):
    """Plays one spin the server already drew, as a card over the window (like the other
    celebrations); ``finish()`` jumps to the end, Close dismisses it."""

    def __init__(self, prize: dict[str, object], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("spinPanel")
        self.setStyleSheet(
            f"#spinPanel {{ background: {theme.PANEL_HI.name()};"
            f" border: 2px solid {theme.JACKPOT.name()}; border-radius: 14px; }}"
        )
        self.prize = prize_label(prize)
        labels, target = wheel_segments(prize)
        v = QVBoxLayout(self)
        title = QLabel("🎡 Spin & win")
        title.setProperty("role", "h2")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addWidget(title)
        self.wheel = Wheel(labels, target, self)
        v.addWidget(self.wheel, 1)
        self.result = QLabel("Spinning…")
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result.setProperty("role", "h2")
        v.addWidget(self.result)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.dismiss)
        v.addWidget(self.close_button)
        parent.installEventFilter(self)
        self._place()
        self.animation = QVariantAnimation(self)
        self.animation.setStartValue(0.0)
        self.animation.setEndValue(1.0)
        self.animation.setDuration(SPIN_MS)
        self.animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self.animation.valueChanged.connect(self._turn)
        self.animation.finished.connect(self._landed)

    def open(self) -> None:
        self._place()
        self.show()
        self.raise_()

    def dismiss(self) -> None:
        self.animation.stop()
        self.hide()
        self.deleteLater()

    def spin(self) -> None:
        self.animation.start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            w, h = min(440, parent.width() - 40), min(520, parent.height() - 40)
            self.setGeometry((parent.width() - w) // 2, (parent.height() - h) // 2, w, h)

    def finish(self) -> None:
        self.animation.stop()
        self._turn(1.0)
        self._landed()

    @property
    def landed(self) -> bool:
        return self.wheel.progress >= 1.0

    def _turn(self, value: object) -> None:
        self.wheel.progress = float(value)  # type: ignore[arg-type]
        self.wheel.update()

    def _landed(self) -> None:
        self.result.setText(f"You won: {self.prize}")
        self.result.setStyleSheet(f"color: {theme.JACKPOT.name()}; font-weight: 800;")
