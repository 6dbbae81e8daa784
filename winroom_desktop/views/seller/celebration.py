"""Celebrations sized for a window: a toast, confetti inside the window, and a short sound.

``CelebrationLayer`` covers its parent, lets every click through, and draws with the shared
``FrameClock`` and ``Confetti`` pool of the TV. Do-not-disturb keeps a quiet toast and drops
the confetti and the sound. Sounds are short tones synthesized once into the cache dir
(little bass, no harsh highs) and played with ``QSoundEffect`` — skipped when Qt has no
audio or the platform is offscreen.
"""

from __future__ import annotations

import logging
import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from winroom_desktop.views import theme
from winroom_desktop.views.frameclock import FrameClock, ease_out, now_ms
from winroom_desktop.views.particles import Confetti
from winroom_desktop.views.seller.style import font

log = logging.getLogger(__name__)

TOAST_MS = 3200
FADE_MS = 300

# name → (notes in Hz, note length s): pleasant, mid-range, short (DESIGN: 0.3–2.5 s)
TONES: dict[str, tuple[tuple[float, ...], float]] = {
    "claim": ((523.25, 659.25, 783.99), 0.12),
    "achievement": ((392.0, 523.25, 659.25, 783.99), 0.14),
    "lost": ((392.0, 349.23), 0.16),
    "chat": ((880.0,), 0.07),
    "sale": ((659.25, 783.99), 0.1),
}


def write_tone(path: Path, notes: tuple[float, ...], note_s: float, rate: int = 22050) -> None:
    frames = bytearray()
    for f in notes:
        n = int(rate * note_s * 1.6)
        for i in range(n):
            t = i / rate
            env = min(1.0, t / 0.01) * math.exp(-t / (note_s * 0.8))
            s = env * (0.6 * math.sin(2 * math.pi * f * t) + 0.15 * math.sin(4 * math.pi * f * t))
            frames += struct.pack("<h", int(max(-1, min(1, s)) * 9000))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


class Sounds:
    """One ``QSoundEffect`` per tone, created on first use."""

    def __init__(self, cache_dir: Path | None, enabled: bool = True) -> None:
        offscreen = QGuiApplication.platformName() in ("offscreen", "minimal")
        self.enabled = enabled and cache_dir is not None and not offscreen
        self.cache_dir = cache_dir
        self.volume = 0.6
        self._effects: dict[str, object] = {}
        self.played: list[str] = []

    def play(self, name: str) -> None:
        self.played.append(name)
        if not self.enabled or name not in TONES or self.cache_dir is None:
            return
        try:
            from PySide6.QtMultimedia import QSoundEffect

            effect = self._effects.get(name)
            if effect is None:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                path = self.cache_dir / f"seller-{name}.wav"
                if not path.exists():
                    write_tone(path, *TONES[name])
                effect = QSoundEffect()
                effect.setSource(QUrl.fromLocalFile(str(path)))
                self._effects[name] = effect
            effect.setVolume(self.volume)  # type: ignore[attr-defined]
            effect.play()  # type: ignore[attr-defined]
        except Exception as exc:  # no audio here: stay quiet
            log.info("sound %s not played: %s", name, exc)
            self.enabled = False


@dataclass
class Toast:
    title: str
    subtitle: str
    color: QColor
    started: float


class CelebrationLayer(QWidget):
    """A transparent overlay on its parent: toasts and confetti."""

    def __init__(self, parent: QWidget, clock: FrameClock | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.clock = clock or FrameClock(interval_ms=33, parent=self)  # 30 fps is plenty here
        self.confetti = Confetti(capacity=160)
        self.toast: Toast | None = None
        self.dnd = False
        self.reduced_motion = False
        self._last = 0.0
        parent.installEventFilter(self)
        self.setGeometry(parent.rect())
        self.hide()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    @property
    def active(self) -> bool:
        return self.toast is not None or self.confetti.alive_count > 0

    def celebrate(self, title: str, subtitle: str = "", color: QColor | None = None) -> None:
        self.toast = Toast(title, subtitle, QColor(color or theme.GOAL), now_ms())
        if not self.dnd and not self.reduced_motion:
            w = float(self.width())
            self.confetti.scale = max(0.5, min(1.0, w / 1400))
            self.confetti.emit(70, w * 0.2, self.height() * 0.35, 65, 50, 900, life=2.0)
            self.confetti.emit(70, w * 0.8, self.height() * 0.35, 115, 50, 900, life=2.0)
        self._last = now_ms()
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.clock.request(self._frame)
        self.update()

    def _frame(self, t: float) -> bool:
        dt = max(0.0, min(0.05, (t - self._last) / 1000.0))
        self._last = t
        self.confetti.step(dt)
        if self.toast is not None and t - self.toast.started > TOAST_MS:
            self.toast = None
        self.update()
        if not self.active:
            self.hide()
            return False
        return True

    def paintEvent(self, _e: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.confetti.paint(p, float(self.height()))
        if self.toast is not None:
            self._paint_toast(p, self.toast)
        p.end()

    def _paint_toast(self, p: QPainter, toast: Toast) -> None:
        age = now_ms() - toast.started
        alpha = ease_out(age / 250.0)
        if age > TOAST_MS - FADE_MS:
            alpha = max(0.0, (TOAST_MS - age) / FADE_MS)
        w = min(520.0, self.width() - 40.0)
        h = 86.0 if toast.subtitle else 60.0
        rect = QRectF((self.width() - w) / 2, 64 - (1 - alpha) * 16, w, h)
        p.setOpacity(alpha)
        p.setPen(QPen(toast.color, 2))
        p.setBrush(theme.PANEL_HI)
        p.drawRoundedRect(rect, 14, 14)
        p.setPen(toast.color)
        p.setFont(font(22, 800))
        title_rect = QRectF(rect.left() + 16, rect.top() + 10, rect.width() - 32, 32)
        p.drawText(title_rect, int(Qt.AlignmentFlag.AlignCenter), toast.title)
        if toast.subtitle:
            p.setPen(theme.TEXT)
            p.setFont(font(14, 500))
            sub = QRectF(rect.left() + 16, rect.top() + 46, rect.width() - 32, 28)
            p.drawText(sub, int(Qt.AlignmentFlag.AlignCenter), toast.subtitle)
        p.setOpacity(1.0)
