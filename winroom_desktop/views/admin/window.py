"""The admin window: finance tabs as tables (claims, queue, team overview, installments,
objections). Tables show plain text only; an endpoint of a later batch shows a calm note."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.seller import PERIOD_LABELS
from winroom_desktop.views import theme
from winroom_desktop.views.seller.style import chip_style, hexa, stylesheet
from winroom_desktop.views.seller.window import ConnectionPill

Column = tuple[str, str]  # (header, key)


class TableTab(QWidget):
    """A titled table with a note line (empty / not built yet / unreachable)."""

    def __init__(self, columns: Sequence[Column], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 8, 0, 0)
        self.toolbar = QHBoxLayout()
        v.addLayout(self.toolbar)
        self.note = QLabel("")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        v.addWidget(self.note)
        self.table = QTableWidget(0, len(self.columns))
        self.table.setHorizontalHeaderLabels([c[0] for c in self.columns])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.table, 1)

    def set_rows(self, rows: list[dict[str, str]], colors: dict[int, QColor] | None = None) -> None:
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, (_header, key) in enumerate(self.columns):
                item = QTableWidgetItem(str(row.get(key, "")))  # plain text, never markup
                if colors and r in colors and key in ("finance_status", "status"):
                    item.setForeground(colors[r])
                self.table.setItem(r, c, item)
        if not rows and not self.note.text():
            self.note.setText("Nothing here yet.")

    def set_note(self, text: str, warn: bool = False) -> None:
        self.note.setText(text)
        color = theme.WARNING if warn else theme.MUTED
        self.note.setStyleSheet(f"color: {hexa(color)};")


class AdminWindow(QMainWindow):
    refresh_requested = Signal()
    period_changed = Signal(str)
    logout_requested = Signal()

    def __init__(self, server: str = "") -> None:
        super().__init__()
        self.server = server
        self.setWindowTitle("Win Room — Admin")
        self.setStyleSheet(stylesheet())
        self.resize(1280, 760)
        central = QWidget()
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        bar = QFrame()
        bar.setProperty("role", "bar")
        top = QHBoxLayout(bar)
        top.setContentsMargins(16, 10, 16, 10)
        brand = QLabel("WIN ROOM · ADMIN")
        brand.setStyleSheet(
            f"color: {hexa(theme.NEW_SALE)}; font-weight: 800; letter-spacing: 2px;"
        )
        self.who = QLabel("")
        self.who.setTextFormat(Qt.TextFormat.PlainText)
        self.who.setProperty("role", "h2")
        self.pill = ConnectionPill("● Connecting…")
        self.pill.setStyleSheet(chip_style(theme.MUTED))
        self.refresh = QPushButton("⟳ Refresh")
        self.refresh.setToolTip("Reload every tab (F5)")
        self.refresh.setShortcut("F5")
        self.refresh.clicked.connect(self.refresh_requested)
        self.logout = QPushButton("Log out")
        self.logout.clicked.connect(self.logout_requested)
        top.addWidget(brand)
        top.addSpacing(16)
        top.addWidget(self.who)
        top.addStretch(1)
        top.addWidget(self.pill)
        top.addWidget(self.refresh)
        top.addWidget(self.logout)
        root.addWidget(bar)
        body = QVBoxLayout()
        body.setContentsMargins(16, 8, 16, 16)
        self.tabs = QTabWidget()
        self.claims = TableTab(
            [
                ("Claim", "id"),
                ("Seller", "seller"),
                ("Type", "claim_type"),
                ("Revenue", "revenue"),
                ("Finance", "finance_status"),
                ("Claimed", "claimed_at"),
            ]
        )
        self.queue = TableTab(
            [
                ("Item", "id"),
                ("Campaign", "campaign"),
                ("Customer", "customer"),
                ("Revenue", "revenue"),
                ("Margin", "margin"),
                ("Finance", "finance_status"),
                ("Problem", "problem_reason"),
            ]
        )
        self.team = TableTab(
            [
                ("Seller", "name"),
                ("Wins", "wins"),
                ("Revenue", "revenue"),
                ("Margin", "margin"),
                ("Avg margin", "avg_margin_percent"),
                ("Leads", "leads"),
                ("Conversion", "conversion"),
            ]
        )
        self.period = QComboBox()
        for key, label in PERIOD_LABELS.items():
            self.period.addItem(label, key)
        self.period.currentIndexChanged.connect(
            lambda: self.period_changed.emit(str(self.period.currentData()))
        )
        self.team.toolbar.addWidget(QLabel("Period"))
        self.team.toolbar.addWidget(self.period)
        self.team.toolbar.addStretch(1)
        self.installments = TableTab(
            [("Plan", "id"), ("Claim", "claim_id"), ("Status", "status"), ("Due", "due")]
        )
        self.objections = TableTab(
            [("Objection", "id"), ("Claim", "claim_id"), ("Reason", "reason"), ("Status", "status")]
        )
        self.tabs.addTab(self.claims, "Claims")
        self.tabs.addTab(self.queue, "Queue")
        self.tabs.addTab(self.team, "Team overview")
        self.tabs.addTab(self.installments, "Installments")
        self.tabs.addTab(self.objections, "Objections")
        body.addWidget(self.tabs)
        root.addLayout(body, 1)

    def set_user(self, user: dict[str, Any] | None) -> None:
        if user:
            self.who.setText(f"{user.get('name', '')}  ·  {user.get('role', '')}")
        else:
            self.who.setText("")
