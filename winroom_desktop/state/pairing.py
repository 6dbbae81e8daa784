"""TV pairing as plain Python (CONTRACT §4 "TV pairing"): what the TV does next and what it
shows, from the answers the server gave. No Qt, no network: the net layer
(:class:`winroom_desktop.net.pairing.PairingClient`) runs the steps and feeds the answers
back; the view draws :class:`PairingScreen`.

    begin()                        → Request(0)
    started(body, now)             → Poll(id, POLL_S)              the code is on screen
    waiting(now)                   → Poll(id, POLL_S), or Request(0) once the code expired
    gone(now)      (404/410)       → Request(0)                    a new code, by itself
    collected(token, name, now)    → Finish(token, name)
    failed(now, retry_after)       → the same step again, after a growing pause (1 s … 30 s)
                                     or the server's Retry-After; an expired code is renewed
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

POLL_S = 2.0
CODE_LIFE = timedelta(minutes=10)  # the server's; a longer expiry (clock skew) is capped
RENEW_EARLY = timedelta(seconds=2)  # a code about to expire is replaced, not shown dead
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)

STARTING = "starting"  # asking for a first code
SHOWING = "showing"  # a code is on screen, polling
UNREACHABLE = "unreachable"  # no code yet and the server does not answer
PAIRED = "paired"


@dataclass(frozen=True)
class PairingScreen:
    """What the pairing view draws."""

    server: str
    phase: str = STARTING
    code: str | None = None
    expires_at: datetime | None = None  # in the TV's own clock
    problem: str | None = None  # one line: why the TV is not getting on


@dataclass(frozen=True)
class Request:
    delay: float


@dataclass(frozen=True)
class Poll:
    pairing_id: str
    delay: float


@dataclass(frozen=True)
class Finish:
    token: str
    name: str


Step = Request | Poll | Finish


class PairingFlow:
    def __init__(self, server: str, rng: random.Random | None = None) -> None:
        self.screen = PairingScreen(server=server)
        self.pairing_id: str | None = None
        self.failures = 0
        self._rng = rng or random.Random()

    # -- answers ---------------------------------------------------------------------
    def begin(self) -> Step:
        self.pairing_id = None
        self.failures = 0
        self.screen = PairingScreen(server=self.screen.server)
        return Request(0.0)

    def started(self, body: Any, now: datetime) -> Step:
        """``POST /api/devices/pair`` answered 201."""
        code = body.get("code") if isinstance(body, dict) else None
        pid = body.get("pairing_id") if isinstance(body, dict) else None
        if not isinstance(code, str) or not isinstance(pid, str) or not code or not pid:
            return self.failed(now, problem="The server gave no pairing code.")
        self.failures = 0
        self.pairing_id = pid
        expires = now + CODE_LIFE
        raw = body.get("expires_at")
        if isinstance(raw, str):
            try:
                told = datetime.fromisoformat(raw)
                if told.tzinfo is not None and now.tzinfo is not None and now < told < expires:
                    expires = told
            except ValueError:
                pass
        self.screen = PairingScreen(
            server=self.screen.server, phase=SHOWING, code=code, expires_at=expires
        )
        return Poll(pid, POLL_S)

    def waiting(self, now: datetime) -> Step:
        """The poll answered 202: not approved yet."""
        self.failures = 0
        if self.screen.problem is not None:
            self.screen = replace(self.screen, problem=None)
        if self._expired(now) or self.pairing_id is None:
            return Request(0.0)
        return Poll(self.pairing_id, POLL_S)

    def gone(self, now: datetime) -> Step:
        """The poll answered 404 or 410: that code is over; get a new one."""
        self.pairing_id = None
        return Request(0.0)

    def collected(self, token: Any, name: Any, now: datetime) -> Step:
        """The poll answered 200 with the token."""
        if not isinstance(token, str) or not token:
            return self.gone(now)
        self.screen = PairingScreen(server=self.screen.server, phase=PAIRED)
        return Finish(token, name if isinstance(name, str) else "")

    def failed(
        self, now: datetime, retry_after: float | None = None, problem: str | None = None
    ) -> Step:
        """The server did not answer, or answered 429/5xx: try the same step again later."""
        delay = BACKOFF_S[min(self.failures, len(BACKOFF_S) - 1)]
        delay *= self._rng.uniform(0.75, 1.0)  # a room of TVs does not retry in lock-step
        if retry_after is not None and retry_after > 0:
            delay = max(float(retry_after), 0.5)
        self.failures += 1
        text = problem or f"Can't reach {self.screen.server}: trying again."
        if self.screen.phase == SHOWING and not self._expired(now) and self.pairing_id:
            self.screen = replace(self.screen, problem=text)
            return Poll(self.pairing_id, delay)
        self.pairing_id = None
        self.screen = PairingScreen(server=self.screen.server, phase=UNREACHABLE, problem=text)
        return Request(delay)

    def _expired(self, now: datetime) -> bool:
        exp = self.screen.expires_at
        return exp is None or now >= exp - RENEW_EARLY


def instructions(code: str | None) -> tuple[str, str]:
    """The two lines under the code: where an admin approves it."""
    shown = code or "CODE"
    return (
        "Approve in the admin window → Devices, or run",
        f"winroom-backend device-token --pair {shown} --name …",
    )


def remaining_text(screen: PairingScreen, now: datetime) -> str:
    """How long the code on screen lasts (empty when no code is shown)."""
    if screen.phase != SHOWING or screen.expires_at is None:
        return ""
    left = max(0, int((screen.expires_at - now).total_seconds()))
    return f"The code renews by itself in {left // 60}:{left % 60:02d}"
