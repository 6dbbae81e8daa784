"""The live queue, per-subscription metrics, exclusions and the ingest bookkeeping."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import JSONText, Micros, UTCDateTime
from backend.models._common import (
    FINANCE_STATUSES,
    MARGIN_QUALITIES,
    QUEUE_STATUSES,
    BigId,
    created_at,
    one_of,
    version_column,
)

INGEST_OUTCOMES = ("queued", "duplicate", "trial", "rejected", "waiting", "skipped")
INGEST_RECORD_KINDS = ("duplicate", "rejected", "trial", "status_change", "skipped")


class QueueItem(Base):
    """A sale waiting to be claimed (or claimed / excluded), with its money figures."""

    __tablename__ = "queue"
    __table_args__ = (
        one_of("status", QUEUE_STATUSES),
        one_of("finance_status", FINANCE_STATUSES),
        one_of("margin_quality", MARGIN_QUALITIES),
        one_of("source", ("core", "manual")),
        CheckConstraint("revenue_usd IS NULL OR revenue_usd >= 0", name="revenue_non_negative"),
        CheckConstraint("cost_usd IS NULL OR cost_usd >= 0", name="cost_non_negative"),
        Index("ix_queue_status_id", "status", "id"),
        # the admin claims list sorted by money (keyset on value, id)
        Index("ix_queue_revenue_id", "revenue_usd", "id"),
        Index("ix_queue_margin_id", "margin_amount_usd", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    source: Mapped[str] = mapped_column(String(10), default="core")
    customer_user_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    campaign_name: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str | None] = mapped_column(String(8))
    payment_channel: Mapped[str | None] = mapped_column(String(40))
    core_status: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    finance_status: Mapped[str] = mapped_column(String(12), default="waiting")
    problem_reason: Mapped[str | None] = mapped_column(String(40))
    revenue_usd: Mapped[Decimal | None] = mapped_column(Micros())
    cost_usd: Mapped[Decimal | None] = mapped_column(Micros())
    margin_amount_usd: Mapped[Decimal | None] = mapped_column(Micros())
    margin_percent: Mapped[Decimal | None] = mapped_column(Micros())
    margin_quality: Mapped[str] = mapped_column(String(8), default="unknown")
    is_jackpot: Mapped[bool] = mapped_column(Boolean, default=False)
    tts_days: Mapped[int | None] = mapped_column(Integer)
    sale_created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = version_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class SubscriptionMetrics(Base):
    """What the worker computed for every subscription it has seen, queued or not."""

    __tablename__ = "subscription_metrics"
    __table_args__ = (
        one_of("outcome", INGEST_OUTCOMES),
        one_of("margin_quality", MARGIN_QUALITIES),
        Index("ix_subscription_metrics_dedupe", "dedupe_key"),
    )

    subscription_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(8))
    core_status: Mapped[str | None] = mapped_column(String(20))
    revenue_usd: Mapped[Decimal | None] = mapped_column(Micros())
    cost_usd: Mapped[Decimal | None] = mapped_column(Micros())
    margin_amount_usd: Mapped[Decimal | None] = mapped_column(Micros())
    margin_percent: Mapped[Decimal | None] = mapped_column(Micros())
    margin_quality: Mapped[str] = mapped_column(String(8), default="unknown")
    is_jackpot: Mapped[bool] = mapped_column(Boolean, default=False)
    tts_days: Mapped[int | None] = mapped_column(Integer)
    problem_reason: Mapped[str | None] = mapped_column(String(40))
    dedupe_key: Mapped[str | None] = mapped_column(String(80))
    stripe_sub_id: Mapped[str | None] = mapped_column(String(120), index=True)
    paypal_sub_id: Mapped[str | None] = mapped_column(String(120), index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queue.id", ondelete="SET NULL"))
    core_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = created_at()


class IngestRecord(Base):
    """Duplicates, rejections, trials and later status changes, kept for admins."""

    __tablename__ = "ingest_records"
    __table_args__ = (
        one_of("kind", INGEST_RECORD_KINDS),
        Index("ix_ingest_records_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(80))
    details: Mapped[Any] = mapped_column(JSONText(), default=dict)
    created_at: Mapped[datetime] = created_at()


class IngestState(Base):
    """The ingest watermark per source (survives restarts; updated in the batch's transaction)."""

    __tablename__ = "ingest_state"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    details: Mapped[Any] = mapped_column(JSONText(), default=dict)
    updated_at: Mapped[datetime] = created_at()


class Exclusion(Base):
    """A queue item taken off the floor by an admin, with why."""

    __tablename__ = "exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    excluded_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
