"""The one error type actions raise; the API maps it to its status and envelope."""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
