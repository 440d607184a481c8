"""Group activity over a period: running-total summaries, dormancy, activity by kind and reply times."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Date, and_, case, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.groups import GroupDaily, SocialGroup
from models.measures.groups import DEFAULT_DORMANT_DAYS, median_reply_by_key
from models.metrics.groups.common import ACTIVITY_COLUMNS, SUMMARY_COLUMNS, group_owners
from models.org import Branch, Staff
from models.rollup_tables.groups import (
    ALL_KINDS,
    GroupBankDaily,
    GroupKindDaily,
    GroupLatest,
    GroupReplyBankDaily,
    GroupRunning,
)
from models.scope import Scope
from models.store.frames import read_frame


def running_days(scope: Scope, kind: str | None, group_ids: list[int] | None = None, dense: bool = False,
                  **days: date):
    """Per group of the scope (or of `group_ids` among them): for each named day, the day of its latest
    `GroupRunning` row on or before it. With `dense` (every group in scope has a row on each of its days,
    see `all_dense`) that is the day itself, or the group's last day when later: no search per group."""
    def latest(day: date):
        if dense:
            return case((GroupLatest.day < day, GroupLatest.day), else_=literal(day, Date))
        return (select(func.max(GroupRunning.day)).where(GroupRunning.group_id == SocialGroup.id, GroupRunning.day <= day)
                .correlate(SocialGroup).scalar_subquery())

    statement = select(SocialGroup.id.label("group_id"), SocialGroup.created_on, SocialGroup.staff_id,
                       *[latest(day).label(name) for name, day in days.items()]).where(scope.clause(SocialGroup.branch_id))
    if dense:
        statement = statement.join(GroupLatest, GroupLatest.group_id == SocialGroup.id, isouter=True)
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    if group_ids is not None:
        statement = statement.where(SocialGroup.id.in_(sorted(int(g) for g in group_ids)))
    return statement.subquery()


def all_dense(session: Session, scope: Scope) -> bool:
    """Whether every group of the scope with figures has a running row on each day of its span."""
    return session.execute(select(func.count()).select_from(GroupLatest)
                           .where(scope.clause(GroupLatest.branch_id), GroupLatest.dense.is_(False))).scalar_one() == 0


def running_at(days, name: str):
    """(alias, join condition) for the `GroupRunning` row on the day `days.c[name]`."""
    alias = aliased(GroupRunning, name=f"running_{name}")
    return alias, and_(alias.group_id == days.c.group_id, alias.day == days.c[name])


def group_period_summary(
    session: Session, scope: Scope, start: date, end: date, trend_days: int = 30, kind: str | None = None,
    group_ids: list[int] | None = None, trend: bool = True,
) -> pd.DataFrame:
    """Per group over [start, end]: member-days, active member-days, messages, questions, replies,
    members on the last day, and customer messages in the last `trend_days` up to `end` vs the
    `trend_days` before those (read even when they fall before `start`). Read from the running totals:
    each figure is the total up to `end` minus the total before the window."""
    recent_from = end - timedelta(days=trend_days - 1)
    previous_from = end - timedelta(days=2 * trend_days - 1)
    one = timedelta(days=1)
    trend_days_before = {"recent": recent_from - one, "previous": previous_from - one} if trend else {}
    days = running_days(scope, kind, group_ids, all_dense(session, scope), last=end, before=start - one,
                         **trend_days_before)
    last, on_last = running_at(days, "last")
    before, on_before = running_at(days, "before")

    def between(later, earlier, column: str):
        return func.coalesce(getattr(later, column), 0) - func.coalesce(getattr(earlier, column), 0)

    sums = ["days", "member_days", "active_member_days", "messages", "customer_messages", "customer_questions",
            "staff_replies", "answered_within_10min", "joins", "leaves"]
    statement = (
        select(days.c.group_id, *[between(last, before, c).label(c) for c in sums],
               case((last.day == end, last.members), else_=0).label("members_end"))
        .select_from(days)
        .join(last, on_last)
        .outerjoin(before, on_before)
        .where(between(last, before, "days") > 0)
        .order_by(days.c.group_id)
    )
    if trend:
        recent, on_recent = running_at(days, "recent")
        previous, on_previous = running_at(days, "previous")
        statement = statement.add_columns(
            between(last, recent, "customer_messages").label("recent_messages"),
            between(recent, previous, "customer_messages").label("previous_messages"),
        ).outerjoin(recent, on_recent).outerjoin(previous, on_previous)
    else:  # the caller does not read the trend: two lookups per group instead of four
        statement = statement.add_columns(literal(0).label("recent_messages"), literal(0).label("previous_messages"))
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in SUMMARY_COLUMNS})
    return frame[SUMMARY_COLUMNS].astype(dict.fromkeys(SUMMARY_COLUMNS, "int64"))


