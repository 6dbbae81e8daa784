"""Achievement stories: the last 12 as story cards (emoji in a gradient ring, title,
seller, reactions), sliding one step every few seconds when they do not all fit. The
cards share the strip's width, so at rest it shows whole cards only."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QConicalGradient, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from winroom_desktop.state import format as fmt
from winroom_desktop.state.models import Achievement
from winroom_desktop.views.frameclock import FrameClock, ease_in_out, now_ms
from winroom_desktop.views.theme import (
    DIM,
    JACKPOT,
    MILESTONE,
    MUTED,
    PANEL_HI,
    STREAK,
    TEXT,
    WARNING,
    Scale,
)
from winroom_desktop.views.tv.paint import (
    CENTER,
    RIGHT,
    TvWidget,
    fit,
    layout,
    rounded,
    text,
    wrapped,
)

CARD_W = 410  # the narrowest a card gets; the strip's width is shared by whole cards
GAP = 18
SLIDE_MS = 700.0


class StoriesStrip(TvWidget):
    def __init__(self, scale: Scale, clock: FrameClock, parent: QWidget | None = None) -> None:
        super().__init__(scale, parent)
        self.clock = clock
        self.items: tuple[Achievement, ...] = ()
        self.offset = 0  # index of the first card shown
        self._pos = 0.0
        self._from = 0.0
        self._t0 = -1e9
        self.reduced_motion = False

    def set_items(self, items: tuple[Achievement, ...]) -> None:
        if [a.id for a in items] != [a.id for a in self.items]:
            self.offset = 0
            self._pos = 0.0
        self.items = items
        self.update()

    def per_view(self) -> int:
        step = self.scale.px(CARD_W + GAP)
        return max(1, int((self.width() + self.scale.px(GAP)) // step))

    def card_width(self) -> float:
        """Cards stretch so that ``per_view`` of them fill the strip exactly."""
        n = self.per_view()
        return (self.width() - (n - 1) * self.scale.pxf(GAP)) / n

    def visible(self) -> list[tuple[int, QRectF]]:
        """``(index, rect)`` of each card (partly) on the strip now."""
        s = self.scale
        top = float(s.px(44) + s.px(6))
        cw = self.card_width()
        step = cw + s.pxf(GAP)
        w = float(self.width())
        out = []
        for i in range(len(self.items)):
            x = (i - self._pos) * step
            if x + cw <= 0.5 or x >= w - 0.5:
                continue
            out.append((i, QRectF(x, top, cw, self.height() - top)))
        return out

    def advance(self) -> None:
        """Slide by one card (wrapping) when there are more stories than fit."""
        extra = len(self.items) - self.per_view()
        if extra <= 0:
            return
        self._from = self._pos
        self.offset = (self.offset + 1) % (extra + 1)
        self._t0 = now_ms() if not self.reduced_motion else now_ms() - SLIDE_MS
        self.clock.request(self.tick)

    def tick(self, t: float) -> bool:
        k = (t - self._t0) / SLIDE_MS
        self._pos = self._from + (self.offset - self._from) * ease_in_out(k)
        self.update()
        return k < 1

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self.scale
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = float(self.width()), float(self.height())
        title_h = float(s.px(44))
        text(p, s, QRectF(0, 0, w, title_h), "ACHIEVEMENTS", 30, MUTED, weight=700)
        top = title_h + s.px(6)
        ch = h - top
        if not self.items:
            rounded(p, QRectF(0, top, w, ch), s.px(18), PANEL_HI)
            wrapped(
                p,
                s,
                QRectF(0, top, w, ch),
                "Milestones and badges will appear here — the next one is close",
                28,
                MUTED,
            )
            p.end()
            return
        p.setClipRect(QRectF(0, top, w, ch))
        for i, r in self.visible():
            self._paint_story(p, self.items[i], r)
        p.end()

    def _paint_story(self, p: QPainter, a: Achievement, r: QRectF) -> None:
        s = self.scale
        rounded(p, r, s.px(18), PANEL_HI)
        ring = min(r.height() - s.px(28), s.pxf(104))
        cx = r.x() + s.px(16) + ring / 2
        cy = r.y() + r.height() / 2
        grad = QConicalGradient(QPointF(cx, cy), 90)
        grad.setColorAt(0.0, JACKPOT)
        grad.setColorAt(0.5, STREAK)
        grad.setColorAt(1.0, MILESTONE)
        pen = QPen(DIM, s.pxf(6)) if a.refunded else QPen(grad, s.pxf(6))
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(cx, cy), ring / 2 - s.pxf(3), ring / 2 - s.pxf(3))
        text(
            p, s, QRectF(cx - ring / 2, cy - ring / 2, ring, ring), a.emoji, 48, TEXT, align=CENTER
        )
        x = cx + ring / 2 + s.px(16)
        tw = r.right() - x - s.px(14)
        avail = r.height() - s.px(12)
        small = float(s.metrics(28).height())
        # the title takes up to two lines; seller and reactions share what is left
        title_max = avail - 2 * small
        tf = layout(s, a.title, 30, tw, weight=700, kind="title", max_lines=2, height=title_max)
        title_h = float(s.metrics(tf.size, 700).height() * len(tf.lines))
        line = max(small, (avail - title_h) / 2) if len(tf.lines) > 1 else avail / 3
        title_h = max(title_h, line) if len(tf.lines) == 1 else title_h
        y = r.y() + s.px(6)
        fit(
            p,
            s,
            QRectF(x, y, tw, title_h),
            a.title,
            30,
            TEXT,
            weight=700,
            kind="title",
            max_lines=2,
        )
        y += title_h
        if a.seller_name:
            fit(p, s, QRectF(x, y, tw, line), a.seller_name, 28, MUTED, kind="name")
        else:
            text(p, s, QRectF(x, y, tw, line), "The team", 28, MUTED)
        y += line
        when = "Refunded" if a.refunded else fmt.ago(a.created_at)
        fm = s.metrics(28)
        when_w = fm.horizontalAdvance(when) + s.px(4)
        room = tw - when_w - s.px(8)
        # as many whole reactions as fit (never "👏 4 …")
        reactions = ""
        for n in range(min(2, len(a.reactions)), 0, -1):
            cand = "  ".join(f"{r_.emoji} {r_.count}" for r_ in a.reactions[:n])
            if fm.horizontalAdvance(cand) <= room:
                reactions = cand
                break
        if reactions:
            text(p, s, QRectF(x, y, room, line), reactions, 28, TEXT)
        when_color = WARNING if a.refunded else MUTED
        text(p, s, QRectF(x + tw - when_w, y, when_w, line), when, 28, when_color, align=RIGHT)
