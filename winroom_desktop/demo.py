"""``winroom demo``: ``winroom-backend demo`` as a subprocess, then the TV (and the seller
window, when the seller app provides ``setup_seller``) in this process. The backend is the
only child process, and it never outlives this one (:func:`start_backend`).

The backend writes ``<data-dir>/demo-credentials.json`` (``server``, ``tv_token``,
``sellers``); we wait for ``/healthz`` and that file without blocking the Qt thread. With no
display it says so in one line and keeps running headless, writing a fresh
``<data-dir>/tv.png`` every few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from backend.childproc import Child, spawn
from winroom_desktop.app import AppContext, has_display, run_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir)
    import platformdirs

    return Path(platformdirs.user_data_dir("winroom", appauthor=False)) / "demo"


def start_backend(port: int, root: Path) -> Child:
    """``winroom-backend demo`` as a child that ends with us, however we end (a Qt abort,
    kill -9): its own process group, a lifeline pipe and, on Linux, a parent-death signal
    (``backend.childproc``). Called from the main thread: the death signal follows the
    thread that forked."""
    return spawn(
        [
            sys.executable,
            "-c",
            "import sys; from backend.cli import main; sys.exit(main(sys.argv[1:]))",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(root),
        ]
    )


async def wait_ready(
    proc: Child, server: str, creds: Path, timeout: float = 90.0
) -> dict[str, Any]:
    # lazy: the backend starts before Qt loads
    from winroom_desktop.net.api import ApiClient

    api = ApiClient(server, timeout=2.0)
    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout
    try:
        while loop.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"winroom-backend demo exited with status {proc.returncode}")
            if creds.exists() and await api.healthz():
                with contextlib.suppress(ValueError):
                    return dict(json.loads(creds.read_text(encoding="utf-8")))
            await asyncio.sleep(0.3)
    finally:
        await api.aclose()
    raise RuntimeError(f"the backend did not become ready on {server} within {timeout:.0f} s")


def tv_arguments(
    args: argparse.Namespace, info: dict[str, Any], server: str, root: Path, headless: bool
) -> argparse.Namespace:
    """The TV's options inside ``winroom demo``: ``--size`` when given; headless (TV
    screenshots into the data dir) 1920×1080; with a display, what ``tv_app.show_window``
    does for any TV — exactly 1920×1080 for ``--screenshot`` (offscreen too, whose own
    screen is smaller), else a window that fits the screen."""
    # lazy: the backend starts before Qt loads
    from winroom_desktop.tv_app import TV_SIZE

    return argparse.Namespace(
        server=info.get("server", server),
        token=info["tv_token"],
        screen=0,
        windowed=not headless,
        overlay=None,
        mute=False,
        reduced_motion=False,
        playlist=None,
        rotate_seconds=None,
        settings=None,
        data_dir=str(root),
        demo_data=False,
        screenshot=args.screenshot,
        quit_after=args.quit_after,
        size=getattr(args, "size", None) or (TV_SIZE if headless else None),
    )


def quit_on_signals(ctx: AppContext) -> None:
    """Ctrl+C / SIGTERM end the demo in order (windows, feeds, then the backend) with
    128 + the signal number; the backend, in its own process group, gets neither."""
    loop = asyncio.get_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda num, _f: loop.call_soon_threadsafe(ctx.quit, 128 + num))


def run_demo(args: argparse.Namespace) -> int:
    root = demo_dir(args)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    port = args.port or free_port()
    server = f"http://127.0.0.1:{port}"
    headless = not has_display()
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # said once, here
        print(
            f"winroom demo: no display found — running headless, TV screenshots go to "
            f"{root / 'tv.png'} every {args.screenshot_every:g} s",
            file=sys.stderr,
        )
    creds = root / "demo-credentials.json"
    with contextlib.suppress(FileNotFoundError):
        creds.unlink()
    proc = start_backend(port, root)

    async def setup(ctx: AppContext) -> None:
        # lazy: the backend starts before Qt loads
        from winroom_desktop.tv_app import setup_tv

        quit_on_signals(ctx)
        try:
            info = await wait_ready(proc, server, creds)
        except RuntimeError as exc:
            print(f"winroom demo: {exc}", file=sys.stderr)
            ctx.quit(1)
            return
        tv_args = tv_arguments(args, info, server, root, headless)
        await setup_tv(ctx, tv_args)
        tv_window = ctx.main_window
        sellers = info.get("sellers") or []
        try:
            seller_app = importlib.import_module("winroom_desktop.seller_app")
            setup_seller = getattr(seller_app, "setup_seller", None)
        except ImportError:
            setup_seller = None
        if setup_seller is not None and sellers and not headless:
            s = sellers[0]
            seller_args = argparse.Namespace(
                server=tv_args.server,
                email=s["email"],
                password=s["password"],
                password_stdin=False,
                screenshot=None,
                quit_after=None,
                size=None,
            )
            try:
                await setup_seller(ctx, seller_args)
            except Exception as exc:
                print(f"winroom demo: the seller window failed: {exc}", file=sys.stderr)
        ctx.set_main_window(tv_window)
        if headless:
            shot = root / "tv.png"

            async def snap_loop() -> None:
                while True:
                    await asyncio.sleep(args.screenshot_every)
                    ctx.screenshot(shot)

            task = asyncio.ensure_future(snap_loop())

            async def _cancel() -> None:
                task.cancel()

            ctx.on_exit(_cancel)

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return run_app(args, setup, "Win Room demo")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        proc.stop(timeout=10)
