"""Rebuilds the group rollups for the branches (running totals, snapshots) and days (bank-wide tables)."""

from __future__ import annotations

import time
from datetime import date

import pandas as pd
from sqlalchemy import Integer, and_, case, delete, func, insert, literal, or_, select, true
from sqlalchemy.engine import Connection
from sqlmodel import Session

from models.customers import Customer
from models.groups import GroupDaily, GroupMembership, PointsLedger, SocialGroup
from models.measures.groups import conversation_drivers, expert_summary, unique_member_changes
from models.refresh.common import chunked, read_in_stored_order
from models.rollup_tables.groups import (
    ALL_KINDS,
    GroupActivity,
    GroupBankDaily,
    GroupExpertSnapshot,
    GroupKindDaily,
    GroupLatest,
    GroupMembersBankDaily,
    GroupReplyBankDaily,
    GroupRunning,
    GroupValueSnapshot,
    PointsBankDaily,
    PointsHoldersBankDaily,
)
from models.scope import Scope
from models.store.bulk import indexes_built_after
from models.store.frames import read_frame

# ---------------------------------------------------------------- builders


def _in_branches(column, branch_ids):
    return true() if branch_ids is None else column.in_(sorted({int(b) for b in branch_ids}))


def _in_days(column, start: date | None, end: date | None):
    return and_(true(), *([column >= start] if start else []), *([column <= end] if end else []))


_RUNNING_SUMS = ("members", "active_members", "messages", "customer_messages", "customer_questions", "staff_replies",
                 "answered_within_10min", "joins", "leaves")  # summed into member_days, active_member_days, ...
_RUNNING_COLUMNS = ["group_id", "branch_id", "day", "members", "days", "member_days", "active_member_days", "messages",
                    "customer_messages", "customer_questions", "staff_replies", "answered_within_10min", "joins",
                    "leaves", "last_message_day"]


def _refresh_running(conn: Connection, branch_ids, start: date | None = None) -> int:
    """The branches' running rows from `start` on (None: their whole history). A row from `start` on is the
    group's last row before `start` plus the sums of its days from `start` to the row's day: a new day reads
    that day and one stored row per group, not the history (which is what the totals before it already hold)."""
    table = GroupRunning.__table__
    with indexes_built_after(conn, [table], branch_ids is None and start is None):
        return _write_running(conn, table, branch_ids, start)


def _write_running(conn: Connection, table, branch_ids, start: date | None) -> int:
    conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids),
                                     true() if start is None else table.c.day >= start))
    window = {"partition_by": GroupDaily.group_id, "order_by": GroupDaily.day, "rows": (None, 0)}
    fresh = select(
        GroupDaily.group_id, GroupDaily.branch_id, GroupDaily.day, GroupDaily.members,
        func.count().over(**window).label("days"),
        *[func.sum(getattr(GroupDaily, c)).over(**window).label(f"sum_{c}") for c in _RUNNING_SUMS],
        func.max(case((GroupDaily.customer_messages > 0, GroupDaily.day), else_=None)).over(**window)
        .label("last_message_day"),
    ).where(_in_branches(GroupDaily.branch_id, branch_ids), true() if start is None else GroupDaily.day >= start)
    if start is None:
        source = fresh.order_by(GroupDaily.day, GroupDaily.group_id)
    else:
        rows = fresh.subquery()
        if conn.dialect.name == "postgresql":
            # Each group's last row before `start` by one index lookup (LATERAL): with a join, PostgreSQL
            # misjudged the new day's rows and hashed every stored running row
            base = (select(table).where(table.c.group_id == rows.c.group_id, table.c.day < start)
                    .order_by(table.c.day.desc()).limit(1).lateral("base"))
            joined = true()
        else:
            base = table.alias("base")
            before = table.alias("before")
            last_before = (select(func.max(before.c.day)).where(before.c.group_id == rows.c.group_id,
                                                                 before.c.day < start).scalar_subquery())
            joined = and_(base.c.group_id == rows.c.group_id, base.c.day == last_before)
        carried = {c: func.coalesce(base.c[c], 0) for c in ("days", "member_days", "active_member_days", *_RUNNING_SUMS[2:])}
        source = (select(rows.c.group_id, rows.c.branch_id, rows.c.day, rows.c.members,
                         rows.c.days + carried["days"], rows.c.sum_members + carried["member_days"],
                         rows.c.sum_active_members + carried["active_member_days"],
                         *[rows.c[f"sum_{c}"] + carried[c] for c in _RUNNING_SUMS[2:]],
                         func.coalesce(rows.c.last_message_day, base.c.last_message_day))
                  .select_from(rows)
                  .outerjoin(base, joined)
                  .order_by(rows.c.day, rows.c.group_id))
    conn.execute(insert(table).from_select(_RUNNING_COLUMNS, source))
    return conn.execute(select(func.count()).select_from(table).where(
        _in_branches(table.c.branch_id, branch_ids), true() if start is None else table.c.day >= start)).scalar_one()


