"""Customers (issue 18): asset tier and channel preference on `customer`; the product-event history;
saved customer segments; and the rollups the customers page reads (each customer's rhythm and stage, the
segment x branch matrix, product sales per branch and month, group-buy outcomes, warning signals).

Revision ID: 0009_customer_products
Revises: 0008_reward_rules_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_customer_products"
down_revision = "0008_reward_rules_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("asset_tier", sa.String(length=16), server_default="", nullable=False))
        batch.add_column(sa.Column("channel_preference", sa.String(length=16), server_default="", nullable=False))
    with op.batch_alter_table("customer") as batch:  # the defaults only filled the rows already there
        batch.alter_column("asset_tier", existing_type=sa.String(length=16), server_default=None, existing_nullable=False)
        batch.alter_column("channel_preference", existing_type=sa.String(length=16), server_default=None,
                           existing_nullable=False)

    op.create_table(
        "productevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.Column("group_buy_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_product_event_customer_day_product", "productevent", ["customer_id", "event_date", "product"],
                    unique=True)
    op.create_index("ix_product_event_branch_day", "productevent", ["branch_id", "event_date"])

    op.create_table(
        "customersegment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customer_segment_branch", "customersegment", ["branch_id"])

    op.create_table(
        "customeractivity",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("first_event", sa.Date(), nullable=True),
        sa.Column("last_event", sa.Date(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("usual_gap_days", sa.Float(), nullable=True),
        sa.Column("events_recent", sa.Integer(), nullable=False),
        sa.Column("events_before", sa.Integer(), nullable=False),
        sa.Column("net_flow_recent", sa.Float(), nullable=False),
        sa.Column("products_recent", sa.Integer(), nullable=False),
        sa.Column("margin_year", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("stage_before", sa.String(length=12), nullable=False),
        sa.Column("age_band", sa.String(length=12), nullable=False),
        sa.Column("occupation", sa.String(length=24), nullable=False),
        sa.Column("asset_tier", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_customer_activity_branch_staff", "customeractivity", ["branch_id", "staff_id"])
    op.create_index("ix_customer_activity_branch_stage", "customeractivity", ["branch_id", "stage"])

    op.create_table(
        "customersegmentquarter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("age_band", sa.String(length=12), nullable=False),
        sa.Column("occupation", sa.String(length=24), nullable=False),
        sa.Column("asset_tier", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("deposits", sa.Float(), nullable=False),
        sa.Column("products", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customer_segment_quarter_day_branch", "customersegmentquarter", ["as_of", "branch_id"])

    op.create_table(
        "productbranchmonth",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_product_branch_month_key", "productbranchmonth", ["branch_id", "month", "product"], unique=True)

    op.create_table(
        "groupbuyoutcome",
        sa.Column("group_buy_code", sa.String(length=32), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("repeat_buyers", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("window_complete", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.PrimaryKeyConstraint("group_buy_code"),
    )
    op.create_index("ix_group_buy_outcome_branch", "groupbuyoutcome", ["branch_id"])

    op.create_table(
        "customersignal",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("days_since", sa.Integer(), nullable=True),
        sa.Column("usual_gap_days", sa.Float(), nullable=True),
        sa.Column("balance_before", sa.Float(), nullable=True),
        sa.Column("balance_change", sa.Float(), nullable=True),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("customer_id", "kind"),
    )
    op.create_index("ix_customer_signal_staff", "customersignal", ["staff_id"])
    op.create_index("ix_customer_signal_branch", "customersignal", ["branch_id"])


def downgrade() -> None:
    for table, indexes in (
        ("customersignal", ("ix_customer_signal_branch", "ix_customer_signal_staff")),
        ("groupbuyoutcome", ("ix_group_buy_outcome_branch",)),
        ("productbranchmonth", ("ix_product_branch_month_key",)),
        ("customersegmentquarter", ("ix_customer_segment_quarter_day_branch",)),
        ("customeractivity", ("ix_customer_activity_branch_stage", "ix_customer_activity_branch_staff")),
        ("customersegment", ("ix_customer_segment_branch",)),
        ("productevent", ("ix_product_event_branch_day", "ix_product_event_customer_day_product")),
    ):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("channel_preference")
        batch.drop_column("asset_tier")
