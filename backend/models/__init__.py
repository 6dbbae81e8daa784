"""SQLAlchemy models of Win Room's own database (schema ``wr`` on PostgreSQL).

Importing this package registers every table on ``Base.metadata``.
"""

from backend.db.base import Base
from backend.models.admin import Clawback, ClosedPeriod, DevicePairing, GameSetting
from backend.models.claims import (
    Attribution,
    AttributionShareEntry,
    Claim,
    ClaimAdjustment,
    Installment,
    InstallmentPayment,
    Objection,
    Refund,
)
from backend.models.events import Event
from backend.models.game import (
    Achievement,
    Badge,
    Challenge,
    ChallengeProgress,
    PersonalGoal,
    PointsEntry,
    ProgressCache,
    SalesGoal,
    SellerBadge,
    SellerStats,
    Spin,
    StreakState,
)
from backend.models.people import AuditLog, DeviceToken, LeadAssignmentDaily, Seller
from backend.models.queue import (
    Exclusion,
    IngestRecord,
    IngestState,
    QueueItem,
    SubscriptionMetrics,
)
from backend.models.social import Chat, ChatWarning, Promotion, Reaction
from backend.models.system import CacheKV, JobRun

__all__ = [
    "Achievement",
    "Attribution",
    "AttributionShareEntry",
    "AuditLog",
    "Badge",
    "Base",
    "CacheKV",
    "Challenge",
    "ChallengeProgress",
    "Chat",
    "ChatWarning",
    "Claim",
    "ClaimAdjustment",
    "Clawback",
    "ClosedPeriod",
    "DevicePairing",
    "DeviceToken",
    "Event",
    "Exclusion",
    "GameSetting",
    "IngestRecord",
    "IngestState",
    "Installment",
    "InstallmentPayment",
    "JobRun",
    "LeadAssignmentDaily",
    "Objection",
    "PersonalGoal",
    "PointsEntry",
    "ProgressCache",
    "Promotion",
    "QueueItem",
    "Reaction",
    "Refund",
    "SalesGoal",
    "Seller",
    "SellerBadge",
    "SellerStats",
    "Spin",
    "StreakState",
    "SubscriptionMetrics",
]
