"""Small painting helpers shared by the TV widgets. Text is always drawn as plain text."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import QWidget

from winroom_desktop.views.theme import PANEL, Scale

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


def text(
    p: QPainter,
    scale: Scale,
    rect: QRectF,
    value: str,
    size: float,
    color: QColor,
    *,
    weight: int = 400,
    align: Qt.AlignmentFlag = LEFT,
) -> float:
    """Draw one line of plain text, elided to fit; returns the drawn width."""
    font = scale.font(size, weight)
    fm = scale.metrics(size, weight)
    shown = fm.elidedText(value, Qt.TextElideMode.ElideRight, int(rect.width()))
    p.setFont(font)
    p.setPen(color)
    p.drawText(rect, int(align) | int(Qt.TextFlag.TextSingleLine), shown)
    return float(fm.horizontalAdvance(shown))


def wrapped(
    p: QPainter,
    scale: Scale,
    rect: QRectF,
    value: str,
    size: float,
    color: QColor,
    *,
    weight: int = 400,
) -> None:
    """Plain text wrapped on word boundaries, centred (empty states, descriptions)."""
    p.setFont(scale.font(size, weight))
    p.setPen(color)
    p.drawText(rect, int(CENTER) | int(Qt.TextFlag.TextWordWrap), value)


def rounded(p: QPainter, rect: QRectF, radius: float, color: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawRoundedRect(rect, radius, radius)


def chip(
    p: QPainter,
    scale: Scale,
    x: float,
    y: float,
    h: float,
    label: str,
    color: QColor,
    *,
    size: float = 28,
    right_align: bool = False,
) -> float:
    """A pill with a tinted background; returns its width. ``x`` is its right edge when
    ``right_align``."""
    fm = scale.metrics(size, 600)
    w = fm.horizontalAdvance(label) + scale.px(24)
    left = x - w if right_align else x
    bg = QColor(color)
    bg.setAlphaF(0.18)
    rounded(p, QRectF(left, y, w, h), h / 2, bg)
    text(p, scale, QRectF(left, y, w, h), label, size, color, weight=600, align=CENTER)
    return float(w)


def panel_path(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


class TvWidget(QWidget):
    """Base of the TV's painted widgets: transparent, scale-aware, no focus, no mouse."""

    def __init__(self, scale: Scale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = scale
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_scale(self, scale: Scale) -> None:
        self.scale = scale
        self.update()

    def paint_panel(self, p: QPainter) -> None:
        rounded(p, QRectF(self.rect()), self.scale.px(20), PANEL)
