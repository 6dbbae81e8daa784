"""Sounds: the seed's twelve WAVs (``assets/sounds``, made by ``scripts/make_sounds.py``),
preloaded as ``QSoundEffect``s and played one at a time.

No QtMultimedia, no audio library or no device → silence, logged once; everything else
works. Volume, mute and quiet hours come from ``TvSettings``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl

from winroom_desktop.state.tvsettings import TvSettings

log = logging.getLogger(__name__)

SOUNDS_DIR = Path(__file__).parent / "assets" / "sounds"
NAMES = (
    "notification",
    "claim",
    "streak",
    "jackpot",
    "member_mission",
    "team_mission",
    "happy",
    "sales_4k",
    "sales_8k",
    "sales_10k",
    "team_30k",
    "team_40k",
)


class SoundPlayer(QObject):
    def __init__(
        self,
        settings: TvSettings,
        *,
        enabled: bool = True,
        now: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._now = now or datetime.now
        self._effects: dict[str, Any] = {}
        self._playing: Any = None
        self.played: list[str] = []  # names asked for and allowed (tests, last 50)
        self.available = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except Exception as exc:  # ImportError, missing libpulse …
            log.warning("sound off: QtMultimedia unavailable (%s)", str(exc).splitlines()[0])
            return
        try:
            if not QMediaDevices.audioOutputs():
                log.warning("sound off: no audio output device")
                return
            for name in NAMES:
                path = SOUNDS_DIR / f"{name}.wav"
                if not path.exists():
                    continue
                eff = QSoundEffect(self)
                eff.setSource(QUrl.fromLocalFile(str(path)))
                eff.setVolume(self.settings.volume)
                self._effects[name] = eff
            self.available = bool(self._effects)
        except Exception as exc:
            log.warning("sound off: %s", str(exc).splitlines()[0])
            self._effects.clear()

    def allowed(self) -> bool:
        return not self.settings.is_quiet(self._now().time()) and not self.settings.is_night(
            self._now().time()
        )

    def play(self, name: str | None) -> bool:
        """Play one sound (stopping the one before). ``False`` when muted/quiet/unknown."""
        if not name or name not in NAMES or not self.allowed():
            return False
        self.played.append(name)
        del self.played[:-50]
        eff = self._effects.get(name)
        if eff is None:
            return True
        if self._playing is not None and self._playing is not eff:
            self._playing.stop()
        eff.setVolume(self.settings.volume)
        eff.play()
        self._playing = eff
        return True

    def busy(self) -> bool:
        return bool(self._playing is not None and self._playing.isPlaying())

    def stop(self) -> None:
        if self._playing is not None:
            self._playing.stop()
