"""WeCom customer contact (issue 16): staff-day tables from WeCom's statistics, and the WeCom ids that map
userids to staff and external contacts to customers.

Revision ID: 0004_wecom_staff_day
Revises: 0003_sync_connectors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_wecom_staff_day"
down_revision = "0003_sync_connectors"
branch_labels = None
depends_on = None


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def _staff_day_table(name: str, index_stem: str, figures: list[sa.Column]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *figures,
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_id", "day"),
    )
    op.create_index(f"ix_{index_stem}_branch_day", name, ["branch_id", "day"], unique=False)
    op.create_index(f"ix_{index_stem}_day", name, ["day"], unique=False)


def upgrade() -> None:
    _staff_day_table("staffcontactdaily", "staff_contact_daily", [
        _count("chat_cnt"), _count("message_cnt"), sa.Column("reply_percentage", sa.Float(), nullable=True),
        sa.Column("avg_reply_time", sa.Float(), nullable=True), _count("new_apply_cnt"), _count("new_contact_cnt"),
        _count("negative_feedback_cnt")])
    _staff_day_table("staffgroupchatdaily", "staff_group_chat_daily", [
        _count(c) for c in ("new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total",
                            "member_has_msg", "msg_total")])
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("wecom_userid", sa.String(length=64), nullable=True))
        batch.create_index("ix_staff_wecom_userid", ["wecom_userid"], unique=False)
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("wecom_external_userid", sa.String(length=64), nullable=True))
        batch.create_index("ix_customer_wecom_external_userid", ["wecom_external_userid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.drop_index("ix_customer_wecom_external_userid")
        batch.drop_column("wecom_external_userid")
    with op.batch_alter_table("staff") as batch:
        batch.drop_index("ix_staff_wecom_userid")
        batch.drop_column("wecom_userid")
    for name, stem in (("staffgroupchatdaily", "staff_group_chat_daily"), ("staffcontactdaily", "staff_contact_daily")):
        op.drop_index(f"ix_{stem}_day", table_name=name)
        op.drop_index(f"ix_{stem}_branch_day", table_name=name)
        op.drop_table(name)
