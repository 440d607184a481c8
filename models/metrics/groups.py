"""Group activity and the value of each relationship network (社群活跃 / 外延式客户关系网).

Queries aggregate in SQL and return tidy frames; the measures below them are pure functions of
those frames, tested against figures computed by hand. Definitions a president may ask about:

- *members* are unique customers: a person in three of the scope's groups counts once.
- *active share* is active member-days ÷ member-days: the average day's share of members who posted.
- *median first-reply time* over several groups or days is the median of the daily group medians,
  each weighted by the questions it answered (the store keeps daily medians, not every question).
- a group is *dormant* when no customer has posted for `dormant_days` days (staff broadcasts do not
  count: a group where only the bank talks is not alive).
- a network's *value*: customers it holds today, customers it brought (the group through which the
  bank first reached them), how many of those are customers now (converted), and the products and
  deposits of the customers it holds. At the staff level a customer in several of the staff member's
  groups counts once.
- experts' share of the conversation uses each membership's message count over the recorded period.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Date, and_, case, distinct, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.customers import Customer
from models.group_rollups import (
    ALL_KINDS,
    GroupBankDaily,
    GroupExpertSnapshot,
    GroupLatest,
    GroupMembersBankDaily,
    GroupReplyBankDaily,
    GroupRunning,
    GroupValueSnapshot,
    PointsBankDaily,
    PointsHoldersBankDaily,
)
from models.groups import GroupDaily, GroupMembership, MemberRole, PointsKind, PointsLedger, SocialGroup
from models.metrics.org import read_frame
from models.org import Branch, Staff
from models.rollups import GroupKindDaily
from models.scope import Scope

POINT_VALUE_YUAN = 0.01  # 100 points buy 1 yuan of gifts: the liability is valued at the gift price
DEFAULT_DORMANT_DAYS = 14
MIN_RANKED_MEMBERS = 10
PROMISE_KEPT_SHARE = 0.9  # a group or staff member "keeps" the 10-minute promise at 90% of questions or better
ACTIVITY_COLUMNS = ["day", "kind", "members", "active_members", "messages", "customer_messages"]
HEAD_OFFICE_ROWS = 200  # at head office a list shows this many groups (or staff), a branch's scope shows all
SUMMARY_COLUMNS = ["group_id", "days", "member_days", "active_member_days", "messages", "customer_messages",
                   "customer_questions", "staff_replies", "answered_within_10min", "joins", "leaves", "members_end",
                   "recent_messages", "previous_messages"]


# ---------------------------------------------------------------- queries


def group_date_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    """First and last day with group figures inside the scope."""
    first = session.execute(select(func.min(GroupKindDaily.day)).where(scope.clause(GroupKindDaily.branch_id))).scalar()
    last = session.execute(select(func.max(GroupKindDaily.day)).where(scope.clause(GroupKindDaily.branch_id))).scalar()
    return first, last


def groups_in_scope(session: Session, scope: Scope, kind: str | None = None,
                    group_ids: list[int] | None = None) -> pd.DataFrame:
    """Every group the caller may see (or those of `group_ids` among them), with its branch and owner."""
    statement = (
        select(
            SocialGroup.id.label("group_id"), SocialGroup.code, SocialGroup.name.label("group_name"), SocialGroup.kind,
            SocialGroup.platform, SocialGroup.created_on, SocialGroup.branch_id, Branch.name.label("branch_name"),
            SocialGroup.staff_id, Staff.name.label("staff_name"),
        )
        .join(Branch, Branch.id == SocialGroup.branch_id)
        .join(Staff, Staff.id == SocialGroup.staff_id, isouter=True)
        .where(scope.clause(SocialGroup.branch_id))
        .order_by(SocialGroup.id)
    )
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    if group_ids is not None:
        statement = statement.where(SocialGroup.id.in_(sorted(int(g) for g in group_ids)))
    frame = read_frame(session, statement)
    if not frame.empty:
        frame["created_on"] = pd.to_datetime(frame["created_on"])
    return frame


def _running_days(scope: Scope, kind: str | None, group_ids: list[int] | None = None, dense: bool = False,
                  **days: date):
    """Per group of the scope (or of `group_ids` among them): for each named day, the day of its latest
    `GroupRunning` row on or before it. With `dense` (every group in scope has a row on each of its days,
    see `_all_dense`) that is the day itself, or the group's last day when later: no search per group."""
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


def _all_dense(session: Session, scope: Scope) -> bool:
    """Whether every group of the scope with figures has a running row on each day of its span."""
    return session.execute(select(func.count()).select_from(GroupLatest)
                           .where(scope.clause(GroupLatest.branch_id), GroupLatest.dense.is_(False))).scalar_one() == 0


def _running_at(days, name: str):
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
    days = _running_days(scope, kind, group_ids, _all_dense(session, scope), last=end, before=start - one,
                         **trend_days_before)
    last, on_last = _running_at(days, "last")
    before, on_before = _running_at(days, "before")

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
        recent, on_recent = _running_at(days, "recent")
        previous, on_previous = _running_at(days, "previous")
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
    days = _running_days(scope, kind, dense=_all_dense(session, scope), last=end)
    last, on_last = _running_at(days, "last")
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
    days = _running_days(scope, kind, dense=_all_dense(session, scope), last=end)
    last, on_last = _running_at(days, "last")
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


