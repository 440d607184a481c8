"""TODO"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, case, cast, func, literal, select
from sqlmodel import Session

from models.followers import FollowerDaily, MarketingEvent
from models.measures.followers import (
    DROP_COLUMNS,
    RANKING_COLUMNS,
    UPLIFT_COLUMNS,
    detect_drops,
    drop_days,
    drops_in_period,
    event_uplift,
    events_to_mark,
    follower_kpis,
    lookback_start,
    moving_average,
    rank_branches,
    rank_period_totals,
    region_totals,
    uplift_from_totals,
    with_moving_average,
)
from models.metrics.org import branches_in_scope
from models.org import Branch
from models.rollup_tables.followers import FollowerBranchDaily, FollowerDayTotal
from models.scope import Scope
from models.store.frames import read_frame
from models.store.spans import first_and_last

# The area's measures (and refreshes) are re-exported: pages and tests reach them through this module.
__all__ = [
    "DAILY_COLUMNS",
    "DROP_COLUMNS",
    "RANKING_COLUMNS",
    "UPLIFT_COLUMNS",
    "branch_period_totals",
    "branch_ranking",
    "current_drop_alerts",
    "daily_followers",
    "daily_followers_by_branch",
    "detect_drops",
    "drop_days",
    "drop_episodes",
    "drops_in_period",
    "drops_running_on_day",
    "event_uplift",
    "event_uplift_from_rollup",
    "event_uplift_and_drops",
    "events_to_mark",
    "follower_date_range",
    "follower_kpis",
    "lookback_start",
    "marketing_events",
    "moving_average",
    "rank_branches",
    "rank_period_totals",
    "ranking_uplift_and_drops",
    "reads_rollup",
    "running_drop_alerts",
    "region_totals",
    "uplift_from_totals",
    "with_moving_average",
]

DAILY_COLUMNS = ["day", "new_follows", "unfollows", "net_follows", "cumulative"]


# ---------------------------------------------------------------- queries


def follower_date_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    """First and last day with follower figures inside the scope."""
    if scope.is_everything:
        return first_and_last(session, FollowerDayTotal.day)
    return first_and_last(session, FollowerDaily.day, scope.clause(FollowerDaily.branch_id))


def daily_followers(
    session: Session, scope: Scope, start: date, end: date, account_id: int | None = None
) -> pd.DataFrame:
    """The scope's daily totals (new, unfollows, net, cumulative) summed over its accounts; the whole bank's
    from the day-total rollup (one row per day instead of one per account and day)."""
    if scope.is_everything and account_id is None:
        totals = FollowerDayTotal
        statement = (
            select(cast(totals.day, String(10)).label("day"), totals.new_follows, totals.unfollows,
                   totals.net_follows, totals.cumulative)
            .where(totals.day.between(start, end)).order_by(totals.day)
        )
        return _typed_daily(_read_columns(session, statement))
    statement = (
        select(
            _day_text(),
            func.sum(FollowerDaily.new_follows).label("new_follows"),
            func.sum(FollowerDaily.unfollows).label("unfollows"),
            func.sum(FollowerDaily.net_follows).label("net_follows"),
            func.sum(FollowerDaily.cumulative).label("cumulative"),
        )
        .where(scope.clause(FollowerDaily.branch_id), FollowerDaily.day.between(start, end))
        .group_by(FollowerDaily.day)
        .order_by(FollowerDaily.day)
    )
    if account_id is not None:
        statement = statement.where(FollowerDaily.account_id == int(account_id))
    return _typed_daily(_read_columns(session, statement))


def daily_followers_by_branch(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Per branch and day: the grain for ranking, drop detection and event uplift."""
    statement = (
        select(
            FollowerDaily.branch_id,
            _day_text(),
            func.sum(FollowerDaily.new_follows).label("new_follows"),
            func.sum(FollowerDaily.unfollows).label("unfollows"),
            func.sum(FollowerDaily.net_follows).label("net_follows"),
            func.sum(FollowerDaily.cumulative).label("cumulative"),
        )
        .where(scope.clause(FollowerDaily.branch_id), FollowerDaily.day.between(start, end))
        .group_by(FollowerDaily.branch_id, FollowerDaily.day)
        .order_by(FollowerDaily.branch_id, FollowerDaily.day)
    )
    return _typed_daily(_read_columns(session, statement), extra=["branch_id"])


