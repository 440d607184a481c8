"""Follower rollup tables: per branch and day with running totals and the stored drop signal, and the
bank's day totals."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class FollowerBranchDaily(SQLModel, table=True):
    """Follower figures per branch and day (summed over its accounts) with running totals from the branch's
    first day (a period's total is the total at its last day minus the one before its first: two rows per
    branch) and the day's drop signal (`metrics.followers.drop_days` over the branch's whole history), with
    the flagged run it belongs to measured up to that day, so the drops as of any day are that day's rows."""

    __table_args__ = (
        Index("ix_follower_branch_daily_branch_day", "branch_id", "day", unique=True),
        Index("ix_follower_branch_daily_day", "day"),
        Index("ix_follower_branch_daily_flagged_day", "flagged", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    day: date
    next_day: date | None = None  # the branch's next day with figures (None: its last day so far)
    new_follows: int = 0
    unfollows: int = 0
    net_follows: int = 0
    cumulative: int = 0
    days_to_date: int = 0
    new_to_date: int = 0
    unfollows_to_date: int = 0
    net_to_date: int = 0
    rolling_net: int | None = None
    baseline_net: float | None = None
    flagged: bool = False
    negative: bool = False
    run_start: date | None = None  # flagged days: the first day of the flagged run, and the run so far
    run_days: int = 0
    run_net: int = 0
    run_worst_net: int | None = None
    run_any_negative: bool = False


class FollowerDayTotal(SQLModel, table=True):
    """Follower figures per day summed over the whole bank: head office's daily curve in one row per day."""

    __table_args__ = (Index("ix_follower_day_total_day", "day", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    new_follows: int = 0
    unfollows: int = 0
    net_follows: int = 0
    cumulative: int = 0
