"""``TvWindow``: the kiosk screen. Composes the panels, lays them out from the window size
(5 % safe margins, sizes from ``theme.Scale``), paints the energy glow, runs the idle
motions (clock, board rotation, story carousel, promotion rotation, pixel shift, night
schedule) and the kiosk keys (F11 windowed/fullscreen, M mute, +/- volume, Ctrl+Q quit — nothing else
closes it).

It draws state and plays effects; it never talks to the network. ``board_changed`` tells
the app which board to reload when the rotation moves on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QRadialGradient,
    QResizeEvent,
)
from PySide6.QtWidgets import QWidget

from winroom_desktop.state import format as fmt
from winroom_desktop.state.effects import CardLeave, Effect
from winroom_desktop.state.models import RoomState, energy_level
from winroom_desktop.state.overlays import Overlay, OverlayQueue
from winroom_desktop.state.rotation import BoardRotation
from winroom_desktop.state.tvsettings import TvSettings
from winroom_desktop.views.frameclock import FrameClock
from winroom_desktop.views.theme import BG, GOAL, NEW_SALE, Scale, with_alpha
from winroom_desktop.views.tv.board import BoardPanel
from winroom_desktop.views.tv.goals import GoalsPanel
from winroom_desktop.views.tv.header import PAGE_SECONDS, HeaderBar, ReconnectBanner
from winroom_desktop.views.tv.night import NightLayer
from winroom_desktop.views.tv.overlay import OverlayLayer
from winroom_desktop.views.tv.queue import QueuePanel
from winroom_desktop.views.tv.stories import StoriesStrip

SHIFTS = [(0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)]


class Content(QWidget):
    """Everything below the overlays; paints the background and the energy glow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.energy = 0.0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(event.rect(), BG)
        w, h = float(self.width()), float(self.height())
        e = max(0.0, min(1.0, self.energy))
        color = GOAL if e >= 1 else NEW_SALE
        grad = QRadialGradient(QPointF(w / 2, h * 1.05), max(w, h) * (0.45 + 0.35 * e))
        grad.setColorAt(0.0, with_alpha(color, 0.10 + 0.30 * e))
        grad.setColorAt(1.0, with_alpha(color, 0.0))
        p.fillRect(event.rect(), grad)
        p.end()


