"""Tasks and campaign targets as the pages read them: a branch's tasks with their state (open, overdue,
done, cancelled), a staff member's own, how many were closed in a week; the staff a task may go to; a
branch's target and how it is split. Always limited to the scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.accounts import User
from models.campaign import CampaignTarget, TargetLevel
from models.customers import Village
from models.groups import SocialGroup
from models.org import Branch, BranchLevel, Staff
from models.scope import Scope
from models.store.frames import read_frame
from models.tasklist import Task, TaskStatus

OVERDUE = "overdue"
TASK_COLUMNS = ["task_id", "title", "status", "state", "branch_id", "branch_name", "assignee_staff_id",
                "assignee_name", "created_by", "created_at", "due_on", "closed_at", "closed_by", "closing_note",
                "source_kind", "group_name", "village_name", "ref_staff_name", "ref_day", "version"]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def task_state(status: pd.Series, due_on: pd.Series, as_of: date) -> pd.Series:
    """An open task past its due date is overdue; otherwise the state is the status."""
    late = (status == TaskStatus.OPEN.value) & (pd.to_datetime(due_on) < pd.Timestamp(as_of))
    return status.where(~late, OVERDUE)


def _task_statement(scope: Scope):
    assignee, ref_staff = aliased(Staff), aliased(Staff)
    creator, closer = aliased(User), aliased(User)
    return (
        select(Task.id.label("task_id"), Task.title, Task.status, Task.branch_id, Branch.name.label("branch_name"),
               Task.assignee_staff_id, assignee.name.label("assignee_name"),
               func.coalesce(func.nullif(creator.display_name, ""), creator.username).label("created_by"),
               Task.created_at, Task.due_on, Task.closed_at,
               func.coalesce(func.nullif(closer.display_name, ""), closer.username).label("closed_by"),
               Task.closing_note, Task.source_kind, SocialGroup.name.label("group_name"),
               Village.name.label("village_name"), ref_staff.name.label("ref_staff_name"), Task.ref_day, Task.version)
        .join(Branch, Branch.id == Task.branch_id)
        .join(assignee, assignee.id == Task.assignee_staff_id)
        .join(creator, creator.id == Task.created_by_user_id)
        .join(closer, closer.id == Task.closed_by_user_id, isouter=True)
        .join(SocialGroup, SocialGroup.id == Task.ref_group_id, isouter=True)
        .join(Village, Village.id == Task.ref_village_id, isouter=True)
        .join(ref_staff, ref_staff.id == Task.ref_staff_id, isouter=True)
        .where(scope.clause(Task.branch_id))
    )


def _task_frame(session: Session, statement, as_of: date) -> pd.DataFrame:
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame(columns=TASK_COLUMNS)
    for column in ("due_on", "ref_day"):
        frame[column] = pd.to_datetime(frame[column])
    for column in ("created_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["state"] = task_state(frame["status"], frame["due_on"], as_of)
    order = frame["state"].map({OVERDUE: 0, TaskStatus.OPEN.value: 1, TaskStatus.DONE.value: 2}).fillna(3)
    frame = frame.assign(_order=order).sort_values(["_order", "due_on", "task_id"])
    return frame[TASK_COLUMNS].reset_index(drop=True)


def branch_tasks(session: Session, scope: Scope, as_of: date) -> pd.DataFrame:
    """Every task of the scope's branches, overdue first, then open by due date, then done and cancelled."""
    return _task_frame(session, _task_statement(scope), as_of)


def my_tasks(session: Session, scope: Scope, as_of: date) -> pd.DataFrame:
    """The tasks given to the scope's own staff member (none for an account without a staff record)."""
    if scope.staff_id is None:
        return pd.DataFrame(columns=TASK_COLUMNS)
    return _task_frame(session, _task_statement(scope).where(Task.assignee_staff_id == int(scope.staff_id)), as_of)


def tasks_closed(session: Session, scope: Scope, start: date, end: date) -> int:
    """Tasks of the scope closed as done from `start` to `end` (UTC days, both included)."""
    statement = select(func.count()).select_from(Task).where(
        scope.clause(Task.branch_id), Task.status == TaskStatus.DONE.value,
        Task.closed_at >= _day_start(start), Task.closed_at < _day_start(end + timedelta(days=1)))
    return int(session.execute(statement).scalar_one())


