"""The seller's main window: top bar, the live queue (left) and tabs (right).

It only draws state and forwards intent as signals; ``winroom_desktop.seller_app`` wires it
to the network and the stores (``SellerController._connect``).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.format import hhmm
from winroom_desktop.state.models import RoomState
from winroom_desktop.state.seller import SellerState, queue_cards
from winroom_desktop.views import theme
from winroom_desktop.views.seller.celebration import CelebrationLayer
from winroom_desktop.views.seller.chat_view import ChatPanel
from winroom_desktop.views.seller.numbers_view import GoalsPanel, NumbersPanel
from winroom_desktop.views.seller.queue_view import QueuePanel, plain
from winroom_desktop.views.seller.sales_view import SalesPanel
from winroom_desktop.views.seller.style import chip_style, hexa, stylesheet

MINE_TAB = 0
SALES_TAB = 1
CHAT_TAB = 2


class ConnectionPill(QLabel):
    def set_connection(self, state: str, last_update: datetime | None, server: str = "") -> None:
        if state == "connected":
            self.setText("● Live")
            self.setStyleSheet(chip_style(theme.GOAL))
            self.setToolTip(f"Connected to {server}")
        elif state == "connecting":
            self.setText("● Connecting…")
            self.setStyleSheet(chip_style(theme.MUTED))
            self.setToolTip(f"Connecting to {server}")
        else:
            since = f" · last update {hhmm(last_update)}" if last_update else ""
            self.setText(f"⟳ Reconnecting…{since}")
            self.setStyleSheet(chip_style(theme.WARNING))
            self.setToolTip(f"Trying to reach {server} again. Your actions are kept safe.")


class SellerWindow(QMainWindow):
    dnd_toggled = Signal(bool)
    logout_requested = Signal()
    chat_viewed = Signal()
    tab_shown = Signal(int)

    def __init__(self, server: str = "") -> None:
        super().__init__()
        self.server = server
        self.setWindowTitle("Win Room — Seller")
        self.setStyleSheet(stylesheet())
        self.resize(1280, 800)
        self.setMinimumSize(760, 520)
        central = QWidget()
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)

        bar = QFrame()
        bar.setProperty("role", "bar")
        top = QHBoxLayout(bar)
        top.setContentsMargins(16, 10, 16, 10)
        brand = QLabel("WIN ROOM")
        brand.setStyleSheet(
            f"color: {hexa(theme.NEW_SALE)}; font-weight: 800; letter-spacing: 2px;"
        )
        self.who = plain("")
        self.who.setProperty("role", "h2")
        self.level_chip = QLabel("")
        self.level_chip.setStyleSheet(chip_style(theme.MILESTONE))
        self.level_chip.hide()
        self.pill = ConnectionPill("● Connecting…")
        self.pill.setStyleSheet(chip_style(theme.MUTED))
        self.dnd = QPushButton("🔔 Sounds on")
        self.dnd.setCheckable(True)
        self.dnd.setToolTip("Do not disturb: no confetti, no sounds, no pop-ups (Ctrl+D)")
        self.dnd.toggled.connect(self._dnd)
        self.logout = QPushButton("Log out")
        self.logout.clicked.connect(self.logout_requested)
        top.addWidget(brand)
        top.addSpacing(16)
        top.addWidget(self.who)
        top.addWidget(self.level_chip)
        top.addStretch(1)
        top.addWidget(self.pill)
        top.addSpacing(8)
        top.addWidget(self.dnd)
        top.addWidget(self.logout)
        root.addWidget(bar)

        self.banner = plain("")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            f"background: {hexa(theme.PANEL)}; color: {hexa(theme.WARNING)};"
            f" border-bottom: 1px solid {hexa(theme.LINE)}; padding: 8px 16px;"
        )
        self.banner.hide()
        root.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(16, 12, 8, 12)
        self.queue = QueuePanel()
        self.queue.more_requested.connect(self._more)
        lv.addWidget(self.queue)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 8, 16, 12)
        self.tabs = QTabWidget()
        self.numbers = NumbersPanel()
        self.goals = GoalsPanel()
        self.sales = SalesPanel()
        self.chat = ChatPanel()
        mine = QSplitter(Qt.Orientation.Vertical)
        mine.setChildrenCollapsible(False)
        mine.addWidget(self.numbers)
        mine.addWidget(self.goals)
        mine.setSizes([430, 330])
        self.tabs.addTab(mine, "My numbers && goals")
        self.tabs.addTab(self.sales, "My sales")
        self.tabs.addTab(self.chat, "Team chat")
        self.tabs.currentChanged.connect(self._tab_changed)
        rv.addWidget(self.tabs)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        split.setSizes([560, 720])
        root.addWidget(split, 1)
        self.celebrations = CelebrationLayer(central)
        self._last: dict[str, tuple[object, ...]] = {}
        self.incomplete = False
        for i, key in enumerate(("1", "2", "3")):
            QShortcut(QKeySequence(f"Ctrl+{key}"), self, lambda i=i: self.tabs.setCurrentIndex(i))
        QShortcut(QKeySequence("Ctrl+D"), self, self.dnd.toggle)
        QShortcut(QKeySequence("Ctrl+Q"), self, self.focus_queue)

    # ----------------------------------------------------------------- intent

    def _dnd(self, on: bool) -> None:
        self.dnd.setText("🔕 Do not disturb" if on else "🔔 Sounds on")
        self.celebrations.dnd = on
        self.dnd_toggled.emit(on)

    def _tab_changed(self, index: int) -> None:
        self.tab_shown.emit(index)
        if index == CHAT_TAB:
            self.chat_viewed.emit()

    def _more(self) -> None:
        self._last.pop("queue", None)
        self.tab_shown.emit(self.tabs.currentIndex())  # asks the controller for a render

    def focus_queue(self) -> None:
        for card in self.queue.cards.values():
            if not card.hold.isHidden():
                card.hold.setFocus()
                return

    # ----------------------------------------------------------------- drawing

    def set_banner(self, text: str | None) -> None:
        self.banner.setText(text or "")
        self.banner.setVisible(bool(text))

    def set_connection(self, state: str, last_update: datetime | None) -> None:
        self.pill.set_connection(state, last_update, self.server)

    def show_state(self, room: RoomState, seller: SellerState) -> None:
        """Draw what changed since the last render (inputs compared by identity)."""
        last = self._last
        me = seller.me

        def changed(key: str, *parts: object) -> bool:
            old = last.get(key)
            if (
                old is not None
                and len(old) == len(parts)
                and all(a is b for a, b in zip(old, parts, strict=True))
            ):
                return False
            last[key] = parts
            return True

        if changed("me", me, seller.points):
            self.who.setText(me.name if me else "")
            level = seller.points.get("level") if seller.points else None
            self.level_chip.setVisible(level is not None)
            if level is not None:
                self.level_chip.setText(f"Level {level}")
            self.queue.can_claim = me.can_claim if me else True
        self.incomplete = False
        me_id = me.id if me else None
        if changed(
            "queue", room.queue, seller.attempts, seller.queue_reactions, me
        ) and not self.queue.set_cards(queue_cards(room, seller), me_id):
            del last["queue"]  # more cards to build on the next pass
            self.incomplete = True
        if changed(
            "numbers",
            room.boards,
            seller.metrics,
            seller.points,
            seller.badges,
            seller.spins,
            seller.period,
            me,
        ):
            self.numbers.set_state(room, seller)
        if changed("goals", room.personal_goals, room.team_goals, room.challenges):
            self.goals.set_state(room)
        if self.tabs.currentIndex() == SALES_TAB and changed(
            "sales", seller.my_sales, seller.objections
        ):
            self.sales.set_state(seller)
        # hidden tabs are drawn when shown
        if self.tabs.currentIndex() == CHAT_TAB and changed(
            "chat", seller.chat, seller.people, seller.typing, me
        ):
            self.chat.set_state(seller)
        if changed("notice", seller.chat_notice):
            self.chat.show_notice(seller.chat_notice)
        unread = seller.unread_chat
        self.tabs.setTabText(CHAT_TAB, f"Team chat ({unread})" if unread else "Team chat")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.celebrations.clock.stop()
        super().closeEvent(event)