DORMANT_COLUMNS = ["group_id", "group_name", "kind", "branch_name", "staff_name", "last_message_day", "days_silent"]


def dormant_group_list(session: Session, scope: Scope, end: date, dormant_days: int = DEFAULT_DORMANT_DAYS,
                       kind: str | None = None) -> pd.DataFrame:
    """The dormant groups on `end` with their names, longest silence first (as `dormant_groups`)."""
    silence = _silence(session, scope, end, kind)
    statement = (
        select(silence.c.group_id, SocialGroup.name.label("group_name"), SocialGroup.kind,
               Branch.name.label("branch_name"), Staff.name.label("staff_name"), silence.c.last_message_day,
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


PROMISE_COLUMNS = ["key", "groups", "customer_questions", "staff_replies", "answered_within_10min"]


def group_owners(session: Session, scope: Scope, kind: str | None = None,
                 staff_ids: list[int] | None = None) -> pd.DataFrame:
    """Group id -> owner staff id for the scope's groups (of `staff_ids` only, when given)."""
    statement = select(SocialGroup.id.label("group_id"), SocialGroup.staff_id).where(scope.clause(SocialGroup.branch_id))
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    if staff_ids is not None:
        statement = statement.where(SocialGroup.staff_id.in_(sorted(staff_ids)))
    return read_frame(session, statement)


def service_promise_counts(session: Session, scope: Scope, start: date, end: date, by: str = "group",
                           kind: str | None = None) -> pd.DataFrame:
    """Per group (or owner staff): customer questions, replies and replies within the 10-minute promise
    (from the groups' period sums; `groups` counts the groups with figures in the period)."""
    frame = read_frame(session, _promise_statement(scope, start, end, by, kind, dense=_all_dense(session, scope)))
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in PROMISE_COLUMNS})
    return frame[PROMISE_COLUMNS].astype(dict.fromkeys(PROMISE_COLUMNS, "int64"))


def _promise_statement(scope: Scope, start: date, end: date, by: str, kind: str | None, limit: int | None = None,
                       dense: bool = False):
    """Per group or owner staff, the period's questions and replies from two running-total lookups per
    group; with `limit`, only the keys with the most questions (ties by key)."""
    days = _running_days(scope, kind, dense=dense, last=end, before=start - timedelta(days=1))
    last, on_last = _running_at(days, "last")
    before, on_before = _running_at(days, "before")

    def between(column: str):
        return func.coalesce(getattr(last, column), 0) - func.coalesce(getattr(before, column), 0)

    per_group = (
        select(days.c.group_id, days.c.staff_id, between("days").label("days"),
               between("customer_questions").label("customer_questions"),
               between("staff_replies").label("staff_replies"),
               between("answered_within_10min").label("answered_within_10min"))
        .select_from(days).join(last, on_last).outerjoin(before, on_before)
    ).subquery()
    if by == "group":  # one row per group: no grouping
        key, questions = per_group.c.group_id, per_group.c.customer_questions
        statement = (
            select(key.label("key"), literal(1).label("groups"), questions.label("customer_questions"),
                   per_group.c.staff_replies, per_group.c.answered_within_10min)
            .where(per_group.c.days > 0, questions > 0)
        )
    else:
        key, questions = per_group.c.staff_id, func.sum(per_group.c.customer_questions)
        statement = (
            select(key.label("key"), func.count().label("groups"), questions.label("customer_questions"),
                   func.sum(per_group.c.staff_replies).label("staff_replies"),
                   func.sum(per_group.c.answered_within_10min).label("answered_within_10min"))
            .where(per_group.c.days > 0)
            .group_by(key)
            .having(questions > 0)
        )
    if limit is not None:
        statement = statement.order_by(questions.desc(), key).limit(limit)
    return statement


def service_promise_counts_raw(session: Session, scope: Scope, start: date, end: date, by: str = "group",
                               kind: str | None = None) -> pd.DataFrame:
    """`service_promise_counts` summed from the raw group days (the reference)."""
    key = GroupDaily.group_id if by == "group" else SocialGroup.staff_id
    statement = (
        select(
            key.label("key"),
            func.count(distinct(GroupDaily.group_id)).label("groups"),
            func.sum(GroupDaily.customer_questions).label("customer_questions"),
            func.sum(GroupDaily.staff_replies).label("staff_replies"),
            func.sum(GroupDaily.answered_within_10min).label("answered_within_10min"),
        )
        .join(SocialGroup, SocialGroup.id == GroupDaily.group_id)
        .where(scope.clause(GroupDaily.branch_id), GroupDaily.day.between(start, end))
        .group_by(key)
        .having(func.sum(GroupDaily.customer_questions) > 0)
    )
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    frame = read_frame(session, statement)
    columns = ["key", "groups", "customer_questions", "staff_replies", "answered_within_10min"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    return frame.astype(dict.fromkeys(columns, "int64"))


def _active_on(as_of: date):
    return and_(GroupMembership.joined_on <= as_of,
                or_(GroupMembership.left_on.is_(None), GroupMembership.left_on > as_of))


def unique_member_count(session: Session, scope: Scope, as_of: date, kind: str | None = None) -> int:
    """Customers in at least one of the scope's groups on `as_of`, each counted once. The whole bank's
    figure is the latest change on or before `as_of` in its daily rollup."""
    if scope.is_everything:
        return int(session.execute(
            select(GroupMembersBankDaily.members)
            .where(GroupMembersBankDaily.kind == (kind or ALL_KINDS), GroupMembersBankDaily.day <= as_of)
            .order_by(GroupMembersBankDaily.day.desc()).limit(1)
        ).scalar() or 0)
    statement = (
        select(func.count(distinct(GroupMembership.customer_id)))
        .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
        .where(scope.clause(GroupMembership.branch_id), _active_on(as_of))
    )
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    return int(session.execute(statement).scalar_one() or 0)


VALUE_INTS = ["key", "members", "customers_held", "brought_in", "converted", "products"]


def _value_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in VALUE_INTS}).assign(
            deposits=pd.Series(dtype="float64"), wealth=pd.Series(dtype="float64"))
    return frame.astype({**dict.fromkeys(VALUE_INTS, "int64"), "deposits": "float64", "wealth": "float64"})


