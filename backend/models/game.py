"""Goals, achievements, badges, points, challenges, spins and the floor streak."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, object_session

from backend.db.base import Base
from backend.db.types import JSONText, Micros, UTCDateTime
from backend.models._common import (
    GOAL_PERIODS,
    GOAL_TARGET_TYPES,
    POINT_SOURCES,
    BigId,
    created_at,
    one_of,
    version_column,
)


class SalesGoal(Base):
    """A team (global) goal: count / revenue / margin over a day, 15 days or a month."""

    __tablename__ = "sales_goals"
    __table_args__ = (
        one_of("period", GOAL_PERIODS),
        one_of("target_type", GOAL_TARGET_TYPES),
        CheckConstraint("target > 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    period: Mapped[str] = mapped_column(String(8))
    target_type: Mapped[str] = mapped_column(String(8))
    target: Mapped[Decimal] = mapped_column(Micros())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = version_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class PersonalGoal(Base):
    """A seller's own goal, same shape as a team goal."""

    __tablename__ = "personal_goals"
    __table_args__ = (
        one_of("period", GOAL_PERIODS),
        one_of("target_type", GOAL_TARGET_TYPES),
        CheckConstraint("target > 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    period: Mapped[str] = mapped_column(String(8))
    target_type: Mapped[str] = mapped_column(String(8))
    target: Mapped[Decimal] = mapped_column(Micros())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = version_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


_GOAL_ID_LOCK = 0x57520007  # "WR" + 7: PostgreSQL advisory lock of goal id allocation
_LAST_ID = "winroom_goal_last_id"


@sa_event.listens_for(SalesGoal, "before_insert")
@sa_event.listens_for(PersonalGoal, "before_insert")
def _allocate_goal_id(_mapper: Any, connection: Connection, target: Any) -> None:
    """Team and personal goals share one id space (``/api/admin/goals/{id}``): a new goal
    gets the next id above both tables (PostgreSQL: under an advisory lock held to the
    commit; SQLite writers are serialized already)."""
    if target.id is not None:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _GOAL_ID_LOCK})
    top = connection.execute(
        text(
            "SELECT max(m) FROM (SELECT max(id) AS m FROM sales_goals UNION ALL "
            "SELECT max(id) FROM personal_goals) AS both_tables"
        )
    ).scalar()
    session = object_session(target)
    last = session.info.get(_LAST_ID, 0) if session is not None else 0
    target.id = max(int(top or 0), int(last)) + 1
    if session is not None:
        session.info[_LAST_ID] = target.id


