"""``Confetti``: a fixed pool of particles stepped with numpy and painted in batches.

No per-frame allocation: positions live in preallocated arrays, every particle owns one
``QRectF`` that is updated in place, and particles are drawn with one ``drawRects`` call per
colour (lists are prebuilt per colour and only their visible prefix is used).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter

COLORS = [
    QColor("#FFC83D"),
    QColor("#FF7A1A"),
    QColor("#3D8BFD"),
    QColor("#2ED47A"),
    QColor("#A66BFF"),
    QColor("#FF5D8F"),
]


class Confetti:
    def __init__(self, capacity: int = 600, seed: int = 7) -> None:
        self.capacity = capacity
        self.rng = np.random.default_rng(seed)
        n = capacity
        self.x = np.zeros(n)
        self.y = np.zeros(n)
        self.vx = np.zeros(n)
        self.vy = np.zeros(n)
        self.phase = np.zeros(n)
        self.spin = np.zeros(n)
        self.life = np.zeros(n)  # seconds left; <= 0 = dead
        self.size = np.zeros(n)
        self.color = (np.arange(n) % len(COLORS)).astype(np.int64)
        self._rects = [QRectF() for _ in range(n)]
        # per colour: the particle indices of that colour (fixed) and a reusable rect list
        self._by_color = [np.flatnonzero(self.color == c) for c in range(len(COLORS))]
        self._by_color_l = [idx.tolist() for idx in self._by_color]
        self._batch: list[list[QRectF]] = [[] for _ in COLORS]
        self.gravity = 900.0
        self.scale = 1.0

    @property
    def alive_count(self) -> int:
        return int(np.count_nonzero(self.life > 0))

    def clear(self) -> None:
        self.life[:] = 0

    def emit(
        self,
        n: int,
        x: float,
        y: float,
        angle_deg: float,
        spread_deg: float,
        speed: float,
        life: float = 2.6,
    ) -> int:
        """Launch up to ``n`` particles from (x, y) towards ``angle_deg`` (0 = right, 90 = up)."""
        dead = np.flatnonzero(self.life <= 0)[:n]
        k = len(dead)
        if k == 0:
            return 0
        s = self.scale
        ang = np.radians(angle_deg + self.rng.uniform(-spread_deg / 2, spread_deg / 2, k))
        sp = speed * s * self.rng.uniform(0.55, 1.0, k)
        self.x[dead] = x
        self.y[dead] = y
        self.vx[dead] = np.cos(ang) * sp
        self.vy[dead] = -np.sin(ang) * sp
        self.phase[dead] = self.rng.uniform(0, math.tau, k)
        self.spin[dead] = self.rng.uniform(4, 12, k)
        self.life[dead] = life * self.rng.uniform(0.7, 1.0, k)
        self.size[dead] = s * self.rng.uniform(10, 18, k)
        return k

    def step(self, dt: float) -> None:
        alive = self.life > 0
        if not alive.any():
            return
        drag = 0.985 ** (dt * 60)
        self.vx[alive] *= drag
        self.vy[alive] = self.vy[alive] * drag + self.gravity * self.scale * dt
        self.x[alive] += self.vx[alive] * dt
        self.y[alive] += self.vy[alive] * dt
        self.phase[alive] += self.spin[alive] * dt
        self.life[alive] -= dt

    def paint(self, p: QPainter, height: float) -> None:
        """Draw every live particle (flutter: the height follows |cos(phase)|)."""
        alive = (self.life > 0) & (self.y < height + 40)
        if not alive.any():
            return
        w = self.size
        h = self.size * (0.25 + 0.75 * np.abs(np.cos(self.phase)))
        xs = (self.x - w / 2).tolist()
        ys = (self.y - h / 2).tolist()
        ws = w.tolist()
        hs = h.tolist()
        alive_l = alive.tolist()
        rects = self._rects
        p.setPen(Qt.PenStyle.NoPen)
        for c, idx in enumerate(self._by_color_l):
            batch = self._batch[c]
            batch.clear()
            for i in idx:
                if alive_l[i]:
                    r = rects[i]
                    r.setRect(xs[i], ys[i], ws[i], hs[i])
                    batch.append(r)
            if batch:
                p.setBrush(COLORS[c])
                p.drawRects(batch)
