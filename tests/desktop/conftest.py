"""Desktop test fixtures: Qt offscreen, a private data dir, a TV wired to a stub feed."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _collect_qt_garbage() -> Iterator[None]:
    """Collect each test's Qt objects on the Qt thread, right after the test.

    Left to the cyclic GC, a window/timer wrapper kept alive by a reference cycle may be
    destroyed later by whatever thread happens to allocate — e.g. a uvicorn server thread of
    a backend test — and Qt then crashes in ``processEvents`` (seen: a segfault in the next
    test module when the desktop tests ran before the API tests)."""
    yield
    gc.collect()
    from PySide6.QtCore import QCoreApplication, QEvent

    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def desktop_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "desktop-data"
    monkeypatch.setenv("WINROOM_DESKTOP_DATA_DIR", str(d))
    return d


@pytest.fixture
def tv(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A ``TvApp`` with a ``StubFeed``, a silent sound player and a journal in tmp."""
    from tests.helpers.stub_feed import StubFeed
    from winroom_desktop.sound import SoundPlayer
    from winroom_desktop.state.journal import Journal
    from winroom_desktop.state.tvsettings import TvSettings
    from winroom_desktop.tv_app import TvApp
    from winroom_desktop.views.tv.window import TvWindow

    settings = TvSettings(rotate_seconds=15)
    window = TvWindow(settings)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    feed = StubFeed()
    sound = SoundPlayer(settings, enabled=False)
    app = TvApp(
        settings=settings,
        feed=feed,
        window=window,
        sound=sound,
        journal=Journal(tmp_path / "journal.json", server="http://test"),
    )
    app.start()
    yield app
    app._refresh_timer.stop()
    app._journal_timer.stop()
    window.stop_timers()
    window.allow_close = True
