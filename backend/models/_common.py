"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.types import UTCDateTime, utcnow

# BIGINT ids on PostgreSQL, INTEGER PRIMARY KEY (the rowid, autoincrementing) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def created_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def version_column() -> Mapped[int]:
    """``version`` of an object the admin API edits: every write increments it
    (CONTRACT §4a; ``backend.actions.versions.bump`` checks and raises it). Only a server
    default: the hot paths' hand-built INSERTs need not name it."""
    return mapped_column(Integer, server_default="1", nullable=False)


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """CHECK (column IN (...)) with a stable name."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or column)


ROLES = ("sales", "sales_lead", "finance", "admin")
QUEUE_STATUSES = ("pending", "claimed", "excluded")
FINANCE_STATUSES = ("waiting", "approved", "installment", "problem")
MARGIN_QUALITIES = ("high", "healthy", "watch", "risky", "unknown")
CLAIM_TYPES = ("first_sales", "remarketing", "upgrade", "installment")
OBJECTION_REASONS = ("wrong_owner", "duplicate", "refund", "other")
OBJECTION_STATUSES = ("pending", "accepted", "rejected")
ADJUSTMENT_REASONS = ("commission", "partial_refund", "chargeback", "correction", "other")
GOAL_PERIODS = ("day", "15d", "month")
GOAL_TARGET_TYPES = ("count", "revenue", "margin")
PROMOTION_VARIANTS = ("promo", "info", "success", "warning")
REACTION_TARGETS = ("queue", "achievement", "chat")
POINT_SOURCES = (
    "claim",
    "jackpot_bonus",
    "streak_multiplier",
    "milestone",
    "badge",
    "goal",
    "challenge",
    "daily_streak",
    "spin",
    "reversal",
)
