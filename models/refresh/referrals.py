"""The referral page's batch tables: monthly sums, running totals, preset boards, invitations, reward
basis and fraud flags."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Date, Integer, and_, delete, func, insert, literal, or_, select, true, union_all
from sqlalchemy.engine import Connection

from models.measures.referrals import LEADERBOARD_WINDOWS, fraud_flags, fraud_reference
from models.referrals import InviteCode, ReferralEvent, ReferralStage
from models.refresh.common import IN_LIST_MAX, as_date, chunked, window_clause
from models.rollup_tables.referrals import (
    ALL_CAMPAIGNS,
    ReferralDaily,
    ReferralFraudFlag,
    ReferralInvitation,
    ReferralMonthly,
    ReferralRewardBasis,
    ReferralStaffRunning,
    ReferralStaffWindow,
    month_end,
    month_start,
)
from models.scope import Scope
from models.store.bulk import bulk_insert, indexes_built_after
from models.store.frames import read_frame


def refresh_monthly(conn: Connection, branch_ids, start: date | None, end: date | None) -> int:
    """Rebuild the months that contain [start, end] from ReferralDaily (run after it)."""
    first = month_start(start) if start else None
    last = month_end(end) if end else None
    monthly, daily = ReferralMonthly.__table__, ReferralDaily.__table__
    conn.execute(delete(monthly).where(window_clause(monthly.c.branch_id, monthly.c.month, branch_ids, first, last)))
    if conn.dialect.name == "postgresql":
        month = func.cast(func.date_trunc("month", daily.c.day), Date)
    else:
        month = func.date(daily.c.day, "start of month")
    sums = [func.sum(daily.c[c]) for c in ("clicks", "invites", "participants", "conversions", "live_conversions",
                                           "live_amount")]
    source = (select(month, daily.c.branch_id, daily.c.staff_id, daily.c.campaign_id, *sums)
              .where(window_clause(daily.c.branch_id, daily.c.day, branch_ids, first, last))
              .group_by(month, daily.c.branch_id, daily.c.staff_id, daily.c.campaign_id))
    conn.execute(insert(monthly).from_select(
        ["month", "branch_id", "staff_id", "campaign_id", "clicks", "invites", "participants", "conversions",
         "live_conversions", "live_amount"], source))
    return conn.execute(select(func.count()).select_from(monthly).where(
        window_clause(monthly.c.branch_id, monthly.c.month, branch_ids, first, last))).scalar_one()


def refresh_referral_batch(conn: Connection, branch_ids, start: date | None, progress,
                           flags_moved: dict | None = None) -> dict[str, int]:
    """The referral page's batch tables for the given branches: running totals from `start` on (a day's
    events change every later total), invitations, reward basis and fraud flags over the branches' whole
    history (a conversion decides earlier registrations; a burst flags earlier and later events: per branch,
    the first day before `start` whose flags changed goes into `flags_moved`)."""
    written = {}
    for table, refresh in ((ReferralStaffRunning, _refresh_staff_running), (ReferralStaffWindow, _refresh_staff_windows),
                           (ReferralInvitation, _refresh_invitations), (ReferralRewardBasis, _refresh_reward_basis),
                           (ReferralFraudFlag, lambda *args: _refresh_fraud_flags(*args, flags_moved))):
        started = time.perf_counter()
        written[table.__tablename__] = refresh(conn, branch_ids, start)
        if progress:
            progress(f"  rollup {table.__tablename__}: {written[table.__tablename__]:,} rows in "
                     f"{time.perf_counter() - started:.1f}s")
    return written


def _refresh_staff_running(conn: Connection, branch_ids, start: date | None) -> int:
    """Running totals from `start` on: the sums of the days from `start` added to each series' last row before
    `start` (a new day reads that day and one stored row per series, not the history the row already holds)."""
    table = ReferralStaffRunning.__table__
    with indexes_built_after(conn, [table], branch_ids is None and start is None):
        return _write_staff_running(conn, table, branch_ids, start)


def _write_staff_running(conn: Connection, table, branch_ids, start: date | None) -> int:
    daily = ReferralDaily.__table__.c
    conn.execute(delete(table).where(window_clause(table.c.branch_id, table.c.day, branch_ids, start, None)))
    per_day = {"events": daily.clicks + daily.invites + daily.participants + daily.conversions,
               "clicks": daily.clicks, "invites": daily.invites, "participants": daily.participants,
               "live_conversions": daily.live_conversions, "live_amount": daily.live_amount}
    mine = window_clause(daily.branch_id, daily.day, branch_ids, start, None)
    whole = [daily.staff_id, daily.branch_id]
    every = (select(daily.staff_id, daily.branch_id, literal(ALL_CAMPAIGNS, Integer).label("campaign_key"), daily.day,
                    *[func.sum(func.sum(v)).over(partition_by=whole, order_by=daily.day).label(k) for k, v in per_day.items()])
             .where(mine).group_by(daily.staff_id, daily.branch_id, daily.day))
    each = (select(daily.staff_id, daily.branch_id, daily.campaign_id.label("campaign_key"), daily.day,
                   *[func.sum(v).over(partition_by=[*whole, daily.campaign_id], order_by=daily.day).label(k)
                     for k, v in per_day.items()])
            .where(mine, daily.campaign_id.is_not(None)))
    columns = ["staff_id", "branch_id", "campaign_key", "day", *per_day]
    for source in (every, each):
        rows = source.subquery()
        if start is None:
            kept = select(*[rows.c[c] for c in columns])
        else:
            base, before = table.alias("base"), table.alias("before")
            same = [before.c.staff_id == rows.c.staff_id, before.c.branch_id == rows.c.branch_id,
                    before.c.campaign_key == rows.c.campaign_key]
            last_before = select(func.max(before.c.day)).where(*same, before.c.day < start).scalar_subquery()
            kept = (select(*[rows.c[c] for c in columns[:4]], *[rows.c[c] + func.coalesce(base.c[c], 0) for c in per_day])
                    .select_from(rows)
                    .outerjoin(base, and_(base.c.staff_id == rows.c.staff_id, base.c.branch_id == rows.c.branch_id,
                                          base.c.campaign_key == rows.c.campaign_key, base.c.day == last_before)))
        conn.execute(insert(table).from_select(columns, kept))
    return conn.execute(select(func.count()).select_from(table).where(
        window_clause(table.c.branch_id, table.c.day, branch_ids, start, None))).scalar_one()


def _refresh_staff_windows(conn: Connection, branch_ids, start: date | None) -> int:
    """Rebuild the preset windows from the running totals (run after them): only the branches touched
    while the last day with events stays the same; every branch when it moves (every window moves), slid by
    one day when a write of the day after the stored end moves it by one (a daily sync)."""

    table, running = ReferralStaffWindow.__table__, ReferralStaffRunning.__table__
    end = as_date(conn.execute(select(func.max(running.c.day))).scalar())
    stored_end = as_date(conn.execute(select(func.max(table.c.end_day))).scalar())
    if (branch_ids is not None and start is not None and stored_end is not None and end is not None
            and start > stored_end and end == stored_end + timedelta(days=1)):
        return _slide_staff_windows(conn, end)
    partial = branch_ids is not None and end is not None and stored_end == end
    if partial:
        ids = sorted({int(b) for b in branch_ids})
        conn.execute(delete(table).where(table.c.branch_id.in_(ids)))
        scope = Scope.for_branches(ids)
    else:
        conn.execute(delete(table))
        scope = Scope.head_office()
    if end is None:
        return 0
    # Each preset ending on the last day, and the period before it (the leaderboard's "change since"): per owner
    # the running total on the last day up to the window's end minus the one before its start, as
    # `running_totals_statement` computes it. One scan of the running totals (in their key's order: no sort)
    # keeps only the rows that are a series' last one up to some window boundary (a row is, for a boundary
    # between its day and the series' next day): a few rows per series, not every row of its history.
    windows = [(d, e) for d in LEADERBOARD_WINDOWS for e in (end, end - timedelta(days=d))]
    boundaries = sorted({day for days, window_end in windows for day in (window_end, window_end - timedelta(days=days))})
    r = running.c
    series = ["staff_id", "branch_id", "campaign_key"]
    owners = read_frame(conn, select(InviteCode.staff_id, InviteCode.branch_id)
                        .where(scope.clause(InviteCode.branch_id)).distinct())
    ordered = select(r.staff_id, r.branch_id, r.campaign_key, r.day, r.events, r.clicks, r.invites, r.participants,
                     r.live_conversions.label("conversions"), r.live_amount.label("conversion_amount"),
                     func.lead(r.day).over(partition_by=[r.staff_id, r.branch_id, r.campaign_key], order_by=r.day)
                     .label("next_day")).where(scope.clause(r.branch_id)).subquery()
    last_of_some = or_(*[and_(ordered.c.day <= day, or_(ordered.c.next_day.is_(None), ordered.c.next_day > day))
                         for day in boundaries])
    totals = read_frame(conn, select(*[ordered.c[c] for c in [*series, "day", "next_day", *_WINDOW_FIGURES]])
                        .where(last_of_some))
    totals = totals.merge(owners.drop_duplicates(), on=["staff_id", "branch_id"])
    totals["day"] = pd.to_datetime(totals["day"])
    totals["next_day"] = pd.to_datetime(totals["next_day"])
    totals = totals.sort_values([*series, "day"], ignore_index=True)
    last_rows: dict[date, pd.DataFrame] = {}

    def last_up_to(day: date) -> pd.DataFrame:
        """Each series' running totals on its last day up to `day`."""
        if day not in last_rows:
            stamp = pd.Timestamp(day)
            last = totals[(totals["day"] <= stamp) & (totals["next_day"].isna() | (totals["next_day"] > stamp))]
            last_rows[day] = last.set_index(series)[_WINDOW_FIGURES]
        return last_rows[day]

    boards = []
    for days, window_end in windows:
        at_end, before = last_up_to(window_end), last_up_to(window_end - timedelta(days=days))
        board = at_end - before.reindex(at_end.index).fillna(0)
        board = board[board["events"] > 0].reset_index()
        boards.append(board.assign(window_days=days, end_day=window_end))
    frame = pd.concat(boards, ignore_index=True)
    if frame.empty:
        return 0
    # Written window by window, key by key (ALL_CAMPAIGNS, 0, first), owner by owner.
    frame["_window"] = frame.groupby(["window_days", "end_day"], sort=False).ngroup()
    frame = frame.sort_values(["_window", "campaign_key", "staff_id", "branch_id"], ignore_index=True)
    for column in ["events", "clicks", "invites", "participants", "conversions"]:
        frame[column] = frame[column].round().astype("int64")
    frame["conversion_amount"] = frame["conversion_amount"].astype(float)
    for column in series:
        frame[column] = frame[column].astype("int64")
    return bulk_insert(conn, table, frame[[*series, "window_days", "end_day", *_WINDOW_FIGURES]])


