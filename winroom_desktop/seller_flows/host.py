"""What a flow may use of the controller that hosts it (``seller_app.SellerController``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.state import seller as ss
from winroom_desktop.state.store import Store
from winroom_desktop.views.seller.celebration import Sounds
from winroom_desktop.views.seller.tray import Tray
from winroom_desktop.views.seller.window import SellerWindow

if TYPE_CHECKING:  # the flows are the host's attributes: no import at run time
    from winroom_desktop.seller_flows.chat import ChatFlow
    from winroom_desktop.seller_flows.claims import ClaimFlow
    from winroom_desktop.seller_flows.input import InputWatcher
    from winroom_desktop.seller_flows.intake import Intake
    from winroom_desktop.seller_flows.mine import MineFlow
    from winroom_desktop.seller_flows.reactions import Reactions
    from winroom_desktop.seller_flows.session import SessionFlow


class Host(Protocol):
    window: SellerWindow
    api: Any  # net.api.ApiClient, or a stand-in with its async surface
    feed: Any  # net.feed.LiveFeed, or one with its signals
    store: Store
    seller: ss.SellerState
    creds: CredentialStore | None
    sounds: Sounds
    tray: Tray | None
    server: str
    dnd: bool
    mono: Callable[[], float]
    retry_delays: tuple[float, ...]
    watcher: InputWatcher
    intake: Intake
    claims: ClaimFlow
    chat: ChatFlow
    reactions: Reactions
    mine: MineFlow
    session: SessionFlow

    def spawn(self, coro: Any) -> asyncio.Task[Any]: ...
    def render_now(self) -> None: ...
    def request_render(self) -> None: ...
    def set_me(self, user: dict[str, Any] | None) -> None: ...
    def on_connection(self, state: str, last_update: object) -> None: ...
