"""Team chat: the last 50 lines, who is online/away/offline, who is typing, and the input.

Every piece of user text is a ``QLabel`` with ``Qt.PlainText``: a message can never draw
HTML. Moderation feedback for the sender appears under the input with the reason; a
message that was not sent stays in the input so nothing typed is lost.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.format import hhmm, parse_time
from winroom_desktop.state.seller import ChatLine, ChatNotice, Person, SellerState, typing_line
from winroom_desktop.views import theme
from winroom_desktop.views.seller.queue_view import ReactionBar, plain
from winroom_desktop.views.seller.style import NOTICE_COLORS, STATUS_COLORS, hexa

MAX_CHARS = 500
TYPING_SIGNAL_EVERY_S = 2.0


class ChatBubble(QFrame):
    def __init__(self, line: ChatLine, mine: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_id = line.id
        bg = theme.PANEL_HI if mine else theme.PANEL
        self.setStyleSheet(
            f"ChatBubble {{ background: {hexa(bg)}; border-radius: 8px;"
            f" border: 1px solid {hexa(theme.LINE)}; }}"
        )
        v = QVBoxLayout(self)
        v.setContentsMargins(10, 6, 10, 6)
        v.setSpacing(2)
        head = QHBoxLayout()
        self.name = plain(line.seller_name + (" (you)" if mine else ""))
        color = theme.seller_color(line.seller_id)
        self.name.setStyleSheet(f"color: {hexa(color)}; font-weight: 700;")
        self.when = plain(hhmm(parse_time(line.created_at)))
        self.when.setProperty("role", "dim")
        head.addWidget(self.name)
        head.addWidget(self.when)
        head.addStretch(1)
        self.reactions = ReactionBar(self)
        head.addWidget(self.reactions)
        v.addLayout(head)
        self.text = plain(line.text)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.text)

    def update_line(self, line: ChatLine, me_id: int | None) -> None:
        if self.text.text() != line.text:
            self.text.setText(line.text)
        self.reactions.set_reactions(line.reactions, me_id)


class PresenceList(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._v = QVBoxLayout(self)
        self._v.setContentsMargins(8, 0, 0, 0)
        self._v.setSpacing(4)
        title = QLabel("TEAM")
        title.setProperty("role", "section")
        self._v.addWidget(title)
        self._rows: list[QWidget] = []
        self._shown: tuple[object, ...] | None = None
        self._v.addStretch(1)
        self.setMinimumWidth(150)

    def set_people(self, people: list[Person], typing: set[int]) -> None:
        key = (tuple(people), frozenset(typing))
        if key == self._shown:
            return
        self._shown = key
        for r in self._rows:
            r.deleteLater()
        self._rows = []
        order = {"online": 0, "away": 1, "offline": 2}
        for i, p in enumerate(sorted(people, key=lambda p: (order.get(p.status, 3), p.name))):
            box = QWidget()
            h = QHBoxLayout(box)
            h.setContentsMargins(0, 0, 0, 0)
            h.setSpacing(6)
            dot = QLabel("●")
            dot.setStyleSheet(f"color: {hexa(STATUS_COLORS.get(p.status, theme.DIM))};")
            name = plain(p.name + ("  ✎" if p.seller_id in typing else ""))
            if p.status == "offline":
                name.setStyleSheet(f"color: {hexa(theme.DIM)};")
            status = plain(p.status)
            status.setProperty("role", "dim")
            h.addWidget(dot)
            h.addWidget(name, 1)
            h.addWidget(status)
            box.setAccessibleName(f"{p.name}: {p.status}")
            self._v.insertWidget(1 + i, box)
            self._rows.append(box)


class ChatPanel(QWidget):
    send_requested = Signal(str)
    typing_changed = Signal(bool)
    reaction_toggled = Signal(str, int, str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self._list = QVBoxLayout(body)
        self._list.setContentsMargins(0, 0, 6, 0)
        self._list.setSpacing(6)
        self.empty = QLabel("No messages yet — say hello to the team.")
        self.empty.setProperty("role", "muted")
        self._list.addStretch(1)
        self._list.addWidget(self.empty)
        self.scroll_area.setWidget(body)
        self._body = body
        left.addWidget(self.scroll_area, 1)
        self.typing = QLabel("")
        self.typing.setProperty("role", "muted")
        self.typing.setTextFormat(Qt.TextFormat.PlainText)
        left.addWidget(self.typing)
        self.notice = plain("")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        left.addWidget(self.notice)
        row = QHBoxLayout()
        self.input = QLineEdit()
        self.input.setPlaceholderText("Message the team…  (Enter to send)")
        self.input.setMaxLength(MAX_CHARS)
        self.input.setAccessibleName("Chat message")
        self.input.returnPressed.connect(self._send)
        self.input.textEdited.connect(self._edited)
        self.counter: QLabel = QLabel(f"0/{MAX_CHARS}")
        self.input.textChanged.connect(lambda t: self.counter.setText(f"{len(t)}/{MAX_CHARS}"))
        self.counter.setProperty("role", "dim")
        self.send = QPushButton("Send")
        self.send.setProperty("role", "primary")
        self.send.clicked.connect(self._send)
        row.addWidget(self.input, 1)
        row.addWidget(self.counter)
        row.addWidget(self.send)
        left.addLayout(row)
        outer.addLayout(left, 1)
        self.presence = PresenceList()
        outer.addWidget(self.presence)
        self.bubbles: dict[int, ChatBubble] = {}
        self._typing_sent_at = 0.0
        self._typing = False
        self._idle_typing = QTimer(self)
        self._idle_typing.setSingleShot(True)
        self._idle_typing.setInterval(4000)
        self._idle_typing.timeout.connect(self._stop_typing)

    # ----------------------------------------------------------------- input

    def _edited(self, text: str) -> None:
        self.counter.setText(f"{len(text)}/{MAX_CHARS}")
        if not text:
            self._stop_typing()
            return
        now = time.monotonic()
        if not self._typing or now - self._typing_sent_at >= TYPING_SIGNAL_EVERY_S:
            self._typing = True
            self._typing_sent_at = now
            self.typing_changed.emit(True)
        self._idle_typing.start()

    def _stop_typing(self) -> None:
        self._idle_typing.stop()
        if self._typing:
            self._typing = False
            self.typing_changed.emit(False)

    def _send(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        self._stop_typing()
        self.send.setEnabled(False)
        self.send_requested.emit(text)

    def message_sent(self) -> None:
        """The server posted it: clear the input."""
        self.input.clear()
        self.counter.setText(f"0/{MAX_CHARS}")
        self.send.setEnabled(True)

    def message_not_sent(self) -> None:
        """Keep the text for another try."""
        self.send.setEnabled(True)
        self.input.setFocus()

    # ----------------------------------------------------------------- state

    def show_notice(self, notice: ChatNotice | None) -> None:
        if notice is None or not notice.text:
            self.notice.setVisible(False)
            return
        color = NOTICE_COLORS.get(notice.kind, theme.WARNING)
        icon = {"warning": "⚠", "rejected": "⚠", "muted": "🔇", "error": "⟳"}.get(notice.kind, "")
        self.notice.setText(f"{icon} {notice.text}")
        self.notice.setStyleSheet(
            f"color: {hexa(color)}; border: 1px solid {hexa(color)}; border-radius: 6px;"
            " padding: 6px 8px; font-weight: 600;"
        )
        self.notice.setVisible(True)

    def set_state(self, state: SellerState) -> None:
        me_id = state.me.id if state.me else None
        wanted = {c.id for c in state.chat}
        for cid in [c for c in self.bubbles if c not in wanted]:
            b = self.bubbles.pop(cid)
            self._list.removeWidget(b)
            b.deleteLater()
        added = False
        for line in state.chat:
            held = self.bubbles.get(line.id)
            if held is None:
                b = ChatBubble(line, line.seller_id == me_id, self._body)
                b.reactions.toggled.connect(
                    lambda e, add, cid=line.id: self.reaction_toggled.emit("chat", cid, e, add)
                )
                self.bubbles[line.id] = b
                self._list.insertWidget(self._list.count(), b)
                added = True
            else:
                b = held
            b.update_line(line, me_id)
        self.empty.setVisible(not state.chat)
        self.typing.setText(typing_line(state))
        self.presence.set_people(list(state.people.values()), set(state.typing))
        if added:
            QTimer.singleShot(0, self._to_bottom)

    def _to_bottom(self) -> None:
        bar = self.scroll_area.verticalScrollBar()
        bar.setValue(bar.maximum())
