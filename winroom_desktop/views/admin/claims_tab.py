"""The Claims tab: every filter of ``GET /api/admin/claims``, the paged table and the
detail pane with the finance actions. It builds ``ClaimFilters`` (state) from the filter
bar and forwards them; it never talks to the network."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.admin.claims import ClaimFilters, FilterError, Section, parse_day
from winroom_desktop.state.admin.specs import CLAIM_TYPES, FINANCE_STATUSES, spec
from winroom_desktop.views.admin.base import ListTab

SEARCH_DEBOUNCE_MS = 250
TIPS = {
    "status": "Set the claim's finance status",
    "adjust": "Adjust the claim's margin (commission, partial refund, chargeback)",
    "split": "Split the claim between two to four sellers",
    "reassign": "Move the claim to another seller",
    "refund": "Refund the claim: it leaves every board",
}


class DetailPane(QFrame):
    """Sections of label/value lines, plain text; a banner when someone else changed it."""

    def __init__(self, empty: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setMinimumWidth(300)
        v = QVBoxLayout(self)
        v.setContentsMargins(12, 10, 12, 10)
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setProperty("role", "notice")
        self.banner.hide()
        v.addWidget(self.banner)
        self.detail_scroll = QScrollArea()
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(0, 0, 4, 0)
        self.grid.setVerticalSpacing(3)
        self.grid.setColumnStretch(1, 1)
        self.detail_scroll.setWidget(self.body)
        v.addWidget(self.detail_scroll, 1)
        self.buttons = QGridLayout()
        self.buttons.setSpacing(6)
        v.addLayout(self.buttons)
        self.empty = empty
        self.set_sections([])

    def set_sections(self, sections: list[Section]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        if not sections:
            lab = QLabel(self.empty)
            lab.setProperty("role", "muted")
            lab.setWordWrap(True)
            self.grid.addWidget(lab, 0, 0, 1, 2)
            return
        r = 0
        for title, lines in sections:
            head = QLabel(title.upper() if r else title)
            head.setProperty("role", "section" if r else "h2")
            head.setTextFormat(Qt.TextFormat.PlainText)
            self.grid.addWidget(head, r, 0, 1, 2)
            r += 1
            for label, value in lines:
                a = QLabel(label)
                a.setProperty("role", "muted")
                a.setTextFormat(Qt.TextFormat.PlainText)
                b = QLabel(value)
                b.setTextFormat(Qt.TextFormat.PlainText)
                b.setWordWrap(True)
                b.setMinimumWidth(40)
                b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                b.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.grid.addWidget(a, r, 0, Qt.AlignmentFlag.AlignTop)
                if len(value) > 18 and " " not in value:  # an email: its own full-width line
                    r += 1
                    self.grid.addWidget(b, r, 0, 1, 2)
                else:
                    self.grid.addWidget(b, r, 1)
                r += 1
            spacer = QLabel("")
            spacer.setFixedHeight(6)
            self.grid.addWidget(spacer, r, 0)
            r += 1
        self.grid.setRowStretch(r, 1)

    def set_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))


def _combo(name: str, any_text: str, items: list[tuple[str, Any]]) -> QComboBox:
    cb = QComboBox()
    cb.setObjectName(name)
    cb.addItem(any_text, None)
    for text, data in items:
        cb.addItem(text, data)
    return cb


class ClaimsTab(ListTab):
    filters_changed = Signal(object)  # ClaimFilters

    def __init__(self, parent: QWidget | None = None) -> None:
        self.detail = DetailPane(
            "Pick a claim to see its customer, economics, shares and timeline."
        )
        super().__init__(spec("claims"), parent, side=self.detail)
        self.filters = ClaimFilters()
        self.search = self.add_search("Search customer, email or campaign (Ctrl+F)")
        self.date_from = QLineEdit()
        self.date_to = QLineEdit()
        for w, tip in ((self.date_from, "From date"), (self.date_to, "To date")):
            w.setPlaceholderText(tip)
            w.setMaximumWidth(118)
            w.setToolTip(tip + ": YYYY-MM-DD, local, inclusive")
        self.date_from.setObjectName("claims-from")
        self.date_to.setObjectName("claims-to")
        self.seller = _combo("claims-seller", "All sellers", [])
        self.finance = _combo(
            "claims-finance", "Any finance status", [(s, s) for s in FINANCE_STATUSES]
        )
        self.ctype = _combo(
            "claims-type", "Any type", [(t.replace("_", " "), t) for t in CLAIM_TYPES]
        )
        self.refunded = _combo(
            "claims-refunded", "Refunded or not", [("Not refunded", False), ("Refunded", True)]
        )
        for field_w in (
            self.date_from,
            self.date_to,
            self.seller,
            self.finance,
            self.ctype,
            self.refunded,
        ):
            self.toolbar.addWidget(field_w)
        self.clear = QPushButton("Clear")
        self.clear.setToolTip("Clear every filter (Ctrl+Backspace)")
        self.clear.setShortcut("Ctrl+Backspace")
        self.clear.clicked.connect(self.clear_filters)
        self.toolbar.addWidget(self.clear)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.emit_filters)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        for w in (self.date_from, self.date_to):
            w.editingFinished.connect(self.emit_filters)
        for cb in (self.seller, self.finance, self.ctype, self.refunded):
            cb.currentIndexChanged.connect(self.emit_filters)
        self.model.sort_wanted.connect(self._sort)
        self.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self._accepted = (1, Qt.SortOrder.DescendingOrder)
        acts = (
            ("status", "Status…", "F2"),
            ("adjust", "Adjust…", "F3"),
            ("split", "Split…", "F4"),
            ("reassign", "Reassign…", "F6"),
            ("refund", "Refund…", "F8"),
        )
        for n, (name, text, key) in enumerate(acts):
            b = QPushButton(text)
            b.setObjectName(f"claims-{name}")
            b.setShortcut(key)
            b.setToolTip(f"{TIPS[name]} ({key})")
            if name == "refund":
                b.setProperty("role", "danger")
            b.clicked.connect(lambda _c=False, a=name: self.action.emit(a))
            self.detail.buttons.addWidget(b, n // 3, n % 3)
            self.write_buttons.append(b)

    def set_sellers(self, sellers: list[tuple[int, str]]) -> None:
        cur = self.seller.currentData()
        self.seller.blockSignals(True)
        self.seller.clear()
        self.seller.addItem("All sellers", None)
        for sid, name in sellers:
            self.seller.addItem(name, sid)
        i = self.seller.findData(cur)
        self.seller.setCurrentIndex(max(0, i))
        self.seller.blockSignals(False)

    def read_filters(self) -> ClaimFilters:
        return self.filters.with_(
            date_from=parse_day(self.date_from.text()),
            date_to=parse_day(self.date_to.text()),
            seller_id=self.seller.currentData(),
            finance_status=self.finance.currentData(),
            claim_type=self.ctype.currentData(),
            refunded=self.refunded.currentData(),
            q=self.search.text(),
        )

    def emit_filters(self) -> None:
        try:
            f = self.read_filters()
            f.check()
        except FilterError as exc:
            self.say(str(exc))
            return
        if f != self.filters:
            self.filters = f
            self.filters_changed.emit(f)

    def _sort(self, api_sort: str, desc: bool) -> None:
        self.accept_sort()
        f = self.filters.sorted_by(api_sort, desc)
        if f != self.filters:
            self.filters = f
            self.filters_changed.emit(f)

    def clear_filters(self) -> None:
        for w in (self.date_from, self.date_to, self.search):
            w.blockSignals(True)
            w.clear()
            w.blockSignals(False)
        for cb in (self.seller, self.finance, self.ctype, self.refunded):
            cb.blockSignals(True)
            cb.setCurrentIndex(0)
            cb.blockSignals(False)
        self.emit_filters()
