"""The one error type of the domain: actions, reads and the game raise it; the API turns it
into its status and envelope ``{"error": {"code", "message", **extra}}`` (CONTRACT §4)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def invalid(field: str, code: str, message: str) -> DomainError:
    """422 naming the ``field`` a client sent wrong (CONTRACT §4a)."""
    return DomainError(422, code, message, field=field)


def not_found(what: str) -> DomainError:
    """404 for an unknown id: ``what`` names it ("claim", "queue item", ...)."""
    return DomainError(404, "not_found", f"There is no such {what}.")


def stale(what: str, version: int) -> DomainError:
    """409 ``stale``: the caller edited an older version than the stored one."""
    return DomainError(
        409,
        "stale",
        f"This {what} was changed by someone else (now at version {version}): reload it.",
        version=version,
    )
