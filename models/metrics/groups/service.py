"""The service promise (questions answered within 10 minutes) per group or owner."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import distinct, func, literal, select
from sqlmodel import Session

from models.groups import GroupDaily, SocialGroup
from models.measures.groups import service_promise_table
from models.metrics.groups.activity import all_dense, medians_for_shown, running_at, running_days
from models.metrics.groups.common import groups_in_scope, staff_names
from models.scope import Scope
from models.store.frames import read_frame

PROMISE_COLUMNS = ["key", "groups", "customer_questions", "staff_replies", "answered_within_10min"]


def service_promise_counts(session: Session, scope: Scope, start: date, end: date, by: str = "group",
                           kind: str | None = None) -> pd.DataFrame:
    """Per group (or owner staff): customer questions, replies and replies within the 10-minute promise
    (from the groups' period sums; `groups` counts the groups with figures in the period)."""
    frame = read_frame(session, _promise_statement(scope, start, end, by, kind, dense=all_dense(session, scope)))
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in PROMISE_COLUMNS})
    return frame[PROMISE_COLUMNS].astype(dict.fromkeys(PROMISE_COLUMNS, "int64"))


def _promise_statement(scope: Scope, start: date, end: date, by: str, kind: str | None, limit: int | None = None,
                       dense: bool = False):
    """Per group or owner staff, the period's questions and replies from two running-total lookups per
    group; with `limit`, only the keys with the most questions (ties by key)."""
    days = running_days(scope, kind, dense=dense, last=end, before=start - timedelta(days=1))
    last, on_last = running_at(days, "last")
    before, on_before = running_at(days, "before")

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


def service_promise_view(session: Session, scope: Scope, start: date, end: date, by: str = "group",
                         kind: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The 10-minute promise per group or per owner staff, with names; with `limit`, the `limit` keys
    with the most customer questions (where the promise matters most)."""
    if limit is None:
        counts = service_promise_counts(session, scope, start, end, by, kind)
    else:
        counts = read_frame(session, _promise_statement(scope, start, end, by, kind, limit, all_dense(session, scope)))
        counts = counts.astype(dict.fromkeys(PROMISE_COLUMNS, "int64")) if not counts.empty else \
            pd.DataFrame({c: pd.Series(dtype="int64") for c in PROMISE_COLUMNS})
    medians = medians_for_shown(session, scope, start, end, by, kind, counts["key"], limit)
    table = service_promise_table(counts, medians)
    shown = None if limit is None else [int(k) for k in table["key"].dropna()]
    if by == "group":
        names = groups_in_scope(session, scope, group_ids=shown)[["group_id", "group_name", "kind", "branch_name",
                                                                  "staff_name"]]
        return table.merge(names.rename(columns={"group_id": "key"}), on="key", how="left")
    return table.merge(staff_names(session, scope, shown), on="key", how="left")
