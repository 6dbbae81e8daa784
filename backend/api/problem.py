"""``ApiError``: what a route or dependency raises to answer with the error envelope
(``errors.py`` turns it into the response). Its own module, below both ``deps`` and
``errors``, so the two do not import each other."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raise from a route or dependency to answer with the envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra
