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


MASK = "•••"

# What may stand in an address's local part (RFC 5322 atext, any script, and dots) and its
# domain: labels of letters, digits, ``-`` and ``_`` joined by dots (``localhost``, IDNs),
# or an address literal in brackets (``[127.0.0.1]``, ``[IPv6:…]``).
_LOCAL = re.compile(r"[\w!#$%&'*+/=?^`{|}~.-]+")
_DOMAIN = re.compile(r"\[[^\[\]\s@]{1,255}\]|[\w-]+(?:\.[\w-]+)*")
_QUOTED_MAX = 64  # a quoted local part ("john doe"@x.com), at most this long


def mask_email(email: str | None) -> str | None:
    """``ayse@gmail.com`` → ``a•••@gmail.com`` (what TVs receive): the local part's first
    letter, never more, and the domain."""
    if not email:
        return email
    local, sep, domain = email.rpartition("@")
    if not sep:
        return _masked_local(domain)
    return f"{_masked_local(local)}@{domain}"


def _masked_local(local: str) -> str:
    first = next((c for c in local if c.isalnum()), "")
    return first + MASK


def mask_emails_in_text(text: str) -> str:
    """Every address-shaped part of ``text`` (``zed@corp.com``, ``ops@localhost``,
    ``bob@[127.0.0.1]``, ``"j d"@x.tr``) masked as :func:`mask_email` does.

    Linear in the text's length whatever it holds: each ``@`` is looked at once, the local
    part is matched backwards (on the reversed text) and never across an earlier address or
    ``@``, the domain forwards with a pattern that cannot backtrack."""
    if "@" not in text:
        return text
    n = len(text)
    backwards = text[::-1]
    out: list[str] = []
    done = 0  # text[:done] is in ``out``
    floor = 0  # no local part reaches back before this
    at = text.find("@")
    while at != -1:
        start = _local_start(text, backwards, at, floor)
        dom = _DOMAIN.match(text, at + 1)
        if start is not None and dom is not None:
            out.append(text[done:start])
            out.append(f"{_masked_local(text[start:at])}@{dom.group(0)}")
            done = floor = dom.end()
        else:
            floor = at + 1
        at = text.find("@", max(at + 1, floor))
    if not out:
        return text
    out.append(text[done:n])
    return "".join(out)


def _local_start(text: str, backwards: str, at: int, floor: int) -> int | None:
    """Where the local part ending at ``text[at]`` (the ``@``) begins; None: there is none."""
    if at > floor and text[at - 1] == '"':
        opening = text.rfind('"', max(floor, at - 2 - _QUOTED_MAX), at - 1)
        if opening != -1 and any(c.isalnum() for c in text[opening + 1 : at - 1]):
            return opening
    m = _LOCAL.match(backwards, len(text) - at, len(text) - floor)
    if m is None:
        return None
    start = at - len(m.group(0))
    while start < at and not text[start].isalnum():
        start += 1  # leading punctuation ('bob@x.com' quoted in text) is not the address
    return start if start < at else None


def mask_emails(value: Any) -> Any:
    """A TV's copy: every string under a key containing ``email`` masked, and every address
    inside any other string (recursively through dicts and lists)."""
    if isinstance(value, dict):
        return {
            k: (
                mask_email(v)
                if isinstance(v, str) and isinstance(k, str) and "email" in k.lower()
                else mask_emails(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_emails(v) for v in value]
    if isinstance(value, str):
        return mask_emails_in_text(value)
    return value


class Wire(BaseModel):
    """Strict wire model: unknown fields are an error (a renamed field fails a test)."""

    model_config = ConfigDict(extra="forbid")
