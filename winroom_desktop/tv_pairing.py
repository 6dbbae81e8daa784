"""A TV without a working token pairs itself (CONTRACT §4 "TV pairing"); wired here.

``TvPairing.run(token)`` starts the TV with the token it has, or pairs first. Pairing runs
a :class:`~winroom_desktop.net.pairing.PairingClient` and shows its
:class:`~winroom_desktop.views.tv.pairing.PairingView` over the TV window — at once on a
TV with nothing on screen yet, else only once a code is there to show (the last good
screen stays until then). Paired: the token is stored for this user (``TokenFile``) and
the normal TV starts. A token the server refuses (the feed's ``unauthorized``) sends the TV
back to pairing; when the refused token was one given with ``--token`` and a stored one
from an earlier pairing exists, that one is tried first.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from winroom_desktop.net.pairing import PairingClient
from winroom_desktop.state.pairing import PairingScreen
from winroom_desktop.state.tvtoken import TokenFile
from winroom_desktop.views.tv.pairing import PairingView

log = logging.getLogger(__name__)


class TvPairing(QObject):
    def __init__(
        self,
        *,
        tv: Any,
        api: Any,
        token_file: TokenFile,
        view: PairingView,
        make_client: Callable[[], PairingClient],
        has_screen: bool = False,
    ) -> None:
        super().__init__()
        self.tv = tv
        self.api = api
        self.token_file = token_file
        self.view = view
        self.make_client = make_client
        self.has_screen = has_screen  # a last good screen is up (journal or snapshot)
        self.client: PairingClient | None = None
        self.pairings = 0
        tv.feed.unauthorized.connect(self.on_refused)
        tv.feed.snapshot_loaded.connect(self._on_snapshot)

    def run(self, token: str | None) -> None:
        if token:
            self.api.token = token
            self.tv.start()
        else:
            self.begin()

    def begin(self) -> None:
        if self.client is not None and self.client.running:
            return
        self.pairings += 1
        self.client = self.make_client()
        self.client.screen_changed.connect(self.on_screen)
        self.client.paired.connect(self.on_paired)
        if not self.has_screen:
            self.view.show()
        self.client.start()

    def on_screen(self, screen: PairingScreen) -> None:
        self.view.show_screen(screen)
        if screen.code or not self.has_screen:
            self.view.show()

    def on_paired(self, token: str, name: str) -> None:
        log.info("paired as %r", name)
        try:
            self.token_file.save(token, name)
        except OSError as exc:  # it still runs; the next start pairs again
            log.warning("the TV token could not be stored in %s: %s", self.token_file.path, exc)
        self.client = None
        self.api.token = token
        self.view.hide()
        self.tv.start()

    def on_refused(self, code: str) -> None:
        stored = self.token_file.load()
        if stored is not None and stored.token != self.api.token:
            log.info("the server refused the token (%s): trying the stored one", code)
            self.api.token = stored.token
            self.tv.start()
            return
        log.info("the server refused the token (%s): pairing again", code)
        if stored is not None:
            self.token_file.forget()
        self.api.token = None
        self.begin()

    def _on_snapshot(self, *_args: Any) -> None:
        self.has_screen = True

    async def stop(self) -> None:
        self.view.stop_timers()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.stop()