def group_period_summary_raw(
    session: Session, scope: Scope, start: date, end: date, trend_days: int = 30, kind: str | None = None
) -> pd.DataFrame:
    """`group_period_summary` summed from the raw group days (the reference the running totals must equal)."""
    recent_from = end - timedelta(days=trend_days - 1)
    previous_from = end - timedelta(days=2 * trend_days - 1)
    in_period = GroupDaily.day >= start

    def period_sum(column, label: str):
        return func.sum(case((in_period, column), else_=0)).label(label)

    statement = (
        select(
            GroupDaily.group_id,
            period_sum(1, "days"),
            period_sum(GroupDaily.members, "member_days"),
            period_sum(GroupDaily.active_members, "active_member_days"),
            period_sum(GroupDaily.messages, "messages"),
            period_sum(GroupDaily.customer_messages, "customer_messages"),
            period_sum(GroupDaily.customer_questions, "customer_questions"),
            period_sum(GroupDaily.staff_replies, "staff_replies"),
            period_sum(GroupDaily.answered_within_10min, "answered_within_10min"),
            period_sum(GroupDaily.joins, "joins"),
            period_sum(GroupDaily.leaves, "leaves"),
            func.sum(case((GroupDaily.day == end, GroupDaily.members), else_=0)).label("members_end"),
            func.sum(case((GroupDaily.day >= recent_from, GroupDaily.customer_messages), else_=0)).label("recent_messages"),
            func.sum(case((and_(GroupDaily.day >= previous_from, GroupDaily.day < recent_from),
                           GroupDaily.customer_messages), else_=0)).label("previous_messages"),
        )
        .join(SocialGroup, SocialGroup.id == GroupDaily.group_id)
        .where(scope.clause(GroupDaily.branch_id), GroupDaily.day.between(min(start, previous_from), end))
        .group_by(GroupDaily.group_id)
        .having(func.sum(case((in_period, 1), else_=0)) > 0)
        .order_by(GroupDaily.group_id)
    )
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    frame = read_frame(session, statement)
    columns = ["group_id", "days", "member_days", "active_member_days", "messages", "customer_messages",
               "customer_questions", "staff_replies", "answered_within_10min", "joins", "leaves", "members_end",
               "recent_messages", "previous_messages"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    return frame.astype(dict.fromkeys(columns, "int64"))


def last_customer_message(session: Session, scope: Scope, end: date, kind: str | None = None) -> pd.DataFrame:
    """Per group, the last day up to `end` on which a customer posted (groups that never had one are absent),
    from the running totals' row on or before `end`."""
    days = running_days(scope, kind, dense=all_dense(session, scope), last=end)
    last, on_last = running_at(days, "last")
    statement = (select(days.c.group_id, last.last_message_day).select_from(days).join(last, on_last)
                 .where(last.last_message_day.is_not(None)))
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({"group_id": pd.Series(dtype="int64"), "last_message_day": pd.Series(dtype="datetime64[ns]")})
    frame["last_message_day"] = pd.to_datetime(frame["last_message_day"])
    return frame


def _silence(session: Session, scope: Scope, end: date, kind: str | None):
    """Per group of the scope: id, created_on and the last customer message on or before `end` — from
    `GroupLatest` when every group's latest day is on or before `end`, else one running lookup per group."""
    latest_day = session.execute(select(func.max(GroupLatest.day)).where(scope.clause(GroupLatest.branch_id))).scalar()
    if latest_day is None or pd.Timestamp(latest_day).date() <= end:
        statement = (select(SocialGroup.id.label("group_id"), SocialGroup.created_on, GroupLatest.last_message_day)
                     .join(GroupLatest, GroupLatest.group_id == SocialGroup.id, isouter=True)
                     .where(scope.clause(SocialGroup.branch_id)))
        if kind:
            statement = statement.where(SocialGroup.kind == kind)
        return statement.subquery()
    days = running_days(scope, kind, dense=all_dense(session, scope), last=end)
    last, on_last = running_at(days, "last")
    return (select(days.c.group_id, days.c.created_on, last.last_message_day)
            .select_from(days).outerjoin(last, on_last)).subquery()


def _silent_since(silence):
    return func.coalesce(silence.c.last_message_day, silence.c.created_on)


def group_counts(session: Session, scope: Scope, end: date, dormant_days: int = DEFAULT_DORMANT_DAYS,
                 kind: str | None = None) -> tuple[int, int]:
    """Groups created by `end`, and how many of them are dormant on `end` (see `dormant_groups`)."""
    silence = _silence(session, scope, end, kind)
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case(
            (_silent_since(silence) <= end - timedelta(days=dormant_days), 1), else_=0)), 0))
        .where(silence.c.created_on <= end)
    ).one()
    return int(row[0]), int(row[1])


