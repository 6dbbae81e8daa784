"""Key-value cache and the record of scheduled job runs (once per run key, ever)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import JSONText, UTCDateTime
from backend.models._common import created_at


class CacheKV(Base):
    __tablename__ = "cache_kv"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = created_at()


class JobRun(Base):
    """A scheduled job's run for one key (e.g. a local date): the primary key makes it once."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(60), primary_key=True)
    run_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="running")
    details: Mapped[Any] = mapped_column(JSONText(), default=dict)
