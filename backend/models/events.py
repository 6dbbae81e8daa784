"""The event log: every change appends here in its own transaction; the relay sends by id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import JSONText
from backend.models._common import BigId, created_at


class Event(Base):
    """One live event. ``room``: ``everyone``, ``staff`` (not TVs), ``tv-display``, ``user:{id}``."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(40))
    room: Mapped[str] = mapped_column(String(40), default="everyone")
    subscription_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[Any] = mapped_column(JSONText(), default=dict)
    created_at: Mapped[datetime] = created_at()
