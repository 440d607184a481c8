"""Reward rules per campaign and who set them, fraud decisions (confirm / clear, versioned) and quarters
closed for payroll (issue 17, head office: rules and reviews).

Revision ID: 0008_reward_rules_review
Revises: 0007_tasks_targets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reward_rules_review"
down_revision = "0007_tasks_targets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rewardquarter",
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=False),
        sa.Column("staff_paid", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("quarter"),
    )
    with op.batch_alter_table("fraudclearance") as batch:
        batch.add_column(sa.Column("decision", sa.String(length=12), server_default="cleared", nullable=False))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    # outside batch mode: an unnamed foreign key, inline on SQLite (ADD COLUMN ... REFERENCES), added
    # by the database's own naming on PostgreSQL, as create_all makes it on both
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE rewardrule ADD COLUMN campaign_id INTEGER REFERENCES campaign (id)")
    else:
        op.add_column("rewardrule", sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id"), nullable=True))
    with op.batch_alter_table("rewardrule") as batch:
        batch.add_column(sa.Column("set_by", sa.String(length=64), server_default="", nullable=False))
        batch.add_column(sa.Column("set_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint("uq_reward_rule_kind_from", type_="unique")
        batch.create_unique_constraint("uq_reward_rule_kind_campaign_from", ["customer_kind", "campaign_id", "valid_from"])
    with op.batch_alter_table("rewardrule") as batch:  # the default only filled the rows already there
        batch.alter_column("set_by", existing_type=sa.String(length=64), server_default=None, existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("rewardrule") as batch:
        batch.drop_constraint("uq_reward_rule_kind_campaign_from", type_="unique")
    op.execute("DELETE FROM rewardrule WHERE campaign_id IS NOT NULL")
    with op.batch_alter_table("rewardrule") as batch:
        batch.drop_column("campaign_id")
        batch.drop_column("set_at")
        batch.drop_column("set_by")
        batch.create_unique_constraint("uq_reward_rule_kind_from", ["customer_kind", "valid_from"])
    with op.batch_alter_table("fraudclearance") as batch:
        batch.drop_column("version")
        batch.drop_column("decision")
    op.drop_table("rewardquarter")
