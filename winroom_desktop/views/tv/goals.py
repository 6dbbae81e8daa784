"""Team goals (animated progress bars), the energy level (CONTRACT §6) and challenges."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from winroom_desktop.state import format as fmt
from winroom_desktop.state.models import Challenge, Goal
from winroom_desktop.views.frameclock import FrameClock, ease_out, now_ms
from winroom_desktop.views.theme import (
    GOAL,
    MILESTONE,
    MUTED,
    NEW_SALE,
    PANEL_HI,
    TEXT,
    Scale,
)
from winroom_desktop.views.tv.paint import (
    LEFT,
    RIGHT,
    TvWidget,
    fit,
    layout,
    rounded,
    text,
    wrapped,
)

GROW_MS = 900.0
MAX_GOALS = 3
PERIOD_NAMES = {"day": "Today", "today": "Today", "15d": "15 days", "month": "This month"}


def goal_amount(goal: Goal, value: str) -> str:
    if goal.target_type in ("revenue", "margin"):
        return fmt.money_short(value)
    try:
        return f"{int(float(value)):,}"
    except ValueError:
        return value


class GoalsPanel(TvWidget):
    def __init__(self, scale: Scale, clock: FrameClock, parent: QWidget | None = None) -> None:
        super().__init__(scale, parent)
        self.clock = clock
        self.goals: tuple[Goal, ...] = ()
        self.challenges: tuple[Challenge, ...] = ()
        self.energy = 0.0
        self._shown: dict[int, float] = {}
        self._from: dict[int, float] = {}
        self._t0 = -1e9
        self.reduced_motion = False

    def set_goals(
        self, goals: tuple[Goal, ...], challenges: tuple[Challenge, ...], energy: float
    ) -> None:
        changed = [g.id for g in goals if abs(self._shown.get(g.id, 0.0) - g.fraction) > 1e-9]
        self.goals = goals
        self.challenges = challenges
        self.energy = energy
        if changed:
            self._from = {g.id: self._shown.get(g.id, 0.0) for g in goals}
            self._t0 = now_ms() if not self.reduced_motion else now_ms() - GROW_MS
            self.clock.request(self.tick)
        self.update()

    def settle(self) -> None:
        """Finish the bars' growth now (before an overlay takes its picture)."""
        t = now_ms()
        self._t0 = min(self._t0, t - GROW_MS)
        self.tick(t)

    def tick(self, t: float) -> bool:
        k = (t - self._t0) / GROW_MS
        e = ease_out(k)
        for g in self.goals:
            start = self._from.get(g.id, 0.0)
            self._shown[g.id] = start + (g.fraction - start) * e
        self.update()
        return k < 1

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self.scale
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = float(self.width())
        text(p, s, QRectF(0, 0, w * 0.6, s.px(44)), "TEAM GOALS", 30, MUTED, weight=700)
        y = float(s.px(56))
        if not self.goals:
            rounded(p, QRectF(0, y, w, s.px(156)), s.px(18), PANEL_HI)
            wrapped(
                p,
                s,
                QRectF(s.px(20), y, w - s.px(40), s.px(156)),
                "No team goal set for today",
                28,
                MUTED,
            )
            y += s.px(172)
        for g in self.goals[:MAX_GOALS]:
            pad = s.pxf(22)
            line_w = w - 2 * pad
            period = PERIOD_NAMES.get((g.period or "").lower(), g.period or "")
            title = g.title or f"{period} {g.target_type or 'goal'}"
            pct = f"✓ {round(g.fraction * 100)}%" if g.completed else f"{round(g.fraction * 100)}%"
            pct_w = s.metrics(40, 700).horizontalAdvance(pct) + s.px(8)
            # the title comes first (goal names are often long; two lines if need be); the
            # target goes after it when both fit, else after the value, else it is left to
            # the percentage
            of = f"of {goal_amount(g, g.target)}"
            of_w = s.metrics(28).horizontalAdvance(of) + s.px(6)
            two = s.metrics(30, 600).height() * 2
            tfit = layout(s, title, 30, line_w, weight=600, kind="title", max_lines=2, height=two)
            tfm = s.metrics(tfit.size, 600)
            title_h = max(float(s.px(40)), float(tfm.height() * len(tfit.lines)))
            extra = title_h - s.px(40)
            block = s.pxf(150) + extra
            if y + block - s.px(14) > self.height():
                break
            rounded(p, QRectF(0, y, w, block - s.px(14)), s.px(18), PANEL_HI)
            title_r = QRectF(pad, y + s.px(8), line_w, title_h)
            fit(p, s, title_r, title, 30, MUTED, weight=600, kind="title", max_lines=2)
            title_w = tfm.horizontalAdvance(tfit.lines[0])
            shown = self._shown.get(g.id, 0.0)
            value = goal_amount(g, g.value)
            value_w = s.metrics(44, 700).horizontalAdvance(value) + s.px(12)
            vy = y + extra
            row2 = QRectF(pad, vy + s.px(46), line_w - pct_w, s.px(52))
            fit(p, s, row2, value, 44, TEXT, weight=700, kind="money")
            if len(tfit.lines) == 1 and title_w + of_w + s.px(12) <= line_w:
                text(
                    p,
                    s,
                    QRectF(w - pad - of_w, y + s.px(8), of_w, s.px(40)),
                    of,
                    28,
                    MUTED,
                    align=RIGHT,
                )
            elif value_w + of_w <= line_w - pct_w:
                text(p, s, QRectF(pad + value_w, vy + s.px(56), of_w, s.px(40)), of, 28, MUTED)
            fit(
                p,
                s,
                QRectF(w - pad - pct_w, vy + s.px(48), pct_w, s.px(48)),
                pct,
                40,
                GOAL if g.completed else TEXT,
                weight=700,
                align=RIGHT,
                kind="money",
            )
            bar = QRectF(pad, vy + s.px(104), w - 2 * pad, s.px(18))
            rounded(p, bar, bar.height() / 2, LINE_BG)
            frac = max(0.0, min(1.0, shown))
            if frac > 0:
                fill = QRectF(bar.x(), bar.y(), max(bar.height(), bar.width() * frac), bar.height())
                grad = QLinearGradient(fill.topLeft(), fill.topRight())
                grad.setColorAt(0, NEW_SALE)
                grad.setColorAt(1, GOAL if frac >= 1 else MILESTONE)
                p.setBrush(grad)
                p.drawRoundedRect(fill, bar.height() / 2, bar.height() / 2)
            y += block
        energy = f"⚡ Team energy {round(self.energy * 100)}%"
        if y + s.px(44) <= self.height():
            ink = GOAL if self.energy >= 1 else TEXT
            text(p, s, QRectF(0, y, w, s.px(44)), energy, 30, ink, weight=700)
        y += s.px(64)
        if self.challenges and y + s.px(100) < self.height():
            text(p, s, QRectF(0, y, w, s.px(44)), "CHALLENGES", 30, MUTED, weight=700)
            y += s.px(48)
            for c in self.challenges:
                label = f"{'✓ ' if c.completed else '⚡ '}{c.title}"
                two = s.metrics(28).height() * 2
                f = layout(s, label, 28, w, kind="title", max_lines=2, height=two)
                h = max(float(s.px(40)), float(s.metrics(f.size).height() * len(f.lines)))
                if y + h > self.height():
                    break
                fit(
                    p, s, QRectF(0, y, w, h), label, 28, TEXT, align=LEFT, kind="title", max_lines=2
                )
                y += h + s.px(4)
        p.end()


LINE_BG = PANEL_HI.darker(140)