def network_value_snapshot(session: Session, scope: Scope, as_of: date, by: str = "group",
                           kind: str | None = None, best: int | None = None) -> pd.DataFrame | None:
    """`network_value` from its snapshot, or None when `as_of` is before the snapshot's day (stays
    changed after `as_of`: the raw stays must be read)."""
    grain = GroupValueSnapshot.grain == by
    in_scope = scope.clause(GroupValueSnapshot.branch_id)
    valid_from = session.execute(select(func.max(GroupValueSnapshot.as_of)).where(grain, in_scope)).scalar()
    if valid_from is None or pd.Timestamp(valid_from).date() > as_of:
        return None
    snapshot = GroupValueSnapshot
    if by == "group":
        kinds = snapshot.kind == kind if kind else literal(True)
    else:
        kinds = snapshot.kind == (kind or ALL_KINDS)
    figures = ["members", "customers_held", "brought_in", "converted", "products", "deposits", "wealth"]
    if by == "group":  # one row per group
        statement = select(snapshot.key_id.label("key"), *[getattr(snapshot, f).label(f) for f in figures])
    else:  # a staff member's rows per branch add up
        statement = select(snapshot.key_id.label("key"), *[func.sum(getattr(snapshot, f)).label(f) for f in figures]) \
            .group_by(snapshot.key_id)
    statement = statement.where(grain, in_scope, kinds).order_by(snapshot.key_id)
    if best is not None:  # only the `best` rankable keys by deposits per member (see `contribution_ranking`)
        ranked = statement.subquery()
        statement = (select(ranked).where(ranked.c.members >= MIN_RANKED_MEMBERS)
                     .order_by((ranked.c.deposits * 1.0 / ranked.c.members).desc(), ranked.c.key).limit(best))
    return _value_frame(read_frame(session, statement))


def network_value(session: Session, scope: Scope, as_of: date, by: str | None = "group",
                  kind: str | None = None) -> pd.DataFrame:
    """Per group (`by="group"`), per owner staff (`"staff"`) or for the whole scope (`None`): customers
    held on `as_of`, customers brought in, converted (brought in and a customer now), and the products
    and deposits of the customers held. Each customer counts once per row, however many groups.
    Per group or staff it is read from the snapshot when `as_of` is on or after its day."""
    if by is not None:
        snapshot = network_value_snapshot(session, scope, as_of, by, kind)
        if snapshot is not None:
            return snapshot
    return network_value_raw(session, scope, as_of, by, kind)


def network_value_raw(session: Session, scope: Scope, as_of: date, by: str | None = "group",
                      kind: str | None = None) -> pd.DataFrame:
    """`network_value` from the raw stays (the reference, and any `as_of` before the snapshot)."""
    key = {"group": GroupMembership.group_id, "staff": SocialGroup.staff_id, None: literal(0)}[by]
    per_customer = (
        select(
            key.label("key"), GroupMembership.customer_id,
            func.max(case((_active_on(as_of), 1), else_=0)).label("held"),
            func.max(case((GroupMembership.brought_in.is_(True), 1), else_=0)).label("brought"),
        )
        .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
        .where(scope.clause(GroupMembership.branch_id), GroupMembership.joined_on <= as_of)
        .group_by(key, GroupMembership.customer_id)
    )
    if kind:
        per_customer = per_customer.where(SocialGroup.kind == kind)
    per_customer = per_customer.subquery()
    held_customer = and_(per_customer.c.held == 1, Customer.is_prospect.is_(False))
    statement = (
        select(
            per_customer.c.key,
            func.sum(per_customer.c.held).label("members"),
            func.sum(case((held_customer, 1), else_=0)).label("customers_held"),
            func.sum(per_customer.c.brought).label("brought_in"),
            func.sum(case((and_(per_customer.c.brought == 1, Customer.is_prospect.is_(False)), 1), else_=0)).label("converted"),
            func.sum(case((held_customer, Customer.products_held), else_=0)).label("products"),
            func.sum(case((held_customer, Customer.deposit_balance), else_=0.0)).label("deposits"),
            func.sum(case((held_customer, Customer.wealth_balance), else_=0.0)).label("wealth"),
        )
        .join(Customer, Customer.id == per_customer.c.customer_id)
        .group_by(per_customer.c.key)
        .order_by(per_customer.c.key)
    )
    return _value_frame(read_frame(session, statement))