DORMANT_COLUMNS = ["group_id", "group_name", "kind", "branch_id", "branch_name", "staff_id", "staff_name", "last_message_day",
                   "days_silent"]


def dormant_group_list(session: Session, scope: Scope, end: date, dormant_days: int = DEFAULT_DORMANT_DAYS,
                       kind: str | None = None) -> pd.DataFrame:
    """The dormant groups on `end` with their names, longest silence first (as `dormant_groups`)."""
    silence = _silence(session, scope, end, kind)
    statement = (
        select(silence.c.group_id, SocialGroup.name.label("group_name"), SocialGroup.kind, SocialGroup.branch_id,
               Branch.name.label("branch_name"), SocialGroup.staff_id, Staff.name.label("staff_name"),
               silence.c.last_message_day,
               silence.c.created_on)
        .join(SocialGroup, SocialGroup.id == silence.c.group_id)
        .join(Branch, Branch.id == SocialGroup.branch_id)
        .join(Staff, Staff.id == SocialGroup.staff_id, isouter=True)
        .where(silence.c.created_on <= end, _silent_since(silence) <= end - timedelta(days=dormant_days))
    )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame(columns=DORMANT_COLUMNS)
    frame["last_message_day"] = pd.to_datetime(frame["last_message_day"])
    since = frame["last_message_day"].fillna(pd.to_datetime(frame["created_on"]))
    frame["days_silent"] = (pd.Timestamp(end) - since).dt.days.astype("int64")
    return frame.sort_values(["days_silent", "group_id"], ascending=[False, True])[DORMANT_COLUMNS].reset_index(drop=True)


def bank_period_totals(session: Session, start: date, end: date, kind: str | None = None) -> pd.DataFrame:
    """The whole bank's sums over [start, end] as one summary row (no row without group days), for `kpis_from`."""
    daily = GroupBankDaily
    statement = select(func.count().label("rows"), func.sum(daily.members).label("member_days"),
                       func.sum(daily.active_members).label("active_member_days"),
                       func.sum(daily.messages).label("messages"),
                       func.sum(daily.customer_questions).label("customer_questions"),
                       func.sum(daily.answered_within_10min).label("answered_within_10min")) \
        .where(daily.day.between(start, end))
    if kind:
        statement = statement.where(daily.kind == kind)
    frame = read_frame(session, statement)
    columns = ["member_days", "active_member_days", "messages", "customer_questions", "answered_within_10min"]
    frame = frame[frame["rows"] > 0]
    return frame[columns].astype("int64") if not frame.empty else pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})


def last_customer_message_raw(session: Session, scope: Scope, end: date) -> pd.DataFrame:
    """`last_customer_message` from the raw group days (the reference)."""
    statement = (
        select(GroupDaily.group_id, func.max(GroupDaily.day).label("last_message_day"))
        .where(scope.clause(GroupDaily.branch_id), GroupDaily.day <= end, GroupDaily.customer_messages > 0)
        .group_by(GroupDaily.group_id)
    )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({"group_id": pd.Series(dtype="int64"), "last_message_day": pd.Series(dtype="datetime64[ns]")})
    frame["last_message_day"] = pd.to_datetime(frame["last_message_day"])
    return frame


