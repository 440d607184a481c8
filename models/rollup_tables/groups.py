"""Group rollup tables: running totals per group, the bank's daily figures, snapshots of value and experts.

At 1,000 branches the groups page's raw questions take seconds to minutes; these rows answer them in a
few index lookups. Bank-wide (`*Bank*`) tables serve the head-office scope only. Rebuilt by
`models.refresh.groups`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.groups import GroupDaily, GroupMembership, PointsLedger

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
