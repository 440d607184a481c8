"""Tasks from alerts, the writes: create (a president or head office, for a staff member in scope), close
(the assignee or a president of the branch, with a note), reopen and cancel (a president or head office).

Every function takes the signed-in user's id and reads role and scope from the database itself (never
from the caller), checks them, writes, bumps the data version and audits, in one transaction. A refusal
writes nothing but its audit entry. A change names the version it was made on: if someone else changed
the task in between, `TaskConflict` says so and nothing is written (the caller keeps what was typed).

Tasks are in no rollup (the pages read them raw: a branch has tens, not millions), so there is nothing
to refresh beyond the data version that the cached queries key on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import NoReturn

from sqlalchemy import select, update
from sqlmodel import Session

from models.accounts import User, UserRole
from models.auth import audit, bump_data_version, scope_for_user, user_by_id, utcnow
from models.customers import Village
from models.followers import OfficialAccount
from models.groups import SocialGroup
from models.org import Staff
from models.scope import Scope
from models.tasklist import Task, TaskSource, TaskStatus

TITLE_MAX = 200
NOTE_MAX = 500
MANAGERS = (UserRole.ADMIN.value, UserRole.PRESIDENT.value)


class TaskError(ValueError):
    """A task change that may not or cannot be made; the message (中文 / English) is for the person who asked."""


class TaskRefused(TaskError):
    """The signed-in account may not make this change (role or scope)."""


class TaskConflict(TaskError):
    """The task changed since the caller read it (another person closed, reopened or cancelled it)."""


@dataclass(frozen=True)
class Actor:
    user: User
    scope: Scope

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def manages(self) -> bool:
        return self.user.role in MANAGERS


def actor_for(session: Session, user_id: int | None) -> Actor:
    """The signed-in account and its scope, read from the database (an unknown or disabled one is refused)."""
    user = user_by_id(session, int(user_id)) if user_id is not None else None
    if user is None:
        raise TaskRefused("请重新登录 / please sign in again")
    return Actor(user, scope_for_user(session, user))


def _refuse(session: Session, who: str, action: str, message: str, error: type[TaskError] = TaskRefused) -> NoReturn:
    """Undo anything pending, keep the refusal on the record, and raise."""
    session.rollback()
    audit(session, who, action, "refused", message)
    session.commit()
    raise error(message)


def _snapshot(task: Task) -> dict:
    return {"status": task.status, "title": task.title, "due_on": str(task.due_on),
            "assignee": task.assignee_staff_id, "note": task.closing_note, "version": task.version}


def _detail(task_id: int, before: dict | None, after: dict) -> str:
    changed = {k: v for k, v in after.items() if before is None or before.get(k) != v}
    text = json.dumps({"task": task_id, "before": None if before is None else {k: before.get(k) for k in changed},
                       "after": changed}, ensure_ascii=False, default=str)
    return text[:500]


def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def _check_reference(session: Session, actor: Actor, kind: str, group_id: int | None,
                     village_id: int | None, staff_id: int | None, account_id: int | None) -> str | None:
    """None when every reference exists and sits in the assignee's branch or the actor's scope; else why not."""
    for model, ref_id in ((SocialGroup, group_id), (Village, village_id), (Staff, staff_id),
                          (OfficialAccount, account_id)):
        if ref_id is None:
            continue
        row = session.get(model, int(ref_id))
        if row is None:
            return f"引用的记录不存在 / the alert's {model.__name__} {ref_id} does not exist"
        if not actor.scope.allows(row.branch_id):
            return f"引用的记录不在您的范围内 / the alert's {model.__name__} {ref_id} is outside your branches"
    if kind not in {s.value for s in TaskSource}:
        return f"未知的提醒类型 / unknown alert kind {kind!r}"
    return None


def create_task(session: Session, user_id: int | None, *, assignee_staff_id: int, title: str, due_on: date,
                source_kind: str = TaskSource.MANUAL, group_id: int | None = None, village_id: int | None = None,
                ref_staff_id: int | None = None, account_id: int | None = None, ref_day: date | None = None,
                now: datetime | None = None) -> int:
    """A president (their branches) or head office (any) gives a staff member a task with a due date.
    The task's branch is the assignee's. Returns the new task's id."""
    actor = actor_for(session, user_id)
    now = now or utcnow()
    if not actor.manages:
        _refuse(session, actor.name, "task_create", "只有行长和总行可以派任务 / only presidents and head office "
                "assign tasks")
    staff = session.get(Staff, int(assignee_staff_id))
    if staff is None or not actor.scope.allows(staff.branch_id):
        _refuse(session, actor.name, "task_create", f"员工 {assignee_staff_id} 不在您的范围内 / staff member "
                f"{assignee_staff_id} is outside your branches")
    title = _clean(title, TITLE_MAX)
    if not title:
        _refuse(session, actor.name, "task_create", "请填写任务内容 / the task needs a title", TaskError)
    if due_on < now.date():
        _refuse(session, actor.name, "task_create", f"截止日期 {due_on} 已过 / the due date {due_on} is in the past",
                TaskError)
    why = _check_reference(session, actor, str(source_kind), group_id, village_id, ref_staff_id,
                           account_id)
    if why:
        _refuse(session, actor.name, "task_create", why)
    task = Task(branch_id=staff.branch_id, assignee_staff_id=staff.id, created_by_user_id=actor.user.id,
                created_at=now, source_kind=str(source_kind), ref_group_id=group_id, ref_village_id=village_id,
                ref_staff_id=ref_staff_id, ref_account_id=account_id, ref_day=ref_day, title=title, due_on=due_on)
    session.add(task)
    session.flush()
    bump_data_version(session)
    audit(session, actor.name, "task_create", detail=_detail(int(task.id), None, {**_snapshot(task),
                                                                                  "source": task.source_kind}))
    session.commit()
    return int(task.id)


