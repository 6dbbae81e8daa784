"""game: per-seller-per-month board aggregate (issue 4: the claim path's month sums)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seller_month_stats",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("wins", sa.Integer(), nullable=False),
        sa.Column("revenue", backend.db.types.Micros(), nullable=False),
        sa.Column("margin", backend.db.types.Micros(), nullable=False),
        sa.Column("updated_at", backend.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_month_stats_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("month", "seller_id", name=op.f("pk_seller_month_stats")),
    )
    # the months of the existing day rows (the sum of each seller's day rows of a month)
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', day) AS DATE)"
    else:
        month = "date(day, 'start of month')"
    op.execute(
        "INSERT INTO seller_month_stats (month, seller_id, wins, revenue, margin, updated_at)"
        f" SELECT {month}, seller_id, SUM(wins), SUM(revenue), SUM(margin), MAX(updated_at)"
        f" FROM seller_day_stats GROUP BY {month}, seller_id"
    )


def downgrade() -> None:
    op.drop_table("seller_month_stats")
