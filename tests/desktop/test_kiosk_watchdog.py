"""The TV's systemd watchdog pings from the Qt thread: while that thread runs, systemd
hears ``WATCHDOG=1`` every third of ``WATCHDOG_USEC``; while it is blocked, nothing (so
systemd's ``WatchdogSec`` restarts a frozen TV, not only a dead one)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from winroom_desktop.kiosk import SystemdWatchdog


def _drain(sock: socket.socket) -> list[str]:
    got = []
    while True:
        try:
            got.append(sock.recv(100).decode())
        except BlockingIOError:
            return got


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.005)


def test_pings_stop_while_the_ui_thread_is_blocked(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    try:
        dog = SystemdWatchdog({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "300000"})
        assert dog.interval_ms == 100
        assert dog.start()
        assert _drain(sock) == ["READY=1"]
        _spin(0.65)
        alive = _drain(sock)
        assert alive.count("WATCHDOG=1") >= 4, alive
        time.sleep(0.6)  # the UI thread frozen: no event loop, no timer, no ping
        assert _drain(sock) == []
        _spin(0.35)
        assert "WATCHDOG=1" in _drain(sock), "pings resume when the thread runs again"
        dog.stop()
        assert _drain(sock)[-1] == "STOPPING=1"
    finally:
        sock.close()


def test_outside_systemd_it_does_nothing() -> None:
    dog = SystemdWatchdog({})
    assert not dog.start()
    assert not dog.notify("WATCHDOG=1")
