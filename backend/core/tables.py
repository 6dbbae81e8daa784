"""The core database tables Win Room reads (CONTRACT §3), as SQLAlchemy Core tables.

No schema: on PostgreSQL they live in the core URL's default (``public``) schema; on SQLite
in their own file. Money and time columns hand back the driver's raw value (PostgreSQL:
``Decimal``/``datetime``; SQLite: number or ISO text) so one malformed row can be rejected
on its own instead of failing the whole read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

CoreId = BigInteger().with_variant(Integer(), "sqlite")


class RawNumeric(TypeDecorator[Any]):
    """``NUMERIC(12,2)`` in DDL; values are bound as usual but read back untouched."""

    impl = Numeric(12, 2)
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> None:
        return None


class RawTimestamp(TypeDecorator[Any]):
    """``TIMESTAMP`` (UTC, naive) in DDL; read back untouched (text on SQLite)."""

    impl = DateTime()
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> None:
        return None


metadata = MetaData()

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", CoreId, primary_key=True),
    Column("name", Text),
    Column("campaign_length", Integer),
    Column("per_week", Integer),
    Column("lesson_duration", Integer),
)

users = Table(
    "users",
    metadata,
    Column("id", CoreId, primary_key=True),
    Column("email", Text),
    Column("name", Text),
    Column("created_at", RawTimestamp),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", CoreId, primary_key=True),
    Column("user_id", BigInteger),
    Column("campaign_id", BigInteger),
    Column("subs_amount", RawNumeric, nullable=True),
    Column("currency", Text),
    Column("status", Text),
    Column("is_free", Integer, default=0),
    Column("payment_channel", Text),
    Column("stripe_sub_id", Text, nullable=True),
    Column("paypal_sub_id", Text, nullable=True),
    Column("created_at", RawTimestamp),
    Column("updated_at", RawTimestamp),
    Index("ix_subscriptions_updated_id", "updated_at", "id"),
)

payment_infos = Table(
    "payment_infos",
    metadata,
    Column("id", CoreId, primary_key=True),
    Column("subscription_id", BigInteger, index=True),
    Column("paid_price", RawNumeric),
    Column("currency", Text),
    Column("created_at", RawTimestamp),
)

custom_settings = Table(
    "custom_settings",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text),
)

lead_assignments = Table(
    "lead_assignments",
    metadata,
    Column("id", CoreId, primary_key=True),
    Column("user_id", BigInteger),
    Column("seller_email", Text),
    Column("assigned_at", RawTimestamp),
    Index("ix_lead_assignments_assigned_at", "assigned_at"),
)

CORE_TABLES = (campaigns, users, subscriptions, payment_infos, custom_settings, lead_assignments)
