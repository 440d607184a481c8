"""Per-day-and-key rollups rebuilt by one aggregating INSERT ... SELECT each."""

from __future__ import annotations

from sqlalchemy import and_, case, func, select

from models.campaign import CampaignDeposit
from models.groups import GroupDaily, SocialGroup
from models.referrals import ReferralEvent, ReferralStage
from models.refresh.common import count_if
from models.rollup_tables.campaign import CampaignDepositDaily
from models.rollup_tables.groups import GroupKindDaily
from models.rollup_tables.referrals import ReferralChannelDaily, ReferralDaily


def _referral_daily_select(where):
    live = and_(ReferralEvent.stage == ReferralStage.CONVERT.value, ReferralEvent.reversed_on.is_(None))
    return (
        select(
            ReferralEvent.day, ReferralEvent.branch_id, ReferralEvent.staff_id, ReferralEvent.campaign_id,
            count_if(ReferralEvent.stage == ReferralStage.CLICK.value),
            count_if(ReferralEvent.stage == ReferralStage.REGISTER.value),
            count_if(ReferralEvent.stage == ReferralStage.PARTICIPATE.value),
            count_if(ReferralEvent.stage == ReferralStage.CONVERT.value),
            count_if(live),
            func.coalesce(func.sum(case((live, ReferralEvent.amount), else_=0.0)), 0.0),
        )
        .where(where)
        .group_by(ReferralEvent.day, ReferralEvent.branch_id, ReferralEvent.staff_id, ReferralEvent.campaign_id)
    )


def _referral_channel_select(where):
    return (
        select(ReferralEvent.day, ReferralEvent.branch_id, ReferralEvent.staff_id, ReferralEvent.share_channel,
               func.count())
        .where(where, ReferralEvent.stage == ReferralStage.CONVERT.value, ReferralEvent.reversed_on.is_(None),
               ReferralEvent.share_channel != "")
        .group_by(ReferralEvent.day, ReferralEvent.branch_id, ReferralEvent.staff_id, ReferralEvent.share_channel)
    )


def _group_kind_select(where):
    return (
        select(
            GroupDaily.day, GroupDaily.branch_id, SocialGroup.kind, func.count(),
            func.sum(GroupDaily.members), func.sum(GroupDaily.joins), func.sum(GroupDaily.leaves),
            func.sum(GroupDaily.active_members), func.sum(GroupDaily.messages), func.sum(GroupDaily.customer_messages),
            func.sum(GroupDaily.customer_questions), func.sum(GroupDaily.staff_replies),
            func.sum(GroupDaily.answered_within_10min),
        )
        .join(SocialGroup, SocialGroup.id == GroupDaily.group_id)
        .where(where)
        .group_by(GroupDaily.day, GroupDaily.branch_id, SocialGroup.kind)
    )


def _campaign_deposit_select(where):
    return (
        select(
            CampaignDeposit.day, CampaignDeposit.campaign_id, CampaignDeposit.branch_id, CampaignDeposit.village_id,
            CampaignDeposit.staff_id, func.count(), func.count(func.distinct(CampaignDeposit.customer_id)),
            func.sum(CampaignDeposit.amount),
        )
        .where(where)
        .group_by(CampaignDeposit.day, CampaignDeposit.campaign_id, CampaignDeposit.branch_id,
                  CampaignDeposit.village_id, CampaignDeposit.staff_id)
    )


# rollup table -> (raw table, builder of the aggregating SELECT, rollup columns in SELECT order)
_BUILDERS = {
    ReferralDaily: (ReferralEvent, _referral_daily_select,
                    ["day", "branch_id", "staff_id", "campaign_id", "clicks", "invites", "participants", "conversions",
                     "live_conversions", "live_amount"]),
    ReferralChannelDaily: (ReferralEvent, _referral_channel_select,
                           ["day", "branch_id", "staff_id", "share_channel", "live_conversions"]),
    GroupKindDaily: (GroupDaily, _group_kind_select,
                     ["day", "branch_id", "kind", "groups", "members", "joins", "leaves", "active_members", "messages",
                      "customer_messages", "customer_questions", "staff_replies", "answered_within_10min"]),
    CampaignDepositDaily: (CampaignDeposit, _campaign_deposit_select,
                           ["day", "campaign_id", "branch_id", "village_id", "staff_id", "deposits", "depositors",
                            "amount"]),
}