def reads_rollup(scope: Scope) -> bool:
    """Scopes of more than one branch read the per-branch rollup (running totals and the stored drop
    signal); one branch keeps reading its own days, exactly as its page always has."""
    return scope.branch_ids is None or len(scope.branch_ids) > 1


def branch_period_totals(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Per branch with figures in [start, end]: new, unfollows, net growth, followers at start and end.
    Two rollup rows per branch (its first and last day in the period): totals are running-total differences."""
    rows = FollowerBranchDaily.__table__
    first_day = (select(rows.c.day).where(rows.c.branch_id == Branch.id, rows.c.day >= start, rows.c.day <= end)
                 .order_by(rows.c.day).limit(1).scalar_subquery())
    last_day = (select(rows.c.day).where(rows.c.branch_id == Branch.id, rows.c.day >= start, rows.c.day <= end)
                .order_by(rows.c.day.desc()).limit(1).scalar_subquery())
    ends = (select(Branch.id.label("branch_id"), first_day.label("first_day"), last_day.label("last_day"))
            .where(scope.clause(Branch.id)).subquery())
    first, last = rows.alias("first_row"), rows.alias("last_row")
    statement = (
        select(
            ends.c.branch_id,
            (last.c.new_to_date - first.c.new_to_date + first.c.new_follows).label("new_follows"),
            (last.c.unfollows_to_date - first.c.unfollows_to_date + first.c.unfollows).label("unfollows"),
            (last.c.net_to_date - first.c.net_to_date + first.c.net_follows).label("net_growth"),
            (first.c.cumulative - first.c.net_follows).label("start_followers"),
            last.c.cumulative.label("end_followers"),
        )
        .select_from(ends)
        .join(first, and_(first.c.branch_id == ends.c.branch_id, first.c.day == ends.c.first_day))
        .join(last, and_(last.c.branch_id == ends.c.branch_id, last.c.day == ends.c.last_day))
        .order_by(ends.c.branch_id)
    )
    frame = read_frame(session, statement)
    columns = ["branch_id", "new_follows", "unfollows", "net_growth", "start_followers", "end_followers"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    return frame[columns].astype("int64")


def drop_episodes(session: Session, scope: Scope, start: date, end: date, min_days: int = 5) -> pd.DataFrame:
    """Drop episodes that touch [start, end], as known on `end`, from the rollup's stored signal: only the
    flagged days of the period are read. The signal is judged over each branch's whole history, so an
    episode that began before a short read window shows its true first day and length (the per-frame
    `detect_drops` sees only the days it is given)."""
    rows = FollowerBranchDaily.__table__
    statement = (
        select(rows.c.branch_id, rows.c.day, rows.c.next_day, rows.c.run_start, rows.c.run_days, rows.c.run_net,
               rows.c.run_worst_net, rows.c.run_any_negative)
        .where(scope.clause(rows.c.branch_id), rows.c.flagged == True, rows.c.day.between(start, end))  # noqa: E712
    )
    # sorted here, not in SQL: an ORDER BY branch, day makes SQLite walk the (branch, day) index across every
    # branch (50 ms at head office, large) instead of the few flagged rows of the (flagged, day) index (1 ms)
    frame = read_frame(session, statement).sort_values(["branch_id", "day"], kind="stable")
    if frame.empty:
        return pd.DataFrame(columns=DROP_COLUMNS)
    for column in ("day", "next_day", "run_start"):
        frame[column] = pd.to_datetime(frame[column])
    latest = frame.groupby(["branch_id", "run_start"], sort=False).tail(1)
    return _episodes_from_runs(latest[latest["run_days"] >= min_days], end)


def _episodes_from_runs(latest: pd.DataFrame, end: date) -> pd.DataFrame:
    """Episodes from each run's latest stored row on or before `end` (its figures are the run's to date)."""
    if latest.empty:
        return pd.DataFrame(columns=DROP_COLUMNS)
    ongoing = latest["next_day"].isna() | (latest["next_day"] > pd.Timestamp(end))
    episodes = pd.DataFrame({
        "branch_id": latest["branch_id"].astype("int64"), "start_day": latest["run_start"], "end_day": latest["day"],
        "days": latest["run_days"].astype(int), "ongoing": ongoing.astype(bool),
        "episode_net": latest["run_net"].astype(int), "worst_window_net": latest["run_worst_net"].astype(int),
        "cause": np.where(latest["run_any_negative"].astype(bool), "net_loss", "below_baseline"),
    })
    return episodes.sort_values(["branch_id", "start_day"]).reset_index(drop=True)


def drops_running_on_day(session: Session, scope: Scope, day: date, min_days: int = 5) -> pd.DataFrame:
    """Episodes whose latest flagged day is `day` (running then), from that day's rollup rows only."""
    rows = FollowerBranchDaily.__table__
    statement = (
        select(rows.c.branch_id, rows.c.day, rows.c.next_day, rows.c.run_start, rows.c.run_days, rows.c.run_net,
               rows.c.run_worst_net, rows.c.run_any_negative)
        .where(scope.clause(rows.c.branch_id), rows.c.day == day, rows.c.flagged == True,  # noqa: E712
               rows.c.run_days >= min_days)
    )
    frame = read_frame(session, statement)
    for column in ("day", "next_day", "run_start"):
        frame[column] = pd.to_datetime(frame[column]) if not frame.empty else pd.Series(dtype="datetime64[ns]")
    return _episodes_from_runs(frame, day)


