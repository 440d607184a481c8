"""Follow-up tasks made from alerts (issue 17, "alerts become tasks"). Campaign targets set in the app
use the existing `campaigntarget` table, so this revision only adds `task`.

Revision ID: 0007_tasks_targets
Revises: 0006_field_work
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_tasks_targets"
down_revision = "0006_field_work"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("assignee_staff_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_kind", sa.String(length=24), nullable=False),
        sa.Column("ref_group_id", sa.Integer(), nullable=True),
        sa.Column("ref_village_id", sa.Integer(), nullable=True),
        sa.Column("ref_staff_id", sa.Integer(), nullable=True),
        sa.Column("ref_account_id", sa.Integer(), nullable=True),
        sa.Column("ref_day", sa.Date(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closing_note", sa.String(length=500), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["assignee_staff_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["ref_group_id"], ["socialgroup.id"]),
        sa.ForeignKeyConstraint(["ref_village_id"], ["village.id"]),
        sa.ForeignKeyConstraint(["ref_staff_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["ref_account_id"], ["officialaccount.id"]),
        sa.ForeignKeyConstraint(["closed_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_branch_status", "task", ["branch_id", "status"])
    op.create_index("ix_task_assignee_status", "task", ["assignee_staff_id", "status"])
    op.create_index("ix_task_closed_at", "task", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_task_closed_at", table_name="task")
    op.drop_index("ix_task_assignee_status", table_name="task")
    op.drop_index("ix_task_branch_status", table_name="task")
    op.drop_table("task")
