"""Kiosk care that talks to the desktop session: keep the screen saver away while the TV
runs (freedesktop ``org.freedesktop.ScreenSaver.Inhibit`` over D-Bus, when there is a
session bus), and give it back on exit. Failing quietly is fine: one log line."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class ScreenSaverInhibitor:
    def __init__(self) -> None:
        self.cookie: int | None = None
        self._iface: Any = None  # the QDBusInterface once inhibited

    def inhibit(self, reason: str = "Win Room TV is showing the sales floor") -> bool:
        try:
            from PySide6.QtDBus import QDBusConnection, QDBusInterface

            bus = QDBusConnection.sessionBus()
            if not bus.isConnected():
                log.info("screen saver: no D-Bus session bus, not inhibited")
                return False
            iface = QDBusInterface(
                "org.freedesktop.ScreenSaver",
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver",
                bus,
            )
            if not iface.isValid():
                log.info("screen saver: no org.freedesktop.ScreenSaver service")
                return False
            reply = iface.call("Inhibit", "winroom", reason)
            args = reply.arguments()
            if args:
                self.cookie = int(args[0])
                self._iface = iface
                return True
        except Exception as exc:
            log.info("screen saver: not inhibited (%s)", exc)
        return False

    def release(self) -> None:
        if self._iface is not None and self.cookie is not None:
            try:
                self._iface.call("UnInhibit", self.cookie)
            except Exception as exc:
                log.info("screen saver: %s", exc)
            self.cookie = None
