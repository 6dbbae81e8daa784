"""The pairing screen offscreen (what it paints) and its wiring into the TV (stub feed,
stub pairing client): shown at once on an empty TV, else only once a code is there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPainter

from winroom_desktop.state.pairing import SHOWING, UNREACHABLE, PairingScreen
from winroom_desktop.state.tvtoken import TokenFile
from winroom_desktop.tv_pairing import TvPairing
from winroom_desktop.views.tv.pairing import CODE_HEIGHT, PairingView

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
SERVER = "http://10.0.0.5:8000"


def painted(widget: Any) -> list[tuple[str, int]]:
    """Every string handed to QPainter.drawText when the widget renders, with its font's
    pixel size."""
    original = QPainter.drawText
    got: list[tuple[str, int]] = []

    def recording(self: QPainter, *args: Any) -> Any:
        got.extend((a, self.font().pixelSize()) for a in args if isinstance(a, str))
        return original(self, *args)

    QPainter.drawText = recording  # type: ignore[method-assign]
    try:
        image = widget.grab().toImage()
    finally:
        QPainter.drawText = original  # type: ignore[method-assign]
    assert not image.isNull()
    return got


def test_the_code_is_painted_huge_with_the_server_and_how_to_approve(qtbot: Any) -> None:
    from PySide6.QtWidgets import QWidget

    host = QWidget()
    qtbot.addWidget(host)
    host.resize(1920, 1080)
    view = PairingView(host, now=lambda: NOW + timedelta(seconds=19))
    screen = PairingScreen(
        server=SERVER, phase=SHOWING, code="K7PQ-4XZD", expires_at=NOW + timedelta(minutes=10)
    )
    view.show_screen(screen)
    host.show()
    view.show()
    assert view.geometry() == host.rect()
    shown = dict(painted(view))
    assert "K7PQ-4XZD" in shown
    # readable from 5 m: the code's font is a fifth of the screen's height or more
    assert shown["K7PQ-4XZD"] >= 1080 * CODE_HEIGHT
    assert max(px for text, px in shown.items() if text != "K7PQ-4XZD") < shown["K7PQ-4XZD"] / 3
    assert f"Server: {SERVER}" in shown
    assert "winroom-backend device-token --pair K7PQ-4XZD --name …" in shown
    assert any("admin window → Devices" in t for t in shown)
    assert "The code renews by itself in 9:41" in shown
    assert view.lines()[1] == "K7PQ-4XZD"
    # at 720p it scales down with the window, still the biggest thing on screen
    host.resize(1280, 720)
    small = dict(painted(view))
    assert view.geometry() == host.rect()
    assert 720 * CODE_HEIGHT <= small["K7PQ-4XZD"] < shown["K7PQ-4XZD"]

    view.show_screen(PairingScreen(server=SERVER, phase=UNREACHABLE, problem="Can't reach it."))
    texts = dict(painted(view))
    assert "No code yet" in texts and "Can't reach it." in texts
    assert "K7PQ-4XZD" not in " ".join(texts)


class StubClient(QObject):
    screen_changed = Signal(object)
    paired = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.running = False

    def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False


class StubApi:
    token: str | None = None


def test_wiring_pairs_stores_and_goes_back_on_refusal(tv: Any, qtbot: Any, tmp_path: Path) -> None:
    clients: list[StubClient] = []

    def make() -> Any:
        clients.append(StubClient())
        return clients[-1]

    api = StubApi()
    tokens = TokenFile(tmp_path / "tv-token.json", SERVER)
    view = PairingView(tv.window)
    pairing = TvPairing(tv=tv, api=api, token_file=tokens, view=view, make_client=make)
    tv.window.show()
    tv.feed.started = False  # (the fixture started it: this TV has no token yet)
    pairing.run(None)  # no token: pairing, shown at once (nothing else is on screen)
    assert len(clients) == 1 and clients[0].running and view.isVisible()
    assert not tv.feed.started
    clients[0].screen_changed.emit(
        PairingScreen(server=SERVER, phase=SHOWING, code="K7PQ-4XZD", expires_at=NOW)
    )
    assert view.screen_model.code == "K7PQ-4XZD"
    clients[0].paired.emit("wrtv_one", "Floor TV 1")
    assert not view.isVisible() and tv.feed.started and api.token == "wrtv_one"
    stored = tokens.load()
    assert stored is not None and stored.token == "wrtv_one"

    # the TV shows a good screen; then the server refuses the token
    tv.feed.snapshot({"/api/queue": {"items": []}})
    tv.feed.unauthorized.emit("token_revoked")
    assert len(clients) == 2 and clients[1].running
    assert tokens.load() is None and api.token is None
    assert not view.isVisible()  # the last good screen stays until a code is there
    clients[1].screen_changed.emit(PairingScreen(server=SERVER))  # still asking
    assert not view.isVisible()
    clients[1].screen_changed.emit(
        PairingScreen(server=SERVER, phase=SHOWING, code="ACEF-GHJK", expires_at=NOW)
    )
    assert view.isVisible()
    clients[1].paired.emit("wrtv_two", "Floor TV 1")
    assert api.token == "wrtv_two"

    # started with a --token that is refused, while a paired one is stored: that one first
    api.token = "wrtv_given"
    tv.feed.unauthorized.emit("invalid_token")
    assert api.token == "wrtv_two" and len(clients) == 2
    stored = tokens.load()
    assert stored is not None and stored.token == "wrtv_two"


def test_each_server_and_screen_keeps_its_own_token(tmp_path: Path) -> None:
    from winroom_desktop.tv_app import journal_path, token_path

    paths = {
        token_path(tmp_path, SERVER),
        token_path(tmp_path, SERVER, 2),
        token_path(tmp_path, "http://other:8000"),
    }
    assert len(paths) == 3
    assert token_path(tmp_path, SERVER, 2).name.endswith("-screen2.json")
    assert token_path(tmp_path, SERVER) != journal_path(tmp_path, SERVER)
