"""Referral rollup tables: per day and month, running totals per code owner, preset boards and the batch
results (invitations, reward basis, fraud flags) the referral page reads instead of raw events."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class ReferralCounts(SQLModel):
    """The referral counts per code owner and campaign that the daily and monthly rollups both hold."""

    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int = Field(foreign_key="staff.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    clicks: int = 0
    invites: int = 0
    participants: int = 0
    conversions: int = 0
    live_conversions: int = 0
    live_amount: float = 0.0


class ReferralDaily(ReferralCounts, table=True):
    """Referral events per day, code owner and campaign: the leaderboard's and funnel's source."""

    __table_args__ = (
        Index("ix_referral_daily_branch_day", "branch_id", "day"),
        Index("ix_referral_daily_day", "day"),
        Index("ix_referral_daily_campaign_day", "campaign_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date


class ReferralMonthly(ReferralCounts, table=True):
    """ReferralDaily summed per calendar month: a period's whole months are read here, its edge days from
    ReferralDaily, so a quarter's leaderboard reads a few rows per staff member instead of one per day."""

    __table_args__ = (
        Index("ix_referral_monthly_branch_month", "branch_id", "month"),
        Index("ix_referral_monthly_month", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first and last day of the whole calendar months inside [start, end], or None if there are none."""
    first = start if start.day == 1 else month_end(start) + timedelta(days=1)
    last = end if end == month_end(end) else month_start(end) - timedelta(days=1)
    return (first, last) if first <= last else None


class ReferralChannelDaily(SQLModel, table=True):
    """Conversions not reversed per day, code owner and share channel (channels without one are left out)."""

    __table_args__ = (
        Index("ix_referral_channel_daily_branch_day", "branch_id", "day"),
        Index("ix_referral_channel_daily_day", "day"),
        Index("ix_referral_channel_daily_staff_day", "staff_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int = Field(foreign_key="staff.id")
    share_channel: str = Field(max_length=12)
    live_conversions: int = 0


# ---------------------------------------------------------------- referral page: running totals and the batch


class ReferralStaffRunning(SQLModel, table=True):
    """Cumulative referral counts per code owner (and branch) up to each day with events, per campaign
    (`campaign_key` = campaign id) and for every campaign together (`campaign_key` = 0). A period's total
    per staff member is the row at its end minus the row before its start: two index lookups per staff
    member, however long the period."""

    __table_args__ = (
        # A refresh deletes and counts the rows from its first day on: a range of this index, not a scan of every
        # series' history (the key leads with the owner).
        Index("ix_referral_staff_running_day", "day"),
        {"sqlite_with_rowid": False},
    )

    staff_id: int = Field(primary_key=True)
    branch_id: int = Field(primary_key=True)
    campaign_key: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    events: int = 0
    clicks: int = 0
    invites: int = 0
    participants: int = 0
    live_conversions: int = 0
    live_amount: float = 0.0


ALL_CAMPAIGNS = 0  # ReferralStaffRunning.campaign_key of the series that counts every campaign and general codes


class ReferralStaffWindow(SQLModel, table=True):
    """The leaderboard of each preset window (last 7/30/90/180/365 days) ending on the last day with
    events, and of the equal period before it, per code owner, branch and campaign key: what a head-office leaderboard reads in one pass
    (19k rows) instead of four index lookups per owner. Rebuilt from the running totals whenever they
    change; owners without events in the window are left out, as on the running-total path."""

    __table_args__ = (
        # Covering: a head-office board is one range of this index, no table lookups.
        Index("ix_referral_staff_window_key", "campaign_key", "window_days", "end_day", "branch_id", "staff_id",
              "clicks", "invites", "participants", "conversions", "conversion_amount"),
        Index("ix_referral_staff_window_end_day", "end_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    campaign_key: int
    window_days: int
    end_day: date
    events: int = 0
    clicks: int = 0
    invites: int = 0
    participants: int = 0
    conversions: int = 0
    conversion_amount: float = 0.0


class ReferralInvitation(SQLModel, table=True):
    """A registration through a code whose owner has since converted the same customer (not reversed):
    `converted_on` is that first conversion's day. The conversion rate's numerator counts these rows
    instead of searching the raw events for a later conversion."""

    __table_args__ = (
        Index("ix_referral_invitation_day", "registered_on", "converted_on", "staff_id", "customer_id", "campaign_id"),
        Index("ix_referral_invitation_branch_day", "branch_id", "registered_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    customer_id: int = Field(foreign_key="customer.id")
    registered_on: date
    converted_on: date


class ReferralRewardBasis(SQLModel, table=True):
    """Each customer's first live effective conversion (the one a reward is paid for, once, at the rule
    valid that day): the reward computation reads a quarter's rows here, not the whole event history."""

    __table_args__ = (
        Index("ix_referral_reward_basis_branch_day", "branch_id", "day"),
        # covering the ledger's read of a period (`reward_ledger_preview`): no table row visited
        Index("ix_referral_reward_basis_day_cover", "day", "branch_id", "staff_id", "customer_kind", "campaign_id",
              "customer_id"),
        Index("ix_referral_reward_basis_customer", "customer_id", unique=True),
    )

    event_id: int = Field(primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    customer_id: int = Field(foreign_key="customer.id")
    customer_kind: str = Field(max_length=16)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    day: date


class ReferralFraudFlag(SQLModel, table=True):
    """One fraud rule hit on one registration or conversion, computed in a batch over the branch's whole
    history (so a burst flags the customers' later events too); reviewers' clearances stay separate."""

    __table_args__ = (
        Index("ix_referral_fraud_flag_branch_day", "branch_id", "day"),
        Index("ix_referral_fraud_flag_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int
    rule: str = Field(max_length=24)
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int = Field(foreign_key="staff.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    day: date
    stage: str = Field(max_length=12)
    detail: str = Field(default="", max_length=200)


REFERRAL_BATCH_TABLES = (ReferralStaffRunning, ReferralStaffWindow, ReferralInvitation, ReferralRewardBasis,
                         ReferralFraudFlag)
