"""The overview's week card (issue 20): per branch and day, the figures of the seven days ending on that day
that the brief compares week against week, so head office sums one row per branch. Filled by
`refresh_rollups` (`manage.py rollups` after upgrading an existing database).

Revision ID: 0011_branch_week_card
Revises: 0010_customer_clv
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_branch_week_card"
down_revision = "0010_customer_clv"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "branchweekcard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("net_follows", sa.Integer(), nullable=False),
        sa.Column("cumulative_followers", sa.Integer(), nullable=False),
        sa.Column("follower_days", sa.Integer(), nullable=False),
        sa.Column("drop_running", sa.Boolean(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("dormant_groups", sa.Integer(), nullable=False),
        sa.Column("member_days", sa.Integer(), nullable=False),
        sa.Column("active_member_days", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=False),
        sa.Column("fraud_flags", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("campaign_deposited", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["migrantcampaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("branchweekcard") as batch:
        batch.create_index("ix_branch_week_card_branch_day", ["branch_id", "day"], unique=True)
        batch.create_index("ix_branch_week_card_day", ["day"])


def downgrade() -> None:
    with op.batch_alter_table("branchweekcard") as batch:
        batch.drop_index("ix_branch_week_card_day")
        batch.drop_index("ix_branch_week_card_branch_day")
    op.drop_table("branchweekcard")
