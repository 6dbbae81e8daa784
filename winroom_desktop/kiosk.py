"""Kiosk care that talks to the desktop session: keep the screen saver away while the TV
runs (freedesktop ``org.freedesktop.ScreenSaver.Inhibit`` over D-Bus, when there is a
session bus), and give it back on exit; tell systemd the UI thread is alive (its watchdog,
``packaging/kiosk/winroom-tv.service``). Failing quietly is fine: one log line."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)


class SystemdWatchdog:
    """``sd_notify`` from the Qt thread: ``READY=1`` once, then ``WATCHDOG=1`` every third
    of ``WATCHDOG_USEC`` from a QTimer, so a frozen UI thread (not only a dead process)
    stops the pings and systemd restarts the TV. Does nothing outside systemd."""

    def __init__(self, env: Mapping[str, str] = os.environ) -> None:
        addr = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + addr[1:] if addr.startswith("@") else addr
        try:
            usec = int(env.get("WATCHDOG_USEC", "0"))
        except ValueError:
            usec = 0
        self.interval_ms = max(100, usec // 3000) if usec > 0 else 0
        self._timer: Any = None

    def notify(self, message: str) -> bool:
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), self.address)
            return True
        except OSError as exc:
            log.info("watchdog: %s", exc)
            return False

    def start(self, parent: object = None) -> bool:
        """Say ready and start pinging (when systemd asked for a watchdog)."""
        if not self.notify("READY=1") or not self.interval_ms:
            return False
        from PySide6.QtCore import QTimer  # lazy: Qt only when systemd asked for a watchdog

        self._timer = timer = QTimer(parent)  # type: ignore[arg-type]
        timer.setInterval(self.interval_ms)
        timer.timeout.connect(lambda: self.notify("WATCHDOG=1"))
        timer.start()
        return True

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.notify("STOPPING=1")


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
