"""The reward basis read by period from one covering index (issue 20): the referral board and the quarter's
ledger read every paid customer of the period (40,000 rows for 90 days at head office, large); through the day
index SQLite visited each table row too. The covering index (day, branch, staff, kind, campaign, customer)
replaces the day index it starts with. No data changes.

Revision ID: 0014_reward_basis_covering_index
Revises: 0013_outreach_key_person_index
"""

from __future__ import annotations

from alembic import op

revision = "0014_reward_basis_covering_index"
down_revision = "0013_outreach_key_person_index"
branch_labels = None
depends_on = None

COLUMNS = ["day", "branch_id", "staff_id", "customer_kind", "campaign_id", "customer_id"]


def upgrade() -> None:
    op.create_index("ix_referral_reward_basis_day_cover", "referralrewardbasis", COLUMNS)
    op.drop_index("ix_referral_reward_basis_day", table_name="referralrewardbasis")


def downgrade() -> None:
    op.create_index("ix_referral_reward_basis_day", "referralrewardbasis", ["day"])
    op.drop_index("ix_referral_reward_basis_day_cover", table_name="referralrewardbasis")
