"""Dialogs that collect what an action needs and confirm what it will change. They return
values; the controller sends them. ``DialogAsker`` wraps them as coroutines (each dialog
opened window-modal with ``open()``, never a nested event loop), so a test can swap in a
scripted asker with the same methods."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.admin.actions import InputError, ShareSplit
from winroom_desktop.views.seller.style import set_style_prop


@dataclass
class Field:
    name: str
    label: str
    kind: str = "text"  # text | choice | multiline | int | bool | money
    choices: Sequence[tuple[Any, Any]] = ()  # (label, value); an int field: (min, max)
    default: Any = None
    required: bool = True
    hint: str = ""
    check: Callable[[str], Any] | None = None  # raises InputError


@dataclass
class FormSpec:
    title: str
    fields: list[Field] = field(default_factory=list)
    ok: str = "OK"
    intro: str = ""


class FormDialog(QDialog):
    def __init__(self, spec: FormSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setWindowTitle(spec.title)
        self.setMinimumWidth(460)
        v = QVBoxLayout(self)
        if spec.intro:
            intro = QLabel(spec.intro)
            intro.setWordWrap(True)
            intro.setTextFormat(Qt.TextFormat.PlainText)
            v.addWidget(intro)
        form = QFormLayout()
        v.addLayout(form)
        self.widgets: dict[str, QWidget] = {}
        for f in spec.fields:
            w: QWidget
            if f.kind == "choice":
                cb = QComboBox()
                for text, data in f.choices:
                    cb.addItem(text, data)
                if f.default is not None:
                    i = cb.findData(f.default)
                    cb.setCurrentIndex(max(0, i))
                w = cb
            elif f.kind == "multiline":
                te = QPlainTextEdit(str(f.default or ""))
                te.setFixedHeight(72)
                te.setTabChangesFocus(True)
                w = te
            elif f.kind == "int":
                sp = QSpinBox()
                sp.setRange(*(f.choices[0] if f.choices else (0, 100000)))
                sp.setValue(int(f.default or 0))
                w = sp
            elif f.kind == "bool":
                ch = QCheckBox()
                ch.setChecked(bool(f.default))
                w = ch
            else:
                le = QLineEdit(str(f.default or ""))
                if f.hint:
                    le.setPlaceholderText(f.hint)
                w = le
            w.setObjectName(f"field-{f.name}")
            self.widgets[f.name] = w
            form.addRow(f.label + ("" if f.required else " (optional)"), w)
        self.error = QLabel("")
        self.error.setProperty("role", "problem")
        self.error.setWordWrap(True)
        v.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton(spec.ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("role", "primary")
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self._try_accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.result_values: dict[str, Any] = {}

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.spec.fields:
            w = self.widgets[f.name]
            if isinstance(w, QComboBox):
                out[f.name] = w.currentData()
            elif isinstance(w, QPlainTextEdit):
                out[f.name] = w.toPlainText().strip()
            elif isinstance(w, QSpinBox):
                out[f.name] = w.value()
            elif isinstance(w, QCheckBox):
                out[f.name] = w.isChecked()
            elif isinstance(w, QLineEdit):
                out[f.name] = w.text().strip()
        return out

    def _try_accept(self) -> None:
        vals = self.values()
        try:
            for f in self.spec.fields:
                v = vals[f.name]
                if f.required and (v is None or v == ""):
                    raise InputError(f"{f.label} is needed.")
                if f.check is not None and v not in (None, ""):
                    vals[f.name] = f.check(str(v))
        except InputError as exc:
            self.error.setText(str(exc))
            return
        self.result_values = vals
        self.accept()


class ConfirmDialog(QDialog):
    def __init__(
        self, title: str, text: str, ok: str, danger: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        v = QVBoxLayout(self)
        head = QLabel(title)
        head.setProperty("role", "h2")
        head.setTextFormat(Qt.TextFormat.PlainText)
        v.addWidget(head)
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setObjectName("confirm-text")
        v.addWidget(label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        b = buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        b.setProperty("role", "danger" if danger else "primary")
        b.setDefault(not danger)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)


class ShareSplitDialog(QDialog):
    """Two to four sellers with their shares; the button enables at exactly 100 %."""

    def __init__(
        self, claim: dict[str, Any], sellers: list[tuple[int, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Split claim #{claim.get('id')}")
        self.setMinimumWidth(460)
        self.sellers = sellers
        v = QVBoxLayout(self)
        intro = QLabel(
            "The first seller is the closer and keeps the win; revenue and margin split by share."
        )
        intro.setWordWrap(True)
        v.addWidget(intro)
        grid = QGridLayout()
        v.addLayout(grid)
        self.rows: list[tuple[QComboBox, QLineEdit]] = []
        current = [
            (int(s.get("seller_id")), Decimal(str(s.get("share") or 0)) * 100)
            for s in claim.get("shares") or []
        ]
        if len(current) < 2:
            owner = (claim.get("seller") or {}).get("id")
            current = [(int(owner), Decimal(50)), (-1, Decimal(50))] if owner is not None else []
        for n in range(4):
            combo = QComboBox()
            combo.addItem("—", None)
            for sid, name in sellers:
                combo.addItem(name, sid)
            pct = QLineEdit()
            pct.setPlaceholderText("%")
            pct.setMaximumWidth(90)
            if n < len(current):
                i = combo.findData(current[n][0])
                combo.setCurrentIndex(max(0, i))
                pct.setText(f"{current[n][1].normalize():f}")
            combo.setObjectName(f"share-seller-{n}")
            pct.setObjectName(f"share-pct-{n}")
            combo.currentIndexChanged.connect(self.update_state)
            pct.textChanged.connect(self.update_state)
            grid.addWidget(QLabel("Closer" if n == 0 else f"Seller {n + 1}"), n, 0)
            grid.addWidget(combo, n, 1)
            grid.addWidget(pct, n, 2)
            self.rows.append((combo, pct))
        self.total = QLabel("")
        self.total.setObjectName("share-total")
        self.total.setWordWrap(True)
        v.addWidget(self.total)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = buttons.addButton(
            "Split", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setProperty("role", "primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.update_state()

    def split(self) -> ShareSplit:
        rows = [
            (combo.currentData(), pct.text())
            for combo, pct in self.rows
            if combo.currentData() is not None
        ]
        return ShareSplit.from_rows(rows)

    def update_state(self) -> None:
        problem = self.split().problem()
        self.ok_button.setEnabled(problem is None)
        self.total.setText(problem or f"Total {self.split().total().normalize():f} % ✓")
        set_style_prop(self.total, "tone", "bad" if problem else "ok")


class DialogAsker:
    """The controller's questions as coroutines, answered by dialogs over ``parent``."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    async def _run(self, dialog: QDialog) -> bool:
        fut: asyncio.Future[int] = asyncio.get_event_loop().create_future()
        dialog.finished.connect(lambda code: None if fut.done() else fut.set_result(code))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        try:
            return bool(await fut)
        finally:
            dialog.deleteLater()

    async def form(self, spec: FormSpec) -> dict[str, Any] | None:
        d = FormDialog(spec, self.parent)
        return d.result_values if await self._run(d) else None

    async def confirm(
        self, title: str, text: str, ok: str = "Confirm", danger: bool = False
    ) -> bool:
        return await self._run(ConfirmDialog(title, text, ok, danger, self.parent))

    async def shares(
        self, claim: dict[str, Any], sellers: list[tuple[int, str]]
    ) -> ShareSplit | None:
        d = ShareSplitDialog(claim, sellers, self.parent)
        return d.split() if await self._run(d) else None

    async def save_path(self, suggested: str) -> str | None:
        d = QFileDialog(self.parent, "Export CSV", suggested, "CSV (*.csv)")
        d.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        d.setDefaultSuffix("csv")
        if not await self._run(d):
            return None
        files = d.selectedFiles()
        return files[0] if files else None

    async def info(self, title: str, text: str) -> None:
        await self._run(ConfirmDialog(title, text, "Done", False, self.parent))
