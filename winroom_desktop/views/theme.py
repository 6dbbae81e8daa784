"""Colours (one accent per meaning, DESIGN.md) and distance-scaled type for the TV."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetrics

BG = QColor("#0A0F1E")
PANEL = QColor("#121A30")
PANEL_HI = QColor("#1A2442")
LINE = QColor("#26304F")
TEXT = QColor("#F3F6FF")
MUTED = QColor("#A3AECD")
DIM = QColor("#6B7699")

NEW_SALE = QColor("#3D8BFD")  # new sale = blue
STREAK = QColor("#FF7A1A")  # streak = orange/flame
JACKPOT = QColor("#FFC83D")  # jackpot = gold
GOAL = QColor("#2ED47A")  # goal reached = green
MILESTONE = QColor("#A66BFF")  # milestone/badge = violet
PROBLEM = QColor("#FF4D5E")  # problem/finance hold = red
WARNING = QColor("#FFB020")
INFO = QColor("#39C0ED")

MARGIN_COLORS = {
    "high": GOAL,
    "healthy": QColor("#5AD1A0"),
    "watch": WARNING,
    "risky": PROBLEM,
    "unknown": DIM,
}
PROMO_COLORS = {"promo": MILESTONE, "info": INFO, "success": GOAL, "warning": WARNING}
FINANCE_COLORS = {
    "approved": GOAL,
    "waiting": DIM,
    "installment": INFO,
    "problem": PROBLEM,
}

# Colour-blind-safe-ish seller palette (Okabe–Ito plus friends): a seller keeps one colour.
SELLER_PALETTE = [
    QColor("#56B4E9"),
    QColor("#E69F00"),
    QColor("#009E73"),
    QColor("#F0E442"),
    QColor("#CC79A7"),
    QColor("#0072B2"),
    QColor("#D55E00"),
    QColor("#8FD694"),
    QColor("#B4A7FF"),
    QColor("#FF9DA7"),
]


def seller_color(seller_id: int | None) -> QColor:
    if seller_id is None:
        return NEW_SALE
    return SELLER_PALETTE[seller_id % len(SELLER_PALETTE)]


FAMILY = "DejaVu Sans"


class Scale:
    """Sizes for a window: ``px(n)`` is ``n`` pixels at 1920×1080, scaled to this window."""

    def __init__(self, width: int = 1920, height: int = 1080) -> None:
        self.width = width
        self.height = height
        self.f = max(0.2, min(width / 1920.0, height / 1080.0))
        self._fonts: dict[tuple[int, int], QFont] = {}
        self._metrics: dict[tuple[int, int], QFontMetrics] = {}

    def px(self, n: float) -> int:
        return max(1, round(n * self.f))

    def pxf(self, n: float) -> float:
        return n * self.f

    def font(self, size: float, weight: int = 400) -> QFont:
        """A cached font of ``size`` px at 1080p (digits are tabular in DejaVu Sans)."""
        key = (self.px(size), weight)
        font = self._fonts.get(key)
        if font is None:
            font = QFont(FAMILY)
            font.setPixelSize(key[0])
            font.setWeight(QFont.Weight(weight))
            font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
            self._fonts[key] = font
        return font

    def metrics(self, size: float, weight: int = 400) -> QFontMetrics:
        key = (self.px(size), weight)
        m = self._metrics.get(key)
        if m is None:
            m = QFontMetrics(self.font(size, weight))
            self._metrics[key] = m
        return m


def with_alpha(color: QColor, alpha: float) -> QColor:
    c = QColor(color)
    c.setAlphaF(max(0.0, min(1.0, alpha)))
    return c
