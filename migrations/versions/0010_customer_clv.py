"""Customer lifetime value (issue 18): each customer's stored scores from the last `manage.py clv` fit and
that fit's calibration per decile of predicted value; customer equity per branch, staff member and segment.

Revision ID: 0010_customer_clv
Revises: 0009_customer_products
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_customer_clv"
down_revision = "0009_customer_products"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customerclv",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=False),
        sa.Column("expected_transactions_12m", sa.Float(), nullable=False),
        sa.Column("expected_margin_per_tx", sa.Float(), nullable=False),
        sa.Column("clv_12m", sa.Float(), nullable=False),
        sa.Column("value_at_risk", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_customerclv_branch_staff", "customerclv", ["branch_id", "staff_id"])
    op.create_index("ix_customerclv_value_at_risk", "customerclv", ["value_at_risk"])
    op.create_table(
        "clvcalibrationdecile",
        sa.Column("decile", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("holdout_end", sa.Date(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("predicted_margin", sa.Float(), nullable=False),
        sa.Column("actual_margin", sa.Float(), nullable=False),
        sa.Column("predicted_transactions", sa.Float(), nullable=False),
        sa.Column("actual_transactions", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("decile"),
    )


    op.create_table(
        "clvequity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=24), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("segment", sa.String(length=24), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("value_at_risk", sa.Float(), nullable=False),
        sa.Column("p_alive_sum", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clvequity_dimension_branch", "clvequity", ["dimension", "branch_id"])


def downgrade() -> None:
    op.drop_index("ix_clvequity_dimension_branch", table_name="clvequity")
    op.drop_table("clvequity")
    op.drop_table("clvcalibrationdecile")
    op.drop_index("ix_customerclv_value_at_risk", table_name="customerclv")
    op.drop_index("ix_customerclv_branch_staff", table_name="customerclv")
    op.drop_table("customerclv")
