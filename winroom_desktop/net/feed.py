"""``LiveFeed``: the self-healing live connection (CONTRACT §5) as a ``QObject``.

Run it with ``feed.start()`` once a qasync loop is running; ``await feed.stop()`` (or
``feed.stop_soon()``) ends it. One task owns the connection::

    loop:
        connect(auth={"token", "since": since_provider()})      ← "connecting"/"reconnecting"
        reload the HTTP snapshot (events held back meanwhile)    → snapshot_loaded
        deliver events in id order, dropping duplicates          → event
        on resync.required {latest_id}: reload, continue from N  → resync_needed, snapshot_loaded
        disconnected → sleep(backoff with jitter) and loop

The backoff is ``min(cap, base·2^attempt)`` scaled by a random factor in [0.5, 1.0] so a
room of TVs does not reconnect in lock-step after a backend restart.

A token the server refuses (at connect: ``invalid_token``, ``token_revoked``,
``token_expired``, ``not_authenticated``; or a 401 over HTTP) ends the loop instead:
``unauthorized(code)`` is emitted once and the feed stays stopped until ``start()`` again
(a TV then goes back to pairing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from winroom_desktop.net.api import ApiClient, ApiError, ServerUnreachable

if TYPE_CHECKING:
    import socketio

log = logging.getLogger(__name__)

CONNECTING = "connecting"
# connect refusals that no retry with the same token can cure
AUTH_REFUSALS = frozenset({"invalid_token", "token_revoked", "token_expired", "not_authenticated"})
CONNECTED = "connected"
RECONNECTING = "reconnecting"


def backoff_delay(
    attempt: int, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter: ``min(cap, base·2^attempt) × U(0.5, 1.0)``."""
    r = (rng or random).uniform(0.5, 1.0)
    return min(cap, base * (2 ** min(attempt, 20))) * r


