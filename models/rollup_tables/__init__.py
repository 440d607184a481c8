"""Rollup tables: what pages read instead of raw events. Definitions only (the tables layer);
`models.refresh` rebuilds them and `models.metrics` reads them."""

from models.campaign import CampaignDeposit, NameListEntry, SmsMessage, Visit
from models.customers import Customer
from models.followers import FollowerDaily
from models.groups import GroupDaily, SocialGroup
from models.products import ProductEvent
from models.referrals import ReferralEvent
from models.rollup_tables.campaign import (
    CampaignDepositDaily,
    CampaignListCounts,
    CampaignStaffDaily,
    CampaignVillageDaily,
)
from models.rollup_tables.customers import (
    CUSTOMER_ROLLUP_TABLES,
    CustomerActivity,
    CustomerSegmentQuarter,
    CustomerSignal,
    GroupBuyOutcome,
    ProductBranchMonth,
)
from models.rollup_tables.followers import FollowerBranchDaily, FollowerDayTotal
from models.rollup_tables.groups import (
    ALL_KINDS,
    GROUP_RAW_SOURCES,
    GROUP_ROLLUP_TABLES,
    GroupActivity,
    GroupBankDaily,
    GroupExpertSnapshot,
    GroupKindDaily,
    GroupLatest,
    GroupMembersBankDaily,
    GroupReplyBankDaily,
    GroupRunning,
    GroupValueSnapshot,
    PointsBankDaily,
    PointsHoldersBankDaily,
)
from models.rollup_tables.referrals import (
    ALL_CAMPAIGNS,
    REFERRAL_BATCH_TABLES,
    ReferralChannelDaily,
    ReferralCounts,
    ReferralDaily,
    ReferralFraudFlag,
    ReferralInvitation,
    ReferralMonthly,
    ReferralRewardBasis,
    ReferralStaffRunning,
    ReferralStaffWindow,
    month_end,
    month_start,
    whole_months,
)
from models.rollup_tables.week_card import BranchWeekCard

ROLLUP_TABLES = (ReferralDaily, ReferralMonthly, ReferralChannelDaily, GroupKindDaily, CampaignDepositDaily,
                 CampaignVillageDaily, CampaignStaffDaily, FollowerBranchDaily, FollowerDayTotal, *REFERRAL_BATCH_TABLES,
                 *GROUP_ROLLUP_TABLES, *CUSTOMER_ROLLUP_TABLES, BranchWeekCard)
# Which raw table each rollup summarises (the regression test checks pages do not read these).
RAW_SOURCES = {ReferralDaily: ReferralEvent, ReferralMonthly: ReferralEvent, ReferralChannelDaily: ReferralEvent,
               GroupKindDaily: GroupDaily, CampaignDepositDaily: CampaignDeposit, CampaignVillageDaily: NameListEntry,
               CampaignStaffDaily: NameListEntry, FollowerBranchDaily: FollowerDaily, FollowerDayTotal: FollowerDaily,
               **dict.fromkeys(REFERRAL_BATCH_TABLES, ReferralEvent), **GROUP_RAW_SOURCES, **dict.fromkeys(CUSTOMER_ROLLUP_TABLES, ProductEvent),
               BranchWeekCard: FollowerDaily}
# Raw tables summarised by a rollup besides its RAW_SOURCES entry: importing them refreshes the rollups too.
# The week card also sums group days, referral events, campaign deposits and the groups' creation days.
ALSO_SUMMARISED = (SmsMessage, Visit, CampaignDeposit, Customer, SocialGroup)


__all__ = [
    "ALL_CAMPAIGNS", "ALL_KINDS", "ALSO_SUMMARISED", "BranchWeekCard", "CUSTOMER_ROLLUP_TABLES", "CustomerActivity",
    "CustomerSegmentQuarter", "CustomerSignal", "GroupBuyOutcome", "ProductBranchMonth", "GROUP_RAW_SOURCES", "GROUP_ROLLUP_TABLES", "RAW_SOURCES",
    "REFERRAL_BATCH_TABLES", "ROLLUP_TABLES", "CampaignDepositDaily", "CampaignListCounts", "CampaignStaffDaily",
    "CampaignVillageDaily", "FollowerBranchDaily", "FollowerDayTotal", "GroupActivity", "GroupBankDaily",
    "GroupExpertSnapshot", "GroupKindDaily", "GroupLatest", "GroupMembersBankDaily", "GroupReplyBankDaily",
    "GroupRunning", "GroupValueSnapshot", "PointsBankDaily", "PointsHoldersBankDaily", "ReferralChannelDaily",
    "ReferralCounts", "ReferralDaily", "ReferralFraudFlag", "ReferralInvitation", "ReferralMonthly",
    "ReferralRewardBasis", "ReferralStaffRunning", "ReferralStaffWindow", "month_end", "month_start", "whole_months",
]
