"""``StubFeed``: a feed with ``LiveFeed``'s signals and no network (tests, offline renders).

Tests drive it by emitting its signals directly or with the helpers below."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Signal


class StubFeed(QObject):
    event = Signal(dict)
    connection_changed = Signal(str, object)
    snapshot_loaded = Signal(dict, object)
    resync_needed = Signal(int)
    unauthorized = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = "connecting"
        self.last_update: datetime | None = None
        self.refreshed: list[list[str]] = []
        self.started = False
        self.sent: list[tuple[str, Any]] = []

    def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    def stop_soon(self) -> None:
        self.started = False

    def refresh(self, paths: list[str]) -> None:
        """Recorded at once (no network): the app's ``_spawn`` accepts ``None``."""
        self.refreshed.append(list(paths))

    async def send_event(self, name: str, data: Any = None, timeout: float = 5.0) -> Any:
        self.sent.append((name, data))
        return {"ok": True} if self.state == "connected" else None

    # helpers for tests
    def go(self, state: str, last_update: datetime | None = None) -> None:
        self.state = state
        if last_update is not None:
            self.last_update = last_update
        self.connection_changed.emit(state, self.last_update)

    def send(self, env: dict[str, Any]) -> None:
        self.last_update = datetime.now(UTC)
        self.event.emit(env)

    def snapshot(self, responses: dict[str, Any], latest_id: int | None = None) -> None:
        self.last_update = datetime.now(UTC)
        self.snapshot_loaded.emit(responses, latest_id)