def event_uplift_from_rollup(session: Session, scope: Scope, start: date, end: date,
                             baseline_days: int = 28) -> pd.DataFrame:
    """`marketing_events` of the period with `event_uplift`'s figures, from the branches' running totals as of
    three days per event (three index lookups each) instead of every branch's days. The event window stops at
    `end`, as on the page; the baseline is read in full even for events that began long before `start`."""
    events = marketing_events(session, scope, start, end)
    if events.empty:
        return event_uplift(pd.DataFrame(columns=["branch_id", *DAILY_COLUMNS]), events, baseline_days)
    rows = FollowerBranchDaily.__table__
    dialect = session.get_bind().dialect.name

    def as_of(day):
        return (select(rows.c.id).where(rows.c.branch_id == MarketingEvent.branch_id, rows.c.day <= day)
                .order_by(rows.c.day.desc()).limit(1).scalar_subquery())

    window_end = case((MarketingEvent.end_date > end, literal(end)), else_=MarketingEvent.end_date)
    bounds = {"end": window_end, "before": _days_before(MarketingEvent.start_date, 1, dialect),
              "baseline_from": _days_before(MarketingEvent.start_date, baseline_days + 1, dialect)}
    found = (select(MarketingEvent.id.label("event_id"), *[as_of(day).label(name) for name, day in bounds.items()])
             .where(scope.clause(MarketingEvent.branch_id), MarketingEvent.start_date <= end,
                    MarketingEvent.end_date >= start).subquery())
    columns = [found.c.event_id]
    joined = found
    for name in bounds:
        row = rows.alias(f"{name}_row")
        columns += [row.c.net_to_date.label(f"{name}_net"), row.c.days_to_date.label(f"{name}_days")]
        joined = joined.join(row, row.c.id == found.c[name], isouter=True)
    totals = read_frame(session, select(*columns).select_from(joined))
    totals = totals.set_index("event_id").reindex(events["event_id"]).astype(float).fillna(0.0)
    at = {name: pd.DataFrame({"net_to_date": totals[f"{name}_net"].to_numpy(),
                              "days_to_date": totals[f"{name}_days"].to_numpy()}) for name in bounds}
    figures = uplift_from_totals(events["event_id"], at["end"], at["before"], at["baseline_from"])
    return events.merge(figures, on="event_id", how="left")


def _days_before(column, days: int, dialect: str):
    if dialect == "postgresql":
        return column - days
    return func.date(column, f"-{days} days")


def marketing_events(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Events that overlap the period, with their branch's name."""
    statement = (
        select(
            MarketingEvent.id.label("event_id"), MarketingEvent.branch_id, Branch.name.label("branch_name"),
            MarketingEvent.name, MarketingEvent.kind, MarketingEvent.start_date, MarketingEvent.end_date,
            MarketingEvent.partner, MarketingEvent.cost,
        )
        .join(Branch, Branch.id == MarketingEvent.branch_id)
        .where(scope.clause(MarketingEvent.branch_id), MarketingEvent.start_date <= end, MarketingEvent.end_date >= start)
        .order_by(MarketingEvent.start_date, MarketingEvent.id)
    )
    frame = read_frame(session, statement)
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column]) if not frame.empty else pd.Series(dtype="datetime64[ns]")
    return frame


