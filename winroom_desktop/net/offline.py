"""``OfflineFeed``: a feed with ``LiveFeed``'s signals and no network, for the offline renders
(the TV's ``--demo-data``, the seller's screenshot scenes): its owner emits the sample
snapshot and events through :meth:`snapshot`, :meth:`send` and :meth:`go`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Signal


class OfflineFeed(QObject):
    # named ``event`` since wave 1 (every app connects it); to the type checker it shadows
    # QObject.event, Qt's event handler (Python code never calls that on a feed)
    event = Signal(dict)  # type: ignore[assignment]
    connection_changed = Signal(str, object)
    snapshot_loaded = Signal(dict, object)
    resync_needed = Signal(int)
    unauthorized = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = "connecting"
        self.last_update: datetime | None = None
        self.started = False

    def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    def stop_soon(self) -> None:
        self.started = False

    def refresh(self, paths: list[str]) -> None:
        """Nothing to fetch (the app's ``_spawn`` accepts the ``None``)."""

    async def send_event(self, name: str, data: Any = None, timeout: float = 5.0) -> Any:
        return {"ok": True} if self.state == "connected" else None

    # what the owner feeds in
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
