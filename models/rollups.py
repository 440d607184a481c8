"""Daily aggregate tables that pages read instead of raw events; raw events stay for drill-down.

Each rollup is rebuilt from the raw rows it summarises by `refresh_rollups`: at the end of seeding,
by `manage.py rollups`, and by any importer after it writes events (for the branches and days it
touched, in the same transaction, so a page never sees events without their rollup).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from sqlalchemy import Date, Index, and_, case, delete, func, insert, select, true
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, Session, SQLModel

from models.campaign import CampaignDeposit, MigrantCampaign, NameListEntry, SmsMessage, Visit
from models.followers import FollowerDaily
from models.groups import GroupDaily, SocialGroup
from models.referrals import ReferralEvent, ReferralStage


class ReferralDaily(SQLModel, table=True):
    """Referral events per day, code owner and campaign: the leaderboard's and funnel's source."""

    __table_args__ = (
        Index("ix_referral_daily_branch_day", "branch_id", "day"),
        Index("ix_referral_daily_day", "day"),
        Index("ix_referral_daily_campaign_day", "campaign_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int = Field(foreign_key="staff.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    clicks: int = 0
    invites: int = 0
    participants: int = 0
    conversions: int = 0
    live_conversions: int = 0
    live_amount: float = 0.0


class ReferralMonthly(SQLModel, table=True):
    """ReferralDaily summed per calendar month: a period's whole months are read here, its edge days from
    ReferralDaily, so a quarter's leaderboard reads a few rows per staff member instead of one per day."""

    __table_args__ = (
        Index("ix_referral_monthly_branch_month", "branch_id", "month"),
        Index("ix_referral_monthly_month", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int = Field(foreign_key="staff.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    clicks: int = 0
    invites: int = 0
    participants: int = 0
    conversions: int = 0
    live_conversions: int = 0
    live_amount: float = 0.0


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


class GroupKindDaily(SQLModel, table=True):
    """Group activity per day, branch and group kind: the activity chart's source."""

    __table_args__ = (
        Index("ix_group_kind_daily_branch_day", "branch_id", "day"),
        Index("ix_group_kind_daily_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    branch_id: int = Field(foreign_key="branch.id")
    kind: str = Field(max_length=24)
    groups: int = 0
    members: int = 0
    joins: int = 0
    leaves: int = 0
    active_members: int = 0
    messages: int = 0
    customer_messages: int = 0
    customer_questions: int = 0
    staff_replies: int = 0
    answered_within_10min: int = 0


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
                 CampaignVillageDaily, CampaignStaffDaily, FollowerBranchDaily, FollowerDayTotal)
# Which raw table each rollup summarises (the regression test checks pages do not read these).
RAW_SOURCES = {ReferralDaily: ReferralEvent, ReferralMonthly: ReferralEvent, ReferralChannelDaily: ReferralEvent, GroupKindDaily: GroupDaily,
               CampaignDepositDaily: CampaignDeposit, CampaignVillageDaily: NameListEntry, CampaignStaffDaily: NameListEntry,
               FollowerBranchDaily: FollowerDaily, FollowerDayTotal: FollowerDaily}
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


__all__ = ["ALSO_SUMMARISED", "ROLLUP_TABLES", "RAW_SOURCES", "CampaignDepositDaily", "CampaignStaffDaily",
           "CampaignVillageDaily", "FollowerBranchDaily", "FollowerDayTotal", "GroupKindDaily", "ReferralChannelDaily",
           "ReferralDaily", "ReferralMonthly", "refresh_follower_rollups", "refresh_for_rows", "refresh_rollups",
           "whole_months"]
