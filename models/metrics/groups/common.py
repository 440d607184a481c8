"""The groups in scope, their owners and the constants the groups' queries share."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.groups import SocialGroup
from models.org import Branch, Staff
from models.rollup_tables.groups import GroupKindDaily
from models.scope import Scope
from models.store.frames import read_frame
from models.store.spans import first_and_last

POINT_VALUE_YUAN = 0.01  # 100 points buy 1 yuan of gifts: the liability is valued at the gift price
ACTIVITY_COLUMNS = ["day", "kind", "members", "active_members", "messages", "customer_messages"]
HEAD_OFFICE_ROWS = 200  # at head office a list shows this many groups (or staff), a branch's scope shows all
SUMMARY_COLUMNS = ["group_id", "days", "member_days", "active_member_days", "messages", "customer_messages",
                   "customer_questions", "staff_replies", "answered_within_10min", "joins", "leaves", "members_end",
                   "recent_messages", "previous_messages"]


# ---------------------------------------------------------------- queries


def group_date_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    """First and last day with group figures inside the scope."""
    return first_and_last(session, GroupKindDaily.day, scope.clause(GroupKindDaily.branch_id))


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


def group_owners(session: Session, scope: Scope, kind: str | None = None,
                 staff_ids: list[int] | None = None) -> pd.DataFrame:
    """Group id -> owner staff id for the scope's groups (of `staff_ids` only, when given)."""
    statement = select(SocialGroup.id.label("group_id"), SocialGroup.staff_id).where(scope.clause(SocialGroup.branch_id))
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    if staff_ids is not None:
        statement = statement.where(SocialGroup.staff_id.in_(sorted(staff_ids)))
    return read_frame(session, statement)


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


def staff_names(session: Session, scope: Scope, staff_ids: list[int] | None, owned_groups: bool = False) -> pd.DataFrame:
    """Names (and, with `owned_groups`, how many of the scope's groups each owns) keyed by staff id."""
    names = staff_in_scope(session, scope, staff_ids)
    columns = ["staff_id", "staff_name", "role", "branch_name"] if owned_groups else ["staff_id", "staff_name", "branch_name"]
    names = names[columns]
    if owned_groups:
        owners = group_owners(session, scope, staff_ids=staff_ids)
        owned = owners.groupby("staff_id").size().rename("groups").reset_index()
        names = names.merge(owned, on="staff_id", how="left")
    return names.rename(columns={"staff_id": "key"})
