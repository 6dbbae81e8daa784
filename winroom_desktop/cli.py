"""``winroom``: the desktop apps (CONTRACT §1).

    winroom tv --server URL [--token T] [--screen N] [--windowed] [--overlay KIND]
               [--size WxH] [--screenshot PATH --quit-after S]
    winroom seller --server URL [--email E --password-stdin] [...]
    winroom admin  --server URL [--email E --password-stdin] [...]
    winroom demo [--port P] [--data-dir D] [--size WxH] [--screenshot PATH --quit-after S]

``seller``/``admin`` are dispatched lazily to ``winroom_desktop.seller_app:run_seller(args)``
and ``winroom_desktop.admin_app:run_admin(args)``. ``demo`` opens the seller window in the
same process through ``winroom_desktop.seller_app:setup_seller(ctx, args)`` (an async
``setup`` as ``app.run_app`` takes) when that exists. Bad arguments print one line and
exit 2; system libraries missing for Qt's platform plugin, one line and exit 1, before Qt
loads (``winroom_desktop.syslibs``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from winroom_desktop.app import add_window_arguments, positive_seconds

OVERLAYS = ("streak", "jackpot", "goal", "milestone", "spin", "reel")


class OneLineParser(argparse.ArgumentParser):
    """Errors as one line (``winroom: error: …``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"winroom: error: {message}\n")


def _server(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"server must be an http(s) URL, got {text!r}")
    return text.rstrip("/")


def _screen(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"screen must be a number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("screen must be 0 or more")
    return n


def _port(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {text!r}") from None
    if not 0 < n < 65536:
        raise argparse.ArgumentTypeError(f"port out of range: {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="winroom", description="Win Room desktop apps")
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    tv = sub.add_parser("tv", help="fullscreen TV kiosk")
    tv.add_argument("--server", required=True, type=_server, help="e.g. http://10.0.0.5:8000")
    tv.add_argument(
        "--token",
        help="device token (winroom-backend device-token); without one the TV pairs itself",
    )
    tv.add_argument(
        "--screen",
        type=_screen,
        default=0,
        help="screen number (default 0); each screen keeps its own journal and settings",
    )
    tv.add_argument("--windowed", action="store_true", help="a normal window, not fullscreen")
    tv.add_argument("--overlay", choices=OVERLAYS, help="play this overlay with sample data")
    tv.add_argument("--mute", action="store_true", help="start muted (M toggles)")
    tv.add_argument("--reduced-motion", action="store_true", help="no confetti or spinning")
    tv.add_argument("--playlist", help="boards to rotate, e.g. revenue/today,wins/15d")
    tv.add_argument("--rotate-seconds", type=positive_seconds, help="board rotation interval")
    tv.add_argument("--settings", help="TV settings JSON (default: user config dir)")
    tv.add_argument("--data-dir", help="where the journal lives (default: user data dir)")
    tv.add_argument("--demo-data", action="store_true", help=argparse.SUPPRESS)
    add_window_arguments(tv)

    for name, what in (("seller", "seller desktop app"), ("admin", "admin window")):
        sp = sub.add_parser(name, help=what)
        sp.add_argument("--server", required=True, type=_server)
        sp.add_argument("--email")
        sp.add_argument("--password-stdin", action="store_true")
        add_window_arguments(sp)
        _extend(name, sp)

    demo = sub.add_parser("demo", help="winroom-backend demo plus a TV and a seller window")
    demo.add_argument("--port", type=_port, help="backend port (default: a free one)")
    demo.add_argument("--data-dir", help="demo data dir (default: user data dir /demo)")
    demo.add_argument(
        "--screenshot-every",
        type=positive_seconds,
        default=5.0,
        help="headless: seconds between TV screenshots",
    )
    add_window_arguments(demo)
    return p


def _extend(mode: str, parser: argparse.ArgumentParser) -> None:
    """Let ``<mode>_app.add_arguments(parser)`` add its own options, if it defines any."""
    if mode not in sys.argv[1:2]:
        return
    try:
        module = importlib.import_module(f"winroom_desktop.{mode}_app")
    except ImportError:
        return
    add = getattr(module, "add_arguments", None)
    if callable(add):
        add(parser)


def _dispatch(mode: str, args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module(f"winroom_desktop.{mode}_app")
        fn: Any = getattr(module, f"run_{mode}")
    except (ImportError, AttributeError):
        print(f"winroom: the {mode} app is not available in this build", file=sys.stderr)
        return 1
    return int(fn(args))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # lazy: Qt loads only once the system libraries are checked
    from winroom_desktop.syslibs import platform_problem

    problem = platform_problem()  # before Qt loads, and before the demo starts its backend
    if problem:
        print(f"winroom: {problem}", file=sys.stderr)
        return 1
    if args.command == "tv":
        # lazy: Qt loads only once the system libraries are checked
        from winroom_desktop.tv_app import run_tv

        return run_tv(args)
    if args.command in ("seller", "admin"):
        return _dispatch(args.command, args)
    # lazy: Qt loads only once the system libraries are checked
    from winroom_desktop.demo import run_demo

    return run_demo(args)


if __name__ == "__main__":
    raise SystemExit(main())
