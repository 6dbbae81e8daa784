"""Duplicate detection (CONTRACT §3): pure functions.

A subscription is a duplicate of one already ingested when it has the same ``user_id`` and
``campaign_id`` within the same UTC clock hour of ``created_at`` (10:05 and 10:55 match,
10:55 and 11:05 do not), or the same non-null ``stripe_sub_id`` / ``paypal_sub_id``.
The first one ingested wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

SAME_HOUR = "same_user_campaign_hour"
SAME_STRIPE_ID = "same_stripe_sub_id"
SAME_PAYPAL_ID = "same_paypal_sub_id"


def utc_hour(created_at: datetime) -> datetime:
    """The UTC clock hour a moment falls in (naive values are UTC)."""
    t = created_at.replace(tzinfo=UTC) if created_at.tzinfo is None else created_at
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def dedupe_key(user_id: int | None, campaign_id: int | None, created_at: datetime) -> str | None:
    """``"user:campaign:YYYY-MM-DDTHH"``; None when the user or campaign is missing."""
    if user_id is None or campaign_id is None:
        return None
    t = created_at
    if t.tzinfo is not None and t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    # what f"{utc_hour(t):%Y-%m-%dT%H}" writes (a test compares them), without strftime:
    # the key is built for every row of a backlog
    return f"{user_id}:{campaign_id}:{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}"


def external_id(raw: object) -> str | None:
    """A stripe/paypal subscription id, trimmed; empty or missing → None."""
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


@dataclass(frozen=True)
class Duplicate:
    reason: str
    of_subscription_id: int


def find_duplicate(
    subscription_id: int,
    *,
    key_owner: int | None,
    stripe_owner: int | None,
    paypal_owner: int | None,
) -> Duplicate | None:
    """Given who already holds this row's key / stripe id / paypal id (an ingested
    subscription id or None), the duplicate verdict. Holding it oneself is not a duplicate."""
    for owner, reason in (
        (stripe_owner, SAME_STRIPE_ID),
        (paypal_owner, SAME_PAYPAL_ID),
        (key_owner, SAME_HOUR),
    ):
        if owner is not None and owner != subscription_id:
            return Duplicate(reason, owner)
    return None