_WINDOW_FIGURES = ["events", "clicks", "invites", "participants", "conversions", "conversion_amount"]


def _slide_staff_windows(conn: Connection, end: date) -> int:
    """Every preset window moved on by one day to `end`: a window's figures are the stored ones ending the day
    before, plus the day that comes in, minus the day that falls out (the period before it likewise); owners
    left with no events drop out, as in a rebuild. One INSERT ... SELECT per window over its stored board and
    the two days' ReferralDaily rows, then the boards of the day before go: the rows never leave the database."""
    table, daily = ReferralStaffWindow.__table__, ReferralDaily.__table__.c
    keys = ["staff_id", "branch_id", "campaign_key"]
    per_day = {"events": daily.clicks + daily.invites + daily.participants + daily.conversions,
               "clicks": daily.clicks, "invites": daily.invites, "participants": daily.participants,
               "conversions": daily.live_conversions, "conversion_amount": daily.live_amount}

    def moves(day: date, sign: int):
        """The day's figures per owner, branch and campaign key (all campaigns, and each campaign), signed."""
        figures = [(sign * func.sum(v)).label(k) for k, v in per_day.items()]
        every = (select(daily.staff_id, daily.branch_id, literal(ALL_CAMPAIGNS, Integer).label("campaign_key"), *figures)
                 .where(daily.day == day).group_by(daily.staff_id, daily.branch_id))
        each = (select(daily.staff_id, daily.branch_id, daily.campaign_id.label("campaign_key"), *figures)
                .where(daily.day == day, daily.campaign_id.is_not(None))
                .group_by(daily.staff_id, daily.branch_id, daily.campaign_id))
        return [every, each]

    ends = sorted({(days, window_end) for days in LEADERBOARD_WINDOWS for window_end in (end, end - timedelta(days=days))})
    for days, window_end in ends:
        before = select(*[table.c[k] for k in [*keys, *_WINDOW_FIGURES]]).where(
            table.c.window_days == days, table.c.end_day == window_end - timedelta(days=1))
        parts = union_all(before, *moves(window_end, 1), *moves(window_end - timedelta(days=days), -1)).subquery()
        totals = [func.sum(parts.c[k]) for k in _WINDOW_FIGURES]
        source = (select(*[parts.c[k] for k in keys], literal(days, Integer), literal(window_end, Date), *totals)
                  .group_by(*[parts.c[k] for k in keys]).having(func.sum(parts.c.events) > 0))
        conn.execute(insert(table).from_select([*keys, "window_days", "end_day", *_WINDOW_FIGURES], source))
    for days, window_end in ends:
        conn.execute(delete(table).where(table.c.window_days == days, table.c.end_day == window_end - timedelta(days=1)))
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _live_conversion(events):
    return and_(events.c.stage == ReferralStage.CONVERT.value, events.c.reversed_on.is_(None),
                events.c.customer_id.is_not(None))


