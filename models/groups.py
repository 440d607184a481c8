"""Relationship networks (外延式客户关系网): social groups, who is in them, their daily activity, and points.

A group is a WeChat or WeCom group that a staff member built and owns; a customer (or prospect) may
be a member of several. `GroupDaily` holds one row per group and day, the grain the pages read.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class GroupKind(StrEnum):
    """The kinds of network named in seeds 000, 001 and 003 (DOMAIN.md §2)."""

    CLIENT_UNIT = "client_unit"  # 客户单位群: government bodies, key accounts, army, state enterprises
    BRANCH_NAMED = "branch_named"  # 网点冠名群
    FRIENDS = "friends"  # 朋友群: alumni, hometown associations
    PRIZE_CONTEST = "prize_contest"  # 有奖竞赛群, e.g. fund auto-investment contests
    COMMUNITY = "community"  # 社区 (residential compound) groups
    INTEREST = "interest"  # 兴趣群: tennis, basketball, calligraphy, vegetable growing
    NEW_CUSTOMER_SERVICE = "new_customer_service"  # 新客户服务群 with a 10-minute reply promise


class Platform(StrEnum):
    WECHAT = "wechat"
    WECOM = "wecom"


class MemberRole(StrEnum):
    MEMBER = "member"
    COMMUNITY_EXPERT = "community_expert"  # 社区达人
    OPINION_LEADER = "opinion_leader"  # 意见领袖


class PointsKind(StrEnum):
    """Seed 001's universal points: earned for joining events, posting, sharing, liking, buying; redeemed for gifts."""

    EVENT = "event"
    POST = "post"
    SHARE = "share"
    LIKE = "like"
    BUY = "buy"
    REDEEM = "redeem"


EARN_KINDS = (PointsKind.EVENT, PointsKind.POST, PointsKind.SHARE, PointsKind.LIKE, PointsKind.BUY)
REPLY_PROMISE_MINUTES = 10


class SocialGroup(SQLModel, table=True):
    """A group a staff member built on WeChat or WeCom; `staff_id` owns it and is credited with its value."""

    __table_args__ = (Index("ix_social_group_branch_kind", "branch_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    kind: str = Field(max_length=24)
    platform: str = Field(default=Platform.WECHAT, max_length=8)
    name: str = Field(max_length=80)
    created_on: date


class GroupMembership(SQLModel, table=True):
    """One stay of a customer in a group (joined, left). `brought_in` marks the group through which the
    bank first reached the person (at most one per person); `messages` counts what the member posted in
    the group over the recorded period, which is how experts' share of the conversation is measured."""

    __table_args__ = (
        UniqueConstraint("group_id", "customer_id", "joined_on", name="uq_group_membership_stay"),
        Index("ix_group_membership_branch_customer", "branch_id", "customer_id"),
        Index("ix_group_membership_customer", "customer_id"),
        # A membership refresh finds the stays that moved from its first day on (joined or left since)
        Index("ix_group_membership_joined_on", "joined_on"),
        Index("ix_group_membership_left_on", "left_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="socialgroup.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id")
    joined_on: date
    left_on: date | None = None
    role: str = Field(default=MemberRole.MEMBER, max_length=24)
    brought_in: bool = False
    messages: int = Field(default=0, ge=0)


class GroupDaily(SQLModel, table=True):
    """One row per group and day. `messages` counts every message, `customer_messages` only customers';
    `active_members` are customers who posted that day. Reply figures cover customer questions:
    `median_first_reply_minutes` is that day's median minutes to the first staff reply (empty without
    questions)."""

    __table_args__ = (
        UniqueConstraint("group_id", "day", name="uq_group_daily_group_day"),
        Index("ix_group_daily_branch_day", "branch_id", "day"),
        Index("ix_group_daily_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="socialgroup.id")
    branch_id: int = Field(foreign_key="branch.id")
    day: date
    members: int = Field(ge=0)
    joins: int = Field(default=0, ge=0)
    leaves: int = Field(default=0, ge=0)
    active_members: int = Field(default=0, ge=0)
    messages: int = Field(default=0, ge=0)
    customer_messages: int = Field(default=0, ge=0)
    customer_questions: int = Field(default=0, ge=0)
    staff_replies: int = Field(default=0, ge=0)
    answered_within_10min: int = Field(default=0, ge=0)
    median_first_reply_minutes: float | None = None


class PointsLedger(SQLModel, table=True):
    """A points entry: positive when earned, negative when redeemed for a gift."""

    __table_args__ = (
        Index("ix_points_ledger_branch_day", "branch_id", "day"),
        Index("ix_points_ledger_customer", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id")
    group_id: int | None = Field(default=None, foreign_key="socialgroup.id")
    day: date
    kind: str = Field(max_length=12)
    points: int
