"""Presence and typing rules (CONTRACT §6): plain Python, no I/O, one book per server
process (``shared_presence`` merges the books of several instances).

- A person is ``online`` while at least one of their app windows is connected and they
  gave input within the last 5 minutes, ``away`` when connected but idle that long, and
  ``offline`` when their last connection went away.
- Input is reported by the app: a heartbeat (every 30 s) carries ``idle_seconds`` since the
  last keyboard or mouse input in the window; typing counts as input too. Each window's own
  report is its truth (it may say the window has been idle longer than it has been
  connected: a window that reconnects, a person who walked away): a person's last input is
  the latest of their connected windows'.
- ``typing`` is set by the app while the person types and clears itself 5 s after the last
  typing signal (or at once when they send, or disconnect).

Every method returns the changes it caused; the caller turns them into events. ``sweep``
must be called now and then (every second is plenty) to apply the timed transitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

AWAY_AFTER = timedelta(minutes=5)
TYPING_CLEARS_AFTER = timedelta(seconds=5)
HEARTBEAT_SECONDS = 30

Status = Literal["online", "away", "offline"]


@dataclass(frozen=True)
class PresenceChange:
    seller_id: int
    name: str
    status: Status


@dataclass(frozen=True)
class TypingChange:
    seller_id: int
    name: str
    typing: bool


Change = PresenceChange | TypingChange


@dataclass(frozen=True)
class SocketEntry:
    """One connected socket as the book knows it (shared between instances)."""

    sid: str
    seller_id: int
    name: str
    last_input: datetime
    typing_until: datetime | None


@dataclass
class _Person:
    name: str
    inputs: dict[str, datetime] = field(default_factory=dict)  # connected sid → last input
    status: Status = "offline"
    typing_until: datetime | None = None

    @property
    def sids(self) -> set[str]:
        return set(self.inputs)

    def last_input(self) -> datetime | None:
        return max(self.inputs.values(), default=None)


class PresenceBook:
    """Who is connected, idle or typing; changes are reported, never pushed."""

    def __init__(self) -> None:
        self._people: dict[int, _Person] = {}
        self._sid_owner: dict[str, int] = {}

    # ----------------------------------------------------------------- reading

    def status(self, seller_id: int, now: datetime) -> Status:
        p = self._people.get(seller_id)
        return self._status_of(p, now) if p else "offline"

    def snapshot(self, now: datetime) -> dict[int, Status]:
        """Everyone seen, as of ``now`` (a timed transition not swept yet included; others
        are offline)."""
        return {sid: self._status_of(p, now) for sid, p in self._people.items()}

    def anyone_connected(self) -> bool:
        return bool(self._sid_owner)

    def knows(self, sid: str) -> bool:
        return sid in self._sid_owner

    def entries(self) -> list[SocketEntry]:
        """Every connected socket of this book, with its person's input and typing."""
        return [
            SocketEntry(sid, seller_id, p.name, at, p.typing_until)
            for seller_id, p in self._people.items()
            for sid, at in p.inputs.items()
        ]

    def typing_now(self, now: datetime) -> list[int]:
        return [
            sid
            for sid, p in self._people.items()
            if p.typing_until is not None and p.typing_until > now
        ]

    # ----------------------------------------------------------------- inputs

    def connect(self, seller_id: int, name: str, sid: str, now: datetime) -> list[Change]:
        p = self._people.get(seller_id)
        if p is None:
            p = self._people[seller_id] = _Person(name=name)
        p.name = name
        p.inputs[sid] = now  # opening the app is input
        self._sid_owner[sid] = seller_id
        return self._settle(seller_id, p, now)

    def disconnect(self, sid: str, now: datetime) -> list[Change]:
        seller_id = self._sid_owner.pop(sid, None)
        if seller_id is None:
            return []
        p = self._people[seller_id]
        p.inputs.pop(sid, None)
        return self._settle(seller_id, p, now)

    def heartbeat(self, sid: str, idle_seconds: float, now: datetime) -> list[Change]:
        seller_id = self._sid_owner.get(sid)
        if seller_id is None:
            return []
        p = self._people[seller_id]
        idle = max(0.0, min(float(idle_seconds), 86400.0))
        p.inputs[sid] = now - timedelta(seconds=idle)  # the window's own word
        return self._settle(seller_id, p, now)

    def typing(self, sid: str, typing: bool, now: datetime) -> list[Change]:
        seller_id = self._sid_owner.get(sid)
        if seller_id is None:
            return []
        p = self._people[seller_id]
        changes: list[Change] = []
        was = p.typing_until is not None and p.typing_until > now
        if typing:
            p.inputs[sid] = now
            p.typing_until = now + TYPING_CLEARS_AFTER
            changes += self._settle(seller_id, p, now)
            if not was:
                changes.append(TypingChange(seller_id, p.name, True))
        else:
            p.typing_until = None
            if was:
                changes.append(TypingChange(seller_id, p.name, False))
        return changes

    def sweep(self, now: datetime) -> list[Change]:
        """Timed transitions: typing that expired, people who went idle."""
        changes: list[Change] = []
        for seller_id, p in self._people.items():
            changes += self._settle(seller_id, p, now)
        return changes

    # ----------------------------------------------------------------- internals

    def _status_of(self, p: _Person, now: datetime) -> Status:
        last = p.last_input()
        if last is None:
            return "offline"
        if now - last >= AWAY_AFTER:
            return "away"
        return "online"

    def _settle(self, seller_id: int, p: _Person, now: datetime) -> list[Change]:
        changes: list[Change] = []
        if p.typing_until is not None and (p.typing_until <= now or not p.sids):
            p.typing_until = None
            changes.append(TypingChange(seller_id, p.name, False))
        new = self._status_of(p, now)
        if new != p.status:
            p.status = new
            changes.append(PresenceChange(seller_id, p.name, new))
        return changes
