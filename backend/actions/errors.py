"""Actions raise the domain's one error type (``backend.errors.DomainError``)."""

from __future__ import annotations

from backend.errors import DomainError, not_found, stale

ActionError = DomainError

__all__ = ["ActionError", "DomainError", "not_found", "stale"]
