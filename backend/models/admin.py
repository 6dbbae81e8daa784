"""What the admin and finance API adds (CONTRACT §4a): closed months, the clawbacks posted
to the open month, TV pairings and the game numbers admins change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import JSONText, Micros, UTCDateTime
from backend.models._common import BigId, created_at, version_column


class ClosedPeriod(Base):
    """A closed month (``YYYY-MM``): its statement is frozen as the bytes served at close.
    A reopened month keeps its row with ``reopened_at`` set (closing again re-freezes)."""

    __tablename__ = "closed_periods"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed_at: Mapped[datetime] = created_at()
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    statement_csv: Mapped[str] = mapped_column(Text)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = version_column()


class Clawback(Base):
    """A change to a claim of a closed month, posted to the open month ``month`` as one
    line per seller: ``margin_usd`` is the seller's net margin taken back (negative: given)."""

    __tablename__ = "clawbacks"
    __table_args__ = (Index("ix_clawbacks_month_seller", "month", "seller_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="RESTRICT"))
    margin_usd: Mapped[Decimal] = mapped_column(Micros())
    kind: Mapped[str] = mapped_column(String(20))  # adjustment, refund, reassigned, shares
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class DevicePairing(Base):
    """A TV asking to be paired: it shows ``code``, polls with ``id``; an admin approves it
    and the TV collects its token exactly once (then ``token`` is cleared)."""

    __tablename__ = "device_pairings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the pairing_id
    code: Mapped[str] = mapped_column(String(9), unique=True)
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("device_tokens.id", ondelete="CASCADE")
    )
    token: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GameSetting(Base):
    """The game numbers of CONTRACT §6 that admins changed (``key`` "game": one JSON
    document of overrides over the defaults)."""

    __tablename__ = "game_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText(), default=dict)
    version: Mapped[int] = version_column()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = created_at()


__all__ = ["Clawback", "ClosedPeriod", "DevicePairing", "GameSetting"]
