"""``StubFeed``: the offline feed, recording what the app asks of it (tests drive it by
emitting its signals directly or with ``go``/``send``/``snapshot``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from winroom_desktop.net.offline import OfflineFeed


class StubFeed(OfflineFeed):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.refreshed: list[list[str]] = []
        self.sent: list[tuple[str, Any]] = []

    def refresh(self, paths: list[str]) -> None:
        self.refreshed.append(list(paths))

    async def send_event(self, name: str, data: Any = None, timeout: float = 5.0) -> Any:
        self.sent.append((name, data))
        return await super().send_event(name, data, timeout)