class TvWindow(QWidget):
    board_changed = Signal(str, str)  # board, period
    mute_toggled = Signal(bool)
    volume_changed = Signal(float)
    quit_requested = Signal()

    def __init__(
        self,
        settings: TvSettings | None = None,
        clock: FrameClock | None = None,
        overlay_queue: OverlayQueue | None = None,
        now: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or TvSettings()
        self.clock = clock or FrameClock(parent=self)
        self._clock_now = now or (lambda: datetime.now(UTC))
        self.setWindowTitle("Win Room")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scale = Scale(1920, 1080)
        self.state = RoomState()
        self.allow_close = False
        self.kiosk = False
        self.connection = "connecting"
        self.shift_index = 0
        self.rotation = BoardRotation(self.settings.board_playlist, self.settings.rotate_seconds)
        s = self.scale
        self.content = Content(self)
        self.header = HeaderBar(s, self.content)
        self.queue = QueuePanel(s, self.clock, self.content)
        self.board = BoardPanel(s, self.clock, self.content)
        self.goals = GoalsPanel(s, self.clock, self.content)
        self.stories = StoriesStrip(s, self.clock, self.content)
        self.banner = ReconnectBanner(s, self.content)
        self.overlay = OverlayLayer(
            s, self.clock, overlay_queue or OverlayQueue(), self._backdrop, self
        )
        self.night = NightLayer(s, self)
        self.set_reduced_motion(self.settings.reduced_motion)
        self.board.show_board(self.rotation.current, None, self._playlist_pos())
        self.header.muted = self.settings.muted
        self._timers: list[QTimer] = []
        self._every(1000, self._second)
        self._every(int(self.settings.rotate_seconds * 1000), self.rotate_board)
        self._every(7000, self.stories.advance)
        self._every(PAGE_SECONDS * 1000, self.header.advance)
        self._every(max(10_000, int(self.settings.pixel_shift_minutes * 60_000)), self.shift)
        self._every(30_000, self.check_night)
        self.resize(1920, 1080)

    def _every(self, ms: int, fn: Callable[[], None]) -> None:
        t = QTimer(self)
        t.setInterval(ms)
        t.timeout.connect(fn)
        t.start()
        self._timers.append(t)

    def stop_timers(self) -> None:
        for t in self._timers:
            t.stop()
        self.clock.stop()

    # -- layout ----------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        self._layout()
        super().resizeEvent(event)

    def _layout(self) -> None:
        w, h = self.width(), self.height()
        s = self.scale = Scale(w, h)
        for child in (self.header, self.queue, self.board, self.goals, self.stories, self.banner):
            child.set_scale(s)
        self.overlay.set_scale(s)
        self.night.scale = s
        self.content.setGeometry(0, 0, w, h)
        self.overlay.setGeometry(0, 0, w, h)
        self.night.setGeometry(0, 0, w, h)
        dx, dy = SHIFTS[self.shift_index % len(SHIFTS)]
        shift = s.px(self.settings.pixel_shift_px)
        mx, my = round(w * 0.05) + dx * shift, round(h * 0.05) + dy * shift
        inner_w = w - 2 * round(w * 0.05)
        header_h = s.px(96)
        gap = s.px(40)
        stories_h = s.px(196)
        self.header.setGeometry(mx, my, inner_w, header_h)
        main_top = my + header_h + s.px(36)
        bottom = h - round(h * 0.05) + dy * shift
        main_h = bottom - stories_h - s.px(32) - main_top
        qw = round(inner_w * 0.39)
        bw = round(inner_w * 0.35)
        gw = inner_w - qw - bw - 2 * gap
        self.queue.setGeometry(mx, main_top, qw, main_h)
        self.board.setGeometry(mx + qw + gap, main_top, bw, main_h)
        self.goals.setGeometry(mx + qw + bw + 2 * gap, main_top, gw, main_h)
        self.stories.setGeometry(mx, bottom - stories_h, inner_w, stories_h)
        bw2 = s.px(760)
        self.banner.setGeometry(
            QRect(mx + (inner_w - bw2) // 2, my + (header_h - s.px(60)) // 2, bw2, s.px(60))
        )
        self.queue.set_items(self.state.queue, animate=False, open_count=self.state.open_count)

    def _backdrop(self) -> QPixmap:
        self.board.settle()
        self.goals.settle()
        return self.content.grab()

    # -- state in --------------------------------------------------------------------
    def show_state(self, state: RoomState, effects: list[Effect] | None = None) -> None:
        """Draw a new state; ``effects`` of the event that produced it animate the change."""
        animate = effects is not None
        for eff in effects or ():
            if isinstance(eff, CardLeave):
                claim = next((c for c in state.claims if c.queue_id == eff.queue_id), None)
                self.queue.mark_claimed(
                    eff.queue_id, eff.seller_name, claim.seller_id if claim else None
                )
        zone_changed = state.timezone != self.state.timezone
        self.state = state
        if zone_changed:
            self.banner.zone = state.timezone
            self._second()
        self.header.set_promotions(state.promotions if self.connection == "connected" else ())
        self.queue.set_items(state.queue, animate=animate, open_count=state.open_count)
        self.board.set_board(state.board(*self.rotation.current))
        self._date_board()
        energy = energy_level(state)
        self.goals.set_goals(state.team_goals, state.challenges, energy)
        self.stories.set_items(state.achievements)
        if abs(self.content.energy - energy) > 1e-6:
            self.content.energy = energy
            self.content.update()
        for eff in effects or ():
            if isinstance(eff, Overlay):
                self.overlay.enqueue(eff)

    def play_overlay(self, overlay: Overlay) -> bool:
        return self.overlay.enqueue(overlay)

    def set_connection(self, state: str, last_update: datetime | None) -> None:
        changed = state != self.connection
        self.connection = state
        self.header.set_connection(state)
        self.banner.set_last_update(last_update)
        self.banner.setVisible(state != "connected")
        self.header.set_promotions(self.state.promotions if state == "connected" else ())
        self._date_board()
        if changed:
            self.overlay.refresh_backdrop()

    def set_reduced_motion(self, on: bool) -> None:
        for w in (self.queue, self.board, self.goals, self.stories, self.overlay):
            w.reduced_motion = on

    # -- idle motion -----------------------------------------------------------------
    def _playlist_pos(self) -> tuple[int, int]:
        return self.rotation.index, len(self.rotation.playlist)

    def rotate_board(self) -> None:
        key = self.rotation.advance()
        self.board.show_board(key, self.state.board(*key), self._playlist_pos())
        self._date_board()
        self.board_changed.emit(*key)

    def _date_board(self) -> None:
        """Offline, a board older than the rest of the screen says when it is from."""
        at = None if self.connection == "connected" else self.state.board_as_of(*self.board.key)
        self.board.set_as_of(fmt.hhmm(at, self.state.timezone) if at else None)

    def _now(self) -> datetime:
        """The floor's wall clock (the server's time zone once announced)."""
        return fmt.floor_time(self._clock_now(), self.state.timezone)

    def _second(self) -> None:
        self.header.set_time(self._now())

    def shift(self) -> None:
        """Burn-in care: move the static layout a few pixels."""
        self.shift_index = (self.shift_index + 1) % len(SHIFTS)
        self._layout()

    def check_night(self) -> None:
        now = self._now()
        mode = self.settings.night_mode if self.settings.is_night(now.time()) else None
        if mode != self.night.mode or mode == "sleep":
            self.night.set_mode(mode, now)

    # -- kiosk keys ------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        if key == Qt.Key.Key_Q and mods & Qt.KeyboardModifier.ControlModifier:
            self.quit_requested.emit()
        elif key == Qt.Key.Key_F11:
            self.toggle_fullscreen()
        elif key == Qt.Key.Key_M and not mods & Qt.KeyboardModifier.ControlModifier:
            self.settings.muted = not self.settings.muted
            self.header.muted = self.settings.muted
            self.header.update()
            self.mute_toggled.emit(self.settings.muted)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus):
            step = -0.1 if key == Qt.Key.Key_Minus else 0.1
            self.settings.volume = round(min(1.0, max(0.0, self.settings.volume + step)), 2)
            self.volume_changed.emit(self.settings.volume)
        else:
            event.accept()  # swallow: nothing else does anything on a kiosk

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
            self.setCursor(Qt.CursorShape.ArrowCursor)
        else:
            screen = self.screen()
            if screen is not None:
                self.setGeometry(screen.geometry())
            self.showFullScreen()
            self.setCursor(Qt.CursorShape.BlankCursor)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.allow_close or not self.kiosk:
            self.stop_timers()
            event.accept()
        else:
            event.ignore()  # Alt+F4 and friends do not end a kiosk: Ctrl+Q does