def _touched(events, column, branch_ids, start: date | None):
    """`column` of the registrations and conversions from `start` on at the branches: what a write of those
    days can move (an invitation is a function of its customer's events; a fraud flag of its code's)."""
    return select(getattr(events.c, column)).where(
        events.c.stage.in_([ReferralStage.REGISTER.value, ReferralStage.CONVERT.value]),
        getattr(events.c, column).is_not(None), window_clause(events.c.branch_id, events.c.day, branch_ids, start, None))


def _refresh_invitations(conn: Connection, branch_ids, start: date | None) -> int:
    """The branches' invitations (whole history); with `start`, those of the customers registered or converted
    from `start` on (each row depends on its customer's events alone), wherever they were registered."""
    table = ReferralInvitation.__table__
    registered, converted = ReferralEvent.__table__.alias("registered"), ReferralEvent.__table__.alias("converted")
    if start is None:
        conn.execute(delete(table).where(window_clause(table.c.branch_id, table.c.registered_on, branch_ids, None, None)))
        owners = true() if branch_ids is None else converted.c.staff_id.in_(
            select(InviteCode.staff_id).where(InviteCode.branch_id.in_(sorted({int(b) for b in branch_ids}))))
        registrations = window_clause(registered.c.branch_id, registered.c.day, branch_ids, None, None)
    else:
        customers = _touched(ReferralEvent.__table__, "customer_id", branch_ids, start)
        conn.execute(delete(table).where(table.c.customer_id.in_(customers)))
        owners = converted.c.customer_id.in_(customers)
        registrations = registered.c.customer_id.in_(customers)
    first = (select(converted.c.staff_id, converted.c.customer_id, func.min(converted.c.day).label("first_day"))
             .where(_live_conversion(converted), owners)
             .group_by(converted.c.staff_id, converted.c.customer_id)).subquery()
    source = (select(registered.c.staff_id, registered.c.branch_id, registered.c.campaign_id, registered.c.customer_id,
                     registered.c.day, first.c.first_day)
              .join_from(registered, first, and_(first.c.staff_id == registered.c.staff_id,
                                                 first.c.customer_id == registered.c.customer_id))
              .where(registered.c.stage == ReferralStage.REGISTER.value, registrations))
    conn.execute(insert(table).from_select(["staff_id", "branch_id", "campaign_id", "customer_id", "registered_on",
                                            "converted_on"], source))
    return conn.execute(select(func.count()).select_from(table).where(
        window_clause(table.c.branch_id, table.c.registered_on, branch_ids, start, None))).scalar_one()


