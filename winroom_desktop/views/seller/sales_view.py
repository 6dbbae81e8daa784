"""My recent sales (with "Object…") and my objections with their status."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.format import ago, money_card
from winroom_desktop.state.seller import CLAIM_TYPE_LABELS, OBJECTION_REASONS, SellerState
from winroom_desktop.views import theme
from winroom_desktop.views.seller.numbers_view import section
from winroom_desktop.views.seller.queue_view import plain
from winroom_desktop.views.seller.style import OBJECTION_COLORS, chip_style

MAX_DETAILS = 1000


class ObjectionDialog(QDialog):
    """File an objection: reason and details."""

    def __init__(self, claim_id: int, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("File an objection")
        self.claim_id = claim_id
        form = QFormLayout(self)
        info = plain(what)
        info.setWordWrap(True)
        form.addRow("Sale", info)
        self.reason = QComboBox()
        for key, label in OBJECTION_REASONS.items():
            self.reason.addItem(label, key)
        form.addRow("Reason", self.reason)
        self.details = QPlainTextEdit()
        self.details.setPlaceholderText("What happened? (finance reads this)")
        self.details.setTabChangesFocus(True)
        self.details.setMinimumHeight(90)
        form.addRow("Details", self.details)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("File objection")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str]:
        return str(self.reason.currentData()), self.details.toPlainText().strip()[:MAX_DETAILS]


class SalesPanel(QWidget):
    object_requested = Signal(int, str)  # claim id, description

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        self._v = QVBoxLayout(body)
        self._v.setContentsMargins(4, 4, 10, 4)
        self._v.addWidget(section("My recent sales"))
        self.sales = QVBoxLayout()
        self._v.addLayout(self.sales)
        self.no_sales = QLabel("No sales yet in the recent list — hold a card to claim one.")
        self.no_sales.setProperty("role", "muted")
        self._v.addWidget(self.no_sales)
        self._v.addSpacing(8)
        self._v.addWidget(section("My objections"))
        self.objections = QVBoxLayout()
        self._v.addLayout(self.objections)
        self.no_objections = QLabel("No objections filed.")
        self.no_objections.setProperty("role", "muted")
        self._v.addWidget(self.no_objections)
        self.feedback = plain("")
        self.feedback.setWordWrap(True)
        self._v.addWidget(self.feedback)
        self._v.addStretch(1)
        self._rows: list[QWidget] = []

    def show_feedback(self, text: str, ok: bool) -> None:
        color = theme.GOAL if ok else theme.WARNING
        self.feedback.setText(text)
        self.feedback.setStyleSheet(f"color: {color.name()}; font-weight: 600;")

    def _clear(self) -> None:
        for w in self._rows:
            w.deleteLater()
        self._rows = []

    def set_state(self, seller: SellerState) -> None:
        self._clear()
        objected = {o.claim_id for o in seller.objections if o.status == "pending"}
        for c in seller.my_sales:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 2, 0, 2)
            campaign = (c.get("campaign") or {}).get("name") if isinstance(c, dict) else None
            what = (
                f"{campaign or c.get('campaign_name') or 'Sale'}  ·  "
                f"{money_card(c.get('revenue_usd'))}  ·  "
                f"{CLAIM_TYPE_LABELS.get(str(c.get('claim_type')), c.get('claim_type') or '')}"
            )
            label = plain(what)
            when = plain(ago(c.get("claimed_at")))
            when.setProperty("role", "dim")
            h.addWidget(label, 1)
            h.addWidget(when)
            cid = int(c.get("id") or c.get("claim_id") or 0)
            btn = QPushButton("Objection filed" if cid in objected else "Object…")
            btn.setEnabled(cid not in objected and cid > 0)
            btn.clicked.connect(lambda _=False, i=cid, w=what: self.object_requested.emit(i, w))
            h.addWidget(btn)
            self.sales.addWidget(row)
            self._rows.append(row)
        self.no_sales.setVisible(not seller.my_sales)
        for o in seller.objections:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 2, 0, 2)
            text = plain(
                f"Claim #{o.claim_id}  ·  {OBJECTION_REASONS.get(o.reason, o.reason)}"
                + (f"  ·  {o.details}" if o.details else "")
            )
            text.setWordWrap(True)
            chip = QLabel(o.status)
            chip.setStyleSheet(chip_style(OBJECTION_COLORS.get(o.status, theme.DIM)))
            h.addWidget(text, 1)
            h.addWidget(chip, 0, Qt.AlignmentFlag.AlignTop)
            self.objections.addWidget(row)
            self._rows.append(row)
        self.no_objections.setVisible(not seller.objections)


def claim_summary(c: dict[str, Any]) -> str:
    return f"{c.get('campaign_name') or 'Sale'} {money_card(c.get('revenue_usd'))}"