def _day_text():
    """The day as ISO text: pandas parses a column of it at once, where the driver's per-row date objects
    cost seconds for a bank's 100,000 branch-days."""
    return cast(FollowerDaily.day, String(10)).label("day")


def _read_columns(session: Session, statement) -> pd.DataFrame:
    """`read_frame` for long results: rows transposed into columns before pandas sees them."""
    result = session.execute(statement)
    names = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame(columns=names)
    return pd.DataFrame(dict(zip(names, (list(column) for column in zip(*rows, strict=True)), strict=True)))


def _typed_daily(frame: pd.DataFrame, extra: list[str] | None = None) -> pd.DataFrame:
    columns = (extra or []) + DAILY_COLUMNS
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns}).assign(
            day=pd.Series(dtype="datetime64[ns]")
        )[columns]
    frame["day"] = pd.to_datetime(frame["day"], format="ISO8601")
    for column in columns:
        if column != "day":
            frame[column] = frame[column].astype("int64")
    return frame[columns]


def running_drop_alerts(session: Session, scope: Scope, day: date) -> pd.DataFrame:
    """Branches whose follower drop is still running on `day`, with their names, from that day's stored drop
    signal (judged over each branch's whole history): one branch's alert is its row of the head-office list.
    Only the running branches' names are read: the scope's whole org frame cost more than the drops at head office."""
    running = drops_running_on_day(session, scope, day)
    ids = sorted({int(b) for b in running["branch_id"]})
    names = read_frame(session, select(Branch.id.label("branch_id"), Branch.name.label("branch_name"))
                       .where(Branch.id.in_(ids))) if ids else pd.DataFrame(
        {"branch_id": pd.Series(dtype="int64"), "branch_name": pd.Series(dtype="object")})
    return running.merge(names, on="branch_id", how="left").sort_values("start_day").reset_index(drop=True)


def current_drop_alerts(session: Session, scope: Scope) -> pd.DataFrame:
    """Branches whose drop episode is still running on the last day with data, with branch names."""
    first, last = follower_date_range(session, scope)
    if last is None:
        return pd.DataFrame(columns=["branch_id", "branch_name", "start_day", "days", "episode_net"])
    alerts = running_drop_alerts(session, scope, last)
    return alerts[alerts["ongoing"] & (alerts["end_day"] == pd.Timestamp(last))].reset_index(drop=True)


# ---------------------------------------------------------------- what pages ask for (the data layer picks the path)


def event_uplift_and_drops(session: Session, scope: Scope, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each marketing event's uplift and the drop episodes touching [start, end]. Several branches read the
    stored per-branch rollup; one branch measures its own days (one read, with the lookback its baseline
    needs), as its page always has."""
    if reads_rollup(scope):
        return event_uplift_from_rollup(session, scope, start, end), drop_episodes(session, scope, start, end)
    by_branch = daily_followers_by_branch(session, scope, lookback_start(start), end)
    return (event_uplift(by_branch, marketing_events(session, scope, start, end)),
            drops_in_period(detect_drops(by_branch), start, end))


def branch_ranking(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """The branches ranked by net growth and growth rate in [start, end] (`RANKING_COLUMNS`), alone: the
    overview's best and worst branches at every visit (the uplift and drops feed only its charts, read when
    they are drawn)."""
    branches = branches_in_scope(session, scope)
    if reads_rollup(scope):
        return rank_period_totals(branch_period_totals(session, scope, start, end), branches)
    return rank_branches(daily_followers_by_branch(session, scope, start, end), branches, start, end)


def ranking_uplift_and_drops(
    session: Session, scope: Scope, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """For the overview: the branches ranked by net growth and growth rate (`RANKING_COLUMNS`), and
    `event_uplift_and_drops`, all for [start, end]: running totals and the stored signal for several
    branches, one read of the daily figures for one branch."""
    branches = branches_in_scope(session, scope)
    if reads_rollup(scope):
        ranking = rank_period_totals(branch_period_totals(session, scope, start, end), branches)
        return ranking, *event_uplift_and_drops(session, scope, start, end)
    by_branch = daily_followers_by_branch(session, scope, lookback_start(start), end)
    return (rank_branches(by_branch, branches, start, end),
            event_uplift(by_branch, marketing_events(session, scope, start, end)),
            drops_in_period(detect_drops(by_branch), start, end))
