"""Building blocks of the wire format: money strings, masked emails."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

CENT = Decimal("0.01")


def money(value: Decimal | None) -> str | None:
    """Money for JSON: a string with two decimals, rounded half-up from the exact value."""
    if value is None:
        return None
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def fraction(value: Decimal | None, places: int = 4) -> float | None:
    """A fraction (margin %) for JSON, e.g. 0.3856."""
    if value is None:
        return None
    q = Decimal(1).scaleb(-places)
    return float(value.quantize(q, rounding=ROUND_HALF_UP))


def mask_email(email: str | None) -> str | None:
    """``ayse@gmail.com`` → ``a•••@gmail.com`` (what TVs receive)."""
    if not email:
        return email
    local, sep, domain = email.partition("@")
    if not sep:
        return (local[:1] + "•••") if local else "•••"
    return f"{local[:1]}•••@{domain}"


class Wire(BaseModel):
    """Strict wire model: unknown fields are an error (a renamed field fails a test)."""

    model_config = ConfigDict(extra="forbid")
