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

from models.campaign import CampaignDeposit
from models.group_rollups import GROUP_RAW_SOURCES, GROUP_ROLLUP_TABLES, refresh_group_rollups
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


ROLLUP_TABLES = (ReferralDaily, ReferralMonthly, ReferralChannelDaily, GroupKindDaily, CampaignDepositDaily,
                 *GROUP_ROLLUP_TABLES)
# Which raw table each rollup summarises (the regression test checks pages do not read these).
RAW_SOURCES = {ReferralDaily: ReferralEvent, ReferralMonthly: ReferralEvent, ReferralChannelDaily: ReferralEvent, GroupKindDaily: GroupDaily,
               CampaignDepositDaily: CampaignDeposit, **GROUP_RAW_SOURCES}


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
    written.update(refresh_group_rollups(conn, branch_ids, start, end, progress))
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


def refresh_for_rows(session: Session, table, rows) -> None:
    """For importers: after writing `rows` (a DataFrame with branch_id and day) into a raw table that a
    rollup summarises, rebuild the rollups of those branches and days in the same transaction."""
    if table.name not in {raw.__table__.name for raw in RAW_SOURCES.values()} or rows is None or rows.empty:
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


__all__ = ["ROLLUP_TABLES", "RAW_SOURCES", "CampaignDepositDaily", "GroupKindDaily", "ReferralChannelDaily",
           "ReferralDaily", "ReferralMonthly", "refresh_for_rows", "refresh_rollups", "whole_months"]
