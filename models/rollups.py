"""Daily aggregate tables that pages read instead of raw events; raw events stay for drill-down.

Each rollup is rebuilt from the raw rows it summarises by `refresh_rollups`: at the end of seeding,
by `manage.py rollups`, and by any importer after it writes events (for the branches and days it
touched, in the same transaction, so a page never sees events without their rollup).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from sqlalchemy import Date, Index, Integer, and_, case, delete, func, insert, literal, select, true
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, Session, SQLModel

from models.campaign import CampaignDeposit, MigrantCampaign, NameListEntry, SmsMessage, Visit
from models.followers import FollowerDaily
from models.group_rollups import GROUP_RAW_SOURCES, GROUP_ROLLUP_TABLES, GroupActivity, refresh_group_rollups
from models.groups import GroupDaily, SocialGroup
from models.referrals import InviteCode, ReferralEvent, ReferralStage


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


class GroupKindDaily(GroupActivity, table=True):
    """Group activity per day, branch and group kind: the activity chart's source."""

    __table_args__ = (
        Index("ix_group_kind_daily_branch_day", "branch_id", "day"),
        Index("ix_group_kind_daily_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    joins: int = 0
    leaves: int = 0


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


# ---------------------------------------------------------------- referral page: running totals and the batch


class ReferralStaffRunning(SQLModel, table=True):
    """Cumulative referral counts per code owner (and branch) up to each day with events, per campaign
    (`campaign_key` = campaign id) and for every campaign together (`campaign_key` = 0). A period's total
    per staff member is the row at its end minus the row before its start: two index lookups per staff
    member, however long the period."""

    __table_args__ = {"sqlite_with_rowid": False}

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
        Index("ix_referral_reward_basis_day", "day"),
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


ROLLUP_TABLES = (ReferralDaily, ReferralMonthly, ReferralChannelDaily, GroupKindDaily, CampaignDepositDaily,
                 CampaignVillageDaily, CampaignStaffDaily, FollowerBranchDaily, FollowerDayTotal, *REFERRAL_BATCH_TABLES,
                 *GROUP_ROLLUP_TABLES)
# Which raw table each rollup summarises (the regression test checks pages do not read these).
RAW_SOURCES = {ReferralDaily: ReferralEvent, ReferralMonthly: ReferralEvent, ReferralChannelDaily: ReferralEvent,
               GroupKindDaily: GroupDaily, CampaignDepositDaily: CampaignDeposit, CampaignVillageDaily: NameListEntry,
               CampaignStaffDaily: NameListEntry, FollowerBranchDaily: FollowerDaily, FollowerDayTotal: FollowerDaily,
               **dict.fromkeys(REFERRAL_BATCH_TABLES, ReferralEvent), **GROUP_RAW_SOURCES}
# Raw tables summarised by a rollup besides its RAW_SOURCES entry: importing them refreshes the rollups too.
ALSO_SUMMARISED = (SmsMessage, Visit, CampaignDeposit)


def _count_if(condition, value=1):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _referral_daily_select(where):
    live = and_(ReferralEvent.stage == ReferralStage.CONVERT.value, ReferralEvent.reversed_on.is_(None))
    return (
        select(
            ReferralEvent.day, ReferralEvent.branch_id, ReferralEvent.staff_id, ReferralEvent.campaign_id,
            _count_if(ReferralEvent.stage == ReferralStage.CLICK.value),
            _count_if(ReferralEvent.stage == ReferralStage.REGISTER.value),
            _count_if(ReferralEvent.stage == ReferralStage.PARTICIPATE.value),
            _count_if(ReferralEvent.stage == ReferralStage.CONVERT.value),
            _count_if(live),
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


def _window(branch_column, day_column, branch_ids: Iterable[int] | None, start: date | None, end: date | None):
    conditions = [true()]
    if branch_ids is not None:
        conditions.append(branch_column.in_(sorted({int(b) for b in branch_ids})))
    if start is not None:
        conditions.append(day_column >= start)
    if end is not None:
        conditions.append(day_column <= end)
    return and_(*conditions)


def _refresh(conn: Connection, branch_ids, start, end, progress) -> dict[str, int]:
    written: dict[str, int] = {}
    if conn.dialect.name == "postgresql":  # the GROUP BYs sort millions of rows: in memory, not on disk
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    for rollup, (raw, build, columns) in _BUILDERS.items():
        started = time.perf_counter()
        table = rollup.__table__
        conn.execute(delete(table).where(_window(table.c.branch_id, table.c.day, branch_ids, start, end)))
        source = build(_window(raw.branch_id, raw.day, branch_ids, start, end))
        conn.execute(insert(table).from_select(columns, source))
        written[table.name] = conn.execute(
            select(func.count()).select_from(table).where(_window(table.c.branch_id, table.c.day, branch_ids, start, end))
        ).scalar_one()
        if progress:
            progress(f"  rollup {table.name}: {written[table.name]:,} rows in {time.perf_counter() - started:.1f}s")
    written[ReferralMonthly.__tablename__] = _refresh_monthly(conn, branch_ids, start, end)
    started = time.perf_counter()
    written.update(_refresh_campaign_lists(conn, branch_ids, start))
    if progress:
        progress(f"  rollup campaign lists: {written[CampaignVillageDaily.__tablename__]:,} village rows, "
                 f"{written[CampaignStaffDaily.__tablename__]:,} staff rows in {time.perf_counter() - started:.1f}s")
    written.update(_refresh_referral_batch(conn, branch_ids, start, progress))
    written.update(refresh_group_rollups(conn, branch_ids, start, end, progress))
    started = time.perf_counter()
    written.update(refresh_follower_rollups(conn, branch_ids, start, end))
    if progress:
        progress(f"  rollup followers: {written[FollowerBranchDaily.__tablename__]:,} branch-day rows in "
                 f"{time.perf_counter() - started:.1f}s")
    if conn.dialect.name == "postgresql":
        for rollup in ROLLUP_TABLES:
            conn.exec_driver_sql(f'ANALYZE "{rollup.__table__.name}"')
    else:
        conn.exec_driver_sql("ANALYZE")
    return written


def _refresh_monthly(conn: Connection, branch_ids, start: date | None, end: date | None) -> int:
    """Rebuild the months that contain [start, end] from ReferralDaily (run after it)."""
    first = month_start(start) if start else None
    last = month_end(end) if end else None
    monthly, daily = ReferralMonthly.__table__, ReferralDaily.__table__
    conn.execute(delete(monthly).where(_window(monthly.c.branch_id, monthly.c.month, branch_ids, first, last)))
    if conn.dialect.name == "postgresql":
        month = func.cast(func.date_trunc("month", daily.c.day), Date)
    else:
        month = func.date(daily.c.day, "start of month")
    sums = [func.sum(daily.c[c]) for c in ("clicks", "invites", "participants", "conversions", "live_conversions",
                                           "live_amount")]
    source = (select(month, daily.c.branch_id, daily.c.staff_id, daily.c.campaign_id, *sums)
              .where(_window(daily.c.branch_id, daily.c.day, branch_ids, first, last))
              .group_by(month, daily.c.branch_id, daily.c.staff_id, daily.c.campaign_id))
    conn.execute(insert(monthly).from_select(
        ["month", "branch_id", "staff_id", "campaign_id", "clicks", "invites", "participants", "conversions",
         "live_conversions", "live_amount"], source))
    return conn.execute(select(func.count()).select_from(monthly).where(
        _window(monthly.c.branch_id, monthly.c.month, branch_ids, first, last))).scalar_one()


def _refresh_campaign_lists(conn: Connection, branch_ids, start: date | None) -> dict[str, int]:
    """Rebuild the village and staff day rows of the given branches for every season whose last day is on
    or after `start` (an event on a day can change the list's state on that day and every later one;
    states are stored from the season's first to its last day)."""
    import pandas as pd

    from models.metrics.campaign import WORKER_FLAGS
    from sample_data.bulk import bulk_insert

    seasons = conn.execute(select(MigrantCampaign.id, MigrantCampaign.spring_festival, MigrantCampaign.start_date,
                                  MigrantCampaign.end_date)
                           .where(true() if start is None else MigrantCampaign.end_date >= start)).all()
    written = {CampaignVillageDaily.__tablename__: 0, CampaignStaffDaily.__tablename__: 0}
    for campaign_id, festival, first_day, last_day in seasons:
        frames = _campaign_list_days(conn, int(campaign_id), branch_ids, festival, first_day, last_day)
        for rollup, key in ((CampaignVillageDaily, "village_id"), (CampaignStaffDaily, "staff_id")):
            table = rollup.__table__
            conn.execute(delete(table).where(table.c.campaign_id == int(campaign_id),
                                             _window(table.c.branch_id, table.c.day, branch_ids, None, None)))
            frame = frames[key]
            if not frame.empty:
                frame = frame.assign(campaign_id=int(campaign_id), day=pd.to_datetime(frame["day"]))
                frame[key] = frame[key].astype("Int64")
                frame["branch_id"] = frame["branch_id"].astype("int64")
                written[table.name] += bulk_insert(
                    conn, table, frame[["day", "campaign_id", "branch_id", key, *WORKER_FLAGS, "deposited"]])
    return written


def _campaign_list_days(conn: Connection, campaign_id: int, branch_ids, festival: date, first_day: date,
                        last_day: date) -> dict:
    """For each day of the season, `worker_flags` summed per (branch, village) and per (branch, staff), with
    the deposits credited to each up to that day."""
    import pandas as pd

    from models.metrics.campaign import WORKER_FLAGS, worker_flags

    sms, visit = SmsMessage.__table__, Visit.__table__
    entry = NameListEntry.__table__
    in_window = and_(entry.c.campaign_id == campaign_id, _window(entry.c.branch_id, entry.c.branch_id, branch_ids,
                                                                  None, None))
    rounds = [visit.alias(f"round{n}") for n in (1, 2, 3)]
    statement = select(entry.c.id.label("entry_id"), entry.c.customer_id, entry.c.branch_id, entry.c.village_id,
                       entry.c.staff_id, entry.c.foreman_customer_id, entry.c.returned_on, entry.c.leaves_on,
                       sms.c.sent_on, sms.c.delivered, sms.c.replied_on,
                       *[r.c.visit_date.label(f"visit{n}_date") for n, r in enumerate(rounds, start=1)])
    statement = statement.select_from(entry).join(sms, sms.c.entry_id == entry.c.id, isouter=True)
    for number, visited in enumerate(rounds, start=1):
        statement = statement.join(visited, and_(visited.c.entry_id == entry.c.id, visited.c.visit_round == number),
                                   isouter=True)
    result = conn.execute(statement.where(in_window))
    entries = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for column in ("returned_on", "leaves_on", "sent_on", "replied_on", "visit1_date", "visit2_date", "visit3_date"):
        entries[column] = pd.to_datetime(entries[column])
    entries["delivered"] = entries["delivered"].astype("boolean")
    first_deposit = conn.execute(
        select(CampaignDeposit.customer_id, func.min(CampaignDeposit.day))
        .where(CampaignDeposit.campaign_id == campaign_id,
               CampaignDeposit.customer_id.in_(select(entry.c.customer_id).where(in_window)))
        .group_by(CampaignDeposit.customer_id)).all()
    converted_on = pd.to_datetime(entries["customer_id"].map(dict(first_deposit)))
    result = conn.execute(
        select(CampaignDeposit.branch_id, CampaignDeposit.village_id, CampaignDeposit.staff_id, CampaignDeposit.day,
               CampaignDeposit.amount)
        .where(CampaignDeposit.campaign_id == campaign_id,
               _window(CampaignDeposit.branch_id, CampaignDeposit.day, branch_ids, None, None)))
    deposits = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    deposits["day"] = pd.to_datetime(deposits["day"])
    deposits["amount"] = deposits["amount"].astype("float64")
    frames: dict[str, list] = {"village_id": [], "staff_id": []}
    for day in pd.date_range(first_day, last_day):
        flags = worker_flags(entries, converted_on, festival, day.date()) if not entries.empty else \
            pd.DataFrame(columns=WORKER_FLAGS)
        flags[["branch_id", "village_id", "staff_id"]] = entries[["branch_id", "village_id", "staff_id"]]
        paid = deposits[deposits["day"] <= day]
        for key in frames:
            keys = ["branch_id", key]
            counts = flags.groupby(keys, dropna=False)[WORKER_FLAGS].sum()
            amounts = paid.groupby(keys, dropna=False)["amount"].sum().rename("deposited")
            both = counts.join(amounts, how="outer")
            frames[key].append(both.reset_index().assign(day=day.date()))
    out = {}
    for key, parts in frames.items():
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if not frame.empty:
            frame[WORKER_FLAGS] = frame[WORKER_FLAGS].fillna(0).astype("int64")
            frame["deposited"] = frame["deposited"].fillna(0.0).astype("float64")
            frame = _dense(frame, key)
        out[key] = frame
    return out


def _dense(frame, key: str):
    """Every key on every day: a key seen on one day (a deposit) gets zero rows on the others, with the
    deposits carried forward (a cumulative figure never drops back to nothing)."""
    import pandas as pd

    keys = frame[["branch_id", key]].drop_duplicates()
    days = pd.DataFrame({"day": sorted(frame["day"].unique())})
    grid = keys.merge(days, how="cross")
    dense = grid.merge(frame, on=["branch_id", key, "day"], how="left")
    counts = [c for c in dense.columns if c not in ("branch_id", key, "day", "deposited")]
    dense[counts] = dense[counts].fillna(0).astype("int64")
    dense = dense.sort_values(["branch_id", key, "day"], na_position="first")
    dense["deposited"] = dense.groupby(["branch_id", key], dropna=False)["deposited"].ffill().fillna(0.0)
    return dense.reset_index(drop=True)


def _refresh_referral_batch(conn: Connection, branch_ids, start: date | None, progress) -> dict[str, int]:
    """The referral page's batch tables for the given branches: running totals from `start` on (a day's
    events change every later total), invitations, reward basis and fraud flags over the branches' whole
    history (a conversion decides earlier registrations; a burst flags later events)."""
    written = {}
    for table, refresh in ((ReferralStaffRunning, _refresh_staff_running), (ReferralStaffWindow, _refresh_staff_windows),
                           (ReferralInvitation, _refresh_invitations),
                           (ReferralRewardBasis, _refresh_reward_basis), (ReferralFraudFlag, _refresh_fraud_flags)):
        started = time.perf_counter()
        written[table.__tablename__] = refresh(conn, branch_ids, start)
        if progress:
            progress(f"  rollup {table.__tablename__}: {written[table.__tablename__]:,} rows in "
                     f"{time.perf_counter() - started:.1f}s")
    return written


def _refresh_staff_running(conn: Connection, branch_ids, start: date | None) -> int:
    table, daily = ReferralStaffRunning.__table__, ReferralDaily.__table__.c
    conn.execute(delete(table).where(_window(table.c.branch_id, table.c.day, branch_ids, start, None)))
    per_day = {"events": daily.clicks + daily.invites + daily.participants + daily.conversions,
               "clicks": daily.clicks, "invites": daily.invites, "participants": daily.participants,
               "live_conversions": daily.live_conversions, "live_amount": daily.live_amount}
    mine = _window(daily.branch_id, daily.day, branch_ids, None, None)  # the whole history: totals start at 0
    whole = [daily.staff_id, daily.branch_id]
    every = (select(daily.staff_id, daily.branch_id, literal(ALL_CAMPAIGNS, Integer).label("campaign_key"), daily.day,
                    *[func.sum(func.sum(v)).over(partition_by=whole, order_by=daily.day).label(k) for k, v in per_day.items()])
             .where(mine).group_by(daily.staff_id, daily.branch_id, daily.day))
    each = (select(daily.staff_id, daily.branch_id, daily.campaign_id.label("campaign_key"), daily.day,
                   *[func.sum(v).over(partition_by=[*whole, daily.campaign_id], order_by=daily.day).label(k)
                     for k, v in per_day.items()])
            .where(mine, daily.campaign_id.is_not(None)))
    columns = ["staff_id", "branch_id", "campaign_key", "day", *per_day]
    for source in (every, each):
        rows = source.subquery()
        kept = select(*[rows.c[c] for c in columns])
        conn.execute(insert(table).from_select(columns, kept if start is None else kept.where(rows.c.day >= start)))
    return conn.execute(select(func.count()).select_from(table).where(
        _window(table.c.branch_id, table.c.day, branch_ids, start, None))).scalar_one()


def _refresh_staff_windows(conn: Connection, branch_ids, _start: date | None) -> int:
    """Rebuild the preset windows from the running totals (run after them): only the branches touched
    while the last day with events stays the same, every branch when it moves (every window moves)."""
    from models.metrics.referrals import LEADERBOARD_WINDOWS, running_totals_statement
    from models.scope import Scope

    table, running = ReferralStaffWindow.__table__, ReferralStaffRunning.__table__
    end = conn.execute(select(func.max(running.c.day))).scalar()
    stored_end = conn.execute(select(func.max(table.c.end_day))).scalar()
    partial = branch_ids is not None and end is not None and stored_end == end
    if partial:
        ids = sorted({int(b) for b in branch_ids})
        conn.execute(delete(table).where(table.c.branch_id.in_(ids)))
        scope = Scope.for_branches(ids)
    else:
        conn.execute(delete(table))
        scope = Scope.head_office()
    if end is None:
        return 0
    keys = [ALL_CAMPAIGNS, *sorted(k for k in conn.execute(select(running.c.campaign_key).distinct()).scalars()
                                   if k != ALL_CAMPAIGNS)]
    columns = ["staff_id", "branch_id", "events", "clicks", "invites", "participants", "conversions",
               "conversion_amount"]
    # Each preset ending on the last day, and the period before it (the leaderboard's "change since").
    for days, window_end in ((d, e) for d in LEADERBOARD_WINDOWS for e in (end, end - timedelta(days=d))):
        for key in keys:
            totals = running_totals_statement(scope, window_end - timedelta(days=days - 1), window_end,
                                              int(key)).subquery()
            source = select(*[totals.c[c] for c in columns], literal(int(key), Integer), literal(days, Integer),
                            literal(window_end, Date))
            conn.execute(insert(table).from_select([*columns, "campaign_key", "window_days", "end_day"], source))
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _live_conversion(events):
    return and_(events.c.stage == ReferralStage.CONVERT.value, events.c.reversed_on.is_(None),
                events.c.customer_id.is_not(None))


def _refresh_invitations(conn: Connection, branch_ids, _start: date | None) -> int:
    table = ReferralInvitation.__table__
    conn.execute(delete(table).where(_window(table.c.branch_id, table.c.registered_on, branch_ids, None, None)))
    registered, converted = ReferralEvent.__table__.alias("registered"), ReferralEvent.__table__.alias("converted")
    owners = true() if branch_ids is None else converted.c.staff_id.in_(
        select(InviteCode.staff_id).where(InviteCode.branch_id.in_(sorted({int(b) for b in branch_ids}))))
    first = (select(converted.c.staff_id, converted.c.customer_id, func.min(converted.c.day).label("first_day"))
             .where(_live_conversion(converted), owners)
             .group_by(converted.c.staff_id, converted.c.customer_id)).subquery()
    source = (select(registered.c.staff_id, registered.c.branch_id, registered.c.campaign_id, registered.c.customer_id,
                     registered.c.day, first.c.first_day)
              .join_from(registered, first, and_(first.c.staff_id == registered.c.staff_id,
                                                 first.c.customer_id == registered.c.customer_id))
              .where(registered.c.stage == ReferralStage.REGISTER.value,
                     _window(registered.c.branch_id, registered.c.day, branch_ids, None, None)))
    conn.execute(insert(table).from_select(["staff_id", "branch_id", "campaign_id", "customer_id", "registered_on",
                                            "converted_on"], source))
    return conn.execute(select(func.count()).select_from(table).where(
        _window(table.c.branch_id, table.c.registered_on, branch_ids, None, None))).scalar_one()


def _refresh_reward_basis(conn: Connection, branch_ids, start: date | None) -> int:
    """Customers with a conversion in the window get their first live effective conversion again
    (it may now be an earlier one, or another branch's)."""
    table, events = ReferralRewardBasis.__table__, ReferralEvent.__table__
    everything = branch_ids is None and start is None
    touched = select(events.c.customer_id).where(
        events.c.stage == ReferralStage.CONVERT.value, events.c.customer_id.is_not(None),
        _window(events.c.branch_id, events.c.day, branch_ids, start, None))
    conn.execute(delete(table) if everything else delete(table).where(table.c.customer_id.in_(touched)))
    ranked = (select(events.c.id, events.c.staff_id, events.c.branch_id, events.c.customer_id, events.c.customer_kind,
                     events.c.campaign_id, events.c.day,
                     func.row_number().over(partition_by=events.c.customer_id,
                                            order_by=(events.c.day, events.c.id)).label("position"))
              .where(_live_conversion(events), events.c.effective.is_(True),
                     true() if everything else events.c.customer_id.in_(touched))).subquery()
    columns = ["event_id", "staff_id", "branch_id", "customer_id", "customer_kind", "campaign_id", "day"]
    conn.execute(insert(table).from_select(columns, select(*[ranked.c[c] for c in ["id", *columns[1:]]])
                                           .where(ranked.c.position == 1)))
    return conn.execute(select(func.count()).select_from(table).where(
        _window(table.c.branch_id, table.c.day, branch_ids, start, None))).scalar_one()


def _refresh_fraud_flags(conn: Connection, branch_ids, _start: date | None) -> int:
    from models.metrics.org import read_frame
    from models.metrics.referrals import fraud_flags, fraud_reference
    from models.scope import Scope

    table, events = ReferralFraudFlag.__table__, ReferralEvent.__table__
    scope = Scope.head_office() if branch_ids is None else Scope.for_branches(branch_ids)
    conn.execute(delete(table).where(scope.clause(table.c.branch_id)))
    checked = read_frame(conn, select(
        events.c.id.label("event_id"), events.c.code_id, events.c.staff_id, events.c.branch_id, events.c.customer_id,
        events.c.stage, events.c.day, events.c.device_id, events.c.phone_prefix, events.c.reversed_on,
    ).where(scope.clause(events.c.branch_id),
            events.c.stage.in_([ReferralStage.REGISTER.value, ReferralStage.CONVERT.value])).order_by(events.c.id))
    staff, customers = fraud_reference(conn, scope)
    flags = fraud_flags(checked, staff, customers)
    if flags.empty:
        return 0
    rows = flags.merge(checked[["event_id", "branch_id", "day", "stage"]], on="event_id")
    rows["customer_id"] = rows["customer_id"].astype("Int64").astype(object).where(rows["customer_id"].notna(), None)
    records = [{k: (int(v) if k in ("event_id", "staff_id", "branch_id") else v) for k, v in r.items()}
               for r in rows[["event_id", "rule", "branch_id", "staff_id", "customer_id", "day", "stage", "detail"]]
               .to_dict("records")]
    conn.execute(insert(table), records)
    return len(records)


def refresh_follower_rollups(conn: Connection, branch_ids, start: date | None, end: date | None) -> dict[str, int]:
    """Rebuild the follower rollups: for the given branches, their rows from `start` to their last day (a
    day's figures move the running totals and the drop signal of every later day; each branch's whole
    history is read so the signal is judged as over a full rebuild), and the bank's day totals of
    [start, end]."""
    import pandas as pd

    from models.metrics.followers import drop_days
    from sample_data.bulk import bulk_insert

    branch_table, total_table = FollowerBranchDaily.__table__, FollowerDayTotal.__table__
    raw = FollowerDaily.__table__
    result = conn.execute(
        select(raw.c.branch_id, raw.c.day, func.sum(raw.c.new_follows), func.sum(raw.c.unfollows),
               func.sum(raw.c.net_follows), func.sum(raw.c.cumulative))
        .where(_window(raw.c.branch_id, raw.c.day, branch_ids, None, None))
        .group_by(raw.c.branch_id, raw.c.day).order_by(raw.c.branch_id, raw.c.day))
    names = ["branch_id", "day", "new_follows", "unfollows", "net_follows", "cumulative"]
    rows = result.fetchall()
    frame = pd.DataFrame(dict(zip(names, (list(c) for c in zip(*rows, strict=True)), strict=True))) if rows \
        else pd.DataFrame(columns=names)
    conn.execute(delete(branch_table).where(_window(branch_table.c.branch_id, branch_table.c.day, branch_ids,
                                                    start, None)))
    written = 0
    if not frame.empty:
        frame["day"] = pd.to_datetime(frame["day"])
        for column in names[2:]:
            frame[column] = frame[column].astype("int64")
        written = bulk_insert(conn, branch_table, _follower_branch_days(frame, drop_days, start))
    conn.execute(delete(total_table).where(_window(total_table.c.day, total_table.c.day, None, start, end)))
    conn.execute(insert(total_table).from_select(
        ["day", "new_follows", "unfollows", "net_follows", "cumulative"],
        select(raw.c.day, func.sum(raw.c.new_follows), func.sum(raw.c.unfollows), func.sum(raw.c.net_follows),
               func.sum(raw.c.cumulative))
        .where(_window(raw.c.day, raw.c.day, None, start, end)).group_by(raw.c.day)))
    return {branch_table.name: written, total_table.name: conn.execute(
        select(func.count()).select_from(total_table)
        .where(_window(total_table.c.day, total_table.c.day, None, start, end))).scalar_one()}


def _follower_branch_days(frame, drop_days, start: date | None):
    """The FollowerBranchDaily rows of `frame` (per branch and day, every day of each branch's history)."""
    import numpy as np
    import pandas as pd

    frame = frame.sort_values(["branch_id", "day"], kind="stable").reset_index(drop=True)
    per_branch = frame.groupby("branch_id", sort=False)
    signal = drop_days(frame)  # same order: sorted by branch and day
    run = signal.loc[signal["flagged"], "run"]
    flagged_rows = signal[signal["flagged"]]
    per_run = flagged_rows.groupby(run, sort=False)
    out = pd.DataFrame({
        "branch_id": frame["branch_id"], "day": frame["day"],
        "next_day": per_branch["day"].shift(-1),
        "new_follows": frame["new_follows"], "unfollows": frame["unfollows"], "net_follows": frame["net_follows"],
        "cumulative": frame["cumulative"],
        "days_to_date": per_branch.cumcount() + 1,
        "new_to_date": per_branch["new_follows"].cumsum(), "unfollows_to_date": per_branch["unfollows"].cumsum(),
        "net_to_date": per_branch["net_follows"].cumsum(),
        "rolling_net": signal["rolling"].round().astype("Int64"),
        "baseline_net": signal["baseline"].astype(float),
        "flagged": signal["flagged"].astype(bool), "negative": signal["negative"].astype(bool),
    })
    out["run_start"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out.loc[flagged_rows.index, "run_start"] = per_run["day"].transform("first")
    out["run_days"] = 0
    out.loc[flagged_rows.index, "run_days"] = per_run.cumcount() + 1
    out["run_net"] = 0
    out.loc[flagged_rows.index, "run_net"] = per_run["net"].cumsum().astype("int64")
    out["run_worst_net"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out.loc[flagged_rows.index, "run_worst_net"] = per_run["rolling"].cummin().round().astype("int64")
    out["run_any_negative"] = False
    out.loc[flagged_rows.index, "run_any_negative"] = per_run["negative"].cummax().astype(bool)
    out["run_any_negative"] = out["run_any_negative"].astype(bool)
    out["baseline_net"] = np.where(out["baseline_net"].isna(), np.nan, out["baseline_net"])
    if start is not None:
        out = out[out["day"] >= pd.Timestamp(start)]
    return out.reset_index(drop=True)


def refresh_for_rows(session: Session, table, rows) -> None:
    """For importers: after writing `rows` (a DataFrame with branch_id and day) into a raw table that a
    rollup summarises, rebuild the rollups of those branches and days in the same transaction."""
    summarised = {raw.__table__.name for raw in (*RAW_SOURCES.values(), *ALSO_SUMMARISED)}
    if table.name not in summarised or rows is None or rows.empty:
        return
    import pandas as pd

    branch_ids = None
    if "branch_id" in rows.columns and rows["branch_id"].notna().all():
        branch_ids = {int(b) for b in rows["branch_id"]}
    start = end = None
    if "day" in rows.columns and rows["day"].notna().all():
        days = pd.to_datetime(rows["day"])
        start, end = days.min().date(), days.max().date()
    refresh_rollups(session, branch_ids, start, end)


def refresh_rollups(
    engine: Engine | Connection | Session, branch_ids: Iterable[int] | None = None, start: date | None = None,
    end: date | None = None, progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Rebuild every rollup for the given branches (None: all) and days (None: open-ended) from the raw
    events. Given an engine it commits its own transaction; given a connection or session (an importer's)
    it writes inside the caller's transaction."""
    if isinstance(engine, Session):
        return _refresh(engine.connection(), branch_ids, start, end, progress)
    if isinstance(engine, Connection):
        return _refresh(engine, branch_ids, start, end, progress)
    with engine.begin() as conn:
        return _refresh(conn, branch_ids, start, end, progress)


__all__ = ["ALL_CAMPAIGNS", "ALSO_SUMMARISED", "ROLLUP_TABLES", "RAW_SOURCES", "CampaignDepositDaily",
           "CampaignStaffDaily", "CampaignVillageDaily", "FollowerBranchDaily", "FollowerDayTotal", "GroupKindDaily",
           "ReferralChannelDaily", "ReferralDaily", "ReferralFraudFlag", "ReferralInvitation", "ReferralMonthly",
           "ReferralRewardBasis", "ReferralStaffRunning", "ReferralStaffWindow", "refresh_follower_rollups",
           "refresh_for_rows", "refresh_rollups", "whole_months"]
