"""Key-person contacts by person (issue 20): the campaign page's key-person counts join every key person of the
scope to their contacts of one season; with only the (campaign, branch) index SQLite walked every contact of the
season for each person (24,000 x 18,000 at the large scale: 60 s at head office). No data changes.

Revision ID: 0013_outreach_key_person_index
Revises: 0012_refresh_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0013_outreach_key_person_index"
down_revision = "0012_refresh_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outreach_key_person_campaign", "outreachcontact", ["key_person_id", "campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_outreach_key_person_campaign", table_name="outreachcontact")
