"""Sellers (every person who logs in), TV device tokens, lead counts, audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import JSONText, UTCDateTime
from backend.models._common import ROLES, BigId, created_at, one_of, version_column


class Seller(Base):
    """A person with a login: sellers, leads, finance and admins (``role``)."""

    __tablename__ = "sellers"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default="sales")
    password_hash: Mapped[str] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(9), default="#4C8DFF")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # TVs show a hidden seller as "A teammate"; they still play and see everything
    hidden_from_tv: Mapped[bool] = mapped_column(Boolean, server_default="0")
    version: Mapped[int] = version_column()
    created_at: Mapped[datetime] = created_at()


class DeviceToken(Base):
    """A long-lived read-only TV token; only its SHA-256 is stored."""

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LeadAssignmentDaily(Base):
    """Leads assigned per seller per local day (aggregated from core lead_assignments)."""

    __tablename__ = "lead_assignments_daily"
    __table_args__ = (UniqueConstraint("day", "seller_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    seller_email: Mapped[str] = mapped_column(String(254))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    leads: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = created_at()


class AuditLog(Base):
    """Every admin/finance action: who did what to which record."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(60))
    details: Mapped[Any] = mapped_column(JSONText(), default=dict)
    created_at: Mapped[datetime] = created_at()


__all__ = ["AuditLog", "DeviceToken", "LeadAssignmentDaily", "Seller"]
