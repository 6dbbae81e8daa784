"""The other admin tabs: queue, finance work list, installments, objections, sellers,
goals/challenges/promotions, monthly overview, audit and devices. Each is a ``ListTab``
with its filters and buttons; they emit what the user asked for and draw what they get."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.admin.specs import FINANCE_STATUSES, Column, spec
from winroom_desktop.state.models import Promotion
from winroom_desktop.views.admin.base import ListTab
from winroom_desktop.views.admin.charts import OKABE_ITO, BarChart
from winroom_desktop.views.admin.claims_tab import DetailPane
from winroom_desktop.views.admin.models import RowsModel
from winroom_desktop.views.theme import Scale
from winroom_desktop.views.tv.header import HeaderBar

PAYMENT_COLUMNS = (
    Column("seq", "#", "count", width=2),
    Column("due_on", "Due", "date", width=10),
    Column("amount", "Amount", "money", width=10),
    Column("state", "Status", "status", width=9),
    Column("paid_at", "Paid", "datetime"),
)
OVERVIEW_COLUMNS = (
    Column("metric", "", width=12),
    Column("this", "This month", "count", width=13),
    Column("previous", "Previous month", "count", width=13),
    Column("change", "Change", "count", width=10),
)


def _label(text: str, role: str = "muted") -> QLabel:
    lab = QLabel(text)
    lab.setProperty("role", role)
    lab.setTextFormat(Qt.TextFormat.PlainText)
    return lab


class QueryTab(ListTab):
    """A tab whose toolbar combos/search make a query (``query_changed``)."""

    query_changed = Signal(dict)

    def __init__(
        self, name: str, parent: QWidget | None = None, side: QWidget | None = None
    ) -> None:
        super().__init__(spec(name), parent, side=side)
        self.query: dict[str, str] = {}
        self._controls: dict[str, QComboBox | QLineEdit | QCheckBox] = {}
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.emit_query)

    def add_combo(
        self,
        key: str,
        any_text: str | None,
        items: list[tuple[str, str]],
        default: str | None = None,
    ) -> QComboBox:
        cb = QComboBox()
        cb.setObjectName(f"{self.spec.name}-{key}")
        if any_text is not None:
            cb.addItem(any_text, None)
        for text, data in items:
            cb.addItem(text, data)
        if default is not None:
            cb.setCurrentIndex(max(0, cb.findData(default)))
        cb.currentIndexChanged.connect(self.emit_query)
        self.toolbar.addWidget(cb)
        self._controls[key] = cb
        return cb

    def add_query_search(self, key: str = "q", placeholder: str = "Search (Ctrl+F)") -> QLineEdit:
        edit = self.add_search(placeholder)
        edit.textChanged.connect(lambda _t: self._debounce.start())
        self._controls[key] = edit
        return edit

    def add_check(self, key: str, text: str) -> QCheckBox:
        ch = QCheckBox(text)
        ch.toggled.connect(self.emit_query)
        self.toolbar.addWidget(ch)
        self._controls[key] = ch
        return ch

    def read_query(self) -> dict[str, str]:
        q: dict[str, str] = {}
        for key, w in self._controls.items():
            if isinstance(w, QComboBox):
                if w.currentData() is not None:
                    q[key] = str(w.currentData())
            elif isinstance(w, QCheckBox):
                if w.isChecked():
                    q[key] = "true"
            elif w.text().strip():
                q[key] = w.text().strip()
        return q

    def emit_query(self) -> None:
        q = self.read_query()
        if q != self.query:
            self.query = q
            self.query_changed.emit(q)


class QueueTab(QueryTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("queue", parent)
        self.status_combo = self.add_combo(
            "status",
            None,
            [
                ("Pending", "pending"),
                ("Claimed", "claimed"),
                ("Excluded", "excluded"),
                ("All", "all"),
            ],
            "pending",
        )
        self.add_combo("finance_status", "Any finance status", [(s, s) for s in FINANCE_STATUSES])
        self.add_check("problem", "Problems only")
        self.add_query_search(placeholder="Search customer or campaign (Ctrl+F)")
        self.query = self.read_query()
        self.add_button(
            "approve",
            "Approve selected",
            shortcut="Ctrl+Shift+A",
            primary=True,
            tip="Set the selected items' finance status to approved",
        )
        self.add_button("status", "Finance status…", shortcut="F2")
        self.add_button("edit", "Edit…", shortcut="Ctrl+E")
        self.add_button("exclude", "Exclude…", shortcut="Delete")
        self.add_button(
            "manual", "Manual entry…", shortcut="Ctrl+N", tip="Add a sale the core missed"
        )


class FinanceTab(ListTab):
    """The day's work list; A approves, P marks a problem, Enter opens, the next row
    becomes current after each decision."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.detail = DetailPane("The row's details show here.")
        super().__init__(spec("finance"), parent, side=self.detail)
        self.summary = _label("", "h2")
        self.summary.setWordWrap(True)
        self.toolbar.addWidget(self.summary, 1)
        self.table.setSortingEnabled(False)
        self.add_button("approve", "Approve", tip="Approve the current row (A)", primary=True)
        self.add_button("problem", "Problem…", tip="Mark the current row as a problem (P)")
        self.add_button("open", "Open", write=False, tip="Open it in its own tab (Enter)")
        for key, name in (("A", "approve"), ("P", "problem")):
            QShortcut(QKeySequence(key), self.table, lambda n=name: self.action.emit(n))
        self.activated.connect(lambda _row: self.action.emit("open"))


