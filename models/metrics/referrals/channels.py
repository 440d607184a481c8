"""The referral funnel, promotion channels and internal referrals between staff."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from models.measures.referrals import channel_performance, funnel_table, internal_referral_table
from models.metrics.referrals.common import staff_in_scope
from models.metrics.referrals.leaderboard import referral_totals
from models.referrals import InternalReferral, ReferralStage, ShareEvent
from models.rollup_tables.referrals import ReferralChannelDaily
from models.scope import Scope
from models.store.frames import read_frame


def funnel_counts(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
    staff_id: int | None = None,
) -> pd.DataFrame:
    """People at each funnel stage (conversions not reversed) in the period: the leaderboard's running
    totals summed over the code owners (or one owner)."""
    totals = referral_totals(session, scope, start, end, campaign_id, staff_id)
    stages = {ReferralStage.CLICK.value: "clicks", ReferralStage.REGISTER.value: "invites",
              ReferralStage.PARTICIPATE.value: "participants", ReferralStage.CONVERT.value: "conversions"}
    frame = pd.DataFrame({"stage": list(stages), "events": [totals[c] for c in stages.values()]})
    return frame[frame["events"] > 0].reset_index(drop=True).astype({"events": "int64"})


def share_totals(session: Session, scope: Scope, start: date, end: date, staff_id: int | None = None) -> pd.DataFrame:
    statement = (
        select(ShareEvent.channel, func.sum(ShareEvent.shares).label("shares"),
               func.sum(ShareEvent.clicks).label("clicks"))
        .where(scope.clause(ShareEvent.branch_id), ShareEvent.day.between(start, end))
        .group_by(ShareEvent.channel)
    )
    if staff_id is not None:
        statement = statement.where(ShareEvent.staff_id == int(staff_id))
    return read_frame(session, statement)


def conversions_by_channel(
    session: Session, scope: Scope, start: date, end: date, staff_id: int | None = None
) -> pd.DataFrame:
    statement = (
        select(ReferralChannelDaily.share_channel.label("channel"),
               func.sum(ReferralChannelDaily.live_conversions).label("conversions"))
        .where(scope.clause(ReferralChannelDaily.branch_id), ReferralChannelDaily.day.between(start, end))
        .group_by(ReferralChannelDaily.share_channel)
    )
    if staff_id is not None:
        statement = statement.where(ReferralChannelDaily.staff_id == int(staff_id))
    return read_frame(session, statement)


def internal_referral_counts(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Per referring teller / lobby manager: referrals made by outcome."""
    statement = (
        select(InternalReferral.from_staff_id.label("staff_id"), InternalReferral.outcome,
               func.count().label("referrals"))
        .where(scope.clause(InternalReferral.branch_id), InternalReferral.day.between(start, end))
        .group_by(InternalReferral.from_staff_id, InternalReferral.outcome)
    )
    return read_frame(session, statement)


def funnel(session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
           staff_id: int | None = None) -> pd.DataFrame:
    return funnel_table(funnel_counts(session, scope, start, end, campaign_id, staff_id))


def promotion_channels(session: Session, scope: Scope, start: date, end: date, staff_id: int | None = None) -> pd.DataFrame:
    return channel_performance(share_totals(session, scope, start, end, staff_id),
                               conversions_by_channel(session, scope, start, end, staff_id))


def internal_referrals(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    return internal_referral_table(internal_referral_counts(session, scope, start, end), staff_in_scope(session, scope))