def _refresh_latest(conn: Connection, branch_ids, start: date | None = None) -> int:
    """From `GroupRunning` (run after it): each group's last row. With `start`, only the groups with a running
    row from `start` on (the others' last row did not move), each by two index lookups (its first and last day)."""
    table, running = GroupLatest.__table__, GroupRunning.__table__
    if start is None:
        conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids)))
        span = (select(running.c.group_id, func.min(running.c.day).label("first_day"),
                       func.max(running.c.day).label("day"))
                .where(_in_branches(running.c.branch_id, branch_ids)).group_by(running.c.group_id).subquery())
    else:
        moved = (select(running.c.group_id).where(_in_branches(running.c.branch_id, branch_ids), running.c.day >= start)
                 .distinct().subquery())
        conn.execute(delete(table).where(table.c.group_id.in_(select(moved.c.group_id))))
        first, last = running.alias("first"), running.alias("last")
        span = select(
            moved.c.group_id,
            select(func.min(first.c.day)).where(first.c.group_id == moved.c.group_id).scalar_subquery().label("first_day"),
            select(func.max(last.c.day)).where(last.c.group_id == moved.c.group_id).scalar_subquery().label("day"),
        ).subquery()
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

    table, daily = GroupBankDaily.__table__, GroupKindDaily.__table__
    conn.execute(delete(table).where(_in_days(table.c.day, start, end)))
    columns = [c for c in GroupActivity.model_fields if c not in ("day", "kind")]
    source = (select(daily.c.day, daily.c.kind, *[func.sum(daily.c[c]) for c in columns])
              .where(_in_days(daily.c.day, start, end)).group_by(daily.c.day, daily.c.kind))
    conn.execute(insert(table).from_select(["day", "kind", *columns], source))
    return conn.execute(select(func.count()).select_from(table).where(_in_days(table.c.day, start, end))).scalar_one()


def _refresh_reply(conn: Connection, start, end) -> int:
    table = GroupReplyBankDaily.__table__
    with indexes_built_after(conn, [table], start is None and end is None):
        return _write_reply(conn, table, start, end)


def _write_reply(conn: Connection, table, start, end) -> int:
    conn.execute(delete(table).where(_in_days(table.c.day, start, end)))
    answered = read_in_stored_order(conn, select(
        GroupDaily.group_id, GroupDaily.day, GroupDaily.median_first_reply_minutes, GroupDaily.staff_replies,
    ).where(_in_days(GroupDaily.day, start, end), GroupDaily.median_first_reply_minutes.is_not(None),
            GroupDaily.staff_replies > 0), start is None and end is None)
    per_kind = (
        select(answered.c.day, SocialGroup.kind, answered.c.median_first_reply_minutes, func.sum(answered.c.staff_replies))
        .join(SocialGroup, SocialGroup.id == answered.c.group_id)
        .group_by(answered.c.day, SocialGroup.kind, answered.c.median_first_reply_minutes)
    )
    every_kind = (
        select(answered.c.day, literal(ALL_KINDS), answered.c.median_first_reply_minutes,
               func.sum(answered.c.staff_replies))
        .group_by(answered.c.day, answered.c.median_first_reply_minutes)
    )
    for source in (per_kind, every_kind):
        conn.execute(insert(table).from_select(["day", "kind", "minutes", "answered"], source))
    return conn.execute(select(func.count()).select_from(table).where(_in_days(table.c.day, start, end))).scalar_one()