def _refresh_reward_basis(conn: Connection, branch_ids, start: date | None) -> int:
    """Customers with a conversion in the window get their first live effective conversion again
    (it may now be an earlier one, or another branch's)."""
    table, events = ReferralRewardBasis.__table__, ReferralEvent.__table__
    everything = branch_ids is None and start is None
    touched = select(events.c.customer_id).where(
        events.c.stage == ReferralStage.CONVERT.value, events.c.customer_id.is_not(None),
        window_clause(events.c.branch_id, events.c.day, branch_ids, start, None))
    conn.execute(delete(table) if everything else delete(table).where(table.c.customer_id.in_(touched)))
    ranked = (select(events.c.id, events.c.staff_id, events.c.branch_id, events.c.customer_id, events.c.customer_kind,
                     events.c.campaign_id, events.c.day,
                     func.row_number().over(partition_by=events.c.customer_id,
                                            order_by=(events.c.day, events.c.id)).label("position"))
              .where(_live_conversion(events), events.c.effective.is_(True),
                     true() if everything else events.c.customer_id.in_(touched))).subquery()
    columns = ["event_id", "staff_id", "branch_id", "customer_id", "customer_kind", "campaign_id", "day"]
    conn.execute(insert(table).from_select(columns, select(*[ranked.c[c] for c in ["id", *columns[1:]]])
                                           .where(ranked.c.position == 1)))
    return conn.execute(select(func.count()).select_from(table).where(
        window_clause(table.c.branch_id, table.c.day, branch_ids, start, None))).scalar_one()


