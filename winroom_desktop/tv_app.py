"""``winroom tv``: the wall-screen kiosk. Wires feed → store → window in one place.

``TvApp`` owns the collaborators (all injectable: tests pass a ``StubFeed`` and a silent
``SoundPlayer``) and ``_connect_signals`` is the only place they meet. At start the local
journal is drawn at once (last good screen), then the live feed connects and heals itself.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

from winroom_desktop.app import AppContext, run_app
from winroom_desktop.kiosk import ScreenSaverInhibitor, SystemdWatchdog
from winroom_desktop.net.api import ApiClient
from winroom_desktop.net.feed import LiveFeed
from winroom_desktop.net.offline import OfflineFeed
from winroom_desktop.net.pairing import PairingClient
from winroom_desktop.state import snapshot as snap
from winroom_desktop.state.effects import Refetch, RefetchBoards, Sound
from winroom_desktop.state.journal import Journal, write_atomic
from winroom_desktop.state.sample import sample_overlay, sample_responses
from winroom_desktop.state.store import Store
from winroom_desktop.state.tvsettings import TvSettings, save_sound
from winroom_desktop.state.tvtoken import TokenFile
from winroom_desktop.tv_pairing import TvPairing
from winroom_desktop.views.tv.pairing import PairingView
from winroom_desktop.views.tv.window import TvWindow

log = logging.getLogger(__name__)

# when the screenshot of ``--overlay KIND`` is taken, this far (ms) into the overlay
SHOWCASE_MS = {"streak": 1100, "jackpot": 1500, "goal": 1300, "milestone": 1200, "spin": 3700}


def data_dir(args: argparse.Namespace | None = None) -> Path:
    explicit = getattr(args, "data_dir", None) or os.environ.get("WINROOM_DESKTOP_DATA_DIR")
    if explicit:
        return Path(explicit)
    import platformdirs

    return Path(platformdirs.user_data_dir("winroom", appauthor=False))


def screen_of(args: argparse.Namespace | None) -> int:
    screen = getattr(args, "screen", None)
    return screen if isinstance(screen, int) and screen > 0 else 0


def _screen_suffix(screen: int) -> str:
    """Screen 0 keeps the paths of a one-TV machine; ``--screen N`` gets its own files."""
    return f"-screen{screen}" if screen > 0 else ""


def settings_path(args: argparse.Namespace | None = None) -> Path:
    """``--settings`` as given; else ``tv-settings.json`` in the user config dir, or
    ``tv-settings-screenN.json`` for ``--screen N`` (N > 0)."""
    explicit = getattr(args, "settings", None)
    if explicit:
        return Path(explicit)
    import platformdirs

    root = Path(platformdirs.user_config_dir("winroom", appauthor=False))
    return root / f"tv-settings{_screen_suffix(screen_of(args))}.json"


def journal_path(root: Path, server: str, screen: int = 0) -> Path:
    """One journal per server and screen: TVs on one machine never share a last screen."""
    digest = hashlib.sha1(server.encode()).hexdigest()[:10]
    return root / f"tv-journal-{digest}{_screen_suffix(screen)}.json"


def token_path(root: Path, server: str, screen: int = 0) -> Path:
    """Where a paired TV keeps its token: per server and screen, like the journal."""
    digest = hashlib.sha1(server.encode()).hexdigest()[:10]
    return root / f"tv-token-{digest}{_screen_suffix(screen)}.json"


class TvApp(QObject):
    def __init__(
        self,
        *,
        settings: TvSettings,
        feed: Any,
        window: TvWindow | None = None,
        sound: Any = None,
        journal: Journal | None = None,
        store: Store | None = None,
        settings_file: Path | None = None,
        settings_base: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.settings_file = settings_file  # where mute and volume are kept across restarts
        self.settings_base = settings_base  # the file the settings came from (screen 0's)
        self.feed = feed
        self.store = store or Store()
        self.window = window or TvWindow(settings)
        self.sound = sound
        self.journal = journal
        self._journal_dirty = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(int(settings.refresh_seconds * 1000))
        self._journal_timer = QTimer(self)
        self._journal_timer.setInterval(5000)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.feed.event.connect(self.on_event)
        self.feed.snapshot_loaded.connect(self.on_snapshot)
        self.feed.connection_changed.connect(self.on_connection)
        self.window.board_changed.connect(self.on_board_changed)
        self.window.overlay.started.connect(self.on_overlay_started)
        self.window.mute_toggled.connect(self.on_mute)
        self.window.volume_changed.connect(lambda _v: self.save_sound_settings())
        self._refresh_timer.timeout.connect(self.refresh_slow_parts)
        self._journal_timer.timeout.connect(self.save_journal_soon)

    def _spawn(self, coro: Any) -> None:
        """Run a feed coroutine on the running (qasync) loop; without one, drop it."""
        if coro is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            return
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- start / stop ----------------------------------------------------------------
    def restore_journal(self) -> bool:
        """Show the last good screen at once (``True`` if a journal was found)."""
        if self.journal is None:
            return False
        loaded = self.journal.load()
        if loaded is None:
            return False
        state, saved_at = loaded
        self.store.replace_state(state)
        self.window.show_state(state)
        self.feed.last_update = saved_at
        self.window.set_connection("connecting", saved_at)
        return True

    def start(self) -> None:
        self.window.set_connection(self.feed.state, self.feed.last_update)
        self.feed.start()
        self._refresh_timer.start()
        self._journal_timer.start()

    async def stop(self) -> None:
        self._refresh_timer.stop()
        self._journal_timer.stop()
        self.window.stop_timers()
        for task in list(self._tasks):
            task.cancel()
        await self.feed.stop()
        self.save_journal()

    def snapshot_paths(self) -> list[str]:
        return snap.tv_endpoints(list(self.settings.board_playlist))

    def board_paths(self) -> list[str]:
        """Every board of the playlist: they are always fetched together, so the boards on
        screen (and in the journal) are from one moment."""
        return [snap.board_path(b, p) for b, p in dict.fromkeys(self.settings.board_playlist)]

    # -- signal handlers -------------------------------------------------------------
    def on_event(self, env: dict[str, Any]) -> None:
        old = self.store.state
        state, effects = self.store.apply_event(env)
        if state is old and not effects:
            return  # duplicate or invalid
        self.window.show_state(state, effects)
        self._journal_dirty = True
        boards: set[str] = set()
        paths: dict[str, None] = {}  # in order: the playlist's boards together, then the rest
        for eff in effects:
            if isinstance(eff, Sound) and self.sound is not None and not self.window.overlay.busy:
                self.sound.play(eff.name)
            elif isinstance(eff, RefetchBoards):
                boards.update(eff.boards or ("wins", "revenue", "margin", "conversion"))
            elif isinstance(eff, Refetch):
                paths.update(dict.fromkeys(eff.paths))
        if boards and any(b in boards for b, _ in self.settings.board_playlist):
            paths = {**dict.fromkeys(self.board_paths()), **paths}
        if paths:  # one reload for everything this event changed
            self._spawn(self.feed.refresh(list(paths)))

    def on_snapshot(self, responses: dict[str, Any], latest_id: int | None) -> None:
        state = self.store.load_snapshot(responses, latest_id)
        self.window.show_state(state)
        self._journal_dirty = True

    def on_connection(self, state: str, last_update: datetime | None) -> None:
        self.window.set_connection(state, last_update)

    def on_board_changed(self, board: str, period: str) -> None:
        if self.feed.state == "connected":
            self._spawn(self.feed.refresh(self.board_paths()))

    def on_overlay_started(self, overlay: Any) -> None:
        if self.sound is not None:
            self.sound.play(overlay.sound)

    def on_mute(self, muted: bool) -> None:
        if muted and self.sound is not None:
            self.sound.stop()
        self.save_sound_settings()

    def save_sound_settings(self) -> None:
        """Mute and volume survive a restart (the file's other settings are kept)."""
        if self.settings_file is None:
            return
        source = self.settings_file
        if not source.exists() and self.settings_base is not None:
            source = self.settings_base  # a screen's first own file starts as a copy
        text = save_sound(source, self.settings.muted, self.settings.volume)
        try:
            write_atomic(self.settings_file, text)
        except OSError as exc:
            log.warning("TV settings not saved to %s: %s", self.settings_file, exc)

    def refresh_slow_parts(self) -> None:
        if self.feed.state != "connected":
            return
        slow = [snap.PROMOTIONS, snap.CHALLENGES, snap.GOALS]
        self._spawn(self.feed.refresh(slow + self.board_paths()))

    # -- journal ---------------------------------------------------------------------
    def save_journal(self) -> None:
        if self.journal is not None and self._journal_dirty:
            self.journal.save(self.store.state)
            self._journal_dirty = False

    def save_journal_soon(self) -> None:
        """Serialize on the Qt thread (small), write the file off it."""
        if self.journal is None or not self._journal_dirty:
            return
        text = self.journal.dumps(self.store.state)
        self._journal_dirty = False
        path = self.journal.path
        asyncio.get_event_loop().run_in_executor(None, write_atomic, path, text)


def settings_source(args: argparse.Namespace) -> Path:
    """The file this screen's settings are read from: its own, or screen 0's until it has
    one (the same floor)."""
    path = settings_path(args)
    if not path.exists() and not getattr(args, "settings", None) and screen_of(args) > 0:
        path = settings_path(argparse.Namespace(screen=0))
    return path


def load_settings(args: argparse.Namespace) -> TvSettings:
    """The screen's own settings file; a screen N without one yet starts from screen 0's
    (the same floor), and keeps its own once it has one."""
    settings = TvSettings.load(settings_source(args))
    if getattr(args, "mute", False):
        settings.muted = True
    if getattr(args, "reduced_motion", False):
        settings.reduced_motion = True
    if getattr(args, "playlist", None):
        settings.playlist = args.playlist
    if getattr(args, "rotate_seconds", None):
        settings.rotate_seconds = args.rotate_seconds
    return settings.validate()


TV_SIZE = (1920, 1080)  # CONTRACT §1: a screenshot's TV is exactly this unless --size says


def show_window(window: TvWindow, args: argparse.Namespace) -> None:
    """Size and show: ``--size``/screenshot → exact size; ``--windowed``; else fullscreen kiosk
    on ``--screen N`` (geometry first, then fullscreen: works without a window manager)."""
    from PySide6.QtGui import QGuiApplication

    size = getattr(args, "size", None)
    if size or getattr(args, "screenshot", None):
        w, h = size or TV_SIZE
        window.resize(w, h)
        window.show()
        return
    screens = QGuiApplication.screens()
    index = getattr(args, "screen", None) or 0
    if index >= len(screens):
        log.warning("screen %s not found (%d screens): using the first", index, len(screens))
        index = 0
    screen = screens[index] if screens else None
    if getattr(args, "windowed", False):
        if screen is not None:
            geo = screen.availableGeometry()
            window.resize(min(1600, geo.width()), min(900, geo.height()))
        window.show()
        return
    window.kiosk = True
    if screen is not None:
        window.setScreen(screen)
        window.setGeometry(screen.geometry())
    window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
    window.setCursor(Qt.CursorShape.BlankCursor)
    window.showFullScreen()


async def setup_tv(ctx: AppContext, args: argparse.Namespace) -> TvApp:

    settings = load_settings(args)
    window = TvWindow(settings)
    store = Store()
    feed: Any
    journal: Journal | None = None
    api: ApiClient | None = None
    if getattr(args, "demo_data", False):
        feed = OfflineFeed()
    else:
        api = ApiClient(args.server, None)  # the token: below (given, stored, or paired)
        journal = Journal(
            journal_path(data_dir(args), args.server, screen_of(args)), server=args.server
        )
        feed = LiveFeed(
            api,
            since_provider=lambda: store.last_event_id,
            snapshot_paths=lambda: snap.tv_endpoints(list(settings.board_playlist)),
        )
    tv = TvApp(
        settings=settings,
        feed=feed,
        window=window,
        journal=journal,
        store=store,
        settings_file=None if getattr(args, "screenshot", None) else settings_path(args),
        settings_base=settings_source(args),
    )
    restored = tv.restore_journal()
    pairing = None
    if api is not None:
        pairing = _pairing(tv, api, window, args, has_screen=restored)
    window.quit_requested.connect(lambda: ctx.quit(0))
    show_window(window, args)
    window.repaint()  # the first frame (last good screen) before anything slow
    # lazy: QtMultimedia loads after the first frame
    from winroom_desktop.sound import SoundPlayer

    offline_render = bool(getattr(args, "screenshot", None))
    # loaded when muted too: M unmutes at once (the player checks the mute at each sound)
    tv.sound = SoundPlayer(settings, enabled=not offline_render)
    ctx.set_main_window(window)
    inhibitor = ScreenSaverInhibitor()
    if window.kiosk:
        inhibitor.inhibit()
    watchdog = SystemdWatchdog()
    watchdog.start(window)  # pings from this thread: a frozen UI gets restarted

    async def _stop() -> None:
        watchdog.stop()
        inhibitor.release()
        window.allow_close = True
        if pairing is not None:
            await pairing.stop()
        await tv.stop()

    ctx.on_exit(_stop)
    if pairing is not None:
        pairing.run(getattr(args, "token", None) or _stored_token(pairing))
    else:
        tv.start()
    if isinstance(feed, OfflineFeed):
        feed.snapshot(sample_responses())
        feed.go("connected", datetime.now(UTC))
    kind = getattr(args, "overlay", None)
    if kind:
        quit_after = getattr(args, "quit_after", None) or (3.0 if args.screenshot else None)
        delay = 0.4
        if quit_after:
            delay = max(0.2, quit_after - SHOWCASE_MS.get(kind, 1200) / 1000.0)
        overlay = sample_overlay(kind)
        QTimer.singleShot(int(delay * 1000), lambda: window.play_overlay(overlay))
    return tv


def _pairing(
    tv: TvApp, api: Any, window: TvWindow, args: argparse.Namespace, *, has_screen: bool
) -> Any:
    path = token_path(data_dir(args), args.server, screen_of(args))
    return TvPairing(
        tv=tv,
        api=api,
        token_file=TokenFile(path, args.server),
        view=PairingView(window),
        make_client=lambda: PairingClient(args.server),
        has_screen=has_screen,
    )


def _stored_token(pairing: Any) -> str | None:
    stored = pairing.token_file.load()
    return stored.token if stored is not None else None


def run_tv(args: argparse.Namespace) -> int:
    async def setup(ctx: AppContext) -> None:
        await setup_tv(ctx, args)

    return run_app(args, setup, "Win Room TV")
