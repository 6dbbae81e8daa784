"""``ListTab``: the frame every admin tab shares — a toolbar (filters), the table, a line
saying how many rows and what is loading, the tab's action buttons (disabled while offline
or for a role that may not write) and an optional side pane. It draws and forwards intent."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QKeySequence, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.admin.specs import NOUNS, TabSpec
from winroom_desktop.views import theme
from winroom_desktop.views.admin.models import RowsModel
from winroom_desktop.views.seller.style import BODY_PX, font


class FastTable(QTableView):
    """A table whose viewport paints its own background, so Qt does not repaint the
    style-sheeted window, splitter and tab pane under every strip a scroll uncovers
    (a 1920×1080 table: 17 → 6 ms a frame)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._bg = QColor(theme.PANEL)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self.viewport())
        p.fillRect(event.rect(), self._bg)
        p.end()
        super().paintEvent(event)


class ListTab(QWidget):
    export_wanted = Signal()
    reload_wanted = Signal()
    activated = Signal(dict)  # Enter / double-click on a row
    current_changed = Signal(object)  # the current row (dict) or None
    action = Signal(str)  # an action button's name

    def __init__(
        self, spec: TabSpec, parent: QWidget | None = None, *, side: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self.write_buttons: list[QPushButton] = []
        self.model = RowsModel(spec.columns, self)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 8, 0, 0)
        v.setSpacing(6)
        self.toolbar = QHBoxLayout()
        self.toolbar.setSpacing(8)
        v.addLayout(self.toolbar)
        self.table = FastTable()
        self.table.setObjectName(f"{spec.name}-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._size_columns()
        self.table.doubleClicked.connect(self._activate)
        self.table.selectionModel().currentRowChanged.connect(self._current)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self._enter)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self._enter)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        if side is not None:
            self.splitter.addWidget(side)
            side.setMaximumWidth(640)
            self.splitter.setStretchFactor(0, 1)
            self.splitter.setStretchFactor(1, 0)
            self.splitter.setSizes([700, 300])  # scaled to the window
        v.addWidget(self.splitter, 1)
        foot = QHBoxLayout()
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        foot.addWidget(self.status, 1)
        self.action_bar = QHBoxLayout()
        self.action_bar.setSpacing(6)
        foot.addLayout(self.action_bar)
        self.export_button = QPushButton("Export CSV")
        self.export_button.setToolTip("Save what this table shows as CSV (Ctrl+Shift+E)")
        self.export_button.clicked.connect(self.export_wanted)
        foot.addWidget(self.export_button)
        v.addLayout(foot)
        self._accepted: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)
        self.model.sort_refused.connect(self._sort_refused)
        self.model.modelReset.connect(self.update_status)
        self.model.rowsInserted.connect(self.update_status)
        self.model.rowsRemoved.connect(self.update_status)

    def _size_columns(self) -> None:
        """Each column as wide as its header or its ``width`` in digits; one stretches."""
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(48)
        fm = QFontMetrics(font(BODY_PX))  # the style sheet's font (not applied yet here)
        bold = QFontMetrics(font(BODY_PX, 700))
        digit = fm.horizontalAdvance("0")
        stretch_set = False
        for n, col in enumerate(self.spec.columns):
            head = bold.horizontalAdvance(col.header) + 40  # bold text + sort arrow
            if col.width:
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(n, int(max(56, head, col.width * digit + 30)))
            else:
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Stretch)
                stretch_set = True
        header.setStretchLastSection(not stretch_set and not self.spec.extra.get("fixed"))
        if not any(c.sort for c in self.spec.columns):
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    def _sort_refused(self, why: str) -> None:
        """Put the arrow back where the rows really are sorted, and say why."""
        col, order = self._accepted
        self.table.horizontalHeader().setSortIndicator(col, order)
        self.say(why)

    def accept_sort(self) -> None:
        """The rows are (about to be) sorted as the arrow now says: a server sort."""
        header = self.table.horizontalHeader()
        self._accepted = (header.sortIndicatorSection(), header.sortIndicatorOrder())

    # -- building ----------------------------------------------------------------------
    def add_search(self, placeholder: str = "Search (Ctrl+F)") -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.setMinimumWidth(220)
        edit.setObjectName(f"{self.spec.name}-search")
        self.toolbar.addWidget(edit, 1)
        self.search = edit
        return edit

    def add_button(
        self,
        name: str,
        text: str,
        *,
        write: bool = True,
        shortcut: str = "",
        tip: str = "",
        primary: bool = False,
    ) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(f"{self.spec.name}-{name}")
        if primary:
            b.setProperty("role", "primary")
        if shortcut:
            QShortcut(
                QKeySequence(shortcut),
                self,
                b.click,
                context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
            )
            tip = f"{tip} ({shortcut})" if tip else shortcut
        if tip:
            b.setToolTip(tip)
        b.clicked.connect(lambda: self.action.emit(name))
        self.action_bar.addWidget(b)
        if write:
            self.write_buttons.append(b)
        return b

    def set_writable(self, ok: bool, why: str = "") -> None:
        for b in self.write_buttons:
            b.setEnabled(ok)
            if why:
                b.setStatusTip(why)

    # -- state → view ----------------------------------------------------------------
    def update_status(self, *_: Any) -> None:
        noun = NOUNS.get(self.spec.name, "rows")
        self.status.setText(self.model.list.status_text(noun))

    def say(self, text: str) -> None:
        self.status.setText(text)

    # -- intent ----------------------------------------------------------------------
    def _activate(self, index: QModelIndex) -> None:
        row = self.model.row(index.row())
        if row is not None:
            self.activated.emit(row)

    def _enter(self) -> None:
        self._activate(self.table.currentIndex())

    def _current(self, cur: QModelIndex, _prev: QModelIndex) -> None:
        row = self.model.row(cur.row()) if cur.isValid() else None
        if row is not None:
            self.model.list.seen(row.get("id"))
        self.current_changed.emit(row)

    def current(self) -> dict[str, Any] | None:
        idx = self.table.currentIndex()
        return self.model.row(idx.row()) if idx.isValid() else None

    def selected(self) -> list[dict[str, Any]]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        out = [self.model.row(r) for r in rows]
        return [r for r in out if r is not None]

    def select_row(self, n: int) -> None:
        if 0 <= n < self.model.rowCount():
            idx = self.model.index(n, 0)
            self.table.selectionModel().setCurrentIndex(
                idx,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
