"""Charts for the admin window (pyqtgraph): bars with their value written on them, no
legend to decode, a colour-blind-safe palette (Okabe–Ito), the window's dark theme."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from winroom_desktop.views import theme

OKABE_ITO = ("#56B4E9", "#E69F00", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")


class BarChart(QWidget):
    """Vertical bars (a daily series) or horizontal ones (a ranking), labelled."""

    def __init__(
        self,
        title: str,
        *,
        horizontal: bool = False,
        color: str = OKABE_ITO[0],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.horizontal = horizontal
        self.color = color
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        head = QLabel(title)
        head.setProperty("role", "section")
        v.addWidget(head)
        self.plot = pg.PlotWidget(background=theme.PANEL.name())
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=not horizontal, y=horizontal, alpha=0.0)
        for ax in ("left", "bottom"):
            a = self.plot.getAxis(ax)
            a.setTextPen(pg.mkPen(theme.MUTED.name()))
            a.setPen(pg.mkPen(theme.LINE.name()))
            f = QFont(theme.FAMILY)
            f.setPixelSize(11)
            a.setStyle(tickFont=f)
        v.addWidget(self.plot, 1)
        self._labels: list[pg.TextItem] = []
        self.bars: pg.BarGraphItem | None = None
        self.values: list[float] = []

    def set_data(
        self, names: Sequence[str], values: Sequence[float], labels: Sequence[str] | None = None
    ) -> None:
        self.values = list(values)
        self.plot.clear()
        self._labels = []
        n = len(values)
        if not n:
            return
        pos = list(range(n))
        brush = pg.mkBrush(QColor(self.color))
        label_font = QFont(theme.FAMILY)
        label_font.setPixelSize(11)
        # nothing yet (all zero): a 0–1 axis, not pyqtgraph's 1e-09 ticks
        top = max(values) if max(values) > 0 else 1.0
        if self.horizontal:
            pos = pos[::-1]  # first = top
            self.bars = pg.BarGraphItem(
                x0=0, y=pos, height=0.7, width=list(values), brush=brush, pen=None
            )
            self.plot.addItem(self.bars)
            ax = self.plot.getAxis("left")
            ax.setTicks([[(p, str(nm)) for p, nm in zip(pos, names, strict=False)]])
            self.plot.setXRange(0, top * 1.28, padding=0)
            self.plot.setYRange(-0.6, n - 0.4, padding=0)
            self.plot.getAxis("bottom").setTicks([[]])
            for p, val, lab in zip(pos, values, labels or [str(v) for v in values], strict=False):
                t = pg.TextItem(lab, color=theme.TEXT.name(), anchor=(0, 0.5))
                t.setFont(label_font)
                t.setPos(val + top * 0.02, p)
                self.plot.addItem(t)
                self._labels.append(t)
        else:
            self.bars = pg.BarGraphItem(
                x=pos, height=list(values), width=0.7, brush=brush, pen=None
            )
            self.plot.addItem(self.bars)
            step = max(1, n // 12)
            self.plot.getAxis("bottom").setTicks([[(p, str(names[p])) for p in pos[::step]]])
            self.plot.setYRange(0, top * 1.18, padding=0)
            self.plot.setXRange(-0.6, n - 0.4, padding=0)
            if labels is not None:
                # every bar when they fit; else the best day and the last one (no overlap)
                best = max(range(n), key=lambda i: values[i])
                room = max(self.width(), 300) / n  # px per bar
                keep = set(pos) if room >= 44 else {best, n - 1}
                for p, val, lab in zip(pos, values, labels, strict=False):
                    if p not in keep:
                        continue
                    t = pg.TextItem(lab, color=theme.MUTED.name(), anchor=(0.5, 1))
                    t.setFont(label_font)
                    t.setPos(p, val)
                    self.plot.addItem(t)
                    self._labels.append(t)
