"""Reactions, team chat (with moderation warnings) and promotion banners."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import JSONText, UTCDateTime
from backend.models._common import (
    PROMOTION_VARIANTS,
    REACTION_TARGETS,
    BigId,
    created_at,
    one_of,
    version_column,
)


class Reaction(Base):
    """An emoji a person put on a queue card, an achievement or a chat message."""

    __tablename__ = "reactions"
    __table_args__ = (
        one_of("target_type", REACTION_TARGETS),
        UniqueConstraint("target_type", "target_id", "emoji", "seller_id"),
        Index("ix_reactions_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(12))
    target_id: Mapped[int] = mapped_column(Integer)
    emoji: Mapped[str] = mapped_column(String(16))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at()


class Chat(Base):
    """A team chat message as shown (after moderation)."""

    __tablename__ = "chats"
    __table_args__ = (
        CheckConstraint("length(text) <= 500", name="text_length"),
        Index("ix_chats_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    flags: Mapped[Any] = mapped_column(JSONText(), default=list)
    created_at: Mapped[datetime] = created_at()


class ChatWarning(Base):
    """A moderation warning (profanity, spam, shouting, link); three in an hour mute."""

    __tablename__ = "chat_warnings"
    __table_args__ = (Index("ix_chat_warnings_seller_created", "seller_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at()


class Promotion(Base):
    """A banner shown on the TV and in the apps between ``starts_at`` and ``ends_at``."""

    __tablename__ = "promotions"
    __table_args__ = (
        one_of("variant", PROMOTION_VARIANTS),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_promotions_window", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant: Mapped[str] = mapped_column(String(8), default="info")
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = version_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
