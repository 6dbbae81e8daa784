"""The admin window: a bar (who, live state, spinner, refresh, log out), the
"reconnecting" strip, one message line for errors (never a dialog storm) and the tabs the
user's role may use. It draws and forwards intent; ``admin_app`` wires it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.admin.specs import TABS, TabSpec, tabs_for
from winroom_desktop.state.format import hhmm
from winroom_desktop.views import theme
from winroom_desktop.views.admin.base import ListTab
from winroom_desktop.views.admin.claims_tab import ClaimsTab
from winroom_desktop.views.admin.tabs import (
    AuditTab,
    DevicesTab,
    EditableTab,
    FinanceTab,
    InstallmentsTab,
    ObjectionsTab,
    OverviewTab,
    QueueTab,
    SellersTab,
)
from winroom_desktop.views.seller.style import chip_style, hexa, stylesheet
from winroom_desktop.views.seller.window import ConnectionPill

SPINNER_DELAY_MS = 300
MESSAGE_MS = 15_000
FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def admin_stylesheet() -> str:
    line, panel, hi = hexa(theme.LINE), hexa(theme.PANEL), hexa(theme.PANEL_HI)
    blue, info, red = hexa(theme.NEW_SALE), hexa(theme.INFO), hexa(theme.PROBLEM)
    return (
        stylesheet()
        + f"""
    QTableView {{ background: {panel}; alternate-background-color: #0F1629; border: 1px solid {line};
        border-radius: 6px; selection-background-color: #234a8a; selection-color: #FFFFFF;
        outline: 0; }}
    QTableView:focus {{ border: 2px solid {info}; }}
    QTableView::item {{ padding: 0 8px; }}
    QTableView::item:focus {{ border: 1px solid {info}; }}
    QHeaderView::section {{ background: {hi}; padding: 6px 8px; border: none;
        border-right: 1px solid {line}; }}
    QScrollBar:horizontal {{ background: {panel}; height: 10px; margin: 0; }}
    QScrollBar::handle:horizontal {{ background: {line}; border-radius: 5px; min-width: 24px; }}
    QScrollBar::add-line:horizontal, QScrollBar::sub-line:horizontal {{ width: 0; }}
    QPushButton[role="danger"] {{ color: {red}; border-color: {red}; }}
    QPushButton:disabled {{ border-color: {line}; }}
    QPushButton[role="danger"]:disabled {{ color: {hexa(theme.DIM)}; border-color: {line}; }}
    QPushButton[role="primary"]:disabled {{ background: {hi}; border-color: {line};
        color: {hexa(theme.DIM)}; }}
    QLabel[tone="ok"] {{ color: {hexa(theme.GOAL)}; font-weight: 700; }}
    QLabel[tone="bad"] {{ color: {hexa(theme.WARNING)}; font-weight: 700; }}
    QLabel[role="notice"] {{ background: rgba(61,139,253,40); border: 1px solid {blue};
        border-radius: 6px; padding: 6px 8px; }}
    QFrame[role="offline"] {{ background: rgba(255,176,32,36); border-bottom: 1px solid {hexa(theme.WARNING)}; }}
    QCheckBox {{ background: transparent; }}
    QDialog {{ background: {panel}; }}
    """
    )


class AdminWindow(QMainWindow):
    refresh_requested = Signal()
    logout_requested = Signal()
    tab_shown = Signal(str)

    def __init__(self, server: str = "") -> None:
        super().__init__()
        self.server = server
        self.role: str | None = None
        self.writable = True
        self.setWindowTitle("Win Room — Admin")
        self.setStyleSheet(admin_stylesheet())
        self.resize(1366, 768)
        self.setMinimumSize(1024, 600)
        central = QWidget()
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        bar = QFrame()
        bar.setProperty("role", "bar")
        top = QHBoxLayout(bar)
        top.setContentsMargins(16, 8, 16, 8)
        brand = QLabel("WIN ROOM · ADMIN")
        brand.setStyleSheet(
            f"color: {hexa(theme.NEW_SALE)}; font-weight: 800; letter-spacing: 2px;"
        )
        self.who = QLabel("")
        self.who.setTextFormat(Qt.TextFormat.PlainText)
        self.who.setProperty("role", "h2")
        self.spinner = QLabel("")
        self.spinner.setObjectName("spinner")
        self.spinner.setFixedWidth(96)
        self.spinner.setProperty("role", "muted")
        self.pill = ConnectionPill("● Connecting…")
        self.pill.setStyleSheet(chip_style(theme.MUTED))
        self.refresh_button = QPushButton("⟳ Refresh")
        self.refresh_button.setToolTip("Reload the open tab (F5)")
        self.refresh_button.setShortcut("F5")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.logout_button = QPushButton("Log out")
        self.logout_button.clicked.connect(self.logout_requested)
        top.addWidget(brand)
        top.addSpacing(16)
        top.addWidget(self.who)
        top.addStretch(1)
        top.addWidget(self.spinner)
        top.addWidget(self.pill)
        top.addWidget(self.refresh_button)
        top.addWidget(self.logout_button)
        root.addWidget(bar)
        self.offline = QFrame()
        self.offline.setProperty("role", "offline")
        ol = QHBoxLayout(self.offline)
        ol.setContentsMargins(16, 4, 16, 4)
        self.offline_text = QLabel("")
        self.offline_text.setObjectName("offline-text")
        ol.addWidget(self.offline_text)
        self.offline.hide()
        root.addWidget(self.offline)
        body = QVBoxLayout()
        body.setContentsMargins(14, 6, 14, 10)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        body.addWidget(self.message)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.currentChanged.connect(self._tab_changed)
        body.addWidget(self.tabs, 1)
        root.addLayout(body, 1)
        self.pages: dict[str, ListTab] = {
            "claims": ClaimsTab(),
            "queue": QueueTab(),
            "finance": FinanceTab(),
            "installments": InstallmentsTab(),
            "objections": ObjectionsTab(),
            "sellers": SellersTab(),
            "goals": EditableTab("goals"),
            "challenges": EditableTab("challenges"),
            "promotions": EditableTab("promotions"),
            "overview": OverviewTab(),
            "audit": AuditTab(),
            "devices": DevicesTab(),
        }
        for page in self.pages.values():
            page.setParent(self)
            page.hide()
        self._busy = 0
        self._frame = 0
        self._spin = QTimer(self)
        self._spin.setInterval(100)
        self._spin.timeout.connect(self._spin_step)
        self._spin_delay = QTimer(self)
        self._spin_delay.setSingleShot(True)
        self._spin_delay.setInterval(SPINNER_DELAY_MS)
        self._spin_delay.timeout.connect(self._spin.start)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.hide)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence("Ctrl+Shift+E"), self, self._export_current)
        for n in range(1, 10):
            QShortcut(QKeySequence(f"Alt+{n}"), self, lambda i=n - 1: self.tabs.setCurrentIndex(i))
        self.set_role(None)

    # -- role and tabs -----------------------------------------------------------------
    def visible_specs(self) -> list[TabSpec]:
        return tabs_for(self.role) if self.role else [t for t in TABS if t.name == "claims"]

    def set_role(self, role: str | None) -> None:
        if role == self.role and self.tabs.count():
            return
        self.role = role
        current = self.current_name()
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for t in self.visible_specs():
            self.tabs.addTab(self.pages[t.name], t.title)
        self.tabs.blockSignals(False)
        names = [t.name for t in self.visible_specs()]
        if current in names:
            self.tabs.setCurrentIndex(names.index(current))
        self.apply_writable()

    def current_name(self) -> str | None:
        w = self.tabs.currentWidget()
        for name, page in self.pages.items():
            if page is w:
                return name
        return None

    def show_tab(self, name: str) -> bool:
        page = self.pages.get(name)
        i = self.tabs.indexOf(page) if page is not None else -1
        if i < 0:
            return False
        self.tabs.setCurrentIndex(i)
        return True

    def _tab_changed(self, _i: int) -> None:
        name = self.current_name()
        if name:
            self.tab_shown.emit(name)

    def focus_search(self) -> None:
        page = self.tabs.currentWidget()
        search = getattr(page, "search", None)
        if search is not None:
            search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            search.selectAll()

    def _export_current(self) -> None:
        page = self.tabs.currentWidget()
        if isinstance(page, ListTab):
            page.export_wanted.emit()

    # -- who, connection, writes -------------------------------------------------------
    def set_user(self, user: dict[str, Any] | None) -> None:
        if user:
            self.who.setText(
                f"{user.get('name', '')}  ·  {str(user.get('role', '')).replace('_', ' ')}"
            )
            self.set_role(str(user.get("role") or "") or None)
        else:
            self.who.setText("")

    def set_connection(self, state: str, last_update: datetime | None) -> None:
        self.pill.set_connection(state, last_update, self.server)
        online = state == "connected"
        if state == "connecting":
            self.offline.hide()
        elif not online:
            since = f" Showing what was loaded at {hhmm(last_update)}." if last_update else ""
            self.offline_text.setText(
                f"⟳ Reconnecting to {self.server}…{since} Changes are off until the server is back."
            )
            self.offline.show()
        else:
            self.offline.hide()
        if state != "connecting":
            self.writable = online
            self.apply_writable()

    def apply_writable(self) -> None:
        for t in TABS:
            page = self.pages[t.name]
            ok = self.writable and t.writable_by(self.role)
            why = (
                ""
                if ok
                else (
                    "Offline: changes are off until the server is back."
                    if not self.writable
                    else "Your role may not change this."
                )
            )
            page.set_writable(ok, why)
        # sales leads may hide a seller from the TV (CONTRACT §4a), nothing else there
        sellers = self.pages["sellers"]
        hide = next((b for b in sellers.write_buttons if b.objectName() == "sellers-hide"), None)
        if hide is not None and self.role == "sales_lead":
            hide.setEnabled(self.writable)

    # -- messages and busy -------------------------------------------------------------
    def say(self, text: str, warn: bool = False) -> None:
        """One sentence in the message line; the last one wins (no dialog storm)."""
        if not text:
            self.message.hide()
            return
        color = theme.WARNING if warn else theme.INFO
        self.message.setStyleSheet(
            f"color: {hexa(color)}; background: transparent; padding: 4px 2px; font-weight: 600;"
        )
        self.message.setText(text)
        self.message.show()
        self._message_timer.start(MESSAGE_MS)

    def busy(self, delta: int) -> None:
        self._busy = max(0, self._busy + delta)
        if self._busy and not self._spin.isActive() and not self._spin_delay.isActive():
            self._spin_delay.start()
        if not self._busy:
            self._spin_delay.stop()
            self._spin.stop()
            self.spinner.setText("")

    def _spin_step(self) -> None:
        self._frame += 1
        self.spinner.setText(f"{FRAMES[self._frame % len(FRAMES)]} Loading…")
