"""Presence and typing shared by every instance through Redis (CONTRACT §7).

Each instance's :class:`~backend.social.presence.PresenceBook` stays the truth about its
own sockets. :meth:`SharedPresence.sync` publishes them to Redis (one hash field per
socket: seller, name, last input, typing until, instance), keeps the instance's liveness
key fresh, drops the sockets of instances whose key expired (an instance killed without
a goodbye), and merges every live socket into one status per person with the rules of
``presence.py``. A status or typing change is reported by exactly one instance: the first
whose compare-and-set in Redis moves the stored value. Without Redis (not configured, or
unreachable) each instance falls back to its own book, as one instance always did.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
import redis.exceptions

from backend.social.presence import (
    AWAY_AFTER,
    Change,
    PresenceChange,
    SocketEntry,
    Status,
    TypingChange,
)

log = logging.getLogger(__name__)

PREFIX = "winroom:presence:"  # then the floor's namespace (its database), then:
SIDS = "sids"  # hash: socket id → JSON of its entry
STATUS = "status"  # hash: seller id → the status last reported
TYPING = "typing"  # hash: seller id → "1" / "0", last reported
ALIVE_FOR_S = 10  # an instance silent that long is gone: its sockets are dropped

# set the field to ARGV[2] unless it holds it already; 1 when this call moved it
_CAS = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class Merged:
    statuses: dict[int, Status]
    typing: list[int]
    names: dict[int, str]


def namespace_for(database_url: str) -> str:
    """Floors that share one Redis but not a database never see each other's presence."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


class SharedPresence:
    def __init__(self, url: str, namespace: str, instance: str | None = None) -> None:
        self.instance = instance or secrets.token_hex(8)
        self._ns = f"{PREFIX}{namespace}:"
        self._redis = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True
        )
        self._cas = self._redis.register_script(_CAS)
        self._published: set[str] = set()
        self._down = False

    def _alive(self, instance: str) -> str:
        return f"{self._ns}alive:{instance}"

    def close(self) -> None:
        self._redis.close()

    # ----------------------------------------------------------------- the one step

    def sync(self, entries: list[SocketEntry], now: datetime) -> list[Change] | None:
        """Publish this instance's sockets, merge everyone's, and return the changes this
        instance is the one to report; None when Redis cannot be reached."""
        try:
            self._publish(entries)
            merged = self._merge(now)
            changes = self._claim_changes(merged)
        except redis.exceptions.RedisError as exc:
            self._went_down(exc)
            return None
        self._came_back()
        return changes

    def snapshot(self, now: datetime) -> Merged | None:
        """Everyone's merged status and typing (read only); None when Redis is down."""
        try:
            return self._merge(now, clean=False)
        except redis.exceptions.RedisError as exc:
            self._went_down(exc)
            return None

    def leave(self, now: datetime) -> list[Change] | None:
        """This instance stops: its sockets go, and what that changes is reported."""
        return self.sync([], now)

    # ----------------------------------------------------------------- internals

    def _publish(self, entries: list[SocketEntry]) -> None:
        current = {e.sid: e for e in entries}
        pipe = self._redis.pipeline()
        gone = self._published - set(current)
        if gone:
            pipe.hdel(self._ns + SIDS, *sorted(gone))
        if current:
            pipe.hset(
                self._ns + SIDS,
                mapping={
                    sid: json.dumps(
                        {
                            "s": e.seller_id,
                            "n": e.name,
                            "i": self.instance,
                            "l": e.last_input.timestamp(),
                            "t": e.typing_until.timestamp() if e.typing_until else 0,
                        }
                    )
                    for sid, e in current.items()
                },
            )
            pipe.set(self._alive(self.instance), "1", ex=ALIVE_FOR_S)
        else:
            pipe.delete(self._alive(self.instance))
        pipe.execute()
        self._published = set(current)

    def _merge(self, now: datetime, clean: bool = True) -> Merged:
        raw: dict[str, str] = self._redis.hgetall(self._ns + SIDS)  # type: ignore[assignment]
        rows: dict[str, dict[str, Any]] = {}
        for sid, text in raw.items():
            try:
                rows[sid] = json.loads(text)
            except ValueError:
                rows[sid] = {"i": ""}
        instances = sorted({str(r.get("i", "")) for r in rows.values()})
        flags: list[Any] = (
            list(self._redis.mget([self._alive(i) for i in instances]))  # type: ignore[arg-type]
            if instances
            else []
        )
        alive = dict(zip(instances, flags, strict=True))
        dead = [sid for sid, r in rows.items() if not alive.get(str(r.get("i", "")))]
        if dead and clean:
            self._redis.hdel(self._ns + SIDS, *dead)
        last: dict[int, float] = {}
        typing_until: dict[int, float] = {}
        names: dict[int, str] = {}
        for sid, r in rows.items():
            if sid in dead:
                continue
            seller = int(r["s"])
            names[seller] = str(r.get("n") or "")
            last[seller] = max(last.get(seller, 0.0), float(r["l"]))
            typing_until[seller] = max(typing_until.get(seller, 0.0), float(r.get("t") or 0))
        stamp = now.timestamp()
        away = AWAY_AFTER.total_seconds()
        statuses: dict[int, Status] = {
            s: ("away" if stamp - t >= away else "online") for s, t in last.items()
        }
        typing = sorted(s for s, t in typing_until.items() if t > stamp)
        return Merged(statuses, typing, names)

    def _claim_changes(self, merged: Merged) -> list[Change]:
        known: dict[str, str] = self._redis.hgetall(self._ns + STATUS)  # type: ignore[assignment]
        typed: dict[str, str] = self._redis.hgetall(self._ns + TYPING)  # type: ignore[assignment]
        names = dict(merged.names)
        changes: list[Change] = []
        people = set(merged.statuses) | {int(k) for k in known}
        for seller in sorted(people):
            new: Status = merged.statuses.get(seller, "offline")
            if known.get(str(seller), "offline") != new and self._cas(
                keys=[self._ns + STATUS], args=[str(seller), new]
            ):
                changes.append(PresenceChange(seller, names.get(seller, ""), new))
        typing_now = set(merged.typing)
        for seller in sorted(typing_now | {int(k) for k, v in typed.items() if v == "1"}):
            flag = "1" if seller in typing_now else "0"
            if typed.get(str(seller), "0") != flag and self._cas(
                keys=[self._ns + TYPING], args=[str(seller), flag]
            ):
                changes.append(TypingChange(seller, names.get(seller, ""), flag == "1"))
        return changes

    def _went_down(self, exc: Exception) -> None:
        if not self._down:
            self._down = True
            log.warning("presence: Redis unreachable (%s); this instance counts alone", exc)

    def _came_back(self) -> None:
        if self._down:
            self._down = False
            log.warning("presence: Redis reachable again; presence is shared again")