class ProgressCache(Base):
    """Last computed progress of a goal in one period (``scope`` team or personal)."""

    __tablename__ = "progress_cache"
    __table_args__ = (
        one_of("scope", ("team", "personal")),
        UniqueConstraint("scope", "goal_id", "period_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    goal_id: Mapped[int] = mapped_column(Integer)
    period_key: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    percent: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = created_at()


class Achievement(Base):
    """A celebrated moment. ``dedupe_key`` makes each milestone fire once per period."""

    __tablename__ = "achievements"
    __table_args__ = (
        Index("ix_achievements_created", "created_at"),
        Index("ix_achievements_claim_id", "claim_id"),  # a refund marks its claim's
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    emoji: Mapped[str] = mapped_column(String(16), default="🏆")
    value: Mapped[Decimal | None] = mapped_column(Micros())
    period_key: Mapped[str | None] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    # the claim that set it off was refunded: TVs and sellers show that on the story
    refunded: Mapped[bool] = mapped_column(Boolean, server_default="0")
    created_at: Mapped[datetime] = created_at()


class Badge(Base):
    """A badge of the milestone seed (seeded by a migration)."""

    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    emoji: Mapped[str] = mapped_column(String(16))


class SellerBadge(Base):
    """A badge held by a seller (once each)."""

    __tablename__ = "seller_badges"
    __table_args__ = (UniqueConstraint("seller_id", "badge_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    badge_id: Mapped[int] = mapped_column(ForeignKey("badges.id", ondelete="CASCADE"))
    awarded_at: Mapped[datetime] = created_at()


class PointsEntry(Base):
    """The points ledger: every point with its reason and source (explainable)."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        one_of("source", POINT_SOURCES),
        Index("ix_points_ledger_seller_created", "seller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))
    ref_type: Mapped[str | None] = mapped_column(String(20))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = created_at()


class SellerStats(Base):
    """Running totals per seller kept in step with the ledger (points, level, day streak)."""

    __tablename__ = "seller_stats"

    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[int] = mapped_column(Integer, default=0)
    xp: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=0)
    daily_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_active_day: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = created_at()


class Challenge(Base):
    """A time-boxed challenge, e.g. "3 wins before 18:00"."""

    __tablename__ = "challenges"
    __table_args__ = (
        one_of("metric", ("wins", "revenue", "margin")),
        one_of("scope", ("individual", "team")),
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("reward_points >= 0", name="reward_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    metric: Mapped[str] = mapped_column(String(10))
    scope: Mapped[str] = mapped_column(String(12), default="individual")
    target: Mapped[Decimal] = mapped_column(Micros())
    reward_points: Mapped[int] = mapped_column(Integer, default=0)
    awards_spin: Mapped[bool] = mapped_column(Boolean, default=True)
    # a test run (False): computed, shown in the admin window only
    visible: Mapped[bool] = mapped_column(Boolean, server_default="1")
    claim_type: Mapped[str | None] = mapped_column(String(16))  # count only this type
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = version_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class ChallengeProgress(Base):
    """A seller's progress on a challenge; ``completed_at`` set once."""

    __tablename__ = "challenge_progress"
    __table_args__ = (UniqueConstraint("challenge_id", "seller_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Spin(Base):
    """A spin earned (challenge completed, day topped) and, once spent, its server draw."""

    __tablename__ = "spins"
    __table_args__ = (
        one_of("source", ("challenge", "top_day", "admin")),
        UniqueConstraint("seller_id", "source", "source_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    source_ref: Mapped[str] = mapped_column(String(60))
    earned_at: Mapped[datetime] = created_at()
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prize_code: Mapped[str | None] = mapped_column(String(40))
    prize_label: Mapped[str | None] = mapped_column(String(120))
    draw: Mapped[Any] = mapped_column(JSONText())


class StreakState(Base):
    """The floor-wide consecutive-claim streak (one row per scope, ``floor``)."""

    __tablename__ = "streak_state"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_claim_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = created_at()


class SellerDayStats(Base):
    """Pre-aggregated board numbers per seller per LOCAL day (``WINROOM_TIMEZONE``).

    Kept exact by recomputing a (seller, day) row from the claims, share entries and
    adjustments in the same transaction as every change (claim, refund, adjustment, share
    split, reassignment, exclusion); the 15-minute sweep re-checks recent days. Boards sum
    these rows: a month is at most 31 rows per seller.
    """

    __tablename__ = "seller_day_stats"
    __table_args__ = (Index("ix_seller_day_stats_seller_day", "seller_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    wins: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    margin: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    updated_at: Mapped[datetime] = created_at()


class SellerMonthStats(Base):
    """The sum of a seller's ``seller_day_stats`` rows of one LOCAL calendar month
    (``month``: its first day): what the claim path reads for the month's ranks and
    milestones (~100 rows instead of ~2,000 day rows).

    Exactly the sum of the day rows, kept so in the same statements: the claim path adds a
    new claim's numbers to both (same integers); every other writer of day rows (refresh
    after refunds, adjustments, share splits, reassignments and exclusions; the sweep's
    rebuild) recomputes the touched months from the day rows. A row exists while the seller
    has at least one day row in that month.
    """

    __tablename__ = "seller_month_stats"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    wins: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    margin: Mapped[Decimal] = mapped_column(Micros(), default=Decimal(0))
    updated_at: Mapped[datetime] = created_at()
