"""Staff-day figures that WeCom's customer-contact statistics give (issue 16): per staff member and day, how they
served their customers one to one (`StaffContactDaily`, from `get_user_behavior_data`) and how the customer groups
they own did (`StaffGroupChatDaily`, from `groupchat/statistic_group_by_day`). One row per staff member and day,
small per day (one row per staff member who uses customer contact), so a scope reads them directly."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class StaffContactDaily(SQLModel, table=True):
    """「联系客户统计」 of one staff member on one day: chats and messages with customers, the share of chats the
    staff member replied to within the day, the average minutes to the first reply, contact requests and new
    customers added, and customers who deleted or blocked the staff member."""

    __table_args__ = (
        UniqueConstraint("staff_id", "day"),
        Index("ix_staff_contact_daily_branch_day", "branch_id", "day"),
        Index("ix_staff_contact_daily_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    day: date
    chat_cnt: int = Field(default=0, ge=0)
    message_cnt: int = Field(default=0, ge=0)
    reply_percentage: float | None = None  # 0..100, as WeCom gives it; empty when no customer wrote first
    avg_reply_time: float | None = None    # minutes; empty when nothing was answered
    new_apply_cnt: int = Field(default=0, ge=0)
    new_contact_cnt: int = Field(default=0, ge=0)
    negative_feedback_cnt: int = Field(default=0, ge=0)


class StaffGroupChatDaily(SQLModel, table=True):
    """「群聊数据统计」 of the customer groups one staff member owns, on one day: new groups, groups in all, groups
    with messages, new members, members in all, members who spoke, messages."""

    __table_args__ = (
        UniqueConstraint("staff_id", "day"),
        Index("ix_staff_group_chat_daily_branch_day", "branch_id", "day"),
        Index("ix_staff_group_chat_daily_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    day: date
    new_chat_cnt: int = Field(default=0, ge=0)
    chat_total: int = Field(default=0, ge=0)
    chat_has_msg: int = Field(default=0, ge=0)
    new_member_cnt: int = Field(default=0, ge=0)
    member_total: int = Field(default=0, ge=0)
    member_has_msg: int = Field(default=0, ge=0)
    msg_total: int = Field(default=0, ge=0)