def task_counts(session: Session, scope: Scope, as_of: date) -> dict[str, int]:
    """Open, overdue (of the open) and done in the seven days to `as_of`, for the scope's tasks."""
    rows = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Task.due_on < as_of, 1), else_=0)), 0))
        .where(scope.clause(Task.branch_id), Task.status == TaskStatus.OPEN.value)).one()
    return {"open": int(rows[0]), "overdue": int(rows[1]),
            "done_week": tasks_closed(session, scope, as_of - timedelta(days=6), as_of)}


def assignable_staff(session: Session, scope: Scope, branch_id: int | None = None) -> pd.DataFrame:
    """Staff members a task may go to: the scope's (one branch's, when given), by branch and name."""
    statement = (
        select(Staff.id.label("staff_id"), Staff.name.label("staff_name"), Staff.role, Staff.branch_id,
               Branch.name.label("branch_name"))
        .join(Branch, Branch.id == Staff.branch_id)
        .where(scope.clause(Staff.branch_id))
        .order_by(Branch.code, Staff.name, Staff.id)
    )
    if branch_id is not None:
        statement = statement.where(Staff.branch_id == int(branch_id))
    return read_frame(session, statement)


def branch_target_table(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """Per sub-branch of the scope: its season target and what is split over villages and over staff."""
    level_sum = {level: func.coalesce(func.sum(CampaignTarget.deposit_target).filter(
        CampaignTarget.level == level), 0.0) for level in TargetLevel}
    sums = (
        select(CampaignTarget.branch_id, level_sum[TargetLevel.BRANCH].label("branch_target"),
               level_sum[TargetLevel.VILLAGE].label("village_split"),
               level_sum[TargetLevel.STAFF].label("staff_split"))
        .where(CampaignTarget.campaign_id == int(campaign_id))
        .group_by(CampaignTarget.branch_id)
        .subquery()
    )
    statement = (
        select(Branch.id.label("branch_id"), Branch.name.label("branch_name"), sums.c.branch_target,
               sums.c.village_split, sums.c.staff_split)
        .join(sums, sums.c.branch_id == Branch.id, isouter=True)
        .where(scope.clause(Branch.id), Branch.level == BranchLevel.SUB_BRANCH.value)
        .order_by(Branch.code)
    )
    frame = read_frame(session, statement)
    for column in ("branch_target", "village_split", "staff_split"):
        frame[column] = frame[column].astype("float64").fillna(0.0)
    return frame


def target_split(session: Session, scope: Scope, campaign_id: int, branch_id: int) -> dict[str, pd.DataFrame]:
    """One branch's villages and staff members with their current targets (a target may only go to the
    branch's own villages and staff, `models.targets.split_branch_target`)."""
    if not scope.allows(int(branch_id)):
        return {"villages": pd.DataFrame(columns=["village_id", "village_name", "township", "deposit_target"]),
                "staff": pd.DataFrame(columns=["staff_id", "staff_name", "role", "deposit_target"])}
    village_target = (select(CampaignTarget.village_id, CampaignTarget.deposit_target)
                      .where(CampaignTarget.campaign_id == int(campaign_id),
                             CampaignTarget.branch_id == int(branch_id),
                             CampaignTarget.level == TargetLevel.VILLAGE.value).subquery())
    villages = read_frame(session, (
        select(Village.id.label("village_id"), Village.name.label("village_name"), Village.township,
               func.coalesce(village_target.c.deposit_target, 0.0).label("deposit_target"))
        .join(village_target, village_target.c.village_id == Village.id, isouter=True)
        .where(Village.branch_id == int(branch_id))
        .order_by(Village.township, Village.name, Village.id)))
    staff_target = (select(CampaignTarget.staff_id, CampaignTarget.deposit_target)
                    .where(CampaignTarget.campaign_id == int(campaign_id), CampaignTarget.branch_id == int(branch_id),
                           CampaignTarget.level == TargetLevel.STAFF.value).subquery())
    staff = read_frame(session, (
        select(Staff.id.label("staff_id"), Staff.name.label("staff_name"), Staff.role,
               func.coalesce(staff_target.c.deposit_target, 0.0).label("deposit_target"))
        .join(staff_target, and_(staff_target.c.staff_id == Staff.id), isouter=True)
        .where(Staff.branch_id == int(branch_id))
        .order_by(Staff.name, Staff.id)))
    for frame in (villages, staff):
        frame["deposit_target"] = frame["deposit_target"].astype("float64")
    return {"villages": villages, "staff": staff}
