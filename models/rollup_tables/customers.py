"""Customer rollup tables: each customer's rhythm and stage, the segment x branch matrix, product sales per
branch and month, group-buy outcomes and the warning signals.

At 1M customers and tens of millions of product events, the customers page cannot scan `productevent`;
these rows answer it with index lookups. Rebuilt by `models.refresh.customers` (the seed, the product-event
and customer-attribute imports, and `manage.py rollups`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class CustomerActivity(SQLModel, table=True):
    """Per customer, as of `as_of`: their rhythm (first and last event, usual gap), recent activity against
    the 90 days before, deposit flows, life-cycle stage now and at the end of the previous quarter, and
    the segment keys (age band, occupation, asset tier, channel) the matrix and drill-down filter on."""

    __table_args__ = (
        Index("ix_customer_activity_branch_staff", "branch_id", "staff_id"),
        Index("ix_customer_activity_branch_stage", "branch_id", "stage"),
    )

    customer_id: int = Field(foreign_key="customer.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    as_of: date
    first_event: date | None = None
    last_event: date | None = None
    events: int = 0  # days with any event (the rhythm is measured in active days)
    usual_gap_days: float | None = None  # median gap between active days (None under 3 active days)
    events_recent: int = 0  # active days in the 180 days up to as_of (measures.customers.RECENT_DAYS)
    events_before: int = 0  # active days in the 180 days before those
    net_flow_recent: float = 0.0  # deposits minus withdrawals in the 90 days up to as_of (FLOW_DAYS)
    products_recent: int = 0  # product kinds used in the 365 days up to as_of
    margin_year: float = 0.0  # the bank's margin in the 365 days up to as_of
    stage: str = Field(default="", max_length=12)
    stage_before: str = Field(default="", max_length=12)  # as of the previous quarter's end ("" not a customer yet)
    age_band: str = Field(default="", max_length=12)
    occupation: str = Field(default="", max_length=24)
    asset_tier: str = Field(default="", max_length=16)
    channel: str = Field(default="", max_length=16)


class CustomerSegmentQuarter(SQLModel, table=True):
    """The segment x branch matrix: per branch, day (`as_of`, and the previous quarter's end) and segment
    key, the customers, their deposits and the product kinds they used (summed over customers)."""

    # covering the overview's silver-haired line (a sum over the quarter's ~300,000 rows at head office, large)
    __table_args__ = (Index("ix_customer_segment_quarter_day_branch_cover", "as_of", "branch_id", "age_band",
                            "customers", "deposits"),)

    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    branch_id: int = Field(foreign_key="branch.id")
    stage: str = Field(max_length=12)
    age_band: str = Field(max_length=12)
    occupation: str = Field(max_length=24)
    asset_tier: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    customers: int = 0
    deposits: float = 0.0
    products: int = 0


class ProductBranchMonth(SQLModel, table=True):
    """Per branch, month (its first day) and product: active customer-days, amount and margin."""

    __table_args__ = (Index("ix_product_branch_month_key", "branch_id", "month", "product", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    month: date
    product: str = Field(max_length=16)
    events: int = 0
    amount: float = 0.0
    margin: float = 0.0


class GroupBuyOutcome(SQLModel, table=True):
    """Per group buy (code): its branch, day and product, how many bought, and how many of them bought a
    product again (outside the group buy) within `window_days` after."""

    __table_args__ = (Index("ix_group_buy_outcome_branch", "branch_id"),)

    group_buy_code: str = Field(primary_key=True, max_length=32)
    branch_id: int = Field(foreign_key="branch.id")
    first_day: date
    product: str = Field(max_length=16)
    buyers: int = 0
    repeat_buyers: int = 0
    window_days: int = 0
    window_complete: bool = False  # False: the window has not ended yet as of the refresh


class CustomerSignal(SQLModel, table=True):
    """A warning about one customer, as of the refresh: `kind` "rhythm" (no activity for `days_since` days
    against their usual gap `usual_gap_days`) or "balance" (deposits fell by `balance_change` yuan from
    `balance_before` in 90 days). The page words the reason from these figures; `priority` orders the call
    list (deposits at stake)."""

    __table_args__ = (
        Index("ix_customer_signal_staff", "staff_id"),
        Index("ix_customer_signal_branch", "branch_id"),
    )

    customer_id: int = Field(foreign_key="customer.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(primary_key=True, max_length=12)
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    as_of: date
    days_since: int | None = None
    usual_gap_days: float | None = None
    balance_before: float | None = None
    balance_change: float | None = None
    priority: float = 0.0


CUSTOMER_ROLLUP_TABLES = (CustomerActivity, CustomerSegmentQuarter, ProductBranchMonth, GroupBuyOutcome, CustomerSignal)