def _refresh_members(conn: Connection, since: date | None = None) -> int:
    """Bank-wide. Without `since`, the whole history (a stay can change the figure of every later day); with it,
    only the days from `since` on, from the stays of the customers with a join or leave on `since` or later:
    every other customer is in the same groups on every day from the day before `since` on, so a figure from
    `since` on is the stored one before it plus how many more of those customers are in than were the day
    before. A row is written on `since` when the figure there differs from the stored one before it, then on
    each later day the figure changes."""
    table = GroupMembersBankDaily.__table__
    statement = select(GroupMembership.customer_id, GroupMembership.joined_on, GroupMembership.left_on,
                       SocialGroup.kind).join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
    if since is not None:
        moving = select(GroupMembership.customer_id).where(
            or_(GroupMembership.joined_on >= since, GroupMembership.left_on >= since))
        statement = statement.where(GroupMembership.customer_id.in_(moving))
    stays = read_frame(conn, statement)  # customer_id, joined_on, left_on, kind
    both = pd.concat([stays.assign(key=ALL_KINDS), stays.assign(key=stays["kind"])], ignore_index=True)
    changes = unique_member_changes(both)
    if since is None:
        conn.execute(delete(table))
        rows = [{"day": d.date(), "kind": k, "members": int(m)}
                for k, d, m in zip(changes["key"], changes["day"], changes["members"], strict=True)]
    else:
        latest = select(table.c.kind, func.max(table.c.day).label("day")).where(table.c.day < since) \
            .group_by(table.c.kind).subquery()
        stored = dict(conn.execute(select(table.c.kind, table.c.members).join(
            latest, and_(latest.c.kind == table.c.kind, latest.c.day == table.c.day))).all())
        conn.execute(delete(table).where(table.c.day >= since))
        start = pd.Timestamp(since)

        def moving_in(day: pd.Timestamp) -> dict:
            return changes[changes["day"] <= day].groupby("key")["members"].last().to_dict()

        moving_before = moving_in(start - pd.Timedelta(days=1))

        def figure(kind, moving_members) -> int:
            return int(stored.get(kind, 0)) + int(moving_members) - int(moving_before.get(kind, 0))

        on_since = moving_in(start)
        rows = [{"day": since, "kind": k, "members": figure(k, on_since.get(k, 0))}
                for k in sorted(set(stored) | set(on_since) | set(moving_before))
                if figure(k, on_since.get(k, 0)) != int(stored.get(k, 0))]
        later = changes[changes["day"] > start]
        rows += [{"day": d.date(), "kind": k, "members": figure(k, m)}
                 for k, d, m in zip(later["key"], later["day"], later["members"], strict=True)]
    if rows:
        conn.execute(insert(table), rows)
    return len(rows)


def first_changed_day(rows: pd.DataFrame) -> date | None:
    """The first day on which written stays change who is in a group: a new stay's join (or leave), a changed
    stay's old and new leave day (its join is its key). None when no date is known (rebuild everything)."""
    if rows is None or rows.empty:
        return None
    new = rows["_new"].astype(bool) if "_new" in rows.columns else pd.Series(True, index=rows.index)
    days = []
    for column in rows.columns:
        if not column.endswith(("_on", "_on__before")):
            continue
        values = pd.to_datetime(rows[column], errors="coerce")
        if column == "joined_on":
            values = values[new]
        days.append(values.min())
    known = [d for d in days if not pd.isna(d)]
    return min(known).date() if known else None


def refresh_membership_rollups(conn: Connection, branch_ids, since: date | None, progress=None,
                               group_ids=None) -> dict[str, int]:
    """What a membership write moves, and only that: the bank's member counts from `since` on, and the network
    value and expert snapshots of the groups whose stays moved (those with a join or leave from `since` on,
    and the groups of `group_ids`, the stays written) and their owners; of the branches written when the
    written groups are not known (no activity, points, referral or follower rollup)."""
    moved = None if since is None or branch_ids is None else _moved_stays(conn, branch_ids, since)
    return _run_steps((
        (GroupMembersBankDaily, lambda: _refresh_members(conn, since)),
        (GroupValueSnapshot, lambda: _refresh_value(conn, branch_ids, since, moved, group_ids)),
        (GroupExpertSnapshot, lambda: _refresh_experts(conn, branch_ids, group_ids)),
    ), progress)


