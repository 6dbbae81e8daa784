"""``PairingClient``: runs a TV's pairing (CONTRACT §4 "TV pairing") on the asyncio loop.

It asks for a code, polls until an admin approves it, renews an expired code by itself and
backs off when the server does not answer; every decision is :class:`PairingFlow`'s (plain
Python, tested without Qt). The HTTP calls are async (httpx on the qasync loop): the Qt
thread never waits on the network. Signals: ``screen_changed(PairingScreen)`` after every
answer, ``paired(token, name)`` once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal

from winroom_desktop.net.api import ApiClient, ApiError, ServerUnreachable
from winroom_desktop.state.pairing import Finish, PairingFlow, Poll, Request, Step

log = logging.getLogger(__name__)


def _retry_after(exc: ApiError) -> float | None:
    err = exc.body.get("error") if isinstance(exc.body, dict) else None
    value = err.get("retry_after") if isinstance(err, dict) else None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


class PairingClient(QObject):
    screen_changed = Signal(object)
    paired = Signal(str, str)

    def __init__(
        self,
        server: str,
        *,
        api: ApiClient | None = None,
        flow: PairingFlow | None = None,
        now: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api = api or ApiClient(server)  # no token: the pairing endpoints are public
        self.flow = flow or PairingFlow(server)
        self._now = now or (lambda: datetime.now(UTC))
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.get_event_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self.api.aclose()

    async def _run(self) -> None:
        step: Step = self.flow.begin()
        self.screen_changed.emit(self.flow.screen)
        while not isinstance(step, Finish):
            await asyncio.sleep(step.delay)
            step = await (self._request() if isinstance(step, Request) else self._poll(step))
            self.screen_changed.emit(self.flow.screen)
        await self.api.aclose()
        self.paired.emit(step.token, step.name)

    async def _request(self) -> Step:
        try:
            body = await self.api.request("POST", "/api/devices/pair")
        except ServerUnreachable:
            return self.flow.failed(self._now())
        except ApiError as exc:
            log.info("pairing: %s answered %s %s", self.api.server, exc.status, exc.code)
            return self.flow.failed(self._now(), _retry_after(exc), _problem(exc))
        return self.flow.started(body, self._now())

    async def _poll(self, step: Poll) -> Step:
        try:
            body = await self.api.request("GET", f"/api/devices/pair/{step.pairing_id}")
        except ServerUnreachable:
            return self.flow.failed(self._now())
        except ApiError as exc:
            if exc.status in (404, 410):
                return self.flow.gone(self._now())
            return self.flow.failed(self._now(), _retry_after(exc), _problem(exc))
        if isinstance(body, dict) and "token" in body:
            return self.flow.collected(body.get("token"), body.get("name"), self._now())
        return self.flow.waiting(self._now())


def _problem(exc: ApiError) -> str | None:
    if exc.status == 429:
        return "Too many pairing codes asked for from here: waiting a little."
    if exc.status in (404, 501):
        return "This server does not pair TVs (is it a Win Room server?)."
    return None