_JUDGED_STAGES = [ReferralStage.REGISTER.value, ReferralStage.CONVERT.value]  # the fraud rules read no other stage


def _refresh_fraud_flags(conn: Connection, branch_ids, start: date | None, moved: dict | None = None) -> int:
    """The branches' flags (whole history); with `start`, those of the events a write of the days from `start`
    on can move, judged with exactly the events their rules read (so the flags are the full rebuild's):

    - the events from `start` on at the branches (every rule; the self-referral, relative and quick-reversal
      rules read their event alone);
    - every event of the (code, customer) pairs among them, on any day: a burst (one code's registrations from
      one device or phone prefix on one day) flags all of its customers' events through that code, earlier
      ones too, and a new event of a customer of an earlier burst is flagged by it. Those pairs hold every
      customer whose burst can have changed: a burst from `start` on is made of registrations from `start` on;
    - to size those pairs' bursts on days before `start`, the registrations of their codes on those days
      (read by branch and day, the days in a few UNION ALL statements: an event carries its code's branch; a
      registration without a device or phone prefix is in no burst).
    Other events' flags stand (no rule reads across codes, and a customer's flags through one code read none
    of their events through another). `moved` (a dict) hears per branch the first day before `start` whose
    flags changed."""
    table, events = ReferralFraudFlag.__table__, ReferralEvent.__table__
    scope = Scope.head_office() if branch_ids is None else Scope.for_branches(branch_ids)
    columns = [events.c.id.label("event_id"), events.c.code_id, events.c.staff_id, events.c.branch_id,
               events.c.customer_id, events.c.stage, events.c.day, events.c.device_id, events.c.phone_prefix,
               events.c.reversed_on]
    judged_stage = events.c.stage.in_(_JUDGED_STAGES)
    if start is None:
        conn.execute(delete(table).where(scope.clause(table.c.branch_id)))
        checked = read_frame(conn, select(*columns).where(scope.clause(events.c.branch_id), judged_stage)
                             .order_by(events.c.id))
        judged, owners = None, None
    else:
        checked, judged = _fraud_events(conn, columns, judged_stage, branch_ids, start)
        if judged is None:
            return 0
        before = []
        for chunk in chunked(sorted(judged)):
            before.append(read_frame(conn, select(table.c.event_id, table.c.rule, table.c.branch_id, table.c.day)
                                     .where(table.c.event_id.in_(chunk))))
            conn.execute(delete(table).where(table.c.event_id.in_(chunk)))
        # The reference of the judged events' owners alone (the rules read no other's)
        owners = {int(s) for s in checked.loc[checked["event_id"].isin(judged), "staff_id"].dropna()}
    staff, customers = fraud_reference(conn, scope, owners)
    flags = fraud_flags(checked, staff, customers)
    if judged is not None:  # the burst-sizing registrations were read for their neighbours: their own flags stand
        flags = flags[flags["event_id"].isin(judged)]
    rows = flags.merge(checked[["event_id", "branch_id", "day", "stage"]], on="event_id")
    if judged is not None and moved is not None:
        _note_moved_flags(pd.concat(before, ignore_index=True), rows, start, moved)
    if rows.empty:
        return 0
    rows["customer_id"] = rows["customer_id"].astype("Int64").astype(object).where(rows["customer_id"].notna(), None)
    records = [{k: (int(v) if k in ("event_id", "staff_id", "branch_id") else v) for k, v in r.items()}
               for r in rows[["event_id", "rule", "branch_id", "staff_id", "customer_id", "day", "stage", "detail"]]
               .to_dict("records")]
    conn.execute(insert(table), records)
    return len(records)