def activity_by_kind(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Per day and group kind: members, active members, all messages and customers' messages (the whole
    bank's from its own daily table)."""
    daily = GroupBankDaily if scope.is_everything else GroupKindDaily
    statement = (
        select(
            daily.day, daily.kind,
            func.sum(daily.members).label("members"),
            func.sum(daily.active_members).label("active_members"),
            func.sum(daily.messages).label("messages"),
            func.sum(daily.customer_messages).label("customer_messages"),
        )
        .where(daily.day.between(start, end))
        .group_by(daily.day, daily.kind)
        .order_by(daily.day, daily.kind)
    )
    if not scope.is_everything:
        statement = statement.where(scope.clause(GroupKindDaily.branch_id))
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in ACTIVITY_COLUMNS}).assign(
            day=pd.Series(dtype="datetime64[ns]"), kind=pd.Series(dtype="object"))
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.astype({c: "int64" for c in ACTIVITY_COLUMNS[2:]})


def reply_time_histogram(session: Session, scope: Scope, start: date, end: date, by: str | None = None,
                         kind: str | None = None, group_ids: list[int] | None = None) -> pd.DataFrame:
    """Daily median reply minutes with the number of answered questions behind each, summed per value
    (and per group or owner staff when `by` is "group" or "staff"): the input of a weighted median.
    `group_ids` narrows it to those groups (a head-office list's shown rows). The whole bank's
    histogram is read from its daily rollup."""
    if scope.is_everything and by is None and group_ids is None:
        statement = (
            select(literal(0).label("key"), GroupReplyBankDaily.minutes, func.sum(GroupReplyBankDaily.answered).label("answered"))
            .where(GroupReplyBankDaily.kind == (kind or ALL_KINDS), GroupReplyBankDaily.day.between(start, end))
            .group_by(GroupReplyBankDaily.minutes)
        )
        return _histogram_frame(read_frame(session, statement))
    key = {"group": GroupDaily.group_id, "staff": SocialGroup.staff_id, None: literal(0)}[by]
    statement = (
        select(key.label("key"), GroupDaily.median_first_reply_minutes.label("minutes"),
               func.sum(GroupDaily.staff_replies).label("answered"))
        .join(SocialGroup, SocialGroup.id == GroupDaily.group_id)
        .where(scope.clause(GroupDaily.branch_id), GroupDaily.day.between(start, end),
               GroupDaily.median_first_reply_minutes.is_not(None), GroupDaily.staff_replies > 0)
        .group_by(key, GroupDaily.median_first_reply_minutes)
    )
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    if group_ids is not None:
        statement = statement.where(GroupDaily.group_id.in_(sorted(int(g) for g in group_ids)))
    return _histogram_frame(read_frame(session, statement))


def _histogram_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame({"key": pd.Series(dtype="int64"), "minutes": pd.Series(dtype="float64"),
                             "answered": pd.Series(dtype="int64")})
    return frame.astype({"key": "int64", "minutes": "float64", "answered": "int64"})


def medians_for_shown(session: Session, scope: Scope, start: date, end: date, by: str, kind: str | None,
                       keys: pd.Series, limit: int | None) -> pd.DataFrame:
    """Weighted median reply per key: every key's, or (with `limit`) only the shown keys', whose groups'
    days are then read by group id."""
    if limit is None:
        return median_reply_by_key(reply_time_histogram(session, scope, start, end, by=by, kind=kind))
    if keys.empty:
        return median_reply_by_key(reply_time_histogram(session, scope, start, end, by=by, kind=kind, group_ids=[]))
    if by == "group":
        group_ids = [int(k) for k in keys]
    else:
        owners = group_owners(session, scope, kind, staff_ids=[int(k) for k in keys])
        group_ids = [int(g) for g in owners["group_id"]]
    return median_reply_by_key(reply_time_histogram(session, scope, start, end, by=by, kind=kind, group_ids=group_ids))