def _moved_stays(conn: Connection, branch_ids, since: date) -> pd.DataFrame:
    """The branches' stays with a join or leave from `since` on (group, join and leave day), read once by the
    join and leave day indexes (the branches kept here: a filter on them would make the database walk every
    stay of the branches instead)."""
    stays = read_frame(conn, select(GroupMembership.branch_id, GroupMembership.group_id, GroupMembership.joined_on,
                                    GroupMembership.left_on)
                       .where(or_(GroupMembership.joined_on >= since, GroupMembership.left_on >= since)))
    if branch_ids is not None:
        stays = stays[stays["branch_id"].isin({int(b) for b in branch_ids})]
    return stays.drop(columns="branch_id").reset_index(drop=True)


def _groups_by(conn: Connection, column, ids: list[int]) -> pd.DataFrame:
    """The groups (id, owner) whose `column` is one of `ids`, read by the index on it in chunks."""
    frames = [read_frame(conn, select(SocialGroup.id, SocialGroup.staff_id).where(column.in_(chunk)))
              for chunk in chunked(ids)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["id", "staff_id"])


def _run_steps(steps, progress) -> dict[str, int]:
    written: dict[str, int] = {}
    for table, rebuild in steps:
        started = time.perf_counter()
        written[table.__tablename__] = rebuild()
        if progress:
            progress(f"  rollup {table.__tablename__}: {written[table.__tablename__]:,} rows in "
                     f"{time.perf_counter() - started:.1f}s")
    return written


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


def _value_select(branch_ids, as_of, by: str, per_kind: bool, groups=None):
    """Network value rows per (branch, key[, kind]) as of `as_of`, each customer once per row (only the stays of
    the groups of `groups`, a list of ids, when given: every group of a key's, so that its rows are whole)."""
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
        .where(_in_branches(GroupMembership.branch_id, branch_ids), GroupMembership.joined_on <= as_of,
               true() if groups is None else GroupMembership.group_id.in_(groups))
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


_VALUE_COLUMNS = ["as_of", "grain", "key_id", "branch_id", "kind", "members", "customers_held", "brought_in",
                  "converted", "products", "deposits", "wealth"]


def _refresh_value(conn: Connection, branch_ids, since: date | None = None, moved: pd.DataFrame | None = None,
                   group_ids=None) -> int:
    """The branches' network value as of their last stay change. With `since` (a membership write), only the
    groups with a join or leave from `since` on (`moved`, read once for the step), the groups written
    (`group_ids`) and their owners' rows: the others' stays did not move, so their figures stand (a reader
    takes the snapshot as valid from its latest day). The moved groups are read by their ids (the group index),
    not by a scan of the stays for their days."""
    table = GroupValueSnapshot.__table__
    if since is None or branch_ids is None:
        conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids)))
        as_of = _last_stay_change(conn, branch_ids)
        if as_of is None:
            return 0
        for by, per_kind in (("group", True), ("staff", True), ("staff", False)):
            conn.execute(insert(table).from_select(_VALUE_COLUMNS, _value_select(branch_ids, as_of, by, per_kind)))
        return _count_value(conn, branch_ids)
    if moved is None:
        moved = _moved_stays(conn, branch_ids, since)
    groups = sorted({int(g) for g in moved["group_id"]} | {int(g) for g in (group_ids or ())})
    owners = sorted({int(s) for s in _groups_by(conn, SocialGroup.id, groups)["staff_id"].dropna()})
    for chunk in chunked(groups):
        conn.execute(delete(table).where(table.c.grain == "group", table.c.key_id.in_(chunk)))
    for chunk in chunked(owners):
        conn.execute(delete(table).where(table.c.grain == "staff", table.c.key_id.in_(chunk)))
    if moved.empty:  # no join or leave from `since` on: the branches' last change, read whole
        as_of = _last_stay_change(conn, branch_ids)
    else:  # the branches' last change is one of these stays' (every stay of a day from `since` on is one)
        as_of = max(pd.Timestamp(d).date() for d in (*moved["joined_on"], *moved["left_on"].dropna()))
    if as_of is None or not groups:
        return _count_value(conn, branch_ids)
    for chunk in chunked(groups):
        conn.execute(insert(table).from_select(_VALUE_COLUMNS, _value_select(None, as_of, "group", True, chunk)))
    owner_groups = _groups_by(conn, SocialGroup.staff_id, owners)
    for chunk in chunked(owners):  # every group of an owner's in the same statement: an owner's rows are whole
        of_chunk = sorted(int(g) for g in owner_groups.loc[owner_groups["staff_id"].isin(chunk), "id"])
        for per_kind in (True, False):
            conn.execute(insert(table).from_select(_VALUE_COLUMNS,
                                                   _value_select(None, as_of, "staff", per_kind, of_chunk)))
    return _count_value(conn, branch_ids)


