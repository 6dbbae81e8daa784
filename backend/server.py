"""``winroom-backend serve``: the HTTP API and Socket.IO as one ASGI app under uvicorn.

``create_app(settings, db)`` builds ``socketio.ASGIApp(sio, other_asgi_app=fastapi_app)``
(Socket.IO at ``/socket.io``, everything else FastAPI). Its lifespan starts the event relay
and — unless ``worker=False`` — the ingest worker and scheduled jobs in a thread; on
shutdown it tells connected sockets (``sio.shutdown()``), stops the worker and the relay.
``run_server_in_process`` runs the whole thing in a background thread (tests, the demo).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import socketio
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from backend import metrics
from backend.api.app import create_api
from backend.api.context import ApiContext
from backend.api.errors import error_body
from backend.quiet_gc import BusyTracker, QuietCollector
from backend.realtime.relay import EventRelay
from backend.realtime.sockets import SocketServer, make_sio
from backend.runtime import Database, open_database
from backend.settings import Settings

log = logging.getLogger(__name__)
GRACEFUL_SHUTDOWN_S = 5


def freeze_startup_heap() -> int:
    """Move everything alive after startup out of the cyclic collector's sight.

    The imports and the app (FastAPI, SQLAlchemy, pydantic, Socket.IO: hundreds of thousands
    of objects) never become garbage, but every full (generation 2) collection walks them all:
    measured 100-130 ms per collection in a serving process, a pause that stalls every claim
    and broadcast in flight (``bench/gc_pause.py``). Frozen, a full collection walks only what
    was allocated since. Process-wide, so only for a process that is the server
    (``serve``), not for tests or the demo that host it in a thread. Returns how many objects
    were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@dataclass
class WinRoomApp:
    """Everything one server process runs; ``asgi`` is what uvicorn serves."""

    ctx: ApiContext
    api: FastAPI
    sio: socketio.AsyncServer
    relay: EventRelay
    sockets: SocketServer
    asgi: Any
    quiet_gc: QuietCollector
    worker: bool = False
    # this process is the server (the serve command): once started, freeze_startup_heap()
    # and run the full collections at quiet moments (:mod:`backend.quiet_gc`)
    freeze_gc: bool = False
    _worker_stop: threading.Event = field(default_factory=threading.Event)
    _worker_thread: threading.Thread | None = None

    async def startup(self) -> None:
        await self.relay.start()
        self.sockets.start()
        if self.worker:
            self._start_worker()
        if self.freeze_gc:
            log.debug("froze %d startup objects", freeze_startup_heap())
            self.quiet_gc.start()

    async def shutdown(self) -> None:
        await self.quiet_gc.stop()
        with contextlib.suppress(Exception):
            await self.sio.shutdown()
        await self.sockets.stop()
        self._worker_stop.set()
        if self._worker_thread is not None:
            await asyncio.to_thread(self._worker_thread.join, 10)
        await self.relay.stop()

    def _start_worker(self) -> None:
        try:
            # lazy: serving without the worker if it fails to load
            from backend.ingest.worker import run_worker
        except ImportError as exc:
            log.warning("ingest worker not available (%s): serving without it", exc)
            return
        self._worker_thread = threading.Thread(
            target=self._run_worker, args=(run_worker,), name="ingest-worker", daemon=True
        )
        self._worker_thread.start()

    def _run_worker(self, run_worker: Any) -> None:
        try:
            run_worker(self.ctx.db, self.ctx.settings, self._worker_stop)
        except Exception:
            log.exception("the ingest worker stopped with an error")


def create_app(settings: Settings, db: Database | None = None, *, worker: bool = False) -> Any:
    """The ASGI app (Socket.IO + FastAPI); ``app.winroom`` is its :class:`WinRoomApp`."""
    return build(settings, db, worker=worker).asgi


def build(settings: Settings, db: Database | None = None, *, worker: bool = False) -> WinRoomApp:
    settings.jwt_key()  # a missing, empty or short secret stops here, not at the first login
    db = db or open_database(settings, migrate=True)
    ctx = ApiContext(settings, db)
    holder: dict[str, WinRoomApp] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        server = holder["app"]
        await server.startup()
        try:
            yield
        finally:
            await server.shutdown()

    api = create_api(ctx, lifespan=lifespan)
    sio = make_sio(settings.redis_url)
    relay = EventRelay(db, sio, retention_days=settings.event_retention_days)
    relay.hidden = ctx.hidden
    sockets = SocketServer(sio, ctx, relay)
    ctx.recheck_sockets = sockets.recheck_soon
    quiet_gc = QuietCollector()
    relay.on_sent = quiet_gc.touch
    asgi = BusyTracker(
        socketio.ASGIApp(sio, other_asgi_app=api, socketio_path="socket.io"), quiet_gc
    )
    app = WinRoomApp(
        ctx=ctx,
        api=api,
        sio=sio,
        relay=relay,
        sockets=sockets,
        asgi=asgi,
        quiet_gc=quiet_gc,
        worker=worker,
    )
    asgi.winroom = app
    holder["app"] = app
    api.state.live_metrics = metrics.watch(app)  # sockets, pool, Redis: read at scrape time
    return app


