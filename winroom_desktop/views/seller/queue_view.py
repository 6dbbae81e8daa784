"""The live queue: one card per pending sale, with hold-to-claim and reactions.

Cards are reused by queue id (no rebuild per event) and capped by the state; a card whose
sale left the screen goes to a spare pool and is refilled for the next sale instead of being
destroyed. The jackpot chip, finance-hold line and status colours are properties the
window's one style sheet selects on (re-polished only when they change); the finance and
margin chips keep a small sheet of their own (a box needs one) set only when it changes. A card shows
my claim attempt on it: "Claiming…" at once, then "Claimed", or kindly "Ayşe claimed it
first", or what went wrong. User text (names, emails) is always plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.format import margin_label, money_card, percent, tts
from winroom_desktop.state.models import Reaction
from winroom_desktop.state.seller import CLAIM_TYPE_LABELS, CLAIM_TYPES, REACTION_CHOICES, CardView
from winroom_desktop.views import theme
from winroom_desktop.views.seller.hold_button import HoldToClaimButton
from winroom_desktop.views.seller.style import (
    PHASE_COLORS,
    chip_style,
    set_sheet,
    set_style_prop,
    tone,
)

FINANCE_LABELS = {
    "waiting": "Finance: waiting",
    "approved": "Finance: approved",
    "installment": "Finance: installment",
    "problem": "Finance: problem",
}
NEW_CARDS_PER_PASS = 2
SHOWN_STEP = 30  # cards shown at first; "Show more" adds as many again
PREFILL_MS = 40  # one spare card built per tick while idle, up to what is shown
PROBLEM_LABELS = {
    "unknown_currency": "unknown currency",
    "missing_rate": "missing exchange rate",
    "no_amount": "no amount",
    "unknown_campaign": "unknown campaign",
}


def plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class ReactionBar(QWidget):
    """Existing reactions as toggles ("🔥 2") and a + menu to add one."""

    toggled = Signal(str, bool)  # emoji, add

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(4)
        self._buttons: list[QToolButton] = []
        self._add = QToolButton(self)
        self._add.setText("☺ +")
        self._add.setToolTip("React")
        self._add.setAccessibleName("Add a reaction")
        self._add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self._add)
        for emoji in REACTION_CHOICES:
            act = menu.addAction(emoji)
            act.triggered.connect(lambda _=False, e=emoji: self.toggled.emit(e, True))
        self._add.setMenu(menu)
        self._row.addStretch(1)
        self._row.addWidget(self._add)
        self._shown: tuple[tuple[Reaction, ...], int | None] | None = None
        self._meaning: list[tuple[str, bool]] = []  # per button: emoji, mine

    def _clicked(self, index: int) -> None:
        emoji, mine = self._meaning[index]
        self.toggled.emit(emoji, not mine)

    def set_reactions(self, reactions: tuple[Reaction, ...], me_id: int | None) -> None:
        """Buttons are kept and relabelled (hidden when not needed), never rebuilt."""
        if self._shown == (reactions, me_id):
            return
        self._shown = (reactions, me_id)
        while len(self._buttons) < len(reactions):
            b = QToolButton(self)
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, i=len(self._buttons): self._clicked(i))
            self._row.insertWidget(len(self._buttons), b)
            self._buttons.append(b)
        self._meaning = []
        for b, r in zip(self._buttons, reactions, strict=False):
            mine = me_id is not None and me_id in r.seller_ids
            self._meaning.append((r.emoji, mine))
            b.setText(f"{r.emoji} {r.count}")
            b.setChecked(mine)
            b.setAccessibleName(f"{r.emoji} reaction, {r.count}")
            b.setVisible(True)
        for b in self._buttons[len(reactions) :]:
            b.setVisible(False)


class QueueCard(QFrame):
    claim_requested = Signal(int, str, object)  # queue_id, claim_type, installment plan id
    reaction_toggled = Signal(int, str, bool)

    def __init__(self, queue_id: int, can_claim: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue_id = queue_id
        self.can_claim = can_claim
        self.setProperty("role", "card")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 12, 14, 12)
        outer.setSpacing(6)

        top = QHBoxLayout()
        self.campaign = plain()
        self.campaign.setProperty("role", "h2")
        self.campaign.setWordWrap(True)  # a long campaign name beside two chips wraps
        self.jackpot = QLabel("★ JACKPOT")
        self.jackpot.setProperty("chip", "jackpot")
        self.finance = QLabel()
        top.addWidget(self.campaign, 1)
        top.addWidget(self.jackpot)
        top.addWidget(self.finance)
        outer.addLayout(top)

        self.customer = plain()
        self.customer.setProperty("role", "muted")
        # a long name + email + "lead → sale" must wrap, not widen every card past the column
        self.customer.setWordWrap(True)
        outer.addWidget(self.customer)

        money = QHBoxLayout()
        self.revenue = plain()
        self.revenue.setProperty("role", "big")
        self.margin = plain()
        self.quality = QLabel()
        money.addWidget(self.revenue)
        money.addSpacing(10)
        money.addWidget(self.margin)
        money.addWidget(self.quality)
        money.addStretch(1)
        self.age = plain()
        self.age.setProperty("role", "dim")
        money.addWidget(self.age)
        outer.addLayout(money)

        self.problem = plain()
        self.problem.setProperty("role", "problem")
        outer.addWidget(self.problem)

        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.claim_type = QComboBox()
        for t in CLAIM_TYPES:
            self.claim_type.addItem(CLAIM_TYPE_LABELS[t], t)
        self.claim_type.setAccessibleName("Claim type")
        self.plan = QSpinBox()
        self.plan.setRange(1, 10_000_000)
        self.plan.setPrefix("plan #")
        self.plan.setAccessibleName("Installment plan id")
        self.plan.setVisible(False)
        self.claim_type.currentIndexChanged.connect(self._type_changed)
        self.hold = HoldToClaimButton()
        self.hold.held.connect(self._held)
        self.status = plain()
        self.status.setWordWrap(True)
        self.reactions = ReactionBar()
        self.reactions.toggled.connect(
            lambda e, add: self.reaction_toggled.emit(self.queue_id, e, add)
        )
        if can_claim:
            actions.addWidget(self.claim_type)
            actions.addWidget(self.plan)
            actions.addWidget(self.hold)
        else:
            self.claim_type.hide()
            self.hold.hide()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.reactions)
        outer.addLayout(actions)
        self._shown: tuple[CardView, int | None] | None = None
        self.setTabOrder(self.claim_type, self.plan)
        self.setTabOrder(self.plan, self.hold)

    def reset(self, queue_id: int) -> None:
        """Make a spare card ready for another sale (no hold, default claim type)."""
        self.queue_id = queue_id
        self._shown = None
        self.hold.end_hold()  # a hold on a card leaving the screen is let go
        self.hold.set_busy(False, "Hold to claim")
        self.claim_type.setCurrentIndex(0)
        self.plan.setValue(1)

    def _type_changed(self) -> None:
        self.plan.setVisible(self.claim_type.currentData() == "installment")

    def _held(self) -> None:
        ctype = str(self.claim_type.currentData())
        plan = self.plan.value() if ctype == "installment" else None
        self.claim_requested.emit(self.queue_id, ctype, plan)

    def update_view(self, view: CardView, me_id: int | None) -> None:
        if self._shown == (view, me_id):
            return
        jackpot_before = self.property("jackpot")
        self._shown = (view, me_id)
        item = view.item
        self.campaign.setText(item.campaign_name or f"Campaign {item.campaign_id or '?'}")
        self.jackpot.setVisible(item.is_jackpot)
        self.setProperty("jackpot", "true" if item.is_jackpot else "false")
        fs = item.finance_status
        color = theme.FINANCE_COLORS.get(fs, theme.DIM)
        self.finance.setText(FINANCE_LABELS.get(fs, fs))
        set_sheet(self.finance, chip_style(color))
        who = item.customer_name or "Unknown customer"
        email = f"  ·  {item.customer_email}" if item.customer_email else ""
        when = tts(item.tts_days)
        self.customer.setText(f"{who}{email}" + (f"  ·  lead → sale: {when}" if when else ""))
        self.revenue.setText(money_card(item.revenue_usd))
        self.margin.setText(
            f"margin {money_card(item.margin_amount_usd)} ({percent(item.margin_percent)})"
        )
        q = item.margin_quality
        self.quality.setText(margin_label(q) or "Unknown")
        set_sheet(self.quality, chip_style(theme.MARGIN_COLORS.get(q, theme.DIM)))
        self.problem.setVisible(fs == "problem" or bool(item.problem_reason))
        reason = PROBLEM_LABELS.get(item.problem_reason or "", item.problem_reason or "")
        self.problem.setText(f"Finance hold: {reason}" if reason else "Finance hold")
        self.reactions.set_reactions(view.reactions, me_id)
        a = view.attempt
        if a is None:
            self.hold.accent = theme.NEW_SALE
            self.hold.set_busy(False, "Hold to claim")
            self.status.setText("")
        else:
            color = PHASE_COLORS.get(a.phase, theme.MUTED)
            self.hold.accent = color
            if a.phase == "failed":
                self.hold.set_busy(False, "Try again")
            else:
                label = {"claimed": "Claimed ✓", "lost": "Taken"}.get(a.phase, "Claiming…")
                self.hold.set_busy(True, label)
            self.status.setText("" if a.phase == "claiming" else a.label)
            set_style_prop(self.status, "tone", tone(color))
        if self.property("jackpot") != jackpot_before:
            self.style().unpolish(self)
            self.style().polish(self)


class QueuePanel(QWidget):
    more_requested = Signal()
    claim_requested = Signal(int, str, object)
    reaction_toggled = Signal(str, int, str, bool)  # target_type, id, emoji, add

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        title = QLabel("Live queue")
        title.setProperty("role", "h1")
        self.count = QLabel("")
        self.count.setProperty("role", "muted")
        head.addWidget(title)
        head.addWidget(self.count)
        head.addStretch(1)
        layout.addLayout(head)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._body = QWidget()
        self._list = QVBoxLayout(self._body)
        self._list.setContentsMargins(0, 4, 6, 4)
        self._list.setSpacing(10)
        self.empty = QLabel("No open sales — the next one will appear here.")
        self.empty.setProperty("role", "muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self._list.addWidget(self.empty)
        self.more = QPushButton("Show more")
        self.more.setVisible(False)
        self.more.clicked.connect(self._show_more)
        self._list.addWidget(self.more)
        self._list.addStretch(1)
        self.scroll_area.setWidget(self._body)
        layout.addWidget(self.scroll_area, 1)
        self.cards: dict[int, QueueCard] = {}
        self._spare: list[QueueCard] = []  # cards off screen, refilled for the next sales
        # spare cards are built ahead, one per idle moment, so a burst of new sales only
        # refills cards instead of constructing (and polishing) them
        self._prefill = QTimer(self)
        self._prefill.setInterval(PREFILL_MS)
        self._prefill.timeout.connect(self._prefill_one)
        self._prefill.start()
        self.can_claim = True
        self.shown_limit = SHOWN_STEP

    def _show_more(self) -> None:
        self.shown_limit += SHOWN_STEP
        self.more_requested.emit()

    def set_empty_text(self, text: str) -> None:
        self.empty.setText(text)

    def set_cards(
        self, views: list[CardView], me_id: int | None, budget: int = NEW_CARDS_PER_PASS
    ) -> bool:
        """Show ``views`` in order; builds at most ``budget`` new cards per call so a burst
        never blocks the window. Returns False when cards are still missing (call again)."""
        total = len(views)
        views = views[: self.shown_limit]
        self.more.setVisible(total > len(views))
        self.more.setText(
            f"Show {min(SHOWN_STEP, total - len(views))} more of {total - len(views)}"
        )
        wanted = {v.item.id for v in views}
        self._body.setUpdatesEnabled(False)  # one repaint for the whole batch
        try:
            for qid in [q for q in self.cards if q not in wanted]:
                card = self.cards.pop(qid)
                card.hide()
                self._list.removeWidget(card)
                if card.can_claim == self.can_claim and len(self._spare) < SHOWN_STEP:
                    self._spare.append(card)
                else:
                    card.deleteLater()
            complete = True
            index = 0
            for view in views:
                held = self.cards.get(view.item.id)
                if held is None:
                    if budget <= 0:
                        complete = False
                        continue
                    budget -= 1
                    card = self._card_for(view.item.id)
                    self.cards[view.item.id] = card
                else:
                    card = held
                if self._list.indexOf(card) != index + 1:
                    self._list.removeWidget(card)
                    self._list.insertWidget(index + 1, card)
                card.update_view(view, me_id)
                card.show()
                index += 1
            self.empty.setVisible(not views)
            self.count.setText(f"{total} open" if total else "")
        finally:
            self._body.setUpdatesEnabled(True)
        return complete

    def _prefill_one(self) -> None:
        if len(self.cards) + len(self._spare) >= self.shown_limit:
            self._prefill.stop()
            return
        card = self._new_card(0)
        card.hide()
        card.ensurePolished()
        self._spare.append(card)

    def _card_for(self, queue_id: int) -> QueueCard:
        while self._spare:
            card = self._spare.pop()
            if card.can_claim == self.can_claim:
                card.reset(queue_id)
                return card
            card.deleteLater()
        return self._new_card(queue_id)

    def _new_card(self, queue_id: int) -> QueueCard:
        card = QueueCard(queue_id, self.can_claim, self._body)
        card.claim_requested.connect(self.claim_requested)
        card.reaction_toggled.connect(
            lambda qid, e, add: self.reaction_toggled.emit("queue", qid, e, add)
        )
        return card
