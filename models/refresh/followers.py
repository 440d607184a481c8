"""Follower rollups: branch days with running totals and the drop signal, and the bank's day totals."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from models.followers import FollowerDaily
from models.measures.followers import drop_days
from models.refresh.common import window_clause
from models.rollup_tables.followers import FollowerBranchDaily, FollowerDayTotal
from models.store.bulk import bulk_insert


def refresh_follower_rollups(conn: Connection, branch_ids, start: date | None, end: date | None) -> dict[str, int]:
    """Rebuild the follower rollups: for the given branches, their rows from `start` to their last day (a
    day's figures move the running totals and the drop signal of every later day; each branch's whole
    history is read so the signal is judged as over a full rebuild), and the bank's day totals of
    [start, end]."""


    branch_table, total_table = FollowerBranchDaily.__table__, FollowerDayTotal.__table__
    raw = FollowerDaily.__table__
    result = conn.execute(
        select(raw.c.branch_id, raw.c.day, func.sum(raw.c.new_follows), func.sum(raw.c.unfollows),
               func.sum(raw.c.net_follows), func.sum(raw.c.cumulative))
        .where(window_clause(raw.c.branch_id, raw.c.day, branch_ids, None, None))
        .group_by(raw.c.branch_id, raw.c.day).order_by(raw.c.branch_id, raw.c.day))
    names = ["branch_id", "day", "new_follows", "unfollows", "net_follows", "cumulative"]
    rows = result.fetchall()
    frame = pd.DataFrame(dict(zip(names, (list(c) for c in zip(*rows, strict=True)), strict=True))) if rows \
        else pd.DataFrame(columns=names)
    if not frame.empty:
        frame["day"] = pd.to_datetime(frame["day"])
    branch_start = _from_previous_day(frame, start)
    conn.execute(delete(branch_table).where(window_clause(branch_table.c.branch_id, branch_table.c.day, branch_ids,
                                                    branch_start, None)))
    written = 0
    if not frame.empty:
        for column in names[2:]:
            frame[column] = frame[column].astype("int64")
        written = bulk_insert(conn, branch_table, _follower_branch_days(frame, drop_days, branch_start))
    conn.execute(delete(total_table).where(window_clause(total_table.c.day, total_table.c.day, None, start, end)))
    conn.execute(insert(total_table).from_select(
        ["day", "new_follows", "unfollows", "net_follows", "cumulative"],
        select(raw.c.day, func.sum(raw.c.new_follows), func.sum(raw.c.unfollows), func.sum(raw.c.net_follows),
               func.sum(raw.c.cumulative))
        .where(window_clause(raw.c.day, raw.c.day, None, start, end)).group_by(raw.c.day)))
    return {branch_table.name: written, total_table.name: conn.execute(
        select(func.count()).select_from(total_table)
        .where(window_clause(total_table.c.day, total_table.c.day, None, start, end))).scalar_one()}


def _from_previous_day(frame: pd.DataFrame, start: date | None) -> date | None:
    """Where the branch rows are rebuilt from: `start`, or the branches' last day before it, whose `next_day`
    changes when days are added after it (a sync appending yesterday; a file of later days)."""
    if start is None or frame.empty:
        return start
    earlier = frame[frame["day"] < pd.Timestamp(start)]
    if earlier.empty:
        return start
    return min(start, earlier.groupby("branch_id")["day"].max().min().date())


def _follower_branch_days(frame, drop_days, start: date | None):
    """The FollowerBranchDaily rows of `frame` (per branch and day, every day of each branch's history)."""

    frame = frame.sort_values(["branch_id", "day"], kind="stable").reset_index(drop=True)
    per_branch = frame.groupby("branch_id", sort=False)
    signal = drop_days(frame)  # same order: sorted by branch and day
    run = signal.loc[signal["flagged"], "run"]
    flagged_rows = signal[signal["flagged"]]
    per_run = flagged_rows.groupby(run, sort=False)
    out = pd.DataFrame({
        "branch_id": frame["branch_id"], "day": frame["day"],
        "next_day": per_branch["day"].shift(-1),
        "new_follows": frame["new_follows"], "unfollows": frame["unfollows"], "net_follows": frame["net_follows"],
        "cumulative": frame["cumulative"],
        "days_to_date": per_branch.cumcount() + 1,
        "new_to_date": per_branch["new_follows"].cumsum(), "unfollows_to_date": per_branch["unfollows"].cumsum(),
        "net_to_date": per_branch["net_follows"].cumsum(),
        "rolling_net": signal["rolling"].round().astype("Int64"),
        "baseline_net": signal["baseline"].astype(float),
        "flagged": signal["flagged"].astype(bool), "negative": signal["negative"].astype(bool),
    })
    out["run_start"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out.loc[flagged_rows.index, "run_start"] = per_run["day"].transform("first")
    out["run_days"] = 0
    out.loc[flagged_rows.index, "run_days"] = per_run.cumcount() + 1
    out["run_net"] = 0
    out.loc[flagged_rows.index, "run_net"] = per_run["net"].cumsum().astype("int64")
    out["run_worst_net"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out.loc[flagged_rows.index, "run_worst_net"] = per_run["rolling"].cummin().round().astype("int64")
    out["run_any_negative"] = False
    out.loc[flagged_rows.index, "run_any_negative"] = per_run["negative"].cummax().astype(bool)
    out["run_any_negative"] = out["run_any_negative"].astype(bool)
    out["baseline_net"] = np.where(out["baseline_net"].isna(), np.nan, out["baseline_net"])
    if start is not None:
        out = out[out["day"] >= pd.Timestamp(start)]
    return out.reset_index(drop=True)
