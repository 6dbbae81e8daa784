"""The duplicate key and the external-id rule; the intake decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.rules import dedupe, intake
from backend.rules.intake import Decision


def test_same_utc_hour_matches_other_hours_do_not() -> None:
    a = datetime(2025, 3, 10, 10, 5, tzinfo=UTC)
    assert dedupe.dedupe_key(1, 2, a) == dedupe.dedupe_key(1, 2, a.replace(minute=55))
    assert dedupe.dedupe_key(1, 2, a.replace(minute=55)) != dedupe.dedupe_key(
        1, 2, a.replace(hour=11, minute=5)
    )
    assert dedupe.dedupe_key(1, 2, a) != dedupe.dedupe_key(1, 3, a)
    assert dedupe.dedupe_key(None, 2, a) is None
    assert dedupe.dedupe_key(1, None, a) is None
    # naive = UTC; other offsets are converted to UTC first
    assert dedupe.dedupe_key(1, 2, a.replace(tzinfo=None)) == dedupe.dedupe_key(1, 2, a)
    istanbul = timezone(timedelta(hours=3))
    assert dedupe.dedupe_key(1, 2, datetime(2025, 3, 10, 13, 30, tzinfo=istanbul)) == (
        dedupe.dedupe_key(1, 2, a)
    )


@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    minute=st.integers(0, 59),
    second=st.integers(0, 59),
)
def test_dedupe_key_ignores_minutes(moment: datetime, minute: int, second: int) -> None:
    other = moment.replace(minute=minute, second=second, microsecond=0)
    assert dedupe.dedupe_key(7, 9, moment) == dedupe.dedupe_key(7, 9, other)


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        ({}, None),
        ({"key_owner": 5}, (dedupe.SAME_HOUR, 5)),
        ({"stripe_owner": 4}, (dedupe.SAME_STRIPE_ID, 4)),
        ({"paypal_owner": 3}, (dedupe.SAME_PAYPAL_ID, 3)),
        ({"key_owner": 5, "stripe_owner": 4}, (dedupe.SAME_STRIPE_ID, 4)),
        ({"key_owner": 10}, None),  # holding it oneself
    ],
)
def test_find_duplicate(owners: dict, expected: tuple | None) -> None:
    args = {"key_owner": None, "stripe_owner": None, "paypal_owner": None, **owners}
    dup = dedupe.find_duplicate(10, **args)
    assert (None if dup is None else (dup.reason, dup.of_subscription_id)) == expected


def test_external_id() -> None:
    assert dedupe.external_id(None) is None
    assert dedupe.external_id("  ") is None
    assert dedupe.external_id(" sub_1 ") == "sub_1"
    assert dedupe.external_id(12) == "12"


@pytest.mark.parametrize(
    ("status", "outcome", "prev_status", "decision"),
    [
        ("paid", None, None, Decision.ENTER),
        ("active", None, None, Decision.ENTER),
        ("pending", None, None, Decision.WAIT),
        ("cancelled", None, None, Decision.SKIP),
        ("refunded", None, None, Decision.SKIP),
        ("weird", None, None, Decision.REJECT),
        (None, None, None, Decision.REJECT),
        ("paid", "waiting", "pending", Decision.ENTER),
        ("cancelled", "waiting", "pending", Decision.SKIP),
        ("paid", "rejected", "paid", Decision.ENTER),
        ("refunded", "queued", "paid", Decision.STATUS_CHANGE),
        ("paid", "queued", "paid", Decision.TOUCH),
        ("paid", "skipped", "cancelled", Decision.TOUCH),
        ("paid", "duplicate", "paid", Decision.TOUCH),
        ("refunded", "trial", "paid", Decision.TOUCH),
    ],
)
def test_intake_decisions(
    status: str | None, outcome: str | None, prev_status: str | None, decision: Decision
) -> None:
    assert intake.decide(status, outcome, prev_status) is decision


def test_normalize_status() -> None:
    assert intake.normalize_status(" PAID ") == "paid"
    assert intake.normalize_status("") is None
    assert intake.normalize_status(3) is None


@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
    aware=st.booleans(),
)
def test_dedupe_key_is_the_utc_hour_as_strftime_writes_it(
    moment: datetime, offset_minutes: int, aware: bool
) -> None:
    """The key is built without strftime (for speed): it must be exactly the old text."""
    if aware:
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    expected = f"3:4:{dedupe.utc_hour(moment):%Y-%m-%dT%H}"
    assert dedupe.dedupe_key(3, 4, moment) == expected
    assert dedupe.dedupe_key(3, 4, moment.astimezone(UTC)) == expected
