"""``HoldToClaimButton``: press and hold for 700 ms while a ring fills; release early cancels.

Mouse: press and hold the left button. Keyboard: hold Space while the button has focus
(auto-repeat ignored). ``held`` is emitted once when the ring is full; ``cancelled`` when it
was let go early. ``progress`` (0–1) is what the ring shows.
"""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QRectF, QSize, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from winroom_desktop.views import theme
from winroom_desktop.views.seller.style import font

HOLD_MS = 700


class HoldToClaimButton(QWidget):
    held = Signal()
    started = Signal()
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None, hold_ms: int = HOLD_MS) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Hold to claim")
        self.setToolTip("Press and hold (or hold Space) for 0.7 s to claim this sale")
        self._progress = 0.0
        self._holding = False
        self._fired = False
        self._busy = False
        self.text = "Hold to claim"
        self.accent = QColor(theme.NEW_SALE)
        self._anim = QVariantAnimation(self)
        self._anim.setStartValue(0.0)
        self._anim.setEndValue(1.0)
        self._anim.setDuration(hold_ms)
        self._anim.setEasingCurve(QEasingCurve.Type.Linear)
        self._anim.valueChanged.connect(self._on_value)
        self._anim.finished.connect(self._on_finished)

    # ----------------------------------------------------------------- public

    @property
    def progress(self) -> float:
        return self._progress

    @property
    def holding(self) -> bool:
        return self._holding

    def set_busy(self, busy: bool, text: str | None = None) -> None:
        """While a claim is in flight the button does nothing and says so."""
        self._busy = busy
        self.setEnabled(not busy)
        if text is not None:
            self.text = text
        if busy:
            self._anim.stop()
            self._holding = False
            self._progress = 1.0
        elif not self._holding:
            self._progress = 0.0
        self.update()

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        widest = max(fm.horizontalAdvance(t) for t in (self.text, "Keep holding…", "Claiming…"))
        return QSize(widest + 64, 36)

    # ----------------------------------------------------------------- holding

    def begin_hold(self) -> None:
        if not self.isEnabled() or self._holding:
            return
        self._holding = True
        self._fired = False
        self._anim.stop()
        self._anim.start()
        self.started.emit()
        self.update()

    def end_hold(self) -> None:
        if not self._holding:
            return
        self._holding = False
        if not self._fired:
            self._anim.stop()
            self._progress = 0.0
            self.cancelled.emit()
        self.update()

    def _on_value(self, value: object) -> None:
        self._progress = float(value)  # type: ignore[arg-type]
        self.update()

    def _on_finished(self) -> None:
        if self._holding and not self._fired:
            self._fired = True
            self._progress = 1.0
            self.held.emit()

    # ----------------------------------------------------------------- input

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.begin_hold()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.end_hold()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.begin_hold()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.end_hold()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: object) -> None:
        self.end_hold()  # losing focus mid-hold is letting go
        super().focusOutEvent(event)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- paint

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        radius = r.height() / 2
        accent = QColor(self.accent)
        enabled = self.isEnabled() or self._busy
        bg = QColor(theme.PANEL_HI)
        p.setPen(QPen(accent if enabled else theme.LINE, 1.5))
        p.setBrush(bg)
        p.drawRoundedRect(r, radius, radius)
        if self._progress > 0 and enabled:
            fill = QColor(accent)
            fill.setAlphaF(0.28)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(fill)
            p.setClipRect(QRectF(r.left(), r.top(), r.width() * self._progress, r.height()))
            p.drawRoundedRect(r, radius, radius)
            p.setClipping(False)
        # the ring
        d = r.height() - 12
        ring = QRectF(r.left() + 7, r.top() + 6, d, d)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(theme.LINE, 3))
        p.drawEllipse(ring)
        if self._progress > 0:
            pen = QPen(accent if enabled else theme.MUTED, 3)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawArc(ring, 90 * 16, -round(self._progress * 360 * 16))
        # label
        p.setPen(theme.TEXT if enabled else theme.MUTED)
        p.setFont(font(13, 700))
        text_rect = QRectF(ring.right() + 8, r.top(), r.right() - ring.right() - 14, r.height())
        label = "Keep holding…" if self._holding and not self._fired else self.text
        p.drawText(
            text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), label
        )
        if self.hasFocus():
            p.setPen(QPen(theme.INFO, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(-0.5, -0.5, 0.5, 0.5), radius, radius)
        p.end()
