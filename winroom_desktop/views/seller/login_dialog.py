"""Login: email (remembered) and password; errors shown inline, never as a stack trace."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.views import theme
from winroom_desktop.views.seller.style import hexa, stylesheet


class LoginDialog(QDialog):
    submitted = Signal(str, str)  # email, password

    def __init__(self, server: str, email: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Win Room — log in")
        self.setStyleSheet(stylesheet())
        self.setModal(True)
        self.setMinimumWidth(380)
        v = QVBoxLayout(self)
        title = QLabel("Log in to Win Room")
        title.setProperty("role", "h1")
        v.addWidget(title)
        where = QLabel(server)
        where.setTextFormat(Qt.TextFormat.PlainText)
        where.setProperty("role", "muted")
        v.addWidget(where)
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setProperty("role", "muted")
        self.reason.hide()
        v.addWidget(self.reason)
        form = QFormLayout()
        self.email = QLineEdit(email)
        self.email.setPlaceholderText("you@company.com")
        self.email.setAccessibleName("Email")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        v.addLayout(form)
        self.error = QLabel("")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {hexa(theme.WARNING)};")
        self.error.hide()
        v.addWidget(self.error)
        self.button = QPushButton("Log in")
        self.button.setProperty("role", "primary")
        self.button.setDefault(True)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        v.addWidget(self.button)
        (self.password if email else self.email).setFocus()

    def set_reason(self, text: str) -> None:
        self.reason.setText(text)
        self.reason.setVisible(bool(text))

    def _submit(self) -> None:
        email = self.email.text().strip()
        if not email or not self.password.text():
            self.show_error("Enter your email and password.")
            return
        self.button.setEnabled(False)
        self.button.setText("Logging in…")
        self.error.hide()
        self.submitted.emit(email, self.password.text())

    def show_error(self, text: str) -> None:
        self.button.setEnabled(True)
        self.button.setText("Log in")
        self.error.setText(text)
        self.error.show()
        self.password.selectAll()
        self.password.setFocus()
