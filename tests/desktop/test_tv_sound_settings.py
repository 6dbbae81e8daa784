"""The TV's mute and volume survive a restart: M and +/- write them to the screen's
settings file, keeping what else the file says (a screen's first file starts as screen 0's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

from winroom_desktop.state.tvsettings import TvSettings, save_sound


def _key(window: Any, key: Qt.Key) -> None:
    event = QKeyEvent(QKeyEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
    window.keyPressEvent(event)


def _tv(qtbot: Any, settings_file: Path, base: Path | None = None) -> Any:
    from tests.helpers.stub_feed import StubFeed
    from winroom_desktop.tv_app import TvApp
    from winroom_desktop.views.tv.window import TvWindow

    settings = TvSettings.load(
        base if base is not None and not settings_file.exists() else settings_file
    )
    window = TvWindow(settings)
    qtbot.addWidget(window)
    return TvApp(
        settings=settings,
        feed=StubFeed(),
        window=window,
        settings_file=settings_file,
        settings_base=base,
    )


def test_mute_and_volume_are_kept_for_the_next_start(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "tv-settings.json"
    path.write_text(json.dumps({"night": "20:00-07:00", "volume": 0.5, "custom": 1}))
    tv = _tv(qtbot, path)
    _key(tv.window, Qt.Key.Key_M)
    _key(tv.window, Qt.Key.Key_Plus)
    _key(tv.window, Qt.Key.Key_Plus)
    again = TvSettings.load(path)
    assert again.muted is True and again.volume == 0.7
    assert again.night == "20:00-07:00" and again.extra == {"custom": 1}  # the rest kept
    for _ in range(12):
        _key(tv.window, Qt.Key.Key_Minus)
    assert TvSettings.load(path).volume == 0.0  # clamped
    _key(tv.window, Qt.Key.Key_M)
    assert TvSettings.load(path).muted is False
    tv.window.stop_timers()


def test_a_screens_first_own_file_starts_from_screen_zeros(qtbot: Any, tmp_path: Path) -> None:
    base = tmp_path / "tv-settings.json"
    base.write_text(json.dumps({"night": "21:00-06:00", "playlist": "wins/today"}))
    own = tmp_path / "tv-settings-screen1.json"
    tv = _tv(qtbot, own, base)
    _key(tv.window, Qt.Key.Key_M)
    mine = TvSettings.load(own)
    assert mine.muted and mine.night == "21:00-06:00" and mine.playlist == "wins/today"
    assert not TvSettings.load(base).muted  # screen 0 keeps its own sound
    tv.window.stop_timers()


def test_save_sound_survives_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "tv-settings.json"
    path.write_text("{not json")
    assert json.loads(save_sound(path, True, 1.7)) == {"muted": True, "volume": 1.0}
