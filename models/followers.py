"""Official accounts, their daily follower figures and the marketing events that move them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class OfficialAccount(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    wechat_id: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=64)


class FollowerDaily(SQLModel, table=True):
    """One row per account and day, exactly the four figures the WeChat platform exports."""

    __table_args__ = (
        UniqueConstraint("account_id", "day", name="uq_follower_daily_account_day"),
        Index("ix_follower_daily_branch_day", "branch_id", "day"),
        Index("ix_follower_daily_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="officialaccount.id")
    branch_id: int = Field(foreign_key="branch.id")
    day: date
    new_follows: int = Field(ge=0)
    unfollows: int = Field(ge=0)
    net_follows: int
    cumulative: int = Field(ge=0)


class MarketingEvent(SQLModel, table=True):
    __table_args__ = (Index("ix_marketing_event_branch_start", "branch_id", "start_date"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    name: str = Field(max_length=80)
    kind: str = Field(max_length=24)
    start_date: date
    end_date: date
    partner: str = Field(default="", max_length=80)
    cost: float = 0.0
