"""Stored lifetime-value scores (issue 18): what `python manage.py clv` writes and the pages read, so no page
ever fits a model. One row per customer with product events (the last fit replaces them all), and the
calibration of that fit: predicted against actual margin per decile over the holdout months; and customer
equity summed per branch, staff member and segment at the fit (`ClvEquity`), so head office reads a thousand
rows, not a million."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel


class CustomerClv(SQLModel, table=True):
    """A customer's scores at the last fit; branch and managing staff copied from the customer at that time,
    so equity per branch and staff member is one indexed scan."""

    __table_args__ = (
        Index("ix_customerclv_branch_staff", "branch_id", "staff_id"),
        Index("ix_customerclv_value_at_risk", "value_at_risk"),
    )

    customer_id: int = Field(primary_key=True, foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    fitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    cutoff: date
    p_alive: float
    expected_transactions_12m: float
    expected_margin_per_tx: float
    clv_12m: float
    # clv_12m x (1 - p_alive), stored and indexed: the bank's 50 largest are read without sorting 1M rows
    value_at_risk: float
    model: str = Field(max_length=64)


class ClvCalibrationDecile(SQLModel, table=True):
    """One decile of predicted value in the calibration of the last fit: the model fitted on the events up to
    `cutoff` predicted the margin and transactions up to `holdout_end`; `actual_*` is what then happened."""

    decile: int = Field(primary_key=True)
    fitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    cutoff: date
    holdout_end: date
    customers: int
    predicted_margin: float
    actual_margin: float
    predicted_transactions: float
    actual_transactions: float


class ClvEquity(SQLModel, table=True):
    """Customer equity of the last fit summed per branch and one grouping: `dimension` "branch" (one row per
    branch, `segment` ""), "staff" (per branch and managing staff member, `staff_id` set) or a segment
    dimension (age band at the cut-off, occupation, asset tier, channel preference; `segment` its value)."""

    __table_args__ = (
        Index("ix_clvequity_dimension_branch", "dimension", "branch_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dimension: str = Field(max_length=24)
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    segment: str = Field(default="", max_length=24)
    customers: int
    equity: float
    value_at_risk: float
    p_alive_sum: float