def _last_stay_change(conn: Connection, branch_ids) -> date | None:
    as_of = conn.execute(select(func.max(func.coalesce(GroupMembership.left_on, GroupMembership.joined_on)),
                                func.max(GroupMembership.joined_on))
                         .where(_in_branches(GroupMembership.branch_id, branch_ids))).one()
    days = [d for d in as_of if d is not None]
    return max(pd.Timestamp(d).date() for d in days) if days else None


def _count_value(conn: Connection, branch_ids) -> int:
    table = GroupValueSnapshot.__table__
    return conn.execute(select(func.count()).select_from(table)
                        .where(_in_branches(table.c.branch_id, branch_ids))).scalar_one()


def _refresh_experts(conn: Connection, branch_ids, group_ids=None) -> int:
    """The expert snapshot of the branches; with `group_ids` (the groups whose stays were written), of those
    groups alone: a group's posters and experts are a function of its own stays."""
    table = GroupExpertSnapshot.__table__
    session = Session(bind=conn)
    if group_ids is None:
        conn.execute(delete(table).where(_in_branches(table.c.branch_id, branch_ids)))
        scope = Scope.head_office() if branch_ids is None else Scope.for_branches(branch_ids)
        return _insert_experts(conn, conversation_drivers(session, scope, top_n=1), branch_ids)
    written = 0
    for chunk in chunked(sorted({int(g) for g in group_ids})):
        conn.execute(delete(table).where(table.c.group_id.in_(chunk)))
        written += _insert_experts(conn, conversation_drivers(session, Scope.head_office(), top_n=1,
                                                              group_ids=chunk), None, chunk)
    return written


def _insert_experts(conn: Connection, drivers: pd.DataFrame, branch_ids, group_ids=None) -> int:
    summary = expert_summary(drivers)
    if summary.empty:
        return 0
    top = drivers[drivers["rank"] == 1].set_index("group_id")["customer_id"]
    branches = dict(conn.execute(select(SocialGroup.id, SocialGroup.branch_id).where(
        _in_branches(SocialGroup.branch_id, branch_ids),
        true() if group_ids is None else SocialGroup.id.in_(group_ids))).all())

    def number(value):
        return None if value is None or pd.isna(value) else float(value)

    rows = [{"group_id": int(r.group_id), "branch_id": int(branches[int(r.group_id)]), "experts": int(r.experts),
             "expert_share": number(r.expert_share), "top_customer_id": int(top[r.group_id]),
             "top_share": number(r.top_share), "top_role": r.top_role}
            for r in summary.itertuples(index=False)]
    conn.execute(insert(GroupExpertSnapshot.__table__), rows)
    return len(rows)


def refresh_group_activity_rollups(conn: Connection, branch_ids, start: date | None, end: date | None,
                                   progress=None) -> dict[str, int]:
    """What group days move, and only that (run after `GroupKindDaily`): the groups' running totals and latest
    rows from `start` on, and the bank's activity and reply days of [start, end]."""
    return _run_steps((
        (GroupRunning, lambda: _refresh_running(conn, branch_ids, start)),
        (GroupLatest, lambda: _refresh_latest(conn, branch_ids, start)),
        (GroupBankDaily, lambda: _refresh_bank_daily(conn, start, end)),
        (GroupReplyBankDaily, lambda: _refresh_reply(conn, start, end)),
    ), progress)


def refresh_group_rollups(conn: Connection, branch_ids, start: date | None, end: date | None,
                          progress=None) -> dict[str, int]:
    """Rebuild the group summaries for the branches (running totals, snapshots) and days (bank-wide tables)."""

    written = refresh_group_activity_rollups(conn, branch_ids, start, end, progress)
    written.update(_run_steps((
        (GroupMembersBankDaily, lambda: _refresh_members(conn)),
        (PointsBankDaily, lambda: _refresh_points(conn, start, end)),
        (GroupValueSnapshot, lambda: _refresh_value(conn, branch_ids)),
        (GroupExpertSnapshot, lambda: _refresh_experts(conn, branch_ids)),
    ), progress))
    return written
