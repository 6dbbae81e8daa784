"""Building blocks of the wire format: money strings, masked emails."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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


# an address inside free text (a manual entry's note: "call zed@corp.com back")
# (bounded parts: linear in the text's length, whatever it holds)
_EMAIL_IN_TEXT = re.compile(r"[\w.+%-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")


def mask_emails_in_text(text: str) -> str:
    """Every email address inside ``text`` masked as :func:`mask_email` does."""
    if "@" not in text:
        return text
    return _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)) or "", text)


def mask_emails(value: Any) -> Any:
    """A TV's copy: every string under a key containing ``email`` masked, and every address
    inside any other string (recursively through dicts and lists)."""
    if isinstance(value, dict):
        return {
            k: (mask_email(v) if "email" in k and isinstance(v, str) else mask_emails(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_emails(v) for v in value]
    if isinstance(value, str):
        return mask_emails_in_text(value)
    return value


class Wire(BaseModel):
    """Strict wire model: unknown fields are an error (a renamed field fails a test)."""

    model_config = ConfigDict(extra="forbid")