def staff_in_scope(session: Session, scope: Scope, staff_ids: list[int] | None = None) -> pd.DataFrame:
    statement = (
        select(Staff.id.label("staff_id"), Staff.name.label("staff_name"), Staff.role, Staff.branch_id,
               Branch.name.label("branch_name"))
        .join(Branch, Branch.id == Staff.branch_id)
        .where(scope.clause(Staff.branch_id))
        .order_by(Staff.id)
    )
    if staff_ids is not None:
        statement = statement.where(Staff.id.in_(sorted(staff_ids)))
    return read_frame(session, statement)


def conversation_drivers(session: Session, scope: Scope, top_n: int = 3, kind: str | None = None) -> pd.DataFrame:
    """Per group, its `top_n` posters and every expert or opinion leader, with their messages and the
    group's total member messages over the recorded period."""
    per_member = (
        select(GroupMembership.group_id, GroupMembership.customer_id,
               func.max(GroupMembership.role).label("role"), func.sum(GroupMembership.messages).label("messages"))
        .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
        .where(scope.clause(GroupMembership.branch_id))
        .group_by(GroupMembership.group_id, GroupMembership.customer_id)
    )
    if kind:
        per_member = per_member.where(SocialGroup.kind == kind)
    per_member = per_member.subquery()
    ranked = select(
        per_member,
        func.row_number().over(partition_by=per_member.c.group_id,
                               order_by=(per_member.c.messages.desc(), per_member.c.customer_id)).label("rank"),
        func.sum(per_member.c.messages).over(partition_by=per_member.c.group_id).label("group_messages"),
    ).subquery()
    statement = (
        select(ranked.c.group_id, ranked.c.customer_id, Customer.name.label("customer_name"), ranked.c.role,
               ranked.c.messages, ranked.c.group_messages, ranked.c.rank)
        .join(Customer, Customer.id == ranked.c.customer_id)
        .where(or_(ranked.c.rank <= top_n, ranked.c.role != MemberRole.MEMBER.value))
        .order_by(ranked.c.group_id, ranked.c.rank)
    )
    frame = read_frame(session, statement)
    columns = ["group_id", "customer_id", "customer_name", "role", "messages", "group_messages", "rank"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = frame.astype({"messages": "int64", "group_messages": "int64", "rank": "int64"})
    frame["share"] = frame["messages"] / frame["group_messages"].where(frame["group_messages"] > 0)
    return frame


def points_daily(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Points per day and kind (redemptions negative); the whole bank's from its daily rollup."""
    if scope.is_everything:
        statement = (
            select(PointsBankDaily.day, PointsBankDaily.kind,
                   func.sum(PointsBankDaily.earned - PointsBankDaily.redeemed).label("points"),
                   func.sum(PointsBankDaily.entries).label("entries"))
            .where(PointsBankDaily.day.between(start, end))
            .group_by(PointsBankDaily.day, PointsBankDaily.kind)
            .order_by(PointsBankDaily.day, PointsBankDaily.kind)
        )
    else:
        statement = (
            select(PointsLedger.day, PointsLedger.kind, func.sum(PointsLedger.points).label("points"),
                   func.count().label("entries"))
            .where(scope.clause(PointsLedger.branch_id), PointsLedger.day.between(start, end))
            .group_by(PointsLedger.day, PointsLedger.kind)
            .order_by(PointsLedger.day, PointsLedger.kind)
        )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({"day": pd.Series(dtype="datetime64[ns]"), "kind": pd.Series(dtype="object"),
                             "points": pd.Series(dtype="int64"), "entries": pd.Series(dtype="int64")})
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.astype({"points": "int64", "entries": "int64"})


def points_top_earners(session: Session, scope: Scope, start: date, end: date, limit: int = 20) -> pd.DataFrame:
    """Customers who earned the most points in the period, with what they redeemed and their balance at
    `end`. The period's entries pick the top customers; only their balances read earlier entries."""
    earned = func.sum(case((PointsLedger.points > 0, PointsLedger.points), else_=0))
    redeemed = func.sum(case((PointsLedger.points < 0, -PointsLedger.points), else_=0))
    top = read_frame(session, (
        select(PointsLedger.customer_id, earned.label("earned"), redeemed.label("redeemed"))
        .where(scope.clause(PointsLedger.branch_id), PointsLedger.day.between(start, end))
        .group_by(PointsLedger.customer_id)
        .having(earned > 0)
        .order_by(earned.desc(), PointsLedger.customer_id)
        .limit(limit)
    ))
    columns = ["customer_id", "customer_name", "branch_name", "earned", "redeemed", "balance"]
    if top.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    balance = (select(PointsLedger.customer_id, func.sum(PointsLedger.points).label("balance"),
                      func.min(PointsLedger.branch_id).label("branch_id"))
               .where(PointsLedger.customer_id.in_([int(c) for c in top["customer_id"]]),
                      scope.clause(PointsLedger.branch_id), PointsLedger.day <= end)
               .group_by(PointsLedger.customer_id)).subquery()
    names = read_frame(session, select(balance.c.customer_id, Customer.name.label("customer_name"),
                                       Branch.name.label("branch_name"), balance.c.balance)
                       .join(Customer, Customer.id == balance.c.customer_id)
                       .join(Branch, Branch.id == balance.c.branch_id))
    frame = top.merge(names, on="customer_id", how="inner")[columns]
    return frame.astype({"earned": "int64", "redeemed": "int64", "balance": "int64"})


def points_liability(session: Session, scope: Scope, as_of: date) -> dict[str, float | int]:
    """Points earned and redeemed up to `as_of`, what is still owed to customers and its value in yuan;
    the whole bank's from its daily rollups."""
    if scope.is_everything:
        sums = session.execute(select(func.coalesce(func.sum(PointsBankDaily.earned), 0),
                                      func.coalesce(func.sum(PointsBankDaily.redeemed), 0))
                               .where(PointsBankDaily.day <= as_of)).one()
        holders = session.execute(select(func.coalesce(func.sum(PointsHoldersBankDaily.new_holders), 0))
                                  .where(PointsHoldersBankDaily.day <= as_of)).scalar_one()
        return _liability(int(sums[0]), int(sums[1]), int(holders))
    row = session.execute(
        select(func.coalesce(func.sum(case((PointsLedger.points > 0, PointsLedger.points), else_=0)), 0),
               func.coalesce(func.sum(case((PointsLedger.points < 0, -PointsLedger.points), else_=0)), 0),
               func.count(distinct(PointsLedger.customer_id)))
        .where(scope.clause(PointsLedger.branch_id), PointsLedger.day <= as_of)
    ).one()
    return _liability(int(row[0]), int(row[1]), int(row[2]))


def _liability(earned: int, redeemed: int, holders: int) -> dict[str, float | int]:
    outstanding = earned - redeemed
    return {"earned": earned, "redeemed": redeemed, "outstanding": outstanding, "holders": holders,
            "outstanding_yuan": outstanding * POINT_VALUE_YUAN}


# ---------------------------------------------------------------- pure measures


def weighted_median(values: pd.Series | np.ndarray, weights: pd.Series | np.ndarray) -> float | None:
    """The smallest value at which the cumulative weight reaches half the total (None without weight).
    Example: minutes 4, 12, 30 with 3, 1, 2 answered questions -> 4 (3 of 6 questions by 4 minutes)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = ~np.isnan(values) & (weights > 0)
    values, weights = values[keep], weights[keep]
    if weights.sum() <= 0:
        return None
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def median_reply_by_key(histogram: pd.DataFrame) -> pd.DataFrame:
    """Weighted median reply minutes per key of a `reply_time_histogram` frame."""
    if histogram.empty:
        return pd.DataFrame({"key": pd.Series(dtype="int64"), "median_reply_minutes": pd.Series(dtype="float64")})
    rows = [{"key": key, "median_reply_minutes": weighted_median(part["minutes"], part["answered"])}
            for key, part in histogram.groupby("key")]
    return pd.DataFrame(rows).astype({"median_reply_minutes": "float64"})


def count_unique_members(memberships: pd.DataFrame, as_of: date, key: str | None = None) -> int | pd.Series:
    """Customers in at least one group on `as_of` (joined on or before, not yet left), each counted once;
    per `key` (e.g. owner staff) when given. `memberships` has customer_id, joined_on, left_on."""
    as_of = pd.Timestamp(as_of)
    joined = pd.to_datetime(memberships["joined_on"])
    left = pd.to_datetime(memberships["left_on"])
    active = memberships[(joined <= as_of) & (left.isna() | (left > as_of))]
    if key is None:
        return int(active["customer_id"].nunique())
    return active.groupby(key)["customer_id"].nunique()


def dormant_groups(groups: pd.DataFrame, last_message: pd.DataFrame, end: date,
                   dormant_days: int = DEFAULT_DORMANT_DAYS) -> pd.DataFrame:
    """Groups where no customer has posted for at least `dormant_days` days by `end`; a group that never
    had a customer message counts its silence from its creation. Longest silence first."""
    if groups.empty:
        return groups.assign(last_message_day=pd.Series(dtype="datetime64[ns]"), days_silent=pd.Series(dtype="int64"))
    end_ts = pd.Timestamp(end)
    frame = groups[pd.to_datetime(groups["created_on"]) <= end_ts].merge(last_message, on="group_id", how="left")
    since = frame["last_message_day"].fillna(pd.to_datetime(frame["created_on"]))
    frame["days_silent"] = (end_ts - since).dt.days.astype("int64")
    dormant = frame[frame["days_silent"] >= dormant_days]
    return dormant.sort_values(["days_silent", "group_id"], ascending=[False, True]).reset_index(drop=True)


def group_health(groups: pd.DataFrame, summary: pd.DataFrame, reply_medians: pd.DataFrame,
                 last_message: pd.DataFrame, end: date, dormant_days: int = DEFAULT_DORMANT_DAYS) -> pd.DataFrame:
    """One row per group: members, active share, messages per day, trend (customer messages in the
    recent window vs the window before; None when the earlier window was silent), questions answered
    within 10 minutes, median reply, days since a customer last posted and the dormant flag."""
    frame = groups.merge(summary, on="group_id", how="inner")
    frame = frame.merge(reply_medians.rename(columns={"key": "group_id"}), on="group_id", how="left")
    frame = frame.merge(last_message, on="group_id", how="left")
    end_ts = pd.Timestamp(end)
    frame["active_share"] = frame["active_member_days"] / frame["member_days"].where(frame["member_days"] > 0)
    frame["messages_per_day"] = frame["messages"] / frame["days"].where(frame["days"] > 0)
    frame["trend"] = (frame["recent_messages"] - frame["previous_messages"]) / frame["previous_messages"].where(
        frame["previous_messages"] > 0)
    frame["within_10min_share"] = frame["answered_within_10min"] / frame["customer_questions"].where(
        frame["customer_questions"] > 0)
    since = frame["last_message_day"].fillna(pd.to_datetime(frame["created_on"]))
    frame["days_silent"] = (end_ts - since).dt.days.astype("int64")
    frame["dormant"] = frame["days_silent"] >= dormant_days
    columns = ["group_id", "group_name", "kind", "platform", "branch_name", "staff_name", "members_end",
               "active_share", "messages_per_day", "trend", "customer_questions", "within_10min_share",
               "median_reply_minutes", "last_message_day", "days_silent", "dormant"]
    return frame[columns].sort_values(["dormant", "days_silent", "active_share"],
                                      ascending=[False, False, True]).reset_index(drop=True)


def service_promise_table(counts: pd.DataFrame, reply_medians: pd.DataFrame) -> pd.DataFrame:
    """Share of customer questions answered within the 10-minute promise, unanswered questions and the
    median reply, per key; worst keeper first."""
    frame = counts.merge(reply_medians, on="key", how="left")
    frame["within_10min_share"] = frame["answered_within_10min"] / frame["customer_questions"].where(
        frame["customer_questions"] > 0)
    frame["unanswered"] = frame["customer_questions"] - frame["staff_replies"]
    frame["keeps_promise"] = frame["within_10min_share"] >= PROMISE_KEPT_SHARE
    return frame.sort_values(["within_10min_share", "key"]).reset_index(drop=True)


def contribution_ranking(value: pd.DataFrame, min_members: int = MIN_RANKED_MEMBERS) -> pd.DataFrame:
    """Network value per member: deposits, products and conversion per customer held; rank 1 is the
    network whose members bring the bank the most deposits each. Networks under `min_members` members
    (a new customer's own service group) are listed but not ranked: one rich member is not a network."""
    frame = value.copy()
    members = frame["members"].where(frame["members"] > 0)
    frame["deposits_per_member"] = frame["deposits"] / members
    frame["products_per_member"] = frame["products"] / members
    frame["conversion_rate"] = frame["converted"] / frame["brought_in"].where(frame["brought_in"] > 0)
    rankable = frame["deposits_per_member"].where(frame["members"] >= min_members)
    frame["rank"] = rankable.rank(ascending=False, method="min").astype("Int64")
    return frame.sort_values(["rank", "key"], na_position="last").reset_index(drop=True)


def expert_summary(drivers: pd.DataFrame) -> pd.DataFrame:
    """Per group: how many experts / opinion leaders it holds, their share of members' messages, and
    the top poster with their share."""
    if drivers.empty:
        return pd.DataFrame(columns=["group_id", "experts", "expert_share", "top_poster", "top_share", "top_role"])
    is_expert = drivers["role"] != MemberRole.MEMBER.value
    experts = drivers[is_expert].groupby("group_id").agg(experts=("customer_id", "nunique"),
                                                         expert_messages=("messages", "sum"))
    top = drivers[drivers["rank"] == 1].set_index("group_id")
    totals = drivers.groupby("group_id")["group_messages"].first()
    frame = pd.DataFrame({"group_messages": totals}).join(experts, how="left")
    frame["experts"] = frame["experts"].fillna(0).astype("int64")
    frame["expert_share"] = frame["expert_messages"].fillna(0) / frame["group_messages"].where(frame["group_messages"] > 0)
    frame["top_poster"] = top["customer_name"]
    frame["top_share"] = top["share"]
    frame["top_role"] = top["role"]
    return frame.reset_index()[["group_id", "experts", "expert_share", "top_poster", "top_share", "top_role"]]


def monthly_points(daily: pd.DataFrame) -> pd.DataFrame:
    """Points earned and redeemed per calendar month (redeemed as a positive number)."""
    if daily.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "earned": pd.Series(dtype="int64"),
                             "redeemed": pd.Series(dtype="int64")})
    month = daily["day"].dt.to_period("M").dt.to_timestamp()
    redeem = daily["kind"] == PointsKind.REDEEM.value
    frame = pd.DataFrame({"month": month, "earned": daily["points"].where(~redeem, 0),
                          "redeemed": -daily["points"].where(redeem, 0)})
    return frame.groupby("month", as_index=False).sum().astype({"earned": "int64", "redeemed": "int64"})


def kpis_from(summary: pd.DataFrame, days: int, reply_histogram: pd.DataFrame, unique_members: int,
              group_count: int, dormant_count: int) -> dict[str, float | int | None]:
    """The headline: groups, unique members, active share, messages per day, median reply, dormant groups."""
    member_days = int(summary["member_days"].sum()) if not summary.empty else 0
    return {
        "groups": group_count,
        "members": unique_members,
        "active_share": (int(summary["active_member_days"].sum()) / member_days) if member_days else None,
        "messages_per_day": (int(summary["messages"].sum()) / days) if days > 0 and not summary.empty else None,
        "median_reply_minutes": weighted_median(reply_histogram["minutes"], reply_histogram["answered"])
        if not reply_histogram.empty else None,
        "within_10min_share": (int(summary["answered_within_10min"].sum()) / int(summary["customer_questions"].sum()))
        if not summary.empty and int(summary["customer_questions"].sum()) else None,
        "dormant_groups": dormant_count,
    }


# ---------------------------------------------------------------- compositions for pages


def group_kpis(session: Session, scope: Scope, start: date, end: date,
               dormant_days: int = DEFAULT_DORMANT_DAYS, kind: str | None = None) -> dict[str, float | int | None]:
    """KPIs for the scope and period (members and dormancy as of `end`), optionally for one kind."""
    groups, dormant = group_counts(session, scope, end, dormant_days, kind)
    summary = bank_period_totals(session, start, end, kind) if scope.is_everything else \
        group_period_summary(session, scope, start, end, kind=kind)
    return kpis_from(summary, (end - start).days + 1, reply_time_histogram(session, scope, start, end, kind=kind),
                     unique_member_count(session, scope, end, kind), groups, dormant)


def _medians_for_shown(session: Session, scope: Scope, start: date, end: date, by: str, kind: str | None,
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


def group_health_table(session: Session, scope: Scope, start: date, end: date,
                       dormant_days: int = DEFAULT_DORMANT_DAYS, kind: str | None = None,
                       limit: int | None = None) -> pd.DataFrame:
    """The list of groups with their health, dormant ones first; with `limit`, its first `limit` rows
    (the order does not depend on the median reply, so it is read only for those)."""
    no_medians = pd.DataFrame({"key": pd.Series(dtype="int64"), "median_reply_minutes": pd.Series(dtype="float64")})
    if limit is not None:
        shown = _most_silent_first(session, scope, start, end, dormant_days, kind, limit, no_medians)
        if shown is not None:
            return _with_medians(session, scope, start, end, kind, shown, limit)
    groups = groups_in_scope(session, scope, kind)
    summary = group_period_summary(session, scope, start, end, kind=kind)
    last_message = last_customer_message(session, scope, end, kind)
    if limit is None:
        medians = _medians_for_shown(session, scope, start, end, "group", kind, pd.Series(dtype="int64"), None)
        return group_health(groups, summary, medians, last_message, end, dormant_days)
    shown = group_health(groups, summary, no_medians, last_message, end, dormant_days).head(limit)
    return _with_medians(session, scope, start, end, kind, shown, limit)


def _with_medians(session, scope, start, end, kind, shown: pd.DataFrame, limit: int) -> pd.DataFrame:
    medians = _medians_for_shown(session, scope, start, end, "group", kind, shown["group_id"], limit)
    filled = shown["group_id"].map(medians.set_index("key")["median_reply_minutes"]) if not medians.empty else np.nan
    return shown.assign(median_reply_minutes=filled).astype({"median_reply_minutes": "float64"})


def _most_silent_first(session, scope, start, end, dormant_days, kind, limit, no_medians) -> pd.DataFrame | None:
    """The first `limit` rows of the health list when at least `limit` groups are dormant: they are the
    dormant groups silent longest (ties by active share), so only those candidates' period sums are read.
    None when there are too few dormant groups to fill the list (the caller reads every group)."""
    silence = _silence(session, scope, end, kind)
    since = _silent_since(silence)
    dormant = (silence.c.created_on <= end, since <= end - timedelta(days=dormant_days))
    # the silence of the `limit`-th longest-silent dormant group: every group silent as long is a candidate
    threshold = session.execute(select(since).where(*dormant).order_by(since, silence.c.group_id)
                                .offset(limit - 1).limit(1)).scalar()
    if threshold is None:
        return None
    rows = read_frame(session, select(silence.c.group_id, silence.c.last_message_day)
                      .where(*dormant, since <= threshold))
    candidates = [int(g) for g in rows["group_id"]]
    summary = group_period_summary(session, scope, start, end, kind=kind, group_ids=candidates)
    if len(summary) < limit:  # some dormant groups have no days in the period: not enough candidates
        return None
    groups = groups_in_scope(session, scope, kind, group_ids=candidates)
    last_message = rows.dropna().assign(last_message_day=lambda f: pd.to_datetime(f["last_message_day"]))
    return group_health(groups, summary, no_medians, last_message, end, dormant_days).head(limit)


def network_value_table(session: Session, scope: Scope, as_of: date, by: str = "group",
                        kind: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Network value ranked by contribution per member, with names, per group or per owner staff; with
    `limit`, the best `limit` ranks."""
    best = network_value_snapshot(session, scope, as_of, by, kind, best=limit) if limit is not None else None
    if best is not None and len(best) == limit:  # the best ranks, read in SQL; their ranks are their places
        ranked = contribution_ranking(best)
    else:
        ranked = contribution_ranking(network_value(session, scope, as_of, by, kind))
    shown = None
    if limit is not None:
        ranked = ranked.head(limit)
        shown = [int(k) for k in ranked["key"].dropna()]
    if by == "group":
        names = groups_in_scope(session, scope, group_ids=shown)[["group_id", "group_name", "kind", "branch_name",
                                                                  "staff_name"]]
        return ranked.merge(names.rename(columns={"group_id": "key"}), on="key", how="left")
    return ranked.merge(_staff_names(session, scope, shown, owned_groups=True), on="key", how="left")


def _staff_names(session: Session, scope: Scope, staff_ids: list[int] | None, owned_groups: bool = False) -> pd.DataFrame:
    """Names (and, with `owned_groups`, how many of the scope's groups each owns) keyed by staff id."""
    names = staff_in_scope(session, scope, staff_ids)
    columns = ["staff_id", "staff_name", "role", "branch_name"] if owned_groups else ["staff_id", "staff_name", "branch_name"]
    names = names[columns]
    if owned_groups:
        owners = group_owners(session, scope, staff_ids=staff_ids)
        owned = owners.groupby("staff_id").size().rename("groups").reset_index()
        names = names.merge(owned, on="staff_id", how="left")
    return names.rename(columns={"staff_id": "key"})


def service_promise_view(session: Session, scope: Scope, start: date, end: date, by: str = "group",
                         kind: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The 10-minute promise per group or per owner staff, with names; with `limit`, the `limit` keys
    with the most customer questions (where the promise matters most)."""
    if limit is None:
        counts = service_promise_counts(session, scope, start, end, by, kind)
    else:
        counts = read_frame(session, _promise_statement(scope, start, end, by, kind, limit, _all_dense(session, scope)))
        counts = counts.astype(dict.fromkeys(PROMISE_COLUMNS, "int64")) if not counts.empty else \
            pd.DataFrame({c: pd.Series(dtype="int64") for c in PROMISE_COLUMNS})
    medians = _medians_for_shown(session, scope, start, end, by, kind, counts["key"], limit)
    table = service_promise_table(counts, medians)
    shown = None if limit is None else [int(k) for k in table["key"].dropna()]
    if by == "group":
        names = groups_in_scope(session, scope, group_ids=shown)[["group_id", "group_name", "kind", "branch_name",
                                                                  "staff_name"]]
        return table.merge(names.rename(columns={"group_id": "key"}), on="key", how="left")
    return table.merge(_staff_names(session, scope, shown), on="key", how="left")


EXPERT_COLUMNS = ["group_id", "group_name", "kind", "branch_name", "experts", "expert_share", "top_poster",
                  "top_share", "top_role"]


def experts_table(session: Session, scope: Scope, top_n: int = 3, kind: str | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """Per group, who drives the conversation: experts' share and the top poster (from the experts
    snapshot, which the rollups rebuild with the stays); with `limit`, the `limit` highest shares."""
    snapshot = GroupExpertSnapshot
    chosen = (
        select(SocialGroup.id.label("group_id"), SocialGroup.name.label("group_name"), SocialGroup.kind,
               SocialGroup.branch_id, snapshot.experts, snapshot.expert_share, snapshot.top_customer_id,
               snapshot.top_share, snapshot.top_role)
        .join(snapshot, snapshot.group_id == SocialGroup.id)
        .where(scope.clause(SocialGroup.branch_id))
        .order_by(snapshot.expert_share.desc().nulls_last(), SocialGroup.id)
    )
    if kind:
        chosen = chosen.where(SocialGroup.kind == kind)
    if limit is not None:
        chosen = chosen.limit(limit)
    chosen = chosen.subquery()  # names are looked up for the chosen groups only
    statement = (
        select(chosen.c.group_id, chosen.c.group_name, chosen.c.kind, Branch.name.label("branch_name"),
               chosen.c.experts, chosen.c.expert_share, Customer.name.label("top_poster"), chosen.c.top_share,
               chosen.c.top_role)
        .join(Branch, Branch.id == chosen.c.branch_id)
        .join(Customer, Customer.id == chosen.c.top_customer_id, isouter=True)
        .order_by(chosen.c.expert_share.desc().nulls_last(), chosen.c.group_id)
    )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in EXPERT_COLUMNS})
    return frame.astype({"experts": "int64", "expert_share": "float64", "top_share": "float64"})


def experts_table_raw(session: Session, scope: Scope, top_n: int = 3, kind: str | None = None) -> pd.DataFrame:
    """`experts_table` from every stay (the reference the snapshot must equal)."""
    summary = expert_summary(conversation_drivers(session, scope, top_n, kind))
    names = groups_in_scope(session, scope, kind)[["group_id", "group_name", "kind", "branch_name"]]
    return names.merge(summary, on="group_id", how="inner").sort_values(
        ["expert_share", "group_id"], ascending=[False, True]).reset_index(drop=True)


def overview_headline(session: Session, scope: Scope, end: date, dormant_days: int = DEFAULT_DORMANT_DAYS,
                      period_days: int = 30) -> dict[str, object]:
    """For the overview page: the last `period_days` KPIs and the dormant-group alerts as of `end`."""
    start = end - timedelta(days=period_days - 1)
    return {"kpis": group_kpis(session, scope, start, end, dormant_days),
            "dormant": dormant_group_list(session, scope, end, dormant_days)}


def points_overview(session: Session, scope: Scope, start: date, end: date) -> dict[str, object]:
    """Points in the period (earned, redeemed, per month) and the liability outstanding at `end`."""
    monthly = monthly_points(points_daily(session, scope, start, end))
    return {"monthly": monthly, "earned": int(monthly["earned"].sum()), "redeemed": int(monthly["redeemed"].sum()),
            **{f"liability_{k}": v for k, v in points_liability(session, scope, end).items()}}
