"""The overlay layer: full-screen celebrations on top of everything, one at a time.

It plays what ``state.overlays.OverlayQueue`` hands out (in order, backlogs compressed into
a "while you were away" reel). While an overlay is up the layer is opaque: it paints a
snapshot of the screen below (taken when the overlay starts) dimmed, a colour wash, the
headline and the confetti, so a frame costs one pixmap blit plus the particles instead of
repainting every panel. Fades only (no strobe: nothing flashes more than 3×/s); with
reduced motion the headline and text stay, confetti and the spinning wheel go.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPixmap, QRadialGradient
from PySide6.QtWidgets import QWidget

from winroom_desktop.state.overlays import Overlay, OverlayQueue
from winroom_desktop.state.spin import wheel_segments
from winroom_desktop.views.frameclock import FrameClock, ease_out, now_ms
from winroom_desktop.views.particles import Confetti
from winroom_desktop.views.theme import (
    BG,
    GOAL,
    INFO,
    JACKPOT,
    MILESTONE,
    NEW_SALE,
    SELLER_PALETTE,
    STREAK,
    TEXT,
    Scale,
    with_alpha,
)
from winroom_desktop.views.tv.paint import CENTER, text

FADE_IN = 250.0
FADE_OUT = 350.0
SPIN_MS = 3000.0
WASH = {
    "streak": STREAK,
    "jackpot": JACKPOT,
    "goal": GOAL,
    "milestone": MILESTONE,
    "spin": NEW_SALE,
    "reel": INFO,
}
GOAL_WASH = {"member": INFO, "team": GOAL, "daily": GOAL.lighter(120)}


class OverlayLayer(QWidget):
    started = Signal(object)  # Overlay
    finished = Signal(object)  # Overlay

    def __init__(
        self,
        scale: Scale,
        clock: FrameClock,
        queue: OverlayQueue,
        backdrop: Callable[[], QPixmap],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.scale = scale
        self.clock = clock
        self.queue = queue
        self.backdrop = backdrop
        self.reduced_motion = False
        self.confetti = Confetti()
        self.current: Overlay | None = None
        self.played: deque[Overlay] = deque(maxlen=50)
        self._t0 = 0.0
        self._last = 0.0
        self._pixmap: QPixmap | None = None
        self._composed: QPixmap | None = None
        self._layers: list[tuple[QPixmap, QRectF]] = []
        self._headline: tuple[QPixmap, QRectF] | None = None
        self._bursts: list[tuple[float, str]] = []
        self._wheel: tuple[list[str], int] = ([], 0)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hide()

    def set_scale(self, scale: Scale) -> None:
        self.scale = scale
        self.confetti.scale = scale.f

    @property
    def busy(self) -> bool:
        return self.current is not None

    def enqueue(self, overlay: Overlay) -> bool:
        added = self.queue.push(overlay)
        if added and self.current is None:
            self.play_next()
        return added

    def play_next(self) -> None:
        ov = self.queue.pop_next()
        self.current = ov
        if ov is None:
            self.confetti.clear()
            self.hide()
            return
        t = now_ms()
        self._t0 = self._last = t
        self._pixmap = self.backdrop()
        self._compose(ov)
        self._bursts = self._plan(ov)
        if ov.kind == "spin":
            self._wheel = wheel_segments(ov.data.get("prize") or {})
        self.show()
        self.raise_()
        self.started.emit(ov)
        self.clock.request(self.tick)

    def refresh_backdrop(self) -> None:
        """Grab the screen beneath again while an overlay plays.

        The overlay draws a picture of the screen taken when it started (one blit a frame
        instead of repainting every panel). When something everyone should see changes
        beneath it, such as the connection coming up or dropping, the picture is taken again.
        Without this, a spin of several seconds would keep showing "Connecting…" behind it
        after the feed was live. Live events do not re-grab: a burst of sales would repaint
        the whole screen once per event in the middle of the animation."""
        if self.current is None:
            return
        self._pixmap = self.backdrop()
        self._compose(self.current)
        self.update()

    def _plan(self, ov: Overlay) -> list[tuple[float, str]]:
        if self.reduced_motion:
            return []
        return {
            "streak": [(0.0, "corners_up"), (700.0, "center_up")],
            "jackpot": [(0.0, "corners_up")],
            "goal": [(0.0, "center_up"), (900.0, "corners_up")],
            "milestone": [(0.0, "center_up")],
            "spin": [(SPIN_MS, "center_up")],
        }.get(ov.kind, [])

    def _burst(self, kind: str) -> None:
        w, h = float(self.width()), float(self.height())
        c = self.confetti
        if kind == "corners_up":
            c.emit(120, 0, h, 62, 30, 1500)
            c.emit(120, w, h, 118, 30, 1500)
        elif kind == "center_up":
            c.emit(160, w / 2, h, 90, 70, 1600)

    def tick(self, t: float) -> bool:
        ov = self.current
        if ov is None:
            return False
        dt = min(0.05, max(0.0, (t - self._last) / 1000.0))
        self._last = t
        elapsed = t - self._t0
        while self._bursts and self._bursts[0][0] <= elapsed:
            self._burst(self._bursts.pop(0)[1])
        if ov.kind == "jackpot" and not self.reduced_motion and elapsed < ov.duration_ms - 700:
            # continuous confetti from the top corners
            w = float(self.width())
            n = max(1, round(dt * 160))
            self.confetti.emit(n, 0, 0, -30, 40, 900, life=2.2)
            self.confetti.emit(n, w, 0, 210, 40, 900, life=2.2)
        self.confetti.step(dt)
        if elapsed >= ov.duration_ms + FADE_OUT:
            self.played.append(ov)
            self.current = None
            self.queue.finish()
            self.finished.emit(ov)
            self.play_next()
            self.update()
            return self.current is not None
        self.update()
        return True

    # -- painting --------------------------------------------------------------------
    def _alpha(self, elapsed: float, duration: float) -> float:
        if elapsed < FADE_IN:
            return ease_out(elapsed / FADE_IN)
        if elapsed > duration:
            return max(0.0, 1 - (elapsed - duration) / FADE_OUT)
        return 1.0

    # The costly parts are drawn once per overlay into pixmaps: the dimmed, colour-washed
    # backdrop (opaque) and the text layers; a frame blits them and adds the particles.
    def _layer(self, rect: QRectF, draw: Callable[[QPainter], None]) -> tuple[QPixmap, QRectF]:
        pm = QPixmap(max(1, int(rect.width())), max(1, int(rect.height())))
        pm.fill(Qt.GlobalColor.transparent)
        lp = QPainter(pm)
        lp.setRenderHint(QPainter.RenderHint.Antialiasing)
        lp.translate(-rect.x(), -rect.y())
        draw(lp)
        lp.end()
        return pm, rect

    def _compose(self, ov: Overlay) -> None:
        w, h = float(self.width()), float(self.height())
        s = self.scale
        composed = QPixmap(self.size())
        cp = QPainter(composed)
        if self._pixmap is not None and not self._pixmap.isNull():
            cp.drawPixmap(0, 0, self._pixmap)
        else:
            cp.fillRect(composed.rect(), BG)
        cp.fillRect(composed.rect(), with_alpha(BG, 0.88))
        wash = GOAL_WASH.get(ov.variant, GOAL) if ov.kind == "goal" else WASH[ov.kind]
        grad = QRadialGradient(QPointF(w / 2, h / 2), max(w, h) * 0.6)
        grad.setColorAt(0.0, with_alpha(wash, 0.45))
        grad.setColorAt(1.0, with_alpha(wash, 0.0))
        cp.fillRect(composed.rect(), grad)
        cp.end()
        self._composed = composed
        self._layers = []
        self._headline = None
        if ov.kind == "reel":
            self._layers.append(
                self._layer(
                    QRectF(0, h * 0.12, w, h * 0.86), lambda p: self._paint_reel(p, ov, w, h)
                )
            )
        elif ov.kind != "spin":
            top = h * 0.38 - s.px(110)
            self._headline = self._layer(
                QRectF(0, top, w, s.px(220)), lambda p: self._paint_title(p, ov, w, h)
            )
            self._layers.append(
                self._layer(
                    QRectF(0, h * 0.38 + s.px(110), w, s.px(310)),
                    lambda p: self._paint_headline(p, ov, w, h, wash),
                )
            )

    def paintEvent(self, event: QPaintEvent) -> None:
        ov = self.current
        p = QPainter(self)
        w, h = float(self.width()), float(self.height())
        if ov is None or self._composed is None:
            if self._pixmap is not None and not self._pixmap.isNull():
                p.drawPixmap(0, 0, self._pixmap)
            else:
                p.fillRect(self.rect(), BG)
            p.end()
            return
        elapsed = now_ms() - self._t0
        a = self._alpha(elapsed, ov.duration_ms)
        if a < 1 and self._pixmap is not None:
            p.drawPixmap(0, 0, self._pixmap)
            p.setOpacity(a)
        p.drawPixmap(0, 0, self._composed)
        if self._headline is not None:
            pm, rect = self._headline
            k = 1.0 if self.reduced_motion else 0.86 + 0.14 * ease_out(elapsed / 450.0)
            if k < 1:
                p.save()
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                p.translate(w / 2, rect.center().y())
                p.scale(k, k)
                p.drawPixmap(QPointF(-w / 2, -rect.height() / 2), pm)
                p.restore()
            else:
                p.drawPixmap(rect.topLeft(), pm)
        for pm, rect in self._layers:
            p.drawPixmap(rect.topLeft(), pm)
        if ov.kind == "spin":
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_spin(p, ov, elapsed, w, h)
        p.setOpacity(1.0)
        self.confetti.paint(p, h)
        p.end()

    def _paint_title(self, p: QPainter, ov: Overlay, w: float, h: float) -> None:
        s = self.scale
        size = 160 if ov.kind == "jackpot" else 140
        top = h * 0.38 - s.px(110)
        text(p, s, QRectF(0, top, w, s.px(220)), ov.title, size, TEXT, weight=800, align=CENTER)

    def _paint_headline(self, p: QPainter, ov: Overlay, w: float, h: float, color: QColor) -> None:
        s = self.scale
        if ov.subtitle:
            text(
                p,
                s,
                QRectF(s.px(96), h * 0.38 + s.px(120), w - s.px(192), s.px(100)),
                ov.subtitle,
                76,
                color,
                weight=800,
                align=CENTER,
            )
        if ov.detail:
            text(
                p,
                s,
                QRectF(s.px(96), h * 0.38 + s.px(230), w - s.px(192), s.px(70)),
                ov.detail,
                48,
                TEXT,
                weight=600,
                align=CENTER,
            )
        if ov.kind == "streak":
            count = int(ov.data.get("count") or 0)
            flames = "🔥" * min(count, 8)
            text(
                p,
                s,
                QRectF(0, h * 0.38 + s.px(310), w, s.px(90)),
                flames,
                64,
                TEXT,
                align=CENTER,
            )

    def _paint_reel(self, p: QPainter, ov: Overlay, w: float, h: float) -> None:
        s = self.scale
        text(p, s, QRectF(0, h * 0.12, w, s.px(150)), ov.title, 112, TEXT, weight=800, align=CENTER)
        text(
            p, s, QRectF(0, h * 0.12 + s.px(140), w, s.px(70)), ov.subtitle, 48, INFO, align=CENTER
        )
        y = h * 0.12 + s.px(240)
        for line in ov.data.get("lines") or []:
            text(p, s, QRectF(s.px(160), y, w - s.px(320), s.px(72)), line, 48, TEXT, align=CENTER)
            y += s.px(78)

    def _paint_spin(self, p: QPainter, ov: Overlay, elapsed: float, w: float, h: float) -> None:
        s = self.scale
        labels, target = self._wheel
        n = len(labels) or 1
        seg = 360.0 / n
        # the pointer is at the top (90°); land the target segment's centre under it
        final = 360.0 * 5 + (90.0 - (target + 0.5) * seg)
        k = 1.0 if self.reduced_motion else min(1.0, elapsed / SPIN_MS)
        angle = final * (1 - (1 - k) ** 3)
        radius = min(w, h) * 0.27
        cx, cy = w * 0.36, h * 0.52
        text(
            p,
            s,
            QRectF(0, h * 0.07, w, s.px(150)),
            "🎡 SPIN & WIN",
            120,
            TEXT,
            weight=800,
            align=CENTER,
        )
        rect = QRectF(cx - radius, cy - radius, 2 * radius, 2 * radius)
        p.setPen(with_alpha(BG, 0.9))
        for i, label in enumerate(labels):
            start = angle + i * seg
            color = SELLER_PALETTE[i % len(SELLER_PALETTE)]
            p.setBrush(color)
            p.drawPie(rect, int(start * 16), int(seg * 16))
            mid = math.radians(start + seg / 2)
            p.save()
            p.translate(cx + math.cos(mid) * radius * 0.6, cy - math.sin(mid) * radius * 0.6)
            p.rotate(-(start + seg / 2))
            text(
                p,
                s,
                QRectF(-radius * 0.4, -s.px(20), radius * 0.8, s.px(40)),
                label,
                28,
                BG,
                weight=700,
                align=CENTER,
            )
            p.restore()
        # pointer
        path = QPainterPath()
        tip = QPointF(cx, cy - radius + s.pxf(18))
        path.moveTo(tip)
        path.lineTo(cx - s.pxf(26), cy - radius - s.pxf(36))
        path.lineTo(cx + s.pxf(26), cy - radius - s.pxf(36))
        path.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(TEXT)
        p.drawPath(path)
        p.setBrush(BG)
        p.drawEllipse(QPointF(cx, cy), radius * 0.12, radius * 0.12)
        # who and (once landed) what
        tx = w * 0.62
        tw = w * 0.33
        text(p, s, QRectF(tx, cy - s.px(130), tw, s.px(80)), ov.subtitle, 64, TEXT, weight=800)
        if k >= 1:
            text(p, s, QRectF(tx, cy - s.px(40), tw, s.px(60)), "wins", 40, TEXT)
            text(p, s, QRectF(tx, cy + s.px(20), tw, s.px(90)), ov.detail, 64, JACKPOT, weight=800)
        else:
            text(p, s, QRectF(tx, cy - s.px(40), tw, s.px(60)), "is spinning…", 40, TEXT)