class InstallmentsTab(QueryTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        side = QFrame()
        side.setProperty("role", "card")
        sv = QVBoxLayout(side)
        sv.setContentsMargins(12, 10, 12, 10)
        self.plan_title = _label("Pick a plan to see its payments.", "h2")
        sv.addWidget(self.plan_title)
        self.payments = RowsModel(PAYMENT_COLUMNS)
        self.payments_view = QTableView()
        self.payments_view.setObjectName("installments-payments")
        self.payments_view.setModel(self.payments)
        self.payments_view.verticalHeader().setVisible(False)
        self.payments_view.horizontalHeader().setStretchLastSection(True)
        self.payments_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.payments_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.payments_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        sv.addWidget(self.payments_view, 1)
        self.side_buttons = QGridLayout()
        sv.addLayout(self.side_buttons)
        super().__init__("installments", parent, side=side)
        tiles = QHBoxLayout()
        self.tiles: dict[str, QLabel] = {}
        for key, title in (
            ("active", "Active plans"),
            ("overdue", "Overdue"),
            ("pending_payments", "Payments pending"),
            ("overdue_amount_usd", "Overdue amount"),
        ):
            tile = QFrame()
            tile.setProperty("role", "tile")
            tv = QVBoxLayout(tile)
            tv.setContentsMargins(12, 6, 12, 6)
            tv.addWidget(_label(title.upper(), "section"))
            val = _label("—", "big")
            tv.addWidget(val)
            self.tiles[key] = val
            tiles.addWidget(tile)
        self.layout().insertLayout(0, tiles)  # type: ignore[union-attr]
        self.add_combo(
            "status",
            "Every status",
            [(s, s) for s in ("active", "overdue", "completed", "frozen", "cancelled")],
        )
        self.toolbar.addStretch(1)
        self.add_button("create", "New plan…", shortcut="Ctrl+N")
        for n, (name, text) in enumerate(
            (
                ("submitted", "Payment submitted"),
                ("confirmed", "Payment confirmed"),
                ("tolerance", "Tolerance…"),
                ("freeze", "Freeze"),
                ("cancel", "Cancel plan"),
                ("reactivate", "Reactivate"),
            )
        ):
            b = QPushButton(text)
            b.setObjectName(f"installments-{name}")
            b.clicked.connect(lambda _c=False, a=name: self.action.emit(a))
            self.side_buttons.addWidget(b, n // 3, n % 3)
            self.write_buttons.append(b)

    def current_payment(self) -> dict[str, Any] | None:
        idx = self.payments_view.currentIndex()
        return self.payments.row(idx.row()) if idx.isValid() else None


class ObjectionsTab(QueryTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        self.detail = DetailPane("Pick an objection; open ones come first.")
        super().__init__("objections", parent, side=self.detail)
        self.add_combo(
            "status",
            "Every status",
            [("Open", "open"), ("Accepted", "accepted"), ("Rejected", "rejected")],
            "open",
        )
        self.query = self.read_query()
        self.toolbar.addStretch(1)
        self.add_button("accept", "Accept…", shortcut="Ctrl+Return", primary=True)
        self.add_button("reject", "Reject…", shortcut="Ctrl+Backspace")
        self.add_button("claim", "Open claim", write=False)


class SellersTab(ListTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        side = QFrame()
        side.setProperty("role", "card")
        sv = QVBoxLayout(side)
        sv.setContentsMargins(12, 10, 12, 10)
        self.who = _label("Pick a seller to see their month.", "h2")
        sv.addWidget(self.who)
        self.metrics = _label("")
        self.metrics.setWordWrap(True)
        sv.addWidget(self.metrics)
        self.chart = BarChart("Revenue per day (this month)", color=OKABE_ITO[0])
        self.chart.setMinimumHeight(180)
        sv.addWidget(self.chart, 1)
        self.wins_chart = BarChart("Wins per day", color=OKABE_ITO[1])
        self.wins_chart.setMinimumHeight(140)
        sv.addWidget(self.wins_chart, 1)
        super().__init__(spec("sellers"), parent, side=side)
        self.toolbar.addWidget(
            _label("Everyone on the floor: this month's numbers. Select one for their daily chart.")
        )
        self.toolbar.addStretch(1)
        self.add_button("active", "Activate / deactivate")
        self.add_button("role", "Role…")
        self.add_button(
            "hide", "Hide / show on TV", tip="A hidden seller shows as “A teammate” on TVs"
        )


class PromotionPreview(QWidget):
    """The TV's own header drawing one promotion, scaled to the pane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        self.header = HeaderBar(Scale(1920, 1080), self)
        self.header.set_connection("connected")
        self.setMinimumHeight(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(600, 70)

    def set_promotion(self, promo: dict[str, Any] | None) -> None:
        self.header.set_promotions((Promotion.from_api(promo),) if promo else ())

    def resizeEvent(self, event: QResizeEvent) -> None:
        w = max(200, self.width())
        tv_w = int(w / 0.9)
        s = Scale(tv_w, int(tv_w * 9 / 16))
        self.header.set_scale(s)
        self.header.setGeometry(0, 0, w, s.px(96))
        self.setFixedHeight(s.px(96) + 4)
        super().resizeEvent(event)


class EditableTab(ListTab):
    """Goals, challenges, promotions: create, edit, end."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        self.preview: PromotionPreview | None = None
        self.note = _label("")
        self.note.setWordWrap(True)
        super().__init__(spec(name), parent)
        self.toolbar.addWidget(self.note, 1)
        if name == "promotions":
            box = QVBoxLayout()
            box.addWidget(_label("PREVIEW — AS THE TV SHOWS IT", "section"))
            self.preview = PromotionPreview()
            box.addWidget(self.preview)
            self.layout().insertLayout(1, box)  # type: ignore[union-attr]
            self.current_changed.connect(self.preview.set_promotion)
        if name == "goals":
            self.note.setText(
                "Team goals drive the TV's energy glow; personal goals show in the seller's window."
            )
        if name == "challenges":
            self.note.setText(
                "A challenge that is not on the TV is a test run: its progress shows here only."
            )
        noun = {"goals": "goal", "challenges": "challenge", "promotions": "promotion"}[name]
        self.add_button("create", f"New {noun}…", shortcut="Ctrl+N", primary=True)
        self.add_button("edit", "Edit…", shortcut="F2")
        self.add_button("end", "End", shortcut="Delete", tip=f"End the {noun} (kept for history)")


class OverviewTab(ListTab):
    month_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(spec("overview"), parent)
        self.model.set_columns(OVERVIEW_COLUMNS)
        self.spec = self.spec.__class__(**{**self.spec.__dict__, "columns": OVERVIEW_COLUMNS})
        self._size_columns()
        self.table.setSortingEnabled(False)
        self.table.setFixedHeight(30 * 6 + 44)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.month = QComboBox()
        self.month.setObjectName("overview-month")
        self.month.setEditable(False)
        now = datetime.now()
        y, m = now.year, now.month
        for _ in range(18):
            key = f"{y:04d}-{m:02d}"
            self.month.addItem(datetime(y, m, 1).strftime("%B %Y"), key)
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        self.month.currentIndexChanged.connect(
            lambda _i: self.month_changed.emit(str(self.month.currentData()))
        )
        self.toolbar.addWidget(_label("Month"))
        self.toolbar.addWidget(self.month)
        self.closed = _label("")
        self.toolbar.addWidget(self.closed)
        self.toolbar.addStretch(1)
        charts = QGridLayout()
        self.revenue_chart = BarChart("Revenue per day", color=OKABE_ITO[0])
        self.margin_chart = BarChart("Margin per day", color=OKABE_ITO[2])
        self.top_chart = BarChart("Top performers by margin", horizontal=True, color=OKABE_ITO[1])
        charts.addWidget(self.revenue_chart, 0, 0)
        charts.addWidget(self.margin_chart, 1, 0)
        charts.addWidget(self.top_chart, 0, 1, 2, 1)
        charts.setColumnStretch(0, 3)
        charts.setColumnStretch(1, 2)
        holder = QWidget()
        holder.setLayout(charts)
        self.splitter.setOrientation(Qt.Orientation.Vertical)
        self.splitter.addWidget(holder)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.add_button(
            "statement", "Statement CSV", write=False, tip="The month's per-seller statement"
        )
        self.add_button("close", "Close month…", tip="Freeze the month's statement")

    def month_key(self) -> str:
        return str(self.month.currentData())


class AuditTab(QueryTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        self.detail = DetailPane("Pick an entry to see what it changed.")
        super().__init__("audit", parent, side=self.detail)
        self.add_combo(
            "entity",
            "Every kind",
            [
                (e, e)
                for e in (
                    "claim",
                    "queue",
                    "seller",
                    "goal",
                    "challenge",
                    "promotion",
                    "installment",
                    "objection",
                    "period",
                    "device",
                    "game",
                )
            ],
        )
        self.entity_id = QLineEdit()
        self.entity_id.setPlaceholderText("Id")
        self.entity_id.setMaximumWidth(90)
        self.entity_id.editingFinished.connect(self.emit_query)
        self._controls["entity_id"] = self.entity_id
        self.toolbar.addWidget(self.entity_id)
        self.add_combo("actor_id", "Anyone", [])
        self.toolbar.addStretch(1)


class DevicesTab(ListTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(spec("devices"), parent)
        self.toolbar.addWidget(
            _label("TVs that may show the floor. Pair one by the code it shows on its screen.")
        )
        self.toolbar.addStretch(1)
        self.add_button("pair", "Pair a TV…", shortcut="Ctrl+N", primary=True)
        self.add_button(
            "revoke", "Revoke", shortcut="Delete", tip="Its screen goes back to pairing within 10 s"
        )
