"""``Store``: the current ``RoomState`` of one window, fed by snapshots and live events.

The net layer hands every raw envelope to ``apply_event``; the store validates it against
the shared schemas, drops duplicates (ids are strictly increasing, CONTRACT §5), runs the
reducer and returns ``(state, effects)`` for the views. ``load_snapshot`` replaces the parts
an HTTP snapshot carries. Listeners (plain callables) are told about each new state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from winroom_desktop.state.effects import Effect, effects_for
from winroom_desktop.state.models import RoomState
from winroom_desktop.state.reducer import InvalidEvent, apply, validate_envelope
from winroom_desktop.state.snapshot import snapshot_from_http

log = logging.getLogger(__name__)

Listener = Callable[[RoomState], None]


class Store:
    def __init__(self, state: RoomState | None = None) -> None:
        self.state = state or RoomState()
        self.invalid_events = 0
        self.duplicate_events = 0
        self._listeners: list[Listener] = []

    @property
    def last_event_id(self) -> int | None:
        return self.state.last_event_id

    def subscribe(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def _set(self, state: RoomState) -> None:
        self.state = state
        for fn in list(self._listeners):
            fn(state)

    def replace_state(self, state: RoomState) -> None:
        self._set(state)

    def load_snapshot(
        self,
        responses: dict[str, Any],
        latest_id: int | None = None,
        fetched_at: datetime | None = None,
    ) -> RoomState:
        """Merge a fresh HTTP snapshot; ``latest_id`` (after ``resync.required``) resets
        the stream position; ``fetched_at`` (default: now) dates its boards."""
        new = snapshot_from_http(
            responses, base=self.state, fetched_at=fetched_at or datetime.now(UTC)
        )
        if latest_id is not None:
            new = replace(new, last_event_id=latest_id)
        self._set(new)
        return new

    def apply_event(self, raw: dict[str, Any]) -> tuple[RoomState, list[Effect]]:
        try:
            env = validate_envelope(raw)
        except InvalidEvent as exc:
            self.invalid_events += 1
            log.warning("dropping invalid event: %s", exc)
            return self.state, []
        last = self.state.last_event_id
        if last is not None and env["id"] <= last:
            self.duplicate_events += 1
            return self.state, []
        old = self.state
        new = apply(old, env)
        effects = effects_for(old, env, new)
        self._set(new)
        return new, effects
