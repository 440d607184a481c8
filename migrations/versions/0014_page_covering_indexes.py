"""Covering indexes for two head-office reads (issue 20), each replacing the index it starts with. No data
changes.

- The reward basis by period: the referral board and the quarter's ledger read every paid customer of the
  period (40,000 rows for 90 days at head office, large); through the day index SQLite visited each table row.
  Now (day, branch, staff, kind, campaign, customer).
- The customers' quarter segments: the overview's silver-haired line sums ~300,000 rows of one quarter at head
  office; now (as_of, branch, age band, customers, deposits) answers it from the index alone (~3x faster).

Revision ID: 0014_page_covering_indexes
Revises: 0013_outreach_key_person_index
"""

from __future__ import annotations

from alembic import op

revision = "0014_page_covering_indexes"
down_revision = "0013_outreach_key_person_index"
branch_labels = None
depends_on = None

REPLACED = [  # (table, old index, old columns, new index, new columns)
    ("referralrewardbasis", "ix_referral_reward_basis_day", ["day"], "ix_referral_reward_basis_day_cover",
     ["day", "branch_id", "staff_id", "customer_kind", "campaign_id", "customer_id"]),
    ("customersegmentquarter", "ix_customer_segment_quarter_day_branch", ["as_of", "branch_id"],
     "ix_customer_segment_quarter_day_branch_cover", ["as_of", "branch_id", "age_band", "customers", "deposits"]),
]


def upgrade() -> None:
    for table, old, _, new, columns in REPLACED:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for table, old, old_columns, new, _ in REPLACED:
        op.create_index(old, table, old_columns)
        op.drop_index(new, table_name=table)