def _task_for_change(session: Session, actor: Actor, task_id: int, action: str) -> Task:
    task = session.get(Task, int(task_id))
    if task is None:
        _refuse(session, actor.name, action, f"任务 {task_id} 不存在 / there is no task {task_id}", TaskError)
    if not actor.scope.allows(task.branch_id):
        _refuse(session, actor.name, action, f"任务 {task_id} 不在您的范围内 / task {task_id} is outside your "
                "branches")
    return task


def _apply(session: Session, actor: Actor, task: Task, expected_version: int, from_status: str, action: str,
           values: dict) -> None:
    """Write `values` only if the task is still at `expected_version` and `from_status` (one conditional
    UPDATE: of two people on the same copy exactly one gets through), then bump and audit."""
    before = _snapshot(task)
    task_id = int(task.id)
    result = session.execute(
        update(Task).where(Task.id == task_id, Task.version == int(expected_version), Task.status == from_status)
        .values(**values, version=Task.version + 1))
    if result.rowcount != 1:
        _refuse(session, actor.name, action, f"任务 {task_id} 已被他人更新，请刷新后再试 / task {task_id} was changed "
                "by someone else meanwhile; reload it and try again", TaskConflict)
    session.expire(task)
    after = _snapshot(session.get(Task, task_id))
    bump_data_version(session)
    audit(session, actor.name, action, detail=_detail(task_id, before, after))
    session.commit()


def close_task(session: Session, user_id: int | None, task_id: int, note: str, expected_version: int,
               now: datetime | None = None) -> None:
    """The assignee (or a president / head office over the branch) closes an open task with a note."""
    actor = actor_for(session, user_id)
    task = _task_for_change(session, actor, task_id, "task_close")
    is_assignee = actor.user.role == UserRole.STAFF and actor.user.staff_id == task.assignee_staff_id
    if not (is_assignee or actor.manages):
        _refuse(session, actor.name, "task_close", f"只有被指派的员工或行长可以完成任务 {task_id} / only the assignee "
                f"or a president may close task {task_id}")
    note = _clean(note, NOTE_MAX)
    if not note:
        _refuse(session, actor.name, "task_close", "请写明处理情况 / please say what was done", TaskError)
    _apply(session, actor, task, expected_version, TaskStatus.OPEN, "task_close",
           {"status": TaskStatus.DONE.value, "closing_note": note, "closed_at": now or utcnow(),
            "closed_by_user_id": actor.user.id})


def reopen_task(session: Session, user_id: int | None, task_id: int, reason: str, expected_version: int) -> None:
    """A president or head office sends a done task back (the work was not enough); the reason is audited."""
    actor = actor_for(session, user_id)
    task = _task_for_change(session, actor, task_id, "task_reopen")
    if not actor.manages:
        _refuse(session, actor.name, "task_reopen", "只有行长和总行可以重新打开任务 / only presidents and head office "
                "reopen tasks")
    reason = _clean(reason, NOTE_MAX)
    if not reason:
        _refuse(session, actor.name, "task_reopen", "请写明原因 / please give a reason", TaskError)
    _apply(session, actor, task, expected_version, TaskStatus.DONE, "task_reopen",
           {"status": TaskStatus.OPEN.value, "closing_note": f"[重新打开 / reopened] {reason}"[:NOTE_MAX],
            "closed_at": None, "closed_by_user_id": None})


def cancel_task(session: Session, user_id: int | None, task_id: int, reason: str, expected_version: int,
                now: datetime | None = None) -> None:
    """A president or head office withdraws an open task (the alert resolved itself); the reason is kept."""
    actor = actor_for(session, user_id)
    task = _task_for_change(session, actor, task_id, "task_cancel")
    if not actor.manages:
        _refuse(session, actor.name, "task_cancel", "只有行长和总行可以撤销任务 / only presidents and head office "
                "cancel tasks")
    reason = _clean(reason, NOTE_MAX)
    if not reason:
        _refuse(session, actor.name, "task_cancel", "请写明原因 / please give a reason", TaskError)
    _apply(session, actor, task, expected_version, TaskStatus.OPEN, "task_cancel",
           {"status": TaskStatus.CANCELLED.value, "closing_note": reason, "closed_at": now or utcnow(),
            "closed_by_user_id": actor.user.id})


def open_task_ids(session: Session, staff_id: int) -> list[int]:
    """The open tasks of one staff member (for scripts and tests)."""
    return [int(i) for i in session.execute(select(Task.id).where(Task.assignee_staff_id == int(staff_id),
                                                                  Task.status == TaskStatus.OPEN.value)).scalars()]
