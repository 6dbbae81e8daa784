"""The system tray icon: show the window, do-not-disturb, quit, and desktop notifications.

Only where the platform has a tray (not offscreen, not some Wayland shells): ``create``
returns ``None`` otherwise and the app simply has no tray.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from winroom_desktop.views import theme
from winroom_desktop.views.seller.style import font


def app_icon() -> QIcon:
    pm = QPixmap(64, 64)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(theme.NEW_SALE)
    p.drawEllipse(QRectF(2, 2, 60, 60))
    p.setPen(theme.TEXT)
    p.setFont(font(34, 800))
    p.drawText(QRectF(0, 0, 64, 64), int(Qt.AlignmentFlag.AlignCenter), "W")
    p.end()
    return QIcon(pm)


class Tray:
    def __init__(self, window: QWidget, controller: Any) -> None:
        self.window = window
        self.icon = QSystemTrayIcon(app_icon(), window)
        self.icon.setToolTip("Win Room — Seller")
        menu = QMenu(window)
        show = menu.addAction("Show Win Room")
        show.triggered.connect(self.show_window)
        self.dnd = QAction("Do not disturb", menu)
        self.dnd.setCheckable(True)
        self.dnd.toggled.connect(lambda on: controller.window.dnd.setChecked(on))
        menu.addAction(self.dnd)
        menu.addSeparator()
        quit_action = menu.addAction("Quit")
        quit_action.triggered.connect(window.close)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(lambda _reason: self.show_window())
        self.icon.show()

    @classmethod
    def create(cls, window: QWidget, controller: Any) -> Tray | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        return cls(window, controller)

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def set_dnd(self, on: bool) -> None:
        if self.dnd.isChecked() != on:
            self.dnd.setChecked(on)

    def notify(self, title: str, body: str) -> None:
        if QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 5000)
