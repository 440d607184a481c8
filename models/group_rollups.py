"""Summary tables behind the groups page at head-office scale (registered in models/rollups.py).

At 1,000 branches the page's raw questions (a period's sums for 23k groups, unique members among
1.6 M stays, the points liability over 2.3 M ledger rows, experts ranked over every membership) take
seconds to minutes. These tables answer them in a few index lookups:

- `GroupRunning`: per group and day, running totals since the group's first day, so a period's sum
  per group is the row on its last day minus the row before its first day; and the last day a
  customer posted, so dormancy as of any day is one lookup.
- `GroupLatest`: each group's latest running row (dormancy as of the last day, one narrow scan).
- `GroupBankDaily`: the bank's group figures per day and kind (head-office KPIs and activity chart).
- `GroupReplyBankDaily`: the bank's reply-time histogram per day and kind (weighted medians).
- `GroupMembersBankDaily`: the bank's unique members (all kinds, and per kind) on each day it changes.
- `PointsBankDaily` / `PointsHoldersBankDaily`: the bank's points per day and kind, and first-time holders.
- `GroupValueSnapshot`: each group's and owner's network value once every stay is known (as of the last
  join or leave), since membership does not change after that day.
- `GroupExpertSnapshot`: each group's experts' share and top poster (messages over the recorded period).

Bank-wide (`*Bank*`) tables serve the head-office scope only; a branch's scope reads its raw rows,
which are few. Each refresh is per branch (the running totals and snapshots) or per day window (the
bank-wide tables), inside the caller's transaction.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Index, Integer, and_, case, delete, func, insert, literal, or_, select, true
from sqlalchemy.engine import Connection
from sqlmodel import Field, Session, SQLModel

from models.customers import Customer
from models.groups import GroupDaily, GroupMembership, PointsLedger, SocialGroup

ALL_KINDS = ""  # the `kind` value of rows that cover every kind of group


class GroupRunning(SQLModel, table=True):
    """Per group and day with figures: `members` that day, and the running totals of every other daily
    figure up to and including the day (`days` counts the group's daily rows so far)."""

    # Keyed (day, group) and stored in that order (SQLite: WITHOUT ROWID; PostgreSQL: written in key
    # order): the rows of every group on one day, which a period's lookups read, sit together.
    __table_args__ = (
        Index("ix_group_running_group_day", "group_id", "day"),  # a group's latest row on or before a day
        Index("ix_group_running_branch", "branch_id"),
        {"sqlite_with_rowid": False},
    )

    day: date = Field(primary_key=True)
    group_id: int = Field(foreign_key="socialgroup.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    branch_id: int = Field(foreign_key="branch.id")
    members: int = 0
    days: int = 0
    member_days: int = 0
    active_member_days: int = 0
    messages: int = 0
    customer_messages: int = 0
    customer_questions: int = 0
    staff_replies: int = 0
    answered_within_10min: int = 0
    joins: int = 0
    leaves: int = 0
    last_message_day: date | None = None  # the last day up to `day` on which a customer posted


class GroupLatest(SQLModel, table=True):
    """Per group, its latest `GroupRunning` row's day, members and last customer message: the state as of
    any day on or after `day` (dormancy at the latest day without a lookup per group)."""

    __table_args__ = (Index("ix_group_latest_branch", "branch_id"),)

    group_id: int = Field(foreign_key="socialgroup.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    branch_id: int = Field(foreign_key="branch.id")
    day: date
    members: int = 0
    last_message_day: date | None = None
    # True when the group has a running row on every day from its first to `day` (as the daily exports
    # give): its row on or before any day is then the row on that day (or on `day`), one lookup.
    dense: bool = False


class GroupActivity(SQLModel):
    """Group figures per day and kind, summed over groups: what a branch's (`GroupKindDaily`) and the whole
    bank's (`GroupBankDaily`) rows both hold."""

    day: date
    kind: str = Field(max_length=24)
    groups: int = 0
    members: int = 0
    active_members: int = 0
    messages: int = 0
    customer_messages: int = 0
    customer_questions: int = 0
    staff_replies: int = 0
    answered_within_10min: int = 0


class GroupBankDaily(GroupActivity, table=True):
    """`GroupKindDaily` summed over every branch: the whole bank's group figures per day and kind."""

    __table_args__ = (Index("ix_group_bank_daily_day", "day", "kind"),)

    id: int | None = Field(default=None, primary_key=True)


class GroupReplyBankDaily(SQLModel, table=True):
    """Questions answered per day, group kind (and `ALL_KINDS`) and daily median reply minutes, over the
    whole bank."""

    __table_args__ = (Index("ix_group_reply_bank_daily_kind_day", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    kind: str = Field(max_length=24)
    minutes: float
    answered: int = 0


class GroupMembersBankDaily(SQLModel, table=True):
    """Customers in at least one group of the bank (each once), per kind and `ALL_KINDS`, written on
    the days the figure changes: the figure on any day is the latest row on or before it."""

    __table_args__ = (Index("ix_group_members_bank_daily_kind_day", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    kind: str = Field(max_length=24)
    members: int = 0


class PointsBankDaily(SQLModel, table=True):
    """Points earned and redeemed (positive) per day and entry kind over the whole bank."""

    __table_args__ = (Index("ix_points_bank_daily_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    kind: str = Field(max_length=12)
    earned: int = 0
    redeemed: int = 0
    entries: int = 0


class PointsHoldersBankDaily(SQLModel, table=True):
    """Customers whose first points entry anywhere in the bank fell on the day."""

    __table_args__ = (Index("ix_points_holders_bank_daily_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    new_holders: int = 0


class GroupValueSnapshot(SQLModel, table=True):
    """Network value per group (`grain="group"`, `kind` its kind) or per owner staff and branch (`grain="staff"`,
    per kind and `ALL_KINDS`), valid for any day on or after `as_of` (the branch's last join or leave)."""

    __table_args__ = (Index("ix_group_value_snapshot_grain_branch", "grain", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    grain: str = Field(max_length=8)  # "group" or "staff"
    key_id: int | None = None  # the group's or the owner staff member's id
    branch_id: int = Field(foreign_key="branch.id")
    kind: str = Field(max_length=24)
    members: int = 0
    customers_held: int = 0
    brought_in: int = 0
    converted: int = 0
    products: int = 0
    deposits: float = 0.0
    wealth: float = 0.0


class GroupExpertSnapshot(SQLModel, table=True):
    """Per group: its experts and opinion leaders, their share of members' messages, and the top poster."""

    __table_args__ = (Index("ix_group_expert_snapshot_branch", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="socialgroup.id", unique=True)
    branch_id: int = Field(foreign_key="branch.id")
    experts: int = 0
    expert_share: float | None = None
    top_customer_id: int | None = Field(default=None, foreign_key="customer.id")
    top_share: float | None = None
    top_role: str | None = Field(default=None, max_length=24)


GROUP_ROLLUP_TABLES = (GroupRunning, GroupLatest, GroupBankDaily, GroupReplyBankDaily, GroupMembersBankDaily, PointsBankDaily,
                       PointsHoldersBankDaily, GroupValueSnapshot, GroupExpertSnapshot)
GROUP_RAW_SOURCES = {GroupRunning: GroupDaily, GroupLatest: GroupDaily, GroupBankDaily: GroupDaily,
                     GroupReplyBankDaily: GroupDaily,
                     GroupMembersBankDaily: GroupMembership, GroupValueSnapshot: GroupMembership,
                     GroupExpertSnapshot: GroupMembership, PointsBankDaily: PointsLedger,
                     PointsHoldersBankDaily: PointsLedger}


# ---------------------------------------------------------------- builders


def _in_branches(column, branch_ids):
    return true() if branch_ids is None else column.in_(sorted({int(b) for b in branch_ids}))


def _in_days(column, start: date | None, end: date | None):
    return and_(true(), *([column >= start] if start else []), *([column <= end] if end else []))


def _refresh_running(conn: Connection, branch_ids) -> int:
    """Whole history of the branches' groups (a running total depends on every earlier day)."""
    table = GroupRunning.__table__
    conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids)))
    window = {"partition_by": GroupDaily.group_id, "order_by": GroupDaily.day, "rows": (None, 0)}
    sums = [func.sum(getattr(GroupDaily, c)).over(**window) for c in (
        "members", "active_members", "messages", "customer_messages", "customer_questions", "staff_replies",
        "answered_within_10min", "joins", "leaves")]
    source = select(
        GroupDaily.group_id, GroupDaily.branch_id, GroupDaily.day, GroupDaily.members,
        func.count().over(**window), *sums,
        func.max(case((GroupDaily.customer_messages > 0, GroupDaily.day), else_=None)).over(**window),
    ).where(_in_branches(GroupDaily.branch_id, branch_ids)).order_by(GroupDaily.day, GroupDaily.group_id)
    conn.execute(insert(table).from_select(
        ["group_id", "branch_id", "day", "members", "days", "member_days", "active_member_days", "messages",
         "customer_messages", "customer_questions", "staff_replies", "answered_within_10min", "joins", "leaves",
         "last_message_day"], source))
    return conn.execute(select(func.count()).select_from(table)
                        .where(_in_branches(table.c.branch_id, branch_ids))).scalar_one()


def _refresh_latest(conn: Connection, branch_ids) -> int:
    """From `GroupRunning` (run after it): each group's last row."""
    table, running = GroupLatest.__table__, GroupRunning.__table__
    conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids)))
    span = (select(running.c.group_id, func.min(running.c.day).label("first_day"), func.max(running.c.day).label("day"))
            .where(_in_branches(running.c.branch_id, branch_ids)).group_by(running.c.group_id).subquery())
    if conn.dialect.name == "postgresql":
        days_spanned = running.c.day - span.c.first_day + 1
    else:
        days_spanned = func.cast(func.julianday(running.c.day) - func.julianday(span.c.first_day), Integer) + 1
    source = (select(running.c.group_id, running.c.branch_id, running.c.day, running.c.members,
                     running.c.last_message_day, running.c.days == days_spanned)
              .join(span, and_(span.c.group_id == running.c.group_id, span.c.day == running.c.day)))
    conn.execute(insert(table).from_select(["group_id", "branch_id", "day", "members", "last_message_day", "dense"],
                                           source))
    return conn.execute(select(func.count()).select_from(table)
                        .where(_in_branches(table.c.branch_id, branch_ids))).scalar_one()


def _refresh_bank_daily(conn: Connection, start, end) -> int:
    """From `GroupKindDaily` (run after it) for the days in the window."""
    from models.rollups import GroupKindDaily

    table, daily = GroupBankDaily.__table__, GroupKindDaily.__table__
    conn.execute(delete(table).where(_in_days(table.c.day, start, end)))
    columns = [c for c in GroupActivity.model_fields if c not in ("day", "kind")]
    source = (select(daily.c.day, daily.c.kind, *[func.sum(daily.c[c]) for c in columns])
              .where(_in_days(daily.c.day, start, end)).group_by(daily.c.day, daily.c.kind))
    conn.execute(insert(table).from_select(["day", "kind", *columns], source))
    return conn.execute(select(func.count()).select_from(table).where(_in_days(table.c.day, start, end))).scalar_one()


def _refresh_reply(conn: Connection, start, end) -> int:
    table = GroupReplyBankDaily.__table__
    conn.execute(delete(table).where(_in_days(table.c.day, start, end)))
    answered = and_(_in_days(GroupDaily.day, start, end), GroupDaily.median_first_reply_minutes.is_not(None),
                    GroupDaily.staff_replies > 0)
    per_kind = (
        select(GroupDaily.day, SocialGroup.kind, GroupDaily.median_first_reply_minutes,
               func.sum(GroupDaily.staff_replies))
        .join(SocialGroup, SocialGroup.id == GroupDaily.group_id)
        .where(answered)
        .group_by(GroupDaily.day, SocialGroup.kind, GroupDaily.median_first_reply_minutes)
    )
    every_kind = (
        select(GroupDaily.day, literal(ALL_KINDS), GroupDaily.median_first_reply_minutes,
               func.sum(GroupDaily.staff_replies))
        .where(answered)
        .group_by(GroupDaily.day, GroupDaily.median_first_reply_minutes)
    )
    for source in (per_kind, every_kind):
        conn.execute(insert(table).from_select(["day", "kind", "minutes", "answered"], source))
    return conn.execute(select(func.count()).select_from(table).where(_in_days(table.c.day, start, end))).scalar_one()


def unique_member_changes(stays: pd.DataFrame) -> pd.DataFrame:
    """From stays (key, customer_id, joined_on, left_on): per key, the days on which the number of
    customers in at least one stay changes, with the number from that day on. A customer's overlapping
    or touching stays are merged first, so each customer counts once per key."""
    if stays.empty:
        return pd.DataFrame({"key": pd.Series(dtype="object"), "day": pd.Series(dtype="datetime64[ns]"),
                             "members": pd.Series(dtype="int64")})
    never = np.iinfo("int64").max
    start = pd.to_datetime(stays["joined_on"]).to_numpy().astype("datetime64[D]")
    stop = pd.to_datetime(stays["left_on"]).to_numpy().astype("datetime64[D]")
    frame = pd.DataFrame({
        "key": stays["key"].to_numpy(), "customer_id": stays["customer_id"].to_numpy(),
        "start": start.astype("int64"), "stop": np.where(np.isnat(stop), never, stop.astype("int64")),
    })
    frame = frame[frame["start"] < frame["stop"]].sort_values(["key", "customer_id", "start"], kind="stable")
    reach = frame.groupby(["key", "customer_id"], sort=False)["stop"].cummax()
    previous_reach = reach.groupby([frame["key"], frame["customer_id"]], sort=False).shift(1)
    new_island = previous_reach.isna() | (frame["start"] > previous_reach)
    island = new_island.cumsum()
    islands = pd.DataFrame({"key": frame["key"], "island": island, "start": frame["start"], "stop": reach}) \
        .groupby("island").agg(key=("key", "first"), start=("start", "first"), stop=("stop", "max"))
    events = pd.concat([
        pd.DataFrame({"key": islands["key"], "day": islands["start"], "change": 1}),
        pd.DataFrame({"key": islands["key"], "day": islands["stop"], "change": -1})[islands["stop"] != never],
    ])
    daily = events.groupby(["key", "day"], as_index=False)["change"].sum()
    daily["members"] = daily.groupby("key")["change"].cumsum()
    daily["day"] = daily["day"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]")
    return daily[["key", "day", "members"]].reset_index(drop=True)


def _refresh_members(conn: Connection) -> int:
    """Bank-wide, whole history: a stay can change the figure of every later day."""
    table = GroupMembersBankDaily.__table__
    conn.execute(delete(table))
    result = conn.execute(select(GroupMembership.customer_id, GroupMembership.joined_on, GroupMembership.left_on,
                                 SocialGroup.kind).join(SocialGroup, SocialGroup.id == GroupMembership.group_id))
    stays = pd.DataFrame(result.fetchall(), columns=["customer_id", "joined_on", "left_on", "kind"])
    both = pd.concat([stays.assign(key=ALL_KINDS), stays.assign(key=stays["kind"])], ignore_index=True)
    changes = unique_member_changes(both)
    rows = [{"day": d.date(), "kind": k, "members": int(m)}
            for k, d, m in zip(changes["key"], changes["day"], changes["members"], strict=True)]
    if rows:
        conn.execute(insert(table), rows)
    return len(rows)


def _refresh_points(conn: Connection, start, end) -> int:
    table, holders = PointsBankDaily.__table__, PointsHoldersBankDaily.__table__
    conn.execute(delete(table).where(_in_days(table.c.day, start, end)))
    source = (
        select(PointsLedger.day, PointsLedger.kind,
               func.coalesce(func.sum(case((PointsLedger.points > 0, PointsLedger.points), else_=0)), 0),
               func.coalesce(func.sum(case((PointsLedger.points < 0, -PointsLedger.points), else_=0)), 0),
               func.count())
        .where(_in_days(PointsLedger.day, start, end))
        .group_by(PointsLedger.day, PointsLedger.kind)
    )
    conn.execute(insert(table).from_select(["day", "kind", "earned", "redeemed", "entries"], source))
    conn.execute(delete(holders))  # a customer's first entry may move earlier: rebuilt whole (one row per day)
    first = select(PointsLedger.customer_id, func.min(PointsLedger.day).label("day")) \
        .group_by(PointsLedger.customer_id).subquery()
    conn.execute(insert(holders).from_select(
        ["day", "new_holders"], select(first.c.day, func.count()).group_by(first.c.day)))
    return conn.execute(select(func.count()).select_from(table).where(_in_days(table.c.day, start, end))).scalar_one()


def _value_select(branch_ids, as_of, by: str, per_kind: bool):
    """Network value rows per (branch, key[, kind]) as of `as_of`, each customer once per row."""
    active = and_(GroupMembership.joined_on <= as_of,
                  or_(GroupMembership.left_on.is_(None), GroupMembership.left_on > as_of))
    key = GroupMembership.group_id if by == "group" else SocialGroup.staff_id
    kind = SocialGroup.kind if per_kind else literal(ALL_KINDS)
    per_customer = (
        select(GroupMembership.branch_id.label("branch_id"), key.label("key"), kind.label("kind"),
               GroupMembership.customer_id,
               func.max(case((active, 1), else_=0)).label("held"),
               func.max(case((GroupMembership.brought_in.is_(True), 1), else_=0)).label("brought"))
        .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
        .where(_in_branches(GroupMembership.branch_id, branch_ids), GroupMembership.joined_on <= as_of)
        .group_by(GroupMembership.branch_id, key, kind, GroupMembership.customer_id)
    ).subquery()
    held = and_(per_customer.c.held == 1, Customer.is_prospect.is_(False))
    return (
        select(literal(as_of), literal(by), per_customer.c.key, per_customer.c.branch_id, per_customer.c.kind,
               func.sum(per_customer.c.held), func.sum(case((held, 1), else_=0)), func.sum(per_customer.c.brought),
               func.sum(case((and_(per_customer.c.brought == 1, Customer.is_prospect.is_(False)), 1), else_=0)),
               func.sum(case((held, Customer.products_held), else_=0)),
               func.sum(case((held, Customer.deposit_balance), else_=0.0)),
               func.sum(case((held, Customer.wealth_balance), else_=0.0)))
        .join(Customer, Customer.id == per_customer.c.customer_id)
        .group_by(per_customer.c.branch_id, per_customer.c.key, per_customer.c.kind)
    )


def _refresh_value(conn: Connection, branch_ids) -> int:
    table = GroupValueSnapshot.__table__
    conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids)))
    as_of = conn.execute(select(func.max(func.coalesce(GroupMembership.left_on, GroupMembership.joined_on)),
                                func.max(GroupMembership.joined_on))
                         .where(_in_branches(GroupMembership.branch_id, branch_ids))).one()
    days = [d for d in as_of if d is not None]
    if not days:
        return 0
    as_of = max(pd.Timestamp(d).date() for d in days)
    columns = ["as_of", "grain", "key_id", "branch_id", "kind", "members", "customers_held", "brought_in", "converted",
               "products", "deposits", "wealth"]
    for by, per_kind in (("group", True), ("staff", True), ("staff", False)):
        conn.execute(insert(table).from_select(columns, _value_select(branch_ids, as_of, by, per_kind)))
    return conn.execute(select(func.count()).select_from(table)
                        .where(_in_branches(table.c.branch_id, branch_ids))).scalar_one()


def _refresh_experts(conn: Connection, branch_ids) -> int:
    from models.metrics.groups import conversation_drivers, expert_summary
    from models.scope import Scope

    table = GroupExpertSnapshot.__table__
    conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids)))
    scope = Scope.head_office() if branch_ids is None else Scope.for_branches(branch_ids)
    session = Session(bind=conn)
    drivers = conversation_drivers(session, scope, top_n=1)
    summary = expert_summary(drivers)
    if summary.empty:
        return 0
    top = drivers[drivers["rank"] == 1].set_index("group_id")["customer_id"]
    branches = dict(conn.execute(select(SocialGroup.id, SocialGroup.branch_id)
                                 .where(_in_branches(SocialGroup.branch_id, branch_ids))).all())

    def number(value):
        return None if value is None or pd.isna(value) else float(value)

    rows = [{"group_id": int(r.group_id), "branch_id": int(branches[int(r.group_id)]), "experts": int(r.experts),
             "expert_share": number(r.expert_share), "top_customer_id": int(top[r.group_id]),
             "top_share": number(r.top_share), "top_role": r.top_role}
            for r in summary.itertuples(index=False)]
    conn.execute(insert(table), rows)
    return len(rows)


def refresh_group_rollups(conn: Connection, branch_ids, start: date | None, end: date | None,
                          progress=None) -> dict[str, int]:
    """Rebuild the group summaries for the branches (running totals, snapshots) and days (bank-wide tables)."""
    import time

    written: dict[str, int] = {}
    for table, rebuild in (
        (GroupRunning, lambda: _refresh_running(conn, branch_ids)),
        (GroupLatest, lambda: _refresh_latest(conn, branch_ids)),
        (GroupBankDaily, lambda: _refresh_bank_daily(conn, start, end)),
        (GroupReplyBankDaily, lambda: _refresh_reply(conn, start, end)),
        (GroupMembersBankDaily, lambda: _refresh_members(conn)),
        (PointsBankDaily, lambda: _refresh_points(conn, start, end)),
        (GroupValueSnapshot, lambda: _refresh_value(conn, branch_ids)),
        (GroupExpertSnapshot, lambda: _refresh_experts(conn, branch_ids)),
    ):
        started = time.perf_counter()
        written[table.__tablename__] = rebuild()
        if progress:
            progress(f"  rollup {table.__tablename__}: {written[table.__tablename__]:,} rows in "
                     f"{time.perf_counter() - started:.1f}s")
    return written


__all__ = ["ALL_KINDS", "GROUP_RAW_SOURCES", "GROUP_ROLLUP_TABLES", "GroupActivity", "GroupBankDaily", "GroupExpertSnapshot",
           "GroupLatest", "GroupMembersBankDaily",
           "GroupReplyBankDaily", "GroupRunning", "GroupValueSnapshot", "PointsBankDaily",
           "PointsHoldersBankDaily", "refresh_group_rollups", "unique_member_changes"]
