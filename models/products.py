"""What customers do with the bank's products, day by day, and the customer segments people save.

`ProductEvent` is the raw history the life-cycle stages, warning signals and lifetime value are measured
from: one row per customer, day and product (a day's deposits, or its withdrawals, summed), with the
bank's margin on it. The pages never scan it: `models.refresh.customers` summarises it into the rollups
in `models.rollup_tables.customers`."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


class Product(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"  # money out of deposits: its own kind, so amounts stay positive
    WEALTH = "wealth"
    PRECIOUS_METAL = "precious_metal"
    CREDIT_CARD = "credit_card"
    INSURANCE = "insurance"
    FUND = "fund"
    LOAN = "loan"


# Products a customer buys (a sale), as opposed to moving their own deposits in or out.
SOLD_PRODUCTS = (Product.WEALTH, Product.PRECIOUS_METAL, Product.CREDIT_CARD, Product.INSURANCE, Product.FUND,
                 Product.LOAN)


class ProductEvent(SQLModel, table=True):
    """A customer's business with one product on one day: `amount` in yuan (positive; a withdrawal is its
    own product), `margin` the bank's margin on it in yuan (>= 0). `group_buy_code` names the group-buy
    campaign the purchase came from ("" when none): the repeat-purchase rate follows its buyers."""

    __table_args__ = (
        Index("ix_product_event_customer_day_product", "customer_id", "event_date", "product", unique=True),
        Index("ix_product_event_branch_day", "branch_id", "event_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    event_date: date
    product: str = Field(max_length=16)
    amount: float = 0.0
    margin: float = 0.0
    group_buy_code: str = Field(default="", max_length=32)


class CustomerSegment(SQLModel, table=True):
    """A named combination of segment filters saved by a president or head office for the marketing team.
    `definition` is JSON ({"stage": [...], "age_band": [...], ...}); `branch_id` None is bank-wide."""

    __table_args__ = (Index("ix_customer_segment_branch", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    definition: str = Field(sa_column=Column(Text, nullable=False))
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
