"""game: per-seller-per-day board aggregate, badges seed (issue 4)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The badges of the milestone seed (code, name, description, emoji); kept in step with
# backend/game/rules/milestones.py::BADGES.
BADGES = [
    ("revenue_king", "Revenue King", "$100k+ monthly revenue", "👑"),
    ("top_earner", "Top Earner", "$50k+ monthly revenue", "💰"),
    ("rising_star", "Rising Star", "$25k+ monthly revenue", "⭐"),
    ("signup_master", "Signup Master", "40+ monthly signups", "🏆"),
    ("consistent_closer", "Consistent Closer", "30+ monthly signups", "🎯"),
    ("sales_rookie", "Sales Rookie", "20+ monthly signups", "🌱"),
    ("bonus_achiever", "Bonus Achiever", "Reached a bonus tier", "💎"),
    ("goal_crusher", "Goal Crusher", "100%+ goal completion", "💪"),
    ("top_performer", "Top Performer", "Moved into the top 3", "🥇"),
]


def upgrade() -> None:
    op.create_table(
        "seller_day_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("wins", sa.Integer(), nullable=False),
        sa.Column("revenue", backend.db.types.Micros(), nullable=False),
        sa.Column("margin", backend.db.types.Micros(), nullable=False),
        sa.Column("updated_at", backend.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"],
            name=op.f("fk_seller_day_stats_seller_id_sellers"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "seller_id", name=op.f("pk_seller_day_stats")),
    )
    with op.batch_alter_table("seller_day_stats", schema=None) as batch_op:
        batch_op.create_index("ix_seller_day_stats_seller_day", ["seller_id", "day"], unique=False)

    badges = sa.table(
        "badges",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("emoji", sa.String),
    )
    op.bulk_insert(
        badges,
        [{"code": c, "name": n, "description": d, "emoji": e} for c, n, d, e in BADGES],
    )


def downgrade() -> None:
    badges = sa.table("badges", sa.column("code", sa.String))
    op.execute(badges.delete().where(badges.c.code.in_([b[0] for b in BADGES])))
    with op.batch_alter_table("seller_day_stats", schema=None) as batch_op:
        batch_op.drop_index("ix_seller_day_stats_seller_day")
    op.drop_table("seller_day_stats")
