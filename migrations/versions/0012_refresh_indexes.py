"""The daily refresh's indexes (issue 20): `referralstaffrunning` by day, so that a refresh deletes and counts the
rows from its first day on by an index range instead of scanning every series' history (5 M rows at the large
scale); `customer` by phone, so that the fraud flags' reference finds the records with a code owner's phone
without reading every customer; `groupmembership` by join and by leave day, so that a membership refresh finds
the stays that moved from its first day on without reading every stay. No data changes.

Revision ID: 0012_refresh_indexes
Revises: 0011_branch_week_card
"""

from __future__ import annotations

from alembic import op

revision = "0012_refresh_indexes"
down_revision = "0011_branch_week_card"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_referral_staff_running_day", "referralstaffrunning", ["day"])
    op.create_index("ix_customer_phone", "customer", ["phone"])
    op.create_index("ix_group_membership_joined_on", "groupmembership", ["joined_on"])
    op.create_index("ix_group_membership_left_on", "groupmembership", ["left_on"])


def downgrade() -> None:
    op.drop_index("ix_group_membership_left_on", table_name="groupmembership")
    op.drop_index("ix_group_membership_joined_on", table_name="groupmembership")
    op.drop_index("ix_customer_phone", table_name="customer")
    op.drop_index("ix_referral_staff_running_day", table_name="referralstaffrunning")
