"""``RowsModel``: a ``QAbstractTableModel`` over a ``PagedList`` (state). It draws rows as
text and asks for the next page through ``more_wanted`` (Qt's ``canFetchMore``/
``fetchMore``); clicking a header the server sorts by asks through ``sort_wanted``; the
other headers sort the loaded rows locally (small lists)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from winroom_desktop.state.admin.paged import Page, PagedList
from winroom_desktop.state.admin.specs import Column
from winroom_desktop.views import theme

STATUS_COLORS: dict[str, QColor] = {
    **theme.FINANCE_COLORS,
    "waiting": theme.WARNING,
    "open": theme.WARNING,
    "overdue": theme.PROBLEM,
    "active": theme.GOAL,
    "completed": theme.INFO,
    "frozen": theme.DIM,
    "cancelled": theme.DIM,
    "accepted": theme.GOAL,
    "rejected": theme.DIM,
    "ended": theme.DIM,
    "reached": theme.GOAL,
    "pending": theme.MUTED,
    "submitted": theme.INFO,
    "confirmed": theme.GOAL,
    "promo": theme.MILESTONE,
    "info": theme.INFO,
    "success": theme.GOAL,
    "warning": theme.WARNING,
}
RIGHT = ("money", "count", "percent")
Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
DISPLAY = Qt.ItemDataRole.DisplayRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
HANDLED = frozenset(
    int(r)
    for r in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.UserRole + 1,
    )
)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class RowsModel(QAbstractTableModel):
    more_wanted = Signal()
    sort_wanted = Signal(str, bool)  # api sort name, descending
    sort_refused = Signal(str)  # a column that cannot sort a partial list: why

    def __init__(self, columns: tuple[Column, ...] | list[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.list = PagedList()
        self._changed_bg = QBrush(QColor(61, 139, 253, 46))
        self._text = {k: QBrush(c) for k, c in STATUS_COLORS.items()}
        self._cache: dict[Any, tuple[str, ...]] = {}
        self._align = [_RIGHT if c.kind in RIGHT else _LEFT for c in self.columns]

    def set_columns(self, columns: tuple[Column, ...] | list[Column]) -> None:
        self.beginResetModel()
        self.columns = list(columns)
        self._align = [_RIGHT if c.kind in RIGHT else _LEFT for c in self.columns]
        self._cache.clear()
        self.endResetModel()

    # -- Qt model --------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.list.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def _texts(self, n: int) -> tuple[str, ...]:
        """A row's cell texts, made once (a repaint asks for each cell many times)."""
        row = self.list.rows[n]
        key = row.get("id")
        texts = self._cache.get(key)
        if texts is None:
            texts = tuple(c.text(row) for c in self.columns)
            self._cache[key] = texts
        return texts

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in HANDLED:  # a repaint asks ~10 roles per cell: most are answered here
            return None
        n = index.row()
        if n < 0 or n >= len(self.list.rows):
            return None
        if role == DISPLAY:
            return self._texts(n)[index.column()]
        if role == ALIGN:
            return self._align[index.column()]
        if role == FOREGROUND:
            col = self.columns[index.column()]
            if col.kind not in ("status", "finance"):
                return None
            row = self.list.rows[n]
            if col.kind == "finance" and row.get("refunded"):
                return self._text["problem"]
            return self._text.get(str(col.raw(row) or ""))
        if role == BACKGROUND:
            if self.list.changed_by and self.list.rows[n].get("id") in self.list.changed_by:
                return self._changed_bg
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            row = self.list.rows[n]
            who = self.list.changed_by.get(row.get("id"))
            if who:
                return f"Just changed by {who}"
            text = self._texts(n)[index.column()]
            return text if len(text) > 24 else None
        if role == ROW_ROLE:
            return self.list.rows[n]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            col = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return col.header
            if role == Qt.ItemDataRole.TextAlignmentRole and col.kind in RIGHT:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self.list.can_fetch_more()

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self.more_wanted.emit()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        col = self.columns[column]
        desc = order == Qt.SortOrder.DescendingOrder
        if col.sort:
            self.sort_wanted.emit(col.sort, desc)
            return
        if self.list.next_cursor is not None:  # a partial list sorted here would lie
            server = [c.header for c in self.columns if c.sort]
            self.sort_refused.emit(
                f"{col.header} sorts once every row is loaded"
                + (f"; the server sorts by {', '.join(server)}." if server else ".")
            )
            return
        self.layoutAboutToBeChanged.emit()
        self._cache.clear()
        self.list.rows.sort(key=lambda r: _sort_key(col, r), reverse=desc)
        self.list._index = {r.get("id"): n for n, r in enumerate(self.list.rows)}
        self.layoutChanged.emit()

    # -- changes from the controller -------------------------------------------------
    def reset(self) -> int:
        self._cache.clear()
        self.beginResetModel()
        gen = self.list.reset()
        self.endResetModel()
        return gen

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        """A small list, whole (no paging)."""
        gen = self.reset()
        self.add_page(gen, Page(rows, None, len(rows)))

    def add_page(self, generation: int, page: Page) -> bool:
        lst = self.list
        if generation != lst.generation:
            return False
        held = [r for r in page.rows if r.get("id") in lst._index]
        fresh = len(page.rows) - len(held)
        if fresh > 0:
            self.beginInsertRows(QModelIndex(), len(lst.rows), len(lst.rows) + fresh - 1)
            lst.add_page(generation, page)
            self.endInsertRows()
        else:
            lst.add_page(generation, page)
        for r in held:
            self._cache.pop(r.get("id"), None)
            self.row_changed(r.get("id"))
        return True

    def row_changed(self, key: Any) -> None:
        i = self.list.row_of(key)
        if i is not None:
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))

    def replace(self, obj: dict[str, Any], changed_by: str | None = None) -> bool:
        self._cache.pop(obj.get("id"), None)
        i = self.list.replace(obj, changed_by)
        if i is None:
            return False
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))
        return True

    def insert_first(self, obj: dict[str, Any]) -> None:
        self._cache.pop(obj.get("id"), None)
        if obj.get("id") in self.list._index:
            self.replace(obj)
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.list.insert_first(obj)
        self.endInsertRows()

    def remove(self, key: Any) -> None:
        i = self.list.row_of(key)
        if i is None:
            return
        self.beginRemoveRows(QModelIndex(), i, i)
        self._cache.pop(key, None)
        self.list.remove(key)
        self.endRemoveRows()

    def row(self, n: int) -> dict[str, Any] | None:
        return self.list.rows[n] if 0 <= n < len(self.list.rows) else None


def _sort_key(col: Column, row: dict[str, Any]) -> Any:
    v = col.raw(row)
    if col.kind in RIGHT:
        try:
            return (0, float(v))
        except (TypeError, ValueError):
            return (1, 0.0)
    return (0, str(v or "").lower())