# the request head (CONTRACT §4: every error is the envelope): longer ones are refused by
# the server with 414 / 431 before the app sees them (nginx's default buffers: 8 KiB a line)
MAX_TARGET_BYTES = 8 * 1024  # the request target: path and query string
MAX_HEADER_BYTES = 32 * 1024  # all header lines together
MAX_HEAD_BYTES = MAX_TARGET_BYTES + MAX_HEADER_BYTES + 1024  # however it arrives
LINGER_S = 2.0  # after refusing a head: how long the rest of the request is read and dropped


class _HeadTooLarge(Exception):
    """Raised in a parser callback: httptools stops and uvicorn calls send_400_response."""


_HEAD_REFUSALS = {
    400: ("bad_request", "The request is not valid HTTP."),
    414: ("uri_too_long", "The request's address is too long."),
    431: ("headers_too_large", "The request's headers are too large."),
}


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounded request heads, answered with the envelope.

    uvicorn itself bounds neither the request line nor the headers (a 1 MB header reaches
    the app; it is all buffered first), and answers what httptools cannot parse — e.g. a
    request target over 64 KiB, past what ``parse_url`` takes — with a plain-text 400. Here
    a target over MAX_TARGET_BYTES is a 414, headers over MAX_HEADER_BYTES a 431 (counted as
    they arrive, so a head that never ends is cut off too), and what cannot be parsed a
    400, each with the error envelope, and the connection is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal = 400
        self._in_head = True
        self._head_bytes = 0
        self._header_bytes = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request: read and dropped until the close
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self._refused:
            # still no end of the head: its target, or a header line, never ends
            self._refuse(431 if self._header_bytes else 414)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._header_bytes = True, 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_TARGET_BYTES:
            self._refusal = 414
            raise _HeadTooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refusal = 431
            raise _HeadTooLarge

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True

    def send_400_response(self, msg: str) -> None:
        self._refuse(self._refusal)

    def _refuse(self, status: int) -> None:
        code, message = _HEAD_REFUSALS[status]
        body = json.dumps(error_body(code, message), separators=(",", ":")).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self._refused = True
        self.transport.write(b"".join(head) + body)
        # a lingering close (RFC 9112 §9.6): closing with the client's bytes unread would
        # reset the connection, and the reset can take the answer with it
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER_S, self.transport.close)


def uvicorn_config(
    app: Any, host: str, port: int, *, trusted_proxies: str | None = None, **kwargs: Any
) -> uvicorn.Config:
    """uvicorn's settings for Win Room. ``X-Forwarded-For`` (and ``-Proto``) is believed only
    from ``trusted_proxies`` (WINROOM_TRUSTED_PROXIES: addresses/CIDRs); None: ignored
    (uvicorn's own default trusts it from 127.0.0.1, where anyone on the machine, or a
    proxy that passes the header through, could name any address)."""
    # lazy: only the serving process sets up its log
    from backend import logfile

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        proxy_headers=trusted_proxies is not None,
        forwarded_allow_ips=trusted_proxies or "",
        log_level=kwargs.pop("log_level", "info"),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        ws="websockets-sansio",
        http=HttpProtocol,
        **kwargs,
    )
    logfile.attach_uvicorn()  # uvicorn's loggers do not propagate: give them the log file
    return config


class _Server(uvicorn.Server):
    """uvicorn's server, exiting 0 after a graceful SIGTERM/SIGINT shutdown (uvicorn would
    re-raise the signal once shut down, ending the process by that signal)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        sigs = (signal.SIGINT, signal.SIGTERM)
        old = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
        try:
            yield
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)


def serve_command(settings: Settings, args: argparse.Namespace) -> int:
    """``winroom-backend serve [--host] [--port] [--no-worker]`` until Ctrl+C / SIGTERM."""
    # lazy: backend.cli loads this module lazily
    from backend.cli import CliError

    db = open_database(settings, migrate=True)
    winroom = build(settings, db, worker=not args.no_worker)
    winroom.freeze_gc = True
    app = winroom.asgi
    log.info(
        "serving on http://%s:%d (worker %s)",
        args.host,
        args.port,
        "off" if args.no_worker else "on",
    )
    try:
        config = uvicorn_config(app, args.host, args.port, trusted_proxies=settings.trusted_proxies)
        server = _Server(config)
        server.run()
        if not server.started:
            raise CliError(f"could not listen on {args.host}:{args.port}")
    finally:
        db.dispose()
    return 0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    """A server running in a background thread; ``stop()`` shuts it down gracefully."""

    url: str
    port: int
    app: WinRoomApp
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def run_server_in_process(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    db: Database | None = None,
    worker: bool = False,
    log_level: str = "warning",
    startup_timeout: float = 30.0,
) -> RunningServer:
    """Start the API + Socket.IO server in a thread of this process; returns once it listens."""
    port = port or free_port(host)
    app = build(settings, db, worker=worker)
    config = uvicorn_config(
        app.asgi, host, port, log_level=log_level, trusted_proxies=settings.trusted_proxies
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"winroom-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the server did not start on {host}:{port}")
        time.sleep(0.01)
    return RunningServer(f"http://{host}:{port}", port, app, server, thread)