class LiveFeed(QObject):
    # named ``event`` since wave 1 (every app connects it); to the type checker it shadows
    # QObject.event, Qt's event handler (Python code never calls that on a feed)
    event = Signal(dict)  # type: ignore[assignment]
    connection_changed = Signal(str, object)
    snapshot_loaded = Signal(dict, object)
    resync_needed = Signal(int)
    unauthorized = Signal(str)  # the token was refused (its error code)

    def __init__(
        self,
        api: ApiClient,
        *,
        since_provider: Callable[[], int | None],
        snapshot_paths: Callable[[], list[str]],
        last_update: datetime | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api = api
        self.since_provider = since_provider
        self.snapshot_paths = snapshot_paths
        self.last_update = last_update
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.state = CONNECTING
        self.last_id: int | None = None
        self.attempt = 0
        self._task: asyncio.Task[None] | None = None
        self._sio: socketio.AsyncClient | None = None
        self._holding: list[dict[str, Any]] | None = None
        self._hold_depth = 0
        self._stopping = False
        self._refused: str | None = None
        self._connect_error: Any = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._refused = None
            self._task = asyncio.get_event_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        if self._sio is not None:
            with contextlib.suppress(Exception):
                await self._sio.disconnect()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self.api.aclose()

    def _set_state(self, state: str) -> None:
        if state != self.state or state == CONNECTED:
            self.state = state
            self.connection_changed.emit(state, self.last_update)

    # -- the connection loop ---------------------------------------------------------
    async def _run(self) -> None:
        first = True
        while not self._stopping:
            self._set_state(CONNECTING if first else RECONNECTING)
            first = False
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except ApiError as exc:
                if exc.status == 401:
                    self._auth_refused(exc.code)
                    break
                log.info("live feed: %s", str(exc).splitlines()[0] if str(exc) else exc)
            except Exception as exc:  # any failure: log one line, back off, try again
                code = self._refusal_code()
                if code is not None:
                    self._auth_refused(code)
                    break
                log.info("live feed: %s", str(exc).splitlines()[0] if str(exc) else exc)
            if self._stopping:
                break
            self._set_state(RECONNECTING)
            await asyncio.sleep(backoff_delay(self.attempt, self.backoff_base, self.backoff_cap))
            self.attempt += 1

    async def _session(self) -> None:
        import socketio  # imported late: the first frame of a TV does not wait for it

        # handle_sigint=False: Ctrl+C is the app's to handle (engineio's cancels every task)
        sio = socketio.AsyncClient(
            reconnection=False, logger=False, engineio_logger=False, handle_sigint=False
        )
        self._sio = sio
        sio.on("*", self._on_any)
        self._connect_error = None
        sio.on("connect_error", self._on_connect_error)
        since = self.since_provider()
        self.last_id = since
        try:
            self._holding = []
            self._hold_depth = 0
            await sio.connect(
                self.api.server,
                auth={"token": self.api.token, "since": since},
                socketio_path="/socket.io",
                wait_timeout=10,
            )
            self.attempt = 0
            await self._reload(None)
            self._set_state(CONNECTED)
            await sio.wait()
        finally:
            self._holding = None
            self._sio = None
            with contextlib.suppress(Exception):
                await sio.disconnect()

    async def _reload(self, latest_id: int | None) -> None:
        """Load the HTTP snapshot while holding live events back, then release them."""
        if self._holding is None:
            self._holding = []
        self._hold_depth += 1  # a resync may arrive while the connect-time load runs
        try:
            responses = await self.api.load(self.snapshot_paths())
            self.last_update = datetime.now(UTC)
            self.snapshot_loaded.emit(responses, latest_id)
        finally:
            self._hold_depth -= 1
            if self._hold_depth == 0:
                held, self._holding = self._holding or [], None
                for env in held:
                    self._deliver(env)

    async def refresh(self, paths: list[str]) -> None:
        """Reload some endpoints (boards after ``leaderboard:refresh``, promotions…)."""
        try:
            responses = await self.api.load(paths)
        except (ServerUnreachable, ApiError) as exc:
            log.info("refresh failed: %s", exc)
            if isinstance(exc, ApiError) and exc.status == 401:
                self._auth_refused(exc.code)
                if self._sio is not None:
                    with contextlib.suppress(Exception):
                        await self._sio.disconnect()
            return
        if responses:
            self.snapshot_loaded.emit(responses, None)

    # -- a refused token ---------------------------------------------------------------
    async def _on_connect_error(self, data: Any = None) -> None:
        self._connect_error = data

    def _refusal_code(self) -> str | None:
        """The connect refusal's code when it is about the token (``AUTH_REFUSALS``)."""
        data = self._connect_error
        inner = data.get("data") if isinstance(data, dict) else None
        code = inner.get("code") if isinstance(inner, dict) else None
        return code if code in AUTH_REFUSALS else None

    def _auth_refused(self, code: str) -> None:
        if self._refused is not None:
            return
        self._refused = code
        self._stopping = True
        log.warning("live feed: the server refused the token (%s)", code)
        self.unauthorized.emit(code)

    # -- incoming events -------------------------------------------------------------
    async def _on_any(self, name: str, data: Any = None) -> None:
        if name == "resync.required":
            latest = data.get("latest_id") if isinstance(data, dict) else None
            if latest is None and isinstance(data, dict):
                latest = (data.get("payload") or {}).get("latest_id")
            if latest is None:
                return
            self.resync_needed.emit(int(latest))
            self.last_id = int(latest)
            await self._reload(int(latest))
            return
        if not isinstance(data, dict):
            return
        if self._holding is not None:
            self._holding.append(data)
            return
        self._deliver(data)

    def _deliver(self, env: dict[str, Any]) -> None:
        event_id = env.get("id")
        if isinstance(event_id, int):
            if self.last_id is not None and event_id <= self.last_id:
                return  # duplicate (replay overlap): each event is applied once
            self.last_id = event_id
        self.last_update = datetime.now(UTC)
        self.event.emit(env)

    def stop_soon(self) -> None:
        asyncio.get_event_loop().create_task(self.stop())

    # -- client → server signals (added for the seller app: presence, typing) ----------
    async def send_event(self, name: str, data: Any = None, timeout: float = 5.0) -> Any:
        """Emit ``name`` to the server and return its acknowledgement; ``None`` when not
        connected or when no answer came within ``timeout`` (never raises)."""
        sio = self._sio
        if sio is None or self.state != CONNECTED:
            return None
        try:
            return await sio.call(name, data, timeout=timeout)
        except Exception as exc:
            log.info("send %s failed: %s", name, exc)
            return None
