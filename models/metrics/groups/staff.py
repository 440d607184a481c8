"""Staff-day figures from WeCom's customer-contact statistics (`models.staff_activity`, filled by the WeCom sync or a
file): per staff member, how they served customers one to one, and how the groups they own did. The tables hold
one row per staff member and day, so every scope reads them directly (at head office, the top rows)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from models.org import Branch, Staff
from models.scope import Scope
from models.staff_activity import StaffContactDaily, StaffGroupChatDaily
from models.store.frames import read_frame
from models.store.spans import first_and_last

CONTACT_COLUMNS = ["staff_id", "staff_name", "branch_name", "days", "chats", "messages", "reply_share",
                   "avg_reply_minutes", "new_contacts", "negative_feedback"]
OWNER_COLUMNS = ["staff_id", "staff_name", "branch_name", "days", "new_groups", "groups", "groups_with_messages",
                 "new_members", "members", "members_who_spoke", "messages"]


def staff_day_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    """First and last day with staff-day figures (either table) inside the scope."""
    days = [first_and_last(session, t.day, scope.clause(t.branch_id)) for t in (StaffContactDaily, StaffGroupChatDaily)]
    firsts, lasts = [d[0] for d in days if d[0]], [d[1] for d in days if d[1]]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def _named(statement, table, scope: Scope, start: date, end: date):
    return (statement.join(Staff, Staff.id == table.staff_id).join(Branch, Branch.id == table.branch_id)
            .where(scope.clause(table.branch_id), table.day.between(start, end))
            .group_by(table.staff_id, Staff.name, Branch.name))


def staff_contact_table(session: Session, scope: Scope, start: date, end: date, limit: int | None = None) -> pd.DataFrame:
    """Per staff member over [start, end]: chats, messages, the share of chats replied to and the average minutes
    to the first reply (both weighted by the day's chats), new customers added, customers lost; most messages first."""
    t = StaffContactDaily
    answered = t.reply_percentage.is_not(None)
    replied_chats = func.sum(case((answered, t.chat_cnt), else_=0))
    timed = and_(t.avg_reply_time.is_not(None), t.chat_cnt > 0)
    statement = _named(select(
        t.staff_id, Staff.name.label("staff_name"), Branch.name.label("branch_name"), func.count().label("days"),
        func.sum(t.chat_cnt).label("chats"), func.sum(t.message_cnt).label("messages"),
        (func.sum(case((answered, t.reply_percentage * t.chat_cnt), else_=0.0)) /
         func.nullif(replied_chats, 0) / 100.0).label("reply_share"),
        (func.sum(case((timed, t.avg_reply_time * t.chat_cnt), else_=0.0)) /
         func.nullif(func.sum(case((timed, t.chat_cnt), else_=0)), 0)).label("avg_reply_minutes"),
        func.sum(t.new_contact_cnt).label("new_contacts"), func.sum(t.negative_feedback_cnt).label("negative_feedback"),
    ), t, scope, start, end).order_by(func.sum(t.message_cnt).desc(), t.staff_id)
    frame = read_frame(session, statement.limit(limit) if limit else statement)
    return _typed(frame, CONTACT_COLUMNS, ("reply_share", "avg_reply_minutes"))


def owner_group_table(session: Session, scope: Scope, start: date, end: date, limit: int | None = None) -> pd.DataFrame:
    """Per group owner over [start, end]: new groups, new members and messages (summed), groups and members on
    the last day, and groups with messages and members who spoke on an average day; most messages first."""
    t = StaffGroupChatDaily
    last = select(t.staff_id, func.max(t.day).label("day")).where(scope.clause(t.branch_id),
                                                                  t.day.between(start, end)).group_by(t.staff_id).subquery()
    on_last = select(t.staff_id, t.chat_total.label("groups"), t.member_total.label("members")) \
        .join(last, and_(last.c.staff_id == t.staff_id, last.c.day == t.day)).subquery()
    statement = _named(select(
        t.staff_id, Staff.name.label("staff_name"), Branch.name.label("branch_name"), func.count().label("days"),
        func.sum(t.new_chat_cnt).label("new_groups"), func.max(on_last.c.groups).label("groups"),
        (func.sum(t.chat_has_msg) * 1.0 / func.count()).label("groups_with_messages"),
        func.sum(t.new_member_cnt).label("new_members"), func.max(on_last.c.members).label("members"),
        (func.sum(t.member_has_msg) * 1.0 / func.count()).label("members_who_spoke"),
        func.sum(t.msg_total).label("messages"),
    ).join(on_last, on_last.c.staff_id == t.staff_id), t, scope, start, end) \
        .order_by(func.sum(t.msg_total).desc(), t.staff_id)
    frame = read_frame(session, statement.limit(limit) if limit else statement)
    return _typed(frame, OWNER_COLUMNS, ("groups_with_messages", "members_who_spoke"))


def _typed(frame: pd.DataFrame, columns: list[str], floats: tuple[str, ...]) -> pd.DataFrame:
    frame = frame.reindex(columns=columns)
    for column in columns[3:]:
        if column in floats:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype("int64")
    return frame
