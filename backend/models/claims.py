"""Claims and everything that changes what a claim counts for."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import Micros, UTCDateTime
from backend.models._common import (
    ADJUSTMENT_REASONS,
    CLAIM_TYPES,
    FINANCE_STATUSES,
    OBJECTION_REASONS,
    OBJECTION_STATUSES,
    BigId,
    created_at,
    one_of,
    version_column,
)


class Claim(Base):
    """Who closed a queue item. At most one per queue item, ever (unique ``queue_id``)."""

    __tablename__ = "claims"
    __table_args__ = (
        one_of("claim_type", CLAIM_TYPES),
        one_of("finance_status", FINANCE_STATUSES),
        UniqueConstraint("claimed_by", "idempotency_key"),
        Index("ix_claims_claimed_at", "claimed_at"),
        Index("ix_claims_seller_claimed_at", "claimed_by", "claimed_at"),
        # the admin list's filters, newest first, and their total (CONTRACT §4a)
        Index("ix_claims_finance_status_claimed_at", "finance_status", "claimed_at", "id"),
        Index("ix_claims_type_claimed_at", "claim_type", "claimed_at", "id"),
        Index("ix_claims_refunded_claimed_at", "refunded", "claimed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id", ondelete="RESTRICT"), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="RESTRICT"))
    claim_type: Mapped[str] = mapped_column(String(16))
    finance_status: Mapped[str] = mapped_column(String(12), default="waiting")
    installment_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("installments.id", ondelete="SET NULL")
    )
    refunded: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = version_column()
    claimed_at: Mapped[datetime] = created_at()


class Attribution(Base):
    """Closer and assist of a claim with their shares (fractions that add up to 1)."""

    __tablename__ = "attribution"
    __table_args__ = (
        CheckConstraint("closer_share >= 0 AND closer_share <= 1000000", name="closer_share"),
        CheckConstraint("assisted_share >= 0 AND assisted_share <= 1000000", name="assisted_share"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), unique=True)
    closer_seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="RESTRICT"))
    closer_share: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(1))
    assisted_seller_id: Mapped[int | None] = mapped_column(
        ForeignKey("sellers.id", ondelete="SET NULL")
    )
    assisted_share: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    updated_at: Mapped[datetime] = created_at()


class AttributionShareEntry(Base):
    """One row per (claim, seller) share: what leaderboards sum."""

    __tablename__ = "attribution_share_entries"
    __table_args__ = (
        UniqueConstraint("claim_id", "seller_id"),
        CheckConstraint("share >= 0 AND share <= 1000000", name="share_fraction"),
        Index("ix_share_entries_claimed_at_seller", "claimed_at", "seller_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="RESTRICT"))
    share: Mapped[Decimal] = mapped_column(Micros())
    revenue_usd: Mapped[Decimal | None] = mapped_column(Micros())
    margin_usd: Mapped[Decimal | None] = mapped_column(Micros())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refunded: Mapped[bool] = mapped_column(Boolean, default=False)


class ClaimAdjustment(Base):
    """An amount taken off a claim's margin (commission, partial refund, chargeback...)."""

    __tablename__ = "claim_adjustments"
    __table_args__ = (
        one_of("reason", ADJUSTMENT_REASONS),
        CheckConstraint("amount_usd >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    amount_usd: Mapped[Decimal] = mapped_column(Micros())
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class Refund(Base):
    """A refunded claim: it leaves every board."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_usd >= 0", name="amount_non_negative"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), unique=True)
    amount_usd: Mapped[Decimal | None] = mapped_column(Micros())
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class Objection(Base):
    """A seller disputing a claim; an admin accepts or rejects it."""

    __tablename__ = "objections"
    __table_args__ = (
        one_of("reason", OBJECTION_REASONS),
        one_of("status", OBJECTION_STATUSES),
        Index("ix_objections_raised_by", "raised_by", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    raised_by: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = version_column()
    created_at: Mapped[datetime] = created_at()


class Installment(Base):
    """An installment plan a claim of type ``installment`` points at."""

    __tablename__ = "installments"
    __table_args__ = (
        one_of("status", ("active", "completed", "frozen", "cancelled")),
        CheckConstraint("total_installments > 0", name="total_positive"),
        CheckConstraint("tolerance_days >= 0", name="tolerance_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queue.id", ondelete="SET NULL"))
    subscription_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_email: Mapped[str | None] = mapped_column(String(254))
    total_installments: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="active")
    tolerance_days: Mapped[int] = mapped_column(Integer, default=3)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = version_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class InstallmentPayment(Base):
    """One scheduled payment of a plan: pending → submitted → confirmed (or overdue)."""

    __tablename__ = "installment_payments"
    __table_args__ = (
        UniqueConstraint("installment_id", "seq"),
        one_of("status", ("pending", "submitted", "confirmed", "overdue")),
        CheckConstraint("amount_usd >= 0", name="amount_non_negative"),
        Index("ix_installment_payments_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount_usd: Mapped[Decimal] = mapped_column(Micros())
    status: Mapped[str] = mapped_column(String(10), default="pending")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
