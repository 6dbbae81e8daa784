"""Celebrations sized for a window: a toast, confetti inside the window, and a short sound.

``CelebrationLayer`` covers its parent, lets every click through, and draws with the shared
``FrameClock`` and ``Confetti`` pool of the TV. Do-not-disturb keeps a quiet toast and drops
the confetti and the sound. Sounds are the seed's twelve WAVs (the TV's), played one at a
time with ``QSoundEffect`` — skipped when Qt has no audio or the platform is offscreen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from winroom_desktop.sound import NAMES, SOUNDS_DIR
from winroom_desktop.views import theme
from winroom_desktop.views.frameclock import FrameClock, ease_out, now_ms
from winroom_desktop.views.particles import Confetti
from winroom_desktop.views.seller.style import font

log = logging.getLogger(__name__)

TOAST_MS = 3200
FADE_MS = 300

# what the seller app plays → the seed's twelve sounds (``assets/sounds``, as on the TV)
SELLER_SOUNDS = {
    "sale": "notification",
    "chat": "notification",
    "lost": "notification",
    "achievement": "happy",
}


class Sounds:
    """The seed's WAVs, one ``QSoundEffect`` each (made on first use), one at a time: a new
    sound stops the one playing. ``played`` keeps the last 50 names (tests)."""

    def __init__(self, enabled: bool = True) -> None:
        offscreen = QGuiApplication.platformName() in ("offscreen", "minimal")
        self.enabled = enabled and not offscreen
        self.volume = 0.6
        self._effects: dict[str, Any] = {}
        self._playing: Any = None
        self.played: list[str] = []

    def play(self, name: str) -> None:
        seed = SELLER_SOUNDS.get(name, name)
        if seed not in NAMES:
            log.debug("no sound named %s", name)
            return
        self.played.append(seed)
        del self.played[:-50]
        if not self.enabled:
            return
        try:
            from PySide6.QtMultimedia import QSoundEffect

            effect = self._effects.get(seed)
            if effect is None:
                effect = QSoundEffect()
                effect.setSource(QUrl.fromLocalFile(str(SOUNDS_DIR / f"{seed}.wav")))
                self._effects[seed] = effect
            if self._playing is not None and self._playing is not effect:
                self._playing.stop()
            effect.setVolume(self.volume)
            effect.play()
            self._playing = effect
        except Exception as exc:  # no audio here: stay quiet
            log.info("sound %s not played: %s", seed, exc)
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
        parent = self.parentWidget()
        if obj is parent and parent is not None and event.type() == QEvent.Type.Resize:
            self.setGeometry(parent.rect())
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
        if (parent := self.parentWidget()) is not None:
            self.setGeometry(parent.rect())
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
