"""Migrant-campaign rollup tables: deposits per day, and where each village's and staff member's name
list stands on every day of the season."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class CampaignDepositDaily(SQLModel, table=True):
    """Migrant-campaign deposits per day, branch, village and staff member credited."""

    __table_args__ = (
        Index("ix_campaign_deposit_daily_campaign_branch_day", "campaign_id", "branch_id", "day"),
        Index("ix_campaign_deposit_daily_campaign_day", "campaign_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    branch_id: int = Field(foreign_key="branch.id")
    village_id: int | None = Field(default=None, foreign_key="village.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    deposits: int = 0
    depositors: int = 0
    amount: float = 0.0


class CampaignListCounts(SQLModel):
    """Where a season's name list stands at the end of one day, summed over the workers of one village or
    one contact staff member: the sums of `metrics.campaign.worker_flags` on that day, and the deposits
    credited to the village or staff member up to that day. One row per key for every day of the season,
    so any day of a replay is one indexed read of a few thousand rows, whatever the number of workers."""

    id: int | None = Field(default=None, primary_key=True)
    day: date
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    branch_id: int = Field(foreign_key="branch.id")
    workers: int = 0
    with_staff: int = 0
    with_foreman: int = 0
    returned: int = 0
    sms_sent: int = 0
    sms_delivered: int = 0
    sms_replied: int = 0
    repliers_converted: int = 0
    silent_converted: int = 0
    round1_on_time: int = 0
    round1_late: int = 0
    round1_missed: int = 0
    round1_due: int = 0
    round1_upcoming: int = 0
    round1_not_returned: int = 0
    round2_on_time: int = 0
    round2_late: int = 0
    round2_missed: int = 0
    round2_due: int = 0
    round2_upcoming: int = 0
    round2_not_returned: int = 0
    round3_on_time: int = 0
    round3_late: int = 0
    round3_missed: int = 0
    round3_due: int = 0
    round3_upcoming: int = 0
    round3_not_returned: int = 0
    deposited: float = 0.0


class CampaignVillageDaily(CampaignListCounts, table=True):
    """`CampaignListCounts` per day and village (village_id NULL: workers listed without a village)."""

    __table_args__ = (Index("ix_campaign_village_daily_campaign_day_branch", "campaign_id", "day", "branch_id"),)

    village_id: int | None = Field(default=None, foreign_key="village.id")


class CampaignStaffDaily(CampaignListCounts, table=True):
    """`CampaignListCounts` per day and contact staff member (staff_id NULL: workers without one)."""

    __table_args__ = (Index("ix_campaign_staff_daily_campaign_day_branch", "campaign_id", "day", "branch_id"),)

    staff_id: int | None = Field(default=None, foreign_key="staff.id")
