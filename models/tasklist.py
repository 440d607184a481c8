"""Follow-up tasks: a president turns an alert (a silent group, a follower drop, a lagging village, a
staff member behind on visits) into a task for a staff member of the branch, with a due date; the staff
member closes it with a note. The writes are `models.tasks`; the reads `models.metrics.tasks`."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskSource(StrEnum):
    """What the task was made from: the alert kinds the pages show, or a president's own idea."""

    SILENT_GROUP = "silent_group"
    FOLLOWER_DROP = "follower_drop"
    LAGGING_VILLAGE = "lagging_village"
    STAFF_BEHIND = "staff_behind"
    MANUAL = "manual"


class Task(SQLModel, table=True):
    """One task for one staff member. The reference columns name what the alert was about (at most the
    ones that kind has); `version` grows with every change, so a second writer on a stale copy is refused."""

    __table_args__ = (
        Index("ix_task_branch_status", "branch_id", "status"),
        Index("ix_task_assignee_status", "assignee_staff_id", "status"),
        Index("ix_task_closed_at", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    assignee_staff_id: int = Field(foreign_key="staff.id")
    created_by_user_id: int = Field(foreign_key="user.id")
    created_at: datetime
    source_kind: str = Field(max_length=24)
    ref_group_id: int | None = Field(default=None, foreign_key="socialgroup.id")
    ref_village_id: int | None = Field(default=None, foreign_key="village.id")
    ref_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    ref_account_id: int | None = Field(default=None, foreign_key="officialaccount.id")
    ref_day: date | None = None
    title: str = Field(max_length=200)
    due_on: date
    status: str = Field(default=TaskStatus.OPEN, max_length=16)
    closing_note: str = Field(default="", max_length=500)
    closed_at: datetime | None = None
    closed_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = 1