def _bounded_groups(statements: list, sizes: list[int], most: int = 400) -> list[list]:
    """`statements` in runs of at most `most` whose `sizes` (bound parameters) add up to IN_LIST_MAX at most (a
    single larger one alone): one UNION ALL round trip each, within SQLite's compound-SELECT and parameter bounds."""
    groups: list[list] = []
    used = 0
    for statement, size in zip(statements, sizes, strict=True):
        if not groups or len(groups[-1]) >= most or used + size > IN_LIST_MAX:
            groups.append([])
            used = 0
        groups[-1].append(statement)
        used += size
    return groups


def _note_moved_flags(before: pd.DataFrame, after: pd.DataFrame, start: date, moved: dict) -> None:
    """Into `moved`: per branch, the first day before `start` on which a flag came or went (a burst from `start`
    on flags its customers' earlier events; the week card counts flags per day)."""
    keys = ["event_id", "rule", "branch_id", "day"]
    both = pd.concat([before[keys], after[keys]], ignore_index=True).astype({"event_id": "int64"})
    changed = both[~both.duplicated(["event_id", "rule"], keep=False)]  # in one of the two alone
    for branch_id, day in zip(changed["branch_id"], (as_date(d) for d in changed["day"]), strict=True):
        if day < start:
            moved[int(branch_id)] = min(day, moved.get(int(branch_id), day))


def _fraud_events(conn: Connection, columns, judged_stage, branch_ids, start: date
                  ) -> tuple[pd.DataFrame, set[int] | None]:
    """(every event the rules read to judge the events a write from `start` on can move, ordered by id as a full
    rebuild reads them; the ids of those judged events), or (empty, None) when the write touched none. Each
    read goes by an index: branch and day, customer, branch and day again."""
    events = ReferralEvent.__table__
    recent = read_frame(conn, select(*columns).where(
        judged_stage, window_clause(events.c.branch_id, events.c.day, branch_ids, start, None)))
    if recent.empty:
        return recent, None
    pairs = recent.dropna(subset=["customer_id"])[["code_id", "customer_id"]].drop_duplicates()
    customers = sorted({int(c) for c in pairs["customer_id"]})
    history = [read_frame(conn, select(*columns).where(judged_stage, events.c.customer_id.in_(chunk)))
               for chunk in chunked(customers)]
    history = pd.concat([h for h in history if not h.empty] or [recent.iloc[0:0]], ignore_index=True)
    history = history.merge(pairs.astype(history[["code_id", "customer_id"]].dtypes.to_dict()),
                            on=["code_id", "customer_id"])
    judged_events = pd.concat([recent, history], ignore_index=True).drop_duplicates("event_id")
    # Their registrations before `start` that may be part of a burst (with a device or phone prefix): their
    # days' registrations of the same codes, read per day by the branch and day index
    earlier = judged_events[(judged_events["stage"] == ReferralStage.REGISTER.value)
                            & (pd.to_datetime(judged_events["day"]) < pd.Timestamp(start))
                            & ((judged_events["device_id"].fillna("") != "")
                               | (judged_events["phone_prefix"].fillna("") != ""))]
    codes = {int(c) for c in earlier["code_id"]}
    branches_on: dict[date, set[int]] = {}
    for branch_id, day in zip(earlier["branch_id"], earlier["day"], strict=True):
        branches_on.setdefault(as_date(day), set()).add(int(branch_id))
    per_day = [select(*columns).where(events.c.stage == ReferralStage.REGISTER.value, events.c.day == day,
                                      events.c.branch_id.in_(sorted(branches)))
               for day, branches in sorted(branches_on.items())]
    neighbours = [read_frame(conn, union_all(*group) if len(group) > 1 else group[0])
                  for group in _bounded_groups(per_day, [len(b) + 1 for _, b in sorted(branches_on.items())])]
    neighbours = [n[n["code_id"].isin(codes)] for n in neighbours]
    checked = pd.concat([judged_events, *[n for n in neighbours if not n.empty]], ignore_index=True) \
        .drop_duplicates("event_id").sort_values("event_id").reset_index(drop=True)
    return checked, {int(i) for i in judged_events["event_id"]}
